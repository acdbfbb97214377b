// `taskfetch status`: one poll of a task, its state on stdout.
#pragma once

#include "args.hpp"
#include "session.hpp"

namespace taskfetch::cli {

/// status ENDPOINT TASK_ID: exits 0 while pending or done, 3 failed, 4 not found.
int cmd_status(session &s, const args &a);

} // namespace taskfetch::cli
