/// @file
/// @brief taskfetch::curl_client: the client over libcurl, for the largest answers.
///
/// Link the CMake target taskfetch::curl, or -lcurl.
#pragma once

#include <taskfetch/basic_client.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/transports/curl.hpp>

namespace taskfetch {

/// @brief Same calls as taskfetch::client; libcurl moves the bytes.
class curl_client : public basic_client<curl_transport> {
public:
  /// @brief The same options as taskfetch::client; transport_settings_for()
  /// turns them into libcurl's settings.
  explicit curl_client(options opts)
      : basic_client(opts, curl_transport(transport_settings_for(opts))) {}
};

} // namespace taskfetch
