#include "emulate.hpp"

#include "exit_codes.hpp"
#include "fault_flags.hpp"

#include <taskfetch/emulator/emulator.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

namespace taskfetch::cli {

namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_signal(int) { interrupted.store(true); }

} // namespace

int cmd_emulate(const args &a) {
  emulation::options eo;
  if (auto p = a.value("--port")) // 0: any free port (the printed URL tells which)
    eo.port = static_cast<int>(positive("--port", *p, 65535, true));
  if (auto w = a.value("--omr-words")) { // seed: Processing/NotFound, sdk: NotReady/TaskNotFound
    if (*w != "seed" && *w != "sdk") throw usage_error{"--omr-words must be seed or sdk"};
    eo.omr_style = *w == "sdk" ? emulation::omr_words::sdk : emulation::omr_words::seed;
  }
  if (auto t = a.value("--threads")) eo.threads = positive("--threads", *t, 4096);
  if (auto m = a.value("--max-running"))
    eo.max_running = positive("--max-running", *m, 1000000000, true);
  if (auto r = a.value("--rate-limit"))
    eo.max_requests_per_second = positive("--rate-limit", *r, 1000000000, true);
  if (auto l = a.value("--log")) eo.log_file = *l; // JSON lines, one per request
  if (auto ms = a.value("--task-ms")) { // how long each task takes, split Pending/Processing
    // MIN-MAX: varied times (a mixed batch), drawn per input.
    const auto dash = ms->find('-', 1);
    const auto t = std::chrono::milliseconds(
        positive("--task-ms", ms->substr(0, dash), 3600000, dash == std::string::npos));
    eo.pending_for = t / 3;
    eo.processing_for = t - t / 3;
    if (dash != std::string::npos) {
      eo.task_ms_max =
          std::chrono::milliseconds(positive("--task-ms", ms->substr(dash + 1), 3600000));
      if (eo.task_ms_max < t) throw usage_error{"--task-ms MIN-MAX needs MIN <= MAX"};
    }
  }
  if (auto s = a.value("--task-seed"))
    eo.task_seed = static_cast<std::uint64_t>(positive("--task-seed", *s, 1L << 30, true));
  if (auto s = a.value("--token-lifetime"))
    eo.token_lifetime = std::chrono::seconds(positive("--token-lifetime", *s, 7 * 24 * 3600));
  if (auto h = a.value("--retention")) // hours a task stays fetchable
    eo.retention = std::chrono::hours(positive("--retention", *h, 30 * 24));
  // Every fault is checked before the server starts, so a typo is exit 2.
  std::vector<emulation::fault> faults;
  for (const auto &spec : a.all("--fault")) faults.push_back(parse_fault(spec));
  if (auto d = a.value("--delay")) {
    // Last, so that the --fault faults match their requests first.
    emulation::fault slow;
    slow.what = emulation::fault::kind::delay;
    slow.on = emulation::target::any;
    slow.times = emulation::fault::forever;
    slow.stall = parse_duration("--delay", *d);
    faults.push_back(slow);
  }

  emulation::emulator emu(eo);
  for (auto &f : faults) emu.inject(std::move(f));
  if (auto r = emu.start(); !r) {
    std::fprintf(stderr, "taskfetch: emulate: %s\n", r.error().message().c_str());
    return exit_network;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("emulator listening on %s\n", emu.base_url().c_str());
  std::printf("  TASKFETCH_BASE_URL=%s TASKFETCH_CLIENT_ID=%s TASKFETCH_CLIENT_SECRET=%s\n",
              emu.base_url().c_str(), eo.client_id.c_str(), eo.client_secret.c_str());
  std::fflush(stdout);
  while (!interrupted.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  emu.stop();
  return exit_ok;
}

} // namespace taskfetch::cli
