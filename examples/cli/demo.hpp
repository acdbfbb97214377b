// `taskfetch demo`: the main job run offline against the in-process
// emulator, on the sample inputs embedded in the binary.
#pragma once

#include "args.hpp"

namespace taskfetch::cli {

/// demo: a table, an OMR form and a DjVu book through the emulator; writes
/// taskfetch-demo.pdf in the current folder. TASKFETCH_DATA_DIR, when set,
/// names a folder to read the samples from instead (development).
int cmd_demo(const args &a);

} // namespace taskfetch::cli
