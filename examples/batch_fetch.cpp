// Fetch many task ids with one shared client: bounded concurrency, pooled
// keep-alive connections, and one failing task never fails the others.
// Expected output (against the built-in emulator; a line per id, in the
// order the tasks finish, then the sums), checked by expected/batch_fetch.regex:
//   task-0: 2 rows
//   ...
//   no-such-task: not_found
//   ...
//   done 50, failed 1
#include <taskfetch/batch/fetch_batch.hpp>
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/taskfetch.hpp>

#include <cstdio>

int main() {
  taskfetch::emulation::emulator emu;
  if (!emu.start()) return 1;
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    taskfetch::emulation::task_spec t; // already Completed
    t.id = "task-" + std::to_string(i);
    t.outcome = taskfetch::emulation::processed::completed("Csv", "0,1\nhello,world\n");
    ids.push_back(emu.add_task("recognize-table", t));
  }
  ids.push_back("no-such-task");

  taskfetch::client api{taskfetch::options{}
                            .base_url(emu.base_url())
                            .credentials(emu.config().client_id, emu.config().client_secret)};
  taskfetch::batch_options opts;
  opts.jobs = 8; // requests in flight; waiting tasks cost a timer each, not a thread
  auto sum = taskfetch::fetch_batch<taskfetch::endpoints::recognize_table>(
      api, ids, [](std::size_t, const std::string &) { return taskfetch::decoders::table{}; },
      [](std::size_t, const std::string &id, const auto &r) {
        if (r)
          std::printf("%s: %zu rows\n", id.c_str(), r->rows.size());
        else
          std::printf("%s: %s\n", id.c_str(), std::string(to_string(r.error().kind())).c_str());
      },
      opts);
  std::printf("done %zu, failed %zu\n", sum.done, sum.failed);
  return sum.done == 50 && sum.failed == 1 ? 0 : 1;
}
