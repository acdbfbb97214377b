/// @file
/// @brief splitmix64: one 64-bit mixing step, for seeds that must differ
/// well even when their inputs differ by one (the retry policy's per-call
/// jitter seeds, the emulator's varied task times).
#pragma once

#include <cstdint>

namespace taskfetch::detail {

/// @brief splitmix64's output function applied to @p x (Steele, Lea, Flood 2014).
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

} // namespace taskfetch::detail
