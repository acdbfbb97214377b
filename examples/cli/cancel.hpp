// `taskfetch cancel`: deletes a task at the service.
#pragma once

#include "args.hpp"
#include "session.hpp"

namespace taskfetch::cli {

/// cancel ENDPOINT TASK_ID
int cmd_cancel(session &s, const args &a);

} // namespace taskfetch::cli
