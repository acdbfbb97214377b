#include "interrupt.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>
#include <unistd.h>

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
    // Sleeps until a signal: no tick, so a command's end does not wait for
    // one (a 50 ms tick was a quarter of a 2,000-task batch's wall time).
    for (;;) {
      siginfo_t info{};
      if (sigwaitinfo(&set, &info) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      // fired()'s wake-up: sent by this process once stop_ is set (the CLI
      // signals itself for nothing else). Ctrl-C (the kernel's, pid 0) or a
      // kill from another process is the user's.
      if (stop_.load() && info.si_pid == getpid()) return;
      fired_.store(true);
      source_.cancel();
      return;
    }
  });
}

bool interrupt_watch::fired() {
  if (watcher_.joinable()) {
    stop_.store(true);
    // Directed at the watcher, so the process's pending signals (a user's,
    // arriving now) stay for the look below. ESRCH: it already returned.
    (void)pthread_kill(watcher_.native_handle(), SIGTERM);
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
