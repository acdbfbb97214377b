#include "interrupt.hpp"

#include <csignal>
#include <ctime>

#include <pthread.h>

namespace taskfetch::cli {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace

interrupt_watch::interrupt_watch(call_options &co) {
  // Blocked before the pool's threads exist, so they inherit the mask and
  // only the watcher takes the signal (a handler could not fire the token:
  // cancel() takes a mutex).
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  co.cancel = source_.token();
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

bool interrupt_watch::fired() {
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

interrupt_watch::~interrupt_watch() {
  (void)fired();
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

} // namespace taskfetch::cli
