/// @file
/// @brief pool_options_of: the task pool settings that a batch's options
/// (batch_options of fetch_batch, run_options of run_inputs) stand for.
#pragma once

#include <taskfetch/task_pool.hpp>

namespace taskfetch::detail {

/// The pool settings a batch's options stand for; batch_options and
/// run_options name their members alike, so one template serves both.
template <class Opts> pool_options pool_options_of(const Opts &o) {
  pool_options p;
  p.max_concurrent_requests = o.jobs;
  p.max_outstanding = o.max_outstanding;
  p.max_requests_per_second = o.max_requests_per_second;
  p.cancel = o.per_task.cancel;
  p.on_progress = o.on_progress;
  p.own_threads = o.own_threads;
  return p;
}

} // namespace taskfetch::detail
