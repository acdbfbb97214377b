// What the two batch commands (fetch --ids, run --inputs) share: the pool's
// bounds from the command line and the exit code of a batch.
#pragma once

#include "args.hpp"
#include "session.hpp"

#include <taskfetch/batch/fetch_batch.hpp>
#include <taskfetch/cancellation.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/learning_schedule.hpp>
#include <taskfetch/poll_schedule.hpp>

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace taskfetch::cli {

/// The pool's bounds from --jobs (requests in flight: worker threads),
/// --max-outstanding (tasks at the service at once) and --rate (requests
/// per second); the connection pool is made large enough for the workers.
batch_options batch_bounds(session &s, const args &a);

/// --schedule learning (the default: polls planned from the batch's finished
/// tasks) or standard (the retry policy's schedule alone).
poll_schedule schedule_option(const args &a);

/// A batch's exit code: 0 when nothing @p failed; when every task failed
/// (@p succeeded is 0) on one failure that hits them all (bad credentials,
/// refused URL, a local file), that failure's own code; 1 otherwise.
int batch_exit(std::size_t succeeded, std::size_t failed, const std::vector<error_kind> &kinds);

/// SIGINT and SIGTERM during a batch: while it lives, both signals are
/// blocked in every thread started after it and taken by one watcher thread,
/// which fires the batch's cancel token (set into @p bo), so the pool stops
/// its tasks within its 50 ms check, the journal keeps what it recorded and
/// the command prints its summary, then exits 130 (exit_interrupted).
class batch_interrupt {
public:
  explicit batch_interrupt(batch_options &bo);
  ~batch_interrupt();
  batch_interrupt(const batch_interrupt &) = delete;
  batch_interrupt &operator=(const batch_interrupt &) = delete;
  /// Whether a signal arrived (checked again when the watcher stops).
  bool fired();

private:
  cancel_source source_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> fired_{false};
  std::thread watcher_;
};

} // namespace taskfetch::cli
