// Many tasks that take real time, carried by a task pool: waiting is a timer,
// not a thread, so 200 scans whose tasks take a second each finish in about
// a second with nine threads, not in 200 / 8 task times.
// Expected output (against the built-in emulator; the task id and, on a busy
// machine, the time vary), checked by expected/task_pool.regex:
//   submitted 200 scans
//   200 done, 0 failed, 0 in progress
//   scan 0: 8 rows (task 3f6c...)
//   the whole batch took about 1 s, one task takes 1 s
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/task_pool.hpp>
#include <taskfetch/taskfetch.hpp>

#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  taskfetch::emulation::options eo;
  eo.pending_for = std::chrono::milliseconds(300);
  eo.processing_for = std::chrono::milliseconds(700);
  taskfetch::emulation::emulator emu(eo);
  if (!emu.start()) return 1;
  taskfetch::client api{taskfetch::options{}
                            .base_url(emu.base_url())
                            .credentials(emu.config().client_id, emu.config().client_secret)};

  const auto start = std::chrono::steady_clock::now();
  taskfetch::task_pool<taskfetch::client> pool(api); // 8 workers, 1 timer thread
  std::vector<taskfetch::task_handle<taskfetch::table>> scans;
  for (int i = 0; i < 200; ++i)
    scans.push_back(pool.run<taskfetch::endpoints::recognize_table>(
        taskfetch::image_input{"scan " + std::to_string(i), std::nullopt}));
  std::printf("submitted %zu scans\n", scans.size());
  pool.wait_all();

  const auto p = pool.progress();
  std::printf("%zu done, %zu failed, %zu in progress\n", p.done, p.failed, p.in_progress());
  auto first = scans[0].get(); // result<table>, as from api.run()
  if (!first) return 1;
  std::printf("scan 0: %zu rows (task %.4s...)\n", first->rows.size(), scans[0].task_id().c_str());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("the whole batch took about %.0f s, one task takes 1 s\n", secs);
  return p.done == 200 && secs < 10 ? 0 : 1;
}
