/// @file
/// @brief Where a task stands, as the endpoint traits read the service's words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace taskfetch {

/// @brief The state of a task, from one fetch answer.
enum class task_state {
  pending,   ///< queued or processing: poll again
  done,      ///< finished; results are in the answer
  failed,    ///< the service reports an error for the task
  not_found, ///< unknown id, cancelled, or older than 24 hours
  unknown,   ///< a status word the contract does not list
};

/// @brief A short lower-case name ("pending", "done", ...).
constexpr std::string_view to_string(task_state s) noexcept {
  switch (s) {
  case task_state::pending: return "pending";
  case task_state::done: return "done";
  case task_state::failed: return "failed";
  case task_state::not_found: return "not_found";
  case task_state::unknown: return "unknown";
  }
  return "unknown";
}

/// @brief One poll's answer, without the result data.
struct task_status {
  task_state state = task_state::unknown; ///< the mapped state
  std::string id;                         ///< the id the service echoed
  std::string word;                       ///< the raw status word that decided it
  std::string response_status;            ///< responseStatusCode, if sent
  std::vector<std::string> messages;      ///< error.messages, if any
  std::vector<std::string> warnings;      ///< error.warnings, if any
  std::size_t result_count = 0;           ///< entries in results (0 when null)
};

} // namespace taskfetch
