/// @file
/// @brief The batch journal's record and interface: every input's progress
/// recorded durably, so a batch that crashes neither loses a task id nor
/// pays twice for an input. Storage lives in file_journal.hpp and
/// memory_journal.hpp; what a rerun makes of the records in replay.hpp.
#pragma once

#include <taskfetch/result.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace taskfetch {

/// @brief One journal record: an input was submitted, finished, failed,
/// or its task expired at the service. Fields not used by the event stay empty.
struct journal_entry {
  enum class event { submitted, done, failed, expired };
  event what = event::submitted;     ///< what happened to the input
  std::string input;                 ///< the input's key (its path as given)
  std::string task_id;               ///< the service's task id
  std::int64_t time = 0;             ///< unix seconds (submission time for submitted)
  std::string output;                ///< done: the file written
  std::uint64_t size = 0;            ///< done: its size
  std::string sha256;                ///< done: its SHA-256 (hex)
  std::string kind;                  ///< failed: the error kind
  std::vector<std::string> messages; ///< failed: the service's messages
  bool final = false;                ///< failed: no resubmission will follow
};

/// @brief A journal's storage. Implementations must make append() durable
/// before returning and be safe to call from several threads.
class journal {
public:
  virtual ~journal() = default;
  /// @brief Every intact record, oldest first.
  virtual result<std::vector<journal_entry>> load() = 0;
  /// @brief Adds a record durably.
  virtual result<void> append(const journal_entry &e) = 0;
  /// @brief Readies append() (a file journal opens or creates its file).
  /// A run calls it before its first request: a journal that cannot be
  /// written must fail the run before any submission is paid for.
  virtual result<void> open() { return {}; }
};

} // namespace taskfetch
