/// @file
/// @brief bytes: the result's decoded bytes, unchanged.
#pragma once

#include <taskfetch/decoders/memory.hpp>

#include <string>
#include <string_view>

namespace taskfetch::detail {
struct bytes_traits {
  using value_type = std::string;
  static constexpr std::string_view magic = "";
  static bool prefers(std::string_view) { return false; }
  static result<std::string> convert(std::string &&b, std::string_view) { return std::move(b); }
};
} // namespace taskfetch::detail

namespace taskfetch::decoders {

/// @brief The first result's bytes (or those of the given type), unchanged;
/// std::string is the byte container, so text results (CSV, JSON, XML) need
/// nothing else. Memory is reserved from Content-Length.
using bytes = in_memory<detail::bytes_traits>;

} // namespace taskfetch::decoders
