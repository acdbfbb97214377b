/// @file
/// @brief What decoders::to_file gives back, and how hard it works to survive a power loss.
#pragma once

#include <cstdint>
#include <filesystem>

namespace taskfetch {

/// @brief How hard committing a file works to survive a power loss.
enum class durability {
  synced,  ///< fsync the file before the rename and the folder after (default)
  unsynced ///< rename only: atomic for readers and crashes of this process,
           ///< but after a power loss the file may be empty; for callers
           ///< that sync many files at once (syncfs) or do not need it
};

/// @brief A file written in full: where it is and how many bytes it has.
struct file_result {
  std::filesystem::path path; ///< the final file
  std::uint64_t size = 0;     ///< bytes written
};

} // namespace taskfetch
