/// @file
/// @brief fetch_batch: many task ids through one shared client, with bounded
/// concurrency; one failing task never fails the others.
#pragma once

#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace taskfetch {

/// @brief Settings of a batch.
struct batch_options {
  std::size_t jobs = 8;  ///< tasks in flight at once (worker threads)
  call_options per_task; ///< applied to every fetch (deadline, cancel)
};

/// @brief What a batch did.
struct batch_summary {
  std::size_t done = 0;   ///< tasks fetched and decoded
  std::size_t failed = 0; ///< tasks that ended in an error
};

/// @brief Fetches every id in @p ids with endpoint @p E.
/// @param make_decoder called as make_decoder(index, id) for each task; returns
///        the task's decoder
/// @param on_done called as on_done(index, id, result) once per task, one call
///        at a time (no locking needed inside), in completion order
template <class E, class Client, class MakeDecoder, class OnDone>
batch_summary fetch_batch(Client &client, const std::vector<std::string> &ids,
                          MakeDecoder make_decoder, OnDone on_done,
                          const batch_options &opts = {}) {
  std::atomic<std::size_t> next{0};
  std::mutex report_m;
  batch_summary sum;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= ids.size()) return;
      auto decoder = make_decoder(i, ids[i]);
      auto r = client.template fetch<E>(ids[i], decoder, opts.per_task);
      std::lock_guard<std::mutex> lk(report_m);
      (r ? sum.done : sum.failed) += 1;
      on_done(i, ids[i], r);
    }
  };
  const std::size_t n = std::max<std::size_t>(1, std::min(opts.jobs, ids.size()));
  std::vector<std::thread> pool;
  pool.reserve(n - 1);
  for (std::size_t t = 1; t < n; ++t) pool.emplace_back(worker);
  worker(); // the calling thread works too
  for (auto &t : pool) t.join();
  return sum;
}

} // namespace taskfetch
