/// @file
/// @brief The replay rules: what a journal's records say about each input
/// (replay), and what a rerun then does with it (rerun_action_of: skip,
/// report failed, poll the live task, or submit). Storage is not here: the
/// rules read journal_entry values, wherever they were kept.
#pragma once

#include <taskfetch/batch/journal.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace taskfetch {

/// @brief What the journal says about one input, after replaying it.
struct input_history {
  std::string task_id;           ///< the latest task submitted for it
  std::int64_t submitted_at = 0; ///< when (unix seconds)
  bool done = false;             ///< a result was written...
  std::string output;            ///< ...here,
  std::uint64_t size = 0;        ///< ...of this size,
  std::string sha256;            ///< ...with this digest
  unsigned task_errors = 0;      ///< tasks that ended in Error
  bool final_failure = false;    ///< reported failed, no more resubmissions
  bool expired = false;          ///< the latest task was gone (NotExist)
  unsigned submissions = 0;      ///< submitted records
};

/// @brief Replays records into a map from input key to its history.
inline std::map<std::string, input_history> replay(const std::vector<journal_entry> &es) {
  std::map<std::string, input_history> h;
  for (const auto &e : es) {
    auto &s = h[e.input];
    switch (e.what) {
    case journal_entry::event::submitted:
      s.task_id = e.task_id;
      s.submitted_at = e.time;
      s.done = false;
      s.expired = false;
      s.final_failure = false;
      ++s.submissions;
      break;
    case journal_entry::event::done:
      s.done = true;
      s.output = e.output;
      s.size = e.size;
      s.sha256 = e.sha256;
      break;
    case journal_entry::event::failed:
      if (e.kind == "task_failed") ++s.task_errors;
      s.final_failure = e.final;
      break;
    case journal_entry::event::expired: s.expired = true; break;
    }
  }
  return h;
}

/// @brief What a rerun does with one input.
enum class rerun_action {
  skip,   ///< done before, and the file is still what was written
  fail,   ///< failed as often as allowed: reported failed, not submitted again
  poll,   ///< its task is still at the service: fetched, not paid for again
  submit, ///< no usable task: submitted (again)
};

/// @brief The rerun rule for an input whose history is @p h (docs/batch.md,
/// "Rerunning").
/// @param now unix seconds
/// @param retention how long the service keeps a task after submission
/// @param output_intact called only when @p h says done: whether the file
///        it names still has the recorded size and SHA-256
///
/// A done input whose file changed is treated as if never done: its task is
/// polled while the service may still hold it, else submitted again.
template <class OutputIntact>
rerun_action rerun_action_of(const input_history &h, std::int64_t now,
                             std::chrono::seconds retention, OutputIntact output_intact) {
  if (h.done && output_intact()) return rerun_action::skip;
  if (h.final_failure && !h.done) return rerun_action::fail;
  const bool live = !h.task_id.empty() && !h.expired && now - h.submitted_at < retention.count();
  return live ? rerun_action::poll : rerun_action::submit;
}

} // namespace taskfetch
