// The emulator's faults and delays as `taskfetch emulate` takes them on the
// command line: `--fault status-503:3`, `--fault drop-body:submit`,
// `--delay 500ms`. The syntax is in --help and docs/emulator.md.
#pragma once

#include <taskfetch/emulator/faults.hpp>

#include <chrono>
#include <string>

namespace taskfetch::cli {

/// A duration option: N followed by ms or s ("250ms", "5s"); a bare number
/// is milliseconds. Throws usage_error naming @p name otherwise.
std::chrono::milliseconds parse_duration(const std::string &name, const std::string &text);

/// One --fault SPEC: KIND[:FIELD]... where KIND is status-NNN, drop-body,
/// truncate-body, stall-body, malformed-json, invalid-base64,
/// unknown-status, wrong-shape, revoke-token, delay or raw-answer, and each
/// FIELD a target (token, submit, fetch, cancel, any), a count N or
/// "forever", or one of endpoint=NAME, task=ID, retry-after=VALUE,
/// bytes=N, for=DURATION, body=TEXT. Throws usage_error on anything else.
emulation::fault parse_fault(const std::string &spec);

} // namespace taskfetch::cli
