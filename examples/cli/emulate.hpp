// `taskfetch emulate`: the built-in emulator served until interrupted, with
// its limits and faults set from flags.
#pragma once

#include "args.hpp"

namespace taskfetch::cli {

/// emulate [--port N] [--task-ms MS] [--log FILE] [--omr-words seed|sdk]
/// [--threads N] [--max-running N] [--rate-limit R] [--token-lifetime S]
/// [--retention HOURS] [--delay DURATION] [--fault SPEC]...: serves until
/// SIGINT/SIGTERM, then exits 0.
int cmd_emulate(const args &a);

} // namespace taskfetch::cli
