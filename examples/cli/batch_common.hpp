// What the two batch commands (fetch --ids, run --inputs) share: the pool's
// bounds from the command line and the exit code of a batch.
#pragma once

#include "args.hpp"
#include "session.hpp"

#include <taskfetch/batch/fetch_batch.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/learning_schedule.hpp>
#include <taskfetch/poll_schedule.hpp>

#include <cstddef>
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

/// Of a batch's failures' @p kinds, those SIGINT or SIGTERM stopped (the
/// batch's cancel token): interrupted, not failed, since a rerun finishes them.
std::size_t interrupted_of(const std::vector<error_kind> &kinds);

} // namespace taskfetch::cli
