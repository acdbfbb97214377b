/// @file
/// @brief The library's version, as macros for the preprocessor and a constexpr int.
#pragma once

/// @brief Major version; 0 until the API is declared stable (1.0.0).
#define TASKFETCH_VERSION_MAJOR 0
/// @brief Minor version: new features; before 1.0.0 it may also change the
/// public API (docs/CHANGELOG.md).
#define TASKFETCH_VERSION_MINOR 1
/// @brief Patch version: fixes only.
#define TASKFETCH_VERSION_PATCH 0

#define TASKFETCH_DETAIL_STR2(x) #x
#define TASKFETCH_DETAIL_STR(x) TASKFETCH_DETAIL_STR2(x)
/// @brief The version as a string literal, e.g. "0.1.0".
#define TASKFETCH_VERSION_STRING                                                                   \
  TASKFETCH_DETAIL_STR(TASKFETCH_VERSION_MAJOR)                                                    \
  "." TASKFETCH_DETAIL_STR(TASKFETCH_VERSION_MINOR) "." TASKFETCH_DETAIL_STR(                      \
      TASKFETCH_VERSION_PATCH)

namespace taskfetch {
/// @brief The version as MAJOR * 10000 + MINOR * 100 + PATCH.
inline constexpr int version =
    TASKFETCH_VERSION_MAJOR * 10000 + TASKFETCH_VERSION_MINOR * 100 + TASKFETCH_VERSION_PATCH;
} // namespace taskfetch
