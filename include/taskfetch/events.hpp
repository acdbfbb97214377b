/// @file
/// @brief What observability hooks are told: one event per HTTP request and one per retry.
///
/// Events hold no secrets: tokens travel in headers and credentials in
/// bodies, neither of which is reported.
#pragma once

#include <taskfetch/clock.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/http.hpp>

#include <string_view>

namespace taskfetch {

/// @brief One HTTP request as it ended.
struct request_event {
  http_method method = http_method::get; ///< GET, POST or DELETE
  std::string_view path;          ///< path and query relative to the base URL (never a secret)
  int http_status = 0;            ///< the answer's status; 0 when no answer came
  duration elapsed{0};            ///< from sending to the end of the answer (or the failure)
  const error *failure = nullptr; ///< why it failed, if it did (HTTP status, network, decode)
};

/// @brief A failed request that will be tried again after a wait.
struct retry_event {
  const error &reason; ///< what failed
  duration wait;       ///< how long until the next try
};

} // namespace taskfetch
