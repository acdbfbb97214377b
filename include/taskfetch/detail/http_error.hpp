/// @file
/// @brief Turns an HTTP answer that was not 2xx into an error value a person can read.
///
/// The message quotes the ProblemDetails title/detail; the error carries the Retry-After.
#pragma once

#include <taskfetch/detail/retry_after.hpp>
#include <taskfetch/envelope.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/http.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace taskfetch::detail {

/// Builds a person-readable message from an HTTP error answer: the status and
/// the ProblemDetails title/detail or {"error":...} when the body has them.
inline std::string describe_http_error(int status, const std::string &body) {
  std::string msg = "HTTP " + std::to_string(status);
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    for (const char *key : {"title", "detail", "error", "error_description"}) {
      const auto *v = find_member(j, key);
      if (v && v->is_string() && !v->get_ref<const std::string &>().empty())
        msg += std::string(msg.back() == ')' ? " " : ": ") + v->get<std::string>();
    }
  }
  return msg;
}

/// The http_status error for an answer with @p head and (error) @p body,
/// carrying its Retry-After so the retry policy and the pool can honour it.
inline error http_status_error(const response_head &head, const std::string &body,
                               std::chrono::system_clock::time_point wall_now,
                               const std::string &prefix = {}) {
  error e(error_kind::http_status, prefix + describe_http_error(head.status, body));
  e.with_http_status(head.status);
  if (auto h = find_header(head.headers, "Retry-After"))
    e.with_retry_after(parse_retry_after(*h, wall_now));
  return e;
}

} // namespace taskfetch::detail
