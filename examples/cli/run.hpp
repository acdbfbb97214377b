// `taskfetch run`: one input submitted, waited for and written to a file; or
// a folder (or list) of inputs through the journalled batch runner,
// resumable after a crash.
#pragma once

#include "args.hpp"
#include "session.hpp"

namespace taskfetch::cli {

/// run ENDPOINT INPUT [--omr-file PATTERN] [--format F] -o FILE [--sync], or
/// run ENDPOINT --inputs PATH --out-dir DIR [--journal FILE] [--resubmit N]
/// [BATCH OPTIONS].
int cmd_run(session &s, const args &a);

} // namespace taskfetch::cli
