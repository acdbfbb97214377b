/// @file
/// @brief The settings every shipped transport takes, so switching transports changes none.
///
/// Where the service is, timeouts, connection pool size, TLS trust, answer
/// cap and proxy.
#pragma once

#include <taskfetch/proxy.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace taskfetch {

/// @brief Settings of httplib_transport and curl_transport alike, so a program
/// switches transports without touching its configuration.
/// transport_settings_for() (options.hpp) derives them from client options.
struct transport_settings {
  std::string base_url = "https://api.aspose.cloud"; ///< scheme://host[:port][/prefix]
  std::chrono::milliseconds connect_timeout{10000};  ///< TCP (and TLS) connect
  std::chrono::milliseconds read_timeout{60000};     ///< longest silence while reading
  /// Longest stall while sending (cpp-httplib only: libcurl has no such limit).
  std::chrono::milliseconds write_timeout{60000};
  std::string ca_file;                  ///< extra trusted CA (PEM), added to the system store
  bool verify_certificate = true;       ///< verify the server's certificate (keep it on)
  bool allow_insecure_http = false;     ///< http:// to non-loopback hosts
  std::size_t max_connections = 16;     ///< connections kept; callers beyond wait
  std::uint64_t max_response_bytes = 0; ///< answer size cap; 0: none
  proxy_settings proxy;                 ///< HTTP proxy; by default from the environment
};

} // namespace taskfetch
