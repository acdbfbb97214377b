// The CLI's exit codes: scripts depend on them exactly (README, "CLI").
#pragma once

#include <taskfetch/error.hpp>

namespace taskfetch::cli {

enum exit_code : int {
  exit_ok = 0,
  exit_batch_failed = 1, ///< a batch in which some task failed
  exit_usage = 2,        ///< usage error or refused input
  exit_task_failed = 3,  ///< the service reported the task failed
  exit_not_found = 4,    ///< unknown task or older than 24 h
  exit_auth = 5,         ///< authentication failed
  exit_deadline = 6,     ///< not finished at --deadline
  exit_network = 7,      ///< network or HTTP failure after retries, TLS included
  exit_malformed = 8,    ///< bad JSON, bad base64, unknown status word
  exit_io = 9,           ///< a local file or the journal failed (disk full, permission, no folder)
  exit_internal = 10,    ///< an unexpected failure: a bug in taskfetch, please report it
  exit_interrupted = 130 ///< SIGINT/SIGTERM (the shell's convention)
};

/// The exit code for an error of @p k.
constexpr int exit_for(error_kind k) noexcept {
  switch (k) {
  case error_kind::invalid_argument: return exit_usage;
  case error_kind::task_failed: return exit_task_failed;
  case error_kind::not_found: return exit_not_found;
  case error_kind::auth: return exit_auth;
  case error_kind::deadline_exceeded: return exit_deadline;
  case error_kind::transport:
  case error_kind::http_status:
  case error_kind::too_large: return exit_network;
  case error_kind::malformed_response:
  case error_kind::decode: return exit_malformed;
  case error_kind::cancelled: return exit_interrupted;
  case error_kind::io: return exit_io;
  case error_kind::unknown: return exit_internal;
  }
  return exit_internal;
}

} // namespace taskfetch::cli
