// Precompiled for this folder's targets (CMake target_precompile_headers,
// Meson cpp_pch): the third-party headers every translation unit here parses
// through taskfetch. Parsed once per target instead of once per file.
#include <httplib.h>
#include <nlohmann/json.hpp>
