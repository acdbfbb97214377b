// SIGINT and SIGTERM as the help promises: the command stops through its
// cancel token and exits 130, batches and single requests alike.
#pragma once

#include "exit_codes.hpp"

#include <taskfetch/cancellation.hpp>
#include <taskfetch/options.hpp>

#include <atomic>
#include <thread>

namespace taskfetch::cli {

/// SIGINT and SIGTERM during a command: while it lives, both signals are
/// blocked in every thread started after it and taken by one watcher thread,
/// which fires the cancel token it sets into @p co (a batch's per_task), so
/// a wait or a pool stops within its 50 ms check, a batch's journal keeps
/// what it recorded, and the command reports, then exits 130
/// (exit_interrupted) as the help promises.
class interrupt_watch {
public:
  explicit interrupt_watch(call_options &co);
  ~interrupt_watch();
  interrupt_watch(const interrupt_watch &) = delete;
  interrupt_watch &operator=(const interrupt_watch &) = delete;
  /// Whether a signal arrived (checked again when the watcher stops).
  bool fired();
  /// @p code, the exit of a failed command, or 130 when a signal stopped it.
  int exit_code(int code) { return fired() ? int(exit_interrupted) : code; }

private:
  cancel_source source_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> fired_{false};
  std::thread watcher_;
};

} // namespace taskfetch::cli
