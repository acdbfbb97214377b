/// @file
/// @brief fetch_batch: many task ids through one task_pool over a shared
/// client; one failing task never fails the others.
#pragma once

#include <taskfetch/decoder.hpp>
#include <taskfetch/detail/batch_pool_options.hpp>
#include <taskfetch/detail/paced_feed.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/task_pool.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace taskfetch {

/// @brief Settings of a batch (fetch_batch, run_inputs): the pool's bounds.
struct batch_options {
  std::size_t jobs = 8;                ///< requests in flight at once (worker threads)
  call_options per_task;               ///< applied to every task (deadline, hooks); its cancel
                                       ///< token cancels the whole batch
  std::size_t max_outstanding = 10000; ///< tasks admitted at once
  double max_requests_per_second = 0;  ///< request rate cap; 0: none until throttled
  std::function<void(const pool_progress &)> on_progress; ///< the pool's counts as they change
  /// false: no threads, the calling thread drives the batch and waits
  /// through the client's clock (for tests with a manual clock).
  bool own_threads = true;

  /// @brief The pool settings these stand for.
  pool_options pool() const { return detail::pool_options_of(*this); }
};

/// @brief What a batch did.
struct batch_summary {
  std::size_t done = 0;   ///< tasks fetched and decoded
  std::size_t failed = 0; ///< tasks that ended in an error
};

/// @brief Fetches every id in @p ids with endpoint @p E.
/// @param make_decoder called as make_decoder(index, id) for each task, one
///        call at a time, when the task is made (on the calling thread or a
///        worker); returns the task's decoder
/// @param on_done called as on_done(index, id, result) once per task, one call
///        at a time (no locking needed inside), in completion order
///
/// What make_decoder or on_done throws stops the batch (every task
/// cancelled, no more made) and is rethrown here, on the calling thread.
///
/// Waiting tasks cost a timer entry, not a thread: opts.jobs bounds only
/// the requests in flight. Tasks are made as room opens in the pool
/// (opts.max_outstanding at once), so ids beyond that cost only their string.
template <class E, class Client, class MakeDecoder, class OnDone>
batch_summary fetch_batch(Client &client, const std::vector<std::string> &ids,
                          MakeDecoder make_decoder, OnDone on_done,
                          const batch_options &opts = {}) {
  static_assert(check_endpoint<E>());
  using decoder =
      std::decay_t<decltype(make_decoder(std::size_t{0}, std::declval<const std::string &>()))>;
  static_assert(check_decoder<decoder>());
  using value = detail::decoder_value_t<decoder>;
  std::mutex report_m;
  batch_summary sum;
  // Each task is made when one before it ends, max_outstanding at once (what
  // the pool admits), so a long list of ids costs no task memory up front.
  // These outlive the pool, whose end may still call them.
  detail::paced_feed feed(ids.size(), opts.max_outstanding);
  std::function<void(std::size_t)> add;
  // make_decoder may now run on a worker: what it throws stops the batch
  // and is rethrown here, on the calling thread, as it always was.
  std::exception_ptr thrown; // touched only by the feed's adding thread
  // on_done threw (set under report_m, before any later ending adds): no
  // task is made after it, whichever thread adds.
  std::atomic<bool> stopped{false};
  task_pool<Client> pool(client, detail::pool_options_of(opts, feed));
  add = [&](std::size_t i) {
    if (thrown || stopped || pool.faulted()) return; // the pool's is rethrown by wait_all()
    try {
      pool.template fetch<E>(ids[i], make_decoder(i, ids[i]), opts.per_task,
                             [&, i](result<value> &r) {
                               {
                                 std::lock_guard<std::mutex> lk(report_m);
                                 (r ? sum.done : sum.failed) += 1;
                                 try {
                                   on_done(i, ids[i], r);
                                 } catch (...) {
                                   stopped = true;
                                   throw; // to the pool, which stops and rethrows it
                                 }
                               }
                               feed.ended(add);
                             });
    } catch (...) {
      thrown = std::current_exception();
      pool.cancel_all();
    }
  };
  feed.start(add);
  pool.wait_all();
  if (thrown) std::rethrow_exception(thrown);
  return sum;
}

} // namespace taskfetch
