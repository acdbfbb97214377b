/// @file
/// @brief taskfetch::client: the default composition (cpp-httplib transport,
/// standard retry, real clock).
#pragma once

#include <taskfetch/basic_client.hpp>
#include <taskfetch/transports/httplib.hpp>

namespace taskfetch {

/// @brief Transport settings taken from client options.
inline httplib_options transport_options(const options &o) {
  httplib_options t;
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

/// @brief The client most users want: HTTPS via cpp-httplib with pooled
/// keep-alive connections, jittered backoff, real time.
class client : public basic_client<httplib_transport> {
public:
  /// @brief A client for @p opts (base URL, credentials, timeouts).
  explicit client(options opts) : basic_client(opts, httplib_transport(transport_options(opts))) {}
};

} // namespace taskfetch
