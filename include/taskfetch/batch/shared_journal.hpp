/// @file
/// @brief The shared journal's interface: one batch worked by several
/// processes (on several machines), each input claimed by one worker at a
/// time under a lease, every step fenced by the claim's attempt number.
/// The PostgreSQL implementation is pg_journal.hpp; memory_shared_journal.hpp
/// keeps the same rules in memory for tests.
#pragma once

#include <taskfetch/batch/journal.hpp>
#include <taskfetch/batch/replay.hpp>
#include <taskfetch/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace taskfetch {

/// @brief One input as a worker holds it: the fence and what earlier
/// attempts (of any worker) left behind.
struct input_claim {
  std::string input;        ///< the input's key
  std::int64_t attempt = 0; ///< bumped by every claim; every write checks it
  input_history history;    ///< task id (if one was accepted), errors, submissions so far
};

/// @brief Counts of a shared batch, for the worker's "is it over" check.
struct shared_counts {
  std::size_t open = 0;    ///< not claimed by anyone (or their lease lapsed)
  std::size_t claimed = 0; ///< held by a live lease (this worker's or another's)
  std::size_t done = 0;    ///< finished with a result
  std::size_t failed = 0;  ///< failed for good
};

/// @brief A journal several workers share. Each call is one durable
/// transaction; every call that names a claim commits only while the input is
/// still held by this worker at that attempt, and otherwise answers
/// `false` (the lease lapsed and someone else may hold it now) without
/// changing anything. Thread-safe: a worker calls it from the pool's
/// threads at once (submitted(), finish(), fail() as tasks end), so an
/// implementation may commit concurrent writes together (pg_journal does).
class shared_journal {
public:
  virtual ~shared_journal() = default;

  /// @brief Adds the inputs not known yet (every worker calls it with the
  /// same list; idempotent).
  virtual result<void> enroll(const std::vector<std::string> &inputs) = 0;

  /// @brief Claims up to @p n open inputs for this worker: never claimed,
  /// released, or held by a lease that lapsed. Skips rows other workers are
  /// claiming at the same moment (FOR UPDATE SKIP LOCKED).
  virtual result<std::vector<input_claim>> claim(std::size_t n) = 0;

  /// @brief Extends the lease of every input this worker holds and marks
  /// the worker alive. @return the inputs whose claim this worker lost.
  virtual result<std::vector<std::string>> renew() = 0;

  /// @brief The service accepted a submit: records its task id (so a worker
  /// taking over resumes polling it) and the submission time.
  virtual result<bool> submitted(const input_claim &c, const std::string &task_id,
                                 std::int64_t time) = 0;

  /// @brief Stores the result and marks the input done in one transaction.
  /// @param done output path, size, SHA-256, time, task id
  /// @param result_json the decoded result as JSON text (table rows, OMR
  ///        elements), empty when the result is only a file (PDF)
  virtual result<bool> finish(const input_claim &c, const journal_entry &done,
                              const std::string &result_json) = 0;

  /// @brief Records a task that ended in Error, or expired (@p e.what).
  /// A final failure marks the input failed; otherwise the claim is kept
  /// (the worker resubmits).
  virtual result<bool> fail(const input_claim &c, const journal_entry &e) = 0;

  /// @brief Gives the input back (its task id kept) for any worker to claim
  /// again: this worker stops (cancelled, a transient failure).
  virtual result<bool> release(const input_claim &c) = 0;

  /// @brief The batch's counts.
  virtual result<shared_counts> counts() = 0;

  /// @brief The request rate budget every worker on this journal shares.
  /// Called by each worker about once a second, and at once after a 429.
  /// @param cap the account's cap (--rate; 0: none)
  /// @param cut_to after a 429: the rate this worker's own bucket cut to
  ///        (0: no cut since the last call)
  /// @return this worker's share of the budget in requests per second (0: no limit)
  virtual result<double> share_rate(double cap, double cut_to) = 0;

  /// @brief The lease a claim lasts without renewal.
  virtual std::chrono::seconds lease() const = 0;
};

} // namespace taskfetch
