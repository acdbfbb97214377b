/// @file
/// @brief Client options, set fluently: options{}.base_url(...).credentials(...).
#pragma once

#include <taskfetch/cancellation.hpp>
#include <taskfetch/clock.hpp>
#include <taskfetch/events.hpp>
#include <taskfetch/proxy.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/task_state.hpp>
#include <taskfetch/transport_settings.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace taskfetch {

/// @brief How a client reaches and authenticates with the service.
class options {
public:
  /// @brief Service root, e.g. "https://api.aspose.cloud" (the default).
  options &base_url(std::string url) {
    base_url_ = std::move(url);
    return *this;
  }
  /// @brief client_credentials pair for /connect/token.
  options &credentials(std::string id, std::string secret) {
    client_id_ = std::move(id);
    client_secret_ = std::move(secret);
    return *this;
  }
  /// @brief A fixed bearer token instead of credentials (never refreshed).
  options &bearer_token(std::string token) {
    bearer_ = std::move(token);
    return *this;
  }
  /// @brief Deadline of one whole operation (fetch, wait, run...), all
  /// requests and waits included; default 300 s. (A timeout, below, limits
  /// one I/O wait.)
  options &deadline(duration d) {
    deadline_ = d;
    return *this;
  }
  /// @brief TCP connect timeout; default 10 s.
  options &connect_timeout(duration d) {
    connect_timeout_ = d;
    return *this;
  }
  /// @brief Longest silence while reading an answer; default 60 s.
  options &read_timeout(duration d) {
    read_timeout_ = d;
    return *this;
  }
  /// @brief An extra trusted CA (PEM), added to the system store.
  options &ca_file(std::string path) {
    ca_file_ = std::move(path);
    return *this;
  }
  /// @brief Allow http:// to hosts other than loopback (off by default).
  options &allow_insecure_http(bool on) {
    insecure_http_ = on;
    return *this;
  }
  /// @brief Most connections kept open to the service; default 16.
  options &max_connections(std::size_t n) {
    max_connections_ = n;
    return *this;
  }
  /// @brief Largest answer accepted, in bytes; 0 (default) means no cap.
  options &max_response_bytes(std::uint64_t n) {
    max_response_bytes_ = n;
    return *this;
  }
  /// @brief An HTTP proxy, `http://[user:password@]host[:port]`; overrides
  /// the proxy environment variables (docs/proxy.md).
  options &proxy(std::string url) {
    proxy_.url = std::move(url);
    return *this;
  }
  /// @brief Hosts that bypass the proxy ("a.com,.b.org,10.0.0.1" or "*");
  /// overrides no_proxy/NO_PROXY.
  options &no_proxy(std::string list) {
    proxy_.no_proxy = std::move(list);
    return *this;
  }
  /// @brief Whether https_proxy, http_proxy, all_proxy, no_proxy (and their
  /// upper-case forms, as curl reads them) apply; on by default.
  options &proxy_from_environment(bool on) {
    proxy_.from_environment = on;
    return *this;
  }
  /// @brief Path prefix for the token endpoint; default "/connect/token".
  options &token_path(std::string p) {
    token_path_ = std::move(p);
    return *this;
  }

  const std::string &base_url() const noexcept { return base_url_; }
  /// @brief The client id ("" when a bearer token is used).
  const std::string &client_id() const noexcept { return client_id_; }
  /// @brief The client secret; never logged.
  const std::string &client_secret() const noexcept { return client_secret_; }
  /// @brief The fixed bearer token; "" when credentials are used.
  const std::string &bearer_token() const noexcept { return bearer_; }
  duration deadline() const noexcept { return deadline_; }
  duration connect_timeout() const noexcept { return connect_timeout_; }
  duration read_timeout() const noexcept { return read_timeout_; }
  /// @brief The extra CA file; "" when only the system store is trusted.
  const std::string &ca_file() const noexcept { return ca_file_; }
  /// @brief Whether plaintext to non-loopback hosts is allowed.
  bool allow_insecure_http() const noexcept { return insecure_http_; }
  std::size_t max_connections() const noexcept { return max_connections_; }
  /// @brief Answer size cap (0: none).
  std::uint64_t max_response_bytes() const noexcept { return max_response_bytes_; }
  const std::string &token_path() const noexcept { return token_path_; }
  /// @brief The proxy settings (URL, no-proxy list, environment on/off).
  const proxy_settings &proxy() const noexcept { return proxy_; }

private:
  std::string base_url_ = "https://api.aspose.cloud";
  std::string client_id_, client_secret_, bearer_;
  duration deadline_ = std::chrono::seconds(300);
  duration connect_timeout_ = std::chrono::seconds(10);
  duration read_timeout_ = std::chrono::seconds(60);
  std::string ca_file_;
  bool insecure_http_ = false;
  std::size_t max_connections_ = 16;
  std::uint64_t max_response_bytes_ = 0;
  std::string token_path_ = "/connect/token";
  proxy_settings proxy_;
};

/// @brief The settings either shipped transport needs to serve a client made
/// with @p o (the write timeout is the read timeout).
inline transport_settings transport_settings_for(const options &o) {
  transport_settings t;
  t.base_url = o.base_url();
  t.connect_timeout = o.connect_timeout();
  t.read_timeout = o.read_timeout();
  t.write_timeout = o.read_timeout();
  t.ca_file = o.ca_file();
  t.allow_insecure_http = o.allow_insecure_http();
  t.max_connections = o.max_connections();
  t.max_response_bytes = o.max_response_bytes();
  t.proxy = o.proxy();
  return t;
}

/// @brief Per-call settings: deadline, cancellation and progress callbacks.
struct call_options {
  std::optional<duration> deadline; ///< overrides options::deadline() for this call
  cancel_token cancel;              ///< fires to stop waiting or receiving
  /// @brief Called as answer bytes arrive: (received, Content-Length if known).
  std::function<void(std::uint64_t, std::optional<std::uint64_t>)> on_progress;
  /// @brief Called after every poll with the task's status.
  std::function<void(const task_status &)> on_status;
  /// @brief Called once the service accepted a submission, with the new
  /// task's id, before any poll; an error stops the task (run_inputs makes
  /// the id durable here).
  std::function<result<void>(const std::string &)> on_submitted;
  /// @brief Called after every HTTP request (token requests included).
  std::function<void(const request_event &)> on_request;
  /// @brief Called before each wait that follows a failed request.
  std::function<void(const retry_event &)> on_retry;
};

} // namespace taskfetch
