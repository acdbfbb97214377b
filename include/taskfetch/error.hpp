/// @file
/// @brief Errors as values: what went wrong, of which kind, after how many tries.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch {

/// @brief The class of a failure; decides retries and the CLI's exit code.
enum class error_kind {
  transport,          ///< network: connect, TLS, timeout, connection dropped
  http_status,        ///< the service answered an HTTP error status
  auth,               ///< credentials refused, or 401 after a token refresh
  task_failed,        ///< the task ended in Error; see service_messages()
  not_found,          ///< unknown task id, or older than 24 hours
  deadline_exceeded,  ///< the operation's deadline passed (one slow I/O wait is transport)
  cancelled,          ///< the caller's cancellation token fired
  malformed_response, ///< bad JSON, wrong shape, bad base64, unknown status
  decode,             ///< the result's bytes are not what the decoder needs
  invalid_argument,   ///< refused before any request (bad id, bad URL)
  too_large,          ///< the answer exceeds the configured size cap
  io,                 ///< a local file or journal failed (full disk, permission, missing folder)
  unknown,            ///< no kind was set (a default-constructed error)
};

/// @brief A short lower-case name for a kind ("transport", "not_found", ...).
constexpr std::string_view to_string(error_kind k) noexcept {
  switch (k) {
  case error_kind::transport: return "transport";
  case error_kind::http_status: return "http_status";
  case error_kind::auth: return "auth";
  case error_kind::task_failed: return "task_failed";
  case error_kind::not_found: return "not_found";
  case error_kind::deadline_exceeded: return "deadline_exceeded";
  case error_kind::cancelled: return "cancelled";
  case error_kind::malformed_response: return "malformed_response";
  case error_kind::decode: return "decode";
  case error_kind::invalid_argument: return "invalid_argument";
  case error_kind::too_large: return "too_large";
  case error_kind::io: return "io";
  case error_kind::unknown: return "unknown";
  }
  return "unknown"; // a value outside the enumeration
}

/// @brief Finer detail for transport errors: decides whether a retry can help.
enum class transport_errc {
  none,    ///< not a transport error
  connect, ///< could not connect (refused, unreachable, DNS)
  tls,     ///< TLS handshake or certificate verification failed
  timeout, ///< one connect or read wait passed its limit
  closed,  ///< connection dropped or body shorter than Content-Length
  aborted, ///< the receiver stopped the transfer
  other,   ///< anything else the transport reports
};

/// @brief One failure, with everything a caller or a person needs to act on it.
class error {
public:
  /// @brief An error of kind unknown, message "unknown error": nothing
  /// described the failure (reported by the CLI as an internal error).
  error() = default;
  /// @brief An error of @p kind with a message a person understands.
  error(error_kind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  error_kind kind() const noexcept { return kind_; }
  /// @brief What happened, for a person; never holds secrets.
  const std::string &message() const noexcept { return message_; }
  /// @brief The last HTTP status seen (0 if none).
  int http_status() const noexcept { return http_status_; }
  /// @brief HTTP requests made by the operation that failed.
  std::size_t attempts() const noexcept { return attempts_; }
  /// @brief The service's own messages (error.messages), if it sent any.
  const std::vector<std::string> &service_messages() const noexcept { return service_messages_; }
  /// @brief Transport detail (none unless kind() is transport).
  transport_errc transport_code() const noexcept { return transport_; }
  /// @brief The server's Retry-After, if it sent one that parsed.
  std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }

  /// @brief Sets the HTTP status; returns *this for chaining.
  error &with_http_status(int s) & {
    http_status_ = s;
    return *this;
  }
  error &&with_http_status(int s) && {
    http_status_ = s;
    return std::move(*this);
  }
  /// @brief Sets how many HTTP requests the failed operation made; returns *this.
  error &with_attempts(std::size_t n) & {
    attempts_ = n;
    return *this;
  }
  error &&with_attempts(std::size_t n) && {
    attempts_ = n;
    return std::move(*this);
  }
  /// @brief Attaches the service's own words (error.messages); returns *this.
  error &with_service_messages(std::vector<std::string> m) & {
    service_messages_ = std::move(m);
    return *this;
  }
  error &&with_service_messages(std::vector<std::string> m) && {
    service_messages_ = std::move(m);
    return std::move(*this);
  }
  /// @brief Sets why the network failed, which decides whether a retry can
  /// help; meaningful only with kind transport. Returns *this.
  error &with_transport(transport_errc c) & {
    transport_ = c;
    return *this;
  }
  error &&with_transport(transport_errc c) && {
    transport_ = c;
    return std::move(*this);
  }
  /// @brief Records the server's Retry-After (nullopt: none), the least wait
  /// before a retry; returns *this.
  error &with_retry_after(std::optional<std::chrono::milliseconds> d) & {
    retry_after_ = d;
    return *this;
  }
  error &&with_retry_after(std::optional<std::chrono::milliseconds> d) && {
    retry_after_ = d;
    return std::move(*this);
  }
  /// @brief Prefixes the message with context ("fetch abc: ...").
  error &prefix(std::string_view context) {
    message_.insert(0, std::string(context) + ": ");
    return *this;
  }

private:
  // Not transport: a default error must not pass for a network failure
  // (and be retried as one).
  error_kind kind_ = error_kind::unknown;
  std::string message_ = "unknown error";
  int http_status_ = 0;
  std::size_t attempts_ = 0;
  std::vector<std::string> service_messages_;
  transport_errc transport_ = transport_errc::none;
  std::optional<std::chrono::milliseconds> retry_after_;
};

} // namespace taskfetch
