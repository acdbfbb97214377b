// What every command that talks to the service shares: the client type, the
// options from flags and environment, progress output, and how an error is
// reported and turned into an exit code.
#pragma once

#include "args.hpp"
#include "progress.hpp"

#include <taskfetch/client.hpp>
#ifdef TASKFETCH_CLI_CURL
#include <taskfetch/curl_client.hpp>
#endif
#include <taskfetch/error.hpp>
#include <taskfetch/options.hpp>

#include <string>

namespace taskfetch::cli {

// The CLI moves bytes with libcurl when it is built with it (it receives in
// large blocks: docs/BENCHMARKS.md), with cpp-httplib otherwise.
#ifdef TASKFETCH_CLI_CURL
using cli_client = curl_client;
#else
using cli_client = client;
#endif

/// Settings shared by every command that talks to the service.
struct session {
  options opts;
  progress out;
  explicit session(verbosity v) : out(v) {}
};

/// The environment variable @p name, or @p fallback when unset or empty.
std::string env_or(const char *name, std::string fallback);

/// --quiet, --verbose or neither.
verbosity verbosity_of(const args &a);

/// Options from flags and environment. What the library would refuse before
/// its first request (plain http:// to a host that is not loopback, a bad
/// URL or proxy) is a usage error here, before any connection.
options make_options(const args &a);

/// For --verbose: the proxy the requests go through (host:port and where
/// it was set, never its credentials), resolved as the transports do.
std::string proxy_note(const options &o);

/// Prints an error the way every command does, and picks its exit code.
int report(progress &out, const std::string &what, const error &e);

} // namespace taskfetch::cli
