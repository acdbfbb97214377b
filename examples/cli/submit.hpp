// `taskfetch submit`: sends one input and prints the new task id.
#pragma once

#include "args.hpp"
#include "session.hpp"

namespace taskfetch::cli {

/// submit ENDPOINT INPUT [--omr-file PATTERN] [--format csv|json|xml]
int cmd_submit(session &s, const args &a);

} // namespace taskfetch::cli
