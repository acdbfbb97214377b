// `taskfetch fetch`: one task's result to a file or stdout, or a batch of
// ids to a folder.
#pragma once

#include "args.hpp"
#include "session.hpp"

namespace taskfetch::cli {

/// fetch ENDPOINT TASK_ID [-o FILE] [--sync], or
/// fetch ENDPOINT --ids FILE --out-dir DIR [--sync] [BATCH OPTIONS].
int cmd_fetch(session &s, const args &a);

} // namespace taskfetch::cli
