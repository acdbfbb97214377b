/// @file
/// @brief taskfetch::client: cpp-httplib transport, standard retry, real clock;
/// with TASKFETCH_COMPILED_LIB defined, the compiled mode's (compiled/client.hpp).
#pragma once

#ifdef TASKFETCH_COMPILED_LIB
// Compiled mode: the same calls, declared only; the code is in the
// taskfetch::compiled library (docs/build_time.md).
#include <taskfetch/compiled/client.hpp>
#else

#include <taskfetch/basic_client.hpp>
#include <taskfetch/transports/httplib.hpp>

namespace taskfetch {

/// @brief The client most users want: HTTPS via cpp-httplib with pooled
/// keep-alive connections, jittered backoff, real time.
class client : public basic_client<httplib_transport> {
public:
  /// @brief A client for @p opts (base URL, credentials, timeouts).
  explicit client(options opts)
      : basic_client(opts, httplib_transport(transport_settings_for(opts))) {}
};

} // namespace taskfetch

#endif // TASKFETCH_COMPILED_LIB
