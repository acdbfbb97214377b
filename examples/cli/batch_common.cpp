#include "batch_common.hpp"

#include "exit_codes.hpp"

#include <algorithm>
#include <csignal>
#include <ctime>

#include <pthread.h>

namespace taskfetch::cli {

batch_options batch_bounds(session &s, const args &a) {
  batch_options bo;
  bo.jobs = static_cast<std::size_t>(positive("--jobs", a.value("--jobs").value_or("8"), 256));
  bo.max_outstanding = static_cast<std::size_t>(
      positive("--max-outstanding", a.value("--max-outstanding").value_or("10000"), 10000000));
  bo.max_requests_per_second = static_cast<double>(
      positive("--rate", a.value("--rate").value_or("0"), 1000000, /*zero_ok=*/true));
  s.opts.max_connections(std::max<std::size_t>(s.opts.max_connections(), bo.jobs));
  bo.per_task.on_request = s.out.request_log();
  return bo;
}

poll_schedule schedule_option(const args &a) {
  const std::string v = a.value("--schedule").value_or("learning");
  if (v == "learning") return learning_schedule{};
  if (v == "standard") return {};
  throw usage_error{"--schedule must be learning or standard"};
}

int batch_exit(std::size_t succeeded, std::size_t failed, const std::vector<error_kind> &kinds) {
  if (failed == 0) return exit_ok;
  if (kinds.empty()) return exit_batch_failed;
  const error_kind k = kinds.front();
  const bool affects_all =
      k == error_kind::auth || k == error_kind::invalid_argument || k == error_kind::io;
  if (succeeded == 0 && affects_all &&
      std::all_of(kinds.begin(), kinds.end(), [&](error_kind f) { return f == k; }))
    return exit_for(k);
  return exit_batch_failed;
}

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace

batch_interrupt::batch_interrupt(batch_options &bo) {
  // Blocked before the pool's threads exist, so they inherit the mask and
  // only the watcher takes the signal (a handler could not fire the token:
  // cancel() takes a mutex).
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  bo.per_task.cancel = source_.token();
  watcher_ = std::thread([this, set] {
    const timespec tick{0, 50 * 1000 * 1000}; // how often it looks at stop_
    while (!stop_.load()) {
      if (sigtimedwait(&set, nullptr, &tick) > 0) {
        fired_.store(true);
        source_.cancel();
        return;
      }
    }
  });
}

bool batch_interrupt::fired() {
  if (watcher_.joinable()) {
    stop_.store(true);
    watcher_.join();
    // A signal that came after the watcher's last look is still pending.
    const sigset_t set = stop_signals();
    const timespec none{0, 0};
    if (sigtimedwait(&set, nullptr, &none) > 0) fired_.store(true);
  }
  return fired_.load();
}

batch_interrupt::~batch_interrupt() {
  (void)fired();
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

} // namespace taskfetch::cli
