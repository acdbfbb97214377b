/// @file
/// @brief Fault injection: what can go wrong with an emulator answer, and on which requests.
///
/// The registry arms faults and hands each request the first one matching it.
#pragma once

#include <taskfetch/detail/retry_after.hpp>
#include <taskfetch/emulator/options.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace taskfetch::emulation {

/// @brief Which requests a fault applies to.
enum class target { any, token, submit, fetch, cancel };

/// @brief One injected fault (see docs/emulator.md).
struct fault {
  /// @brief What goes wrong; each value names the fields below that it reads.
  enum class kind {
    http_status,    ///< answer `status` (with Retry-After if set) instead
    drop_mid_body,  ///< send `after_bytes` of the answer (at most all but one), then close
    truncate_body,  ///< send all but the last `after_bytes` (at least 1), then close
    stall_body,     ///< send `after_bytes`, stall `stall`, then the rest
    malformed_json, ///< a cut-off JSON document with a correct length
    invalid_base64, ///< a '!' inside results[0].data
    unknown_status, ///< status word "Frobnicating"
    revoke_token,   ///< every issued token stops working (this call: 401)
    delay,          ///< wait `stall` before answering
    wrong_shape,    ///< results is an object, not a list
    raw_answer,     ///< answer 200 with exactly `body` (any shape the test needs)
  };
  /// @brief `times` value: the fault never wears off.
  static constexpr std::size_t forever = 0;
  kind what = kind::http_status;         ///< the fault
  target on = target::fetch;             ///< which requests (fetch includes GetTaskStatus)
  std::string task_id;                   ///< only this task ("" any)
  std::string endpoint;                  ///< only this operation, e.g. "djvu2pdf" ("" any)
  int status = 503;                      ///< http_status: the code
  std::string retry_after;               ///< http_status: Retry-After value ("" none)
  std::size_t after_bytes = 64;          ///< body faults: where
  std::chrono::milliseconds stall{2000}; ///< stall_body, delay: how long
  std::size_t times = 1;                 ///< how many requests; 0 (forever) = every one
  std::string body;                      ///< raw_answer: the answer's body

  /// @brief An HTTP-date for retry_after: "Sun, 06 Nov 1994 08:49:37 GMT".
  static std::string http_date(time_point t) { return taskfetch::detail::format_http_date(t); }
};

namespace detail {

/// @brief A fault and how many requests it has already applied to.
struct armed_fault {
  fault f;
  std::size_t used;
};

/// @brief The kind's name, as the request log records it.
inline const char *fault_name(fault::kind k) {
  switch (k) {
  case fault::kind::http_status: return "http_status";
  case fault::kind::drop_mid_body: return "drop_mid_body";
  case fault::kind::truncate_body: return "truncate_body";
  case fault::kind::stall_body: return "stall_body";
  case fault::kind::malformed_json: return "malformed_json";
  case fault::kind::invalid_base64: return "invalid_base64";
  case fault::kind::unknown_status: return "unknown_status";
  case fault::kind::revoke_token: return "revoke_token";
  case fault::kind::delay: return "delay";
  case fault::kind::wrong_shape: return "wrong_shape";
  case fault::kind::raw_answer: return "raw_answer";
  }
  return "?";
}

/// @brief Armed faults, tried in the order injected. Thread-safe.
class fault_registry {
public:
  void arm(fault f) {
    std::lock_guard<std::mutex> lk(m_);
    faults_.push_back({std::move(f), 0});
  }
  void clear() {
    std::lock_guard<std::mutex> lk(m_);
    faults_.clear();
  }
  /// @brief Faults not yet used up.
  std::size_t armed() const {
    std::lock_guard<std::mutex> lk(m_);
    return faults_.size();
  }
  /// @brief Consumes one use of the first fault matching; nullopt if none.
  std::optional<fault> take(target t, const std::string &ep, const std::string &id) {
    std::lock_guard<std::mutex> lk(m_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      const fault &f = it->f;
      if (f.on != target::any && f.on != t) continue;
      if (!f.task_id.empty() && f.task_id != id) continue;
      if (!f.endpoint.empty() && f.endpoint != ep) continue;
      fault copy = f;
      if (f.times != fault::forever && ++it->used >= f.times) faults_.erase(it);
      return copy;
    }
    return std::nullopt;
  }

private:
  mutable std::mutex m_;
  std::vector<armed_fault> faults_;
};

} // namespace detail
} // namespace taskfetch::emulation
