/// @file
/// @brief pool_options_of: the task pool settings that a batch's options
/// (batch_options of fetch_batch, run_options of run_inputs) stand for.
#pragma once

#include <taskfetch/detail/paced_feed.hpp>
#include <taskfetch/task_pool.hpp>

#include <utility>

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

/// The same for a batch whose tasks @p feed makes as room opens: items not
/// yet made wait all the same, so on_progress counts them as queued.
/// @p feed must outlive the pool.
template <class Opts> pool_options pool_options_of(const Opts &o, const paced_feed &feed) {
  pool_options p = pool_options_of(o);
  if (p.on_progress)
    p.on_progress = [&feed, user = std::move(p.on_progress)](pool_progress q) {
      q.queued += feed.waiting();
      user(q);
    };
  return p;
}

} // namespace taskfetch::detail
