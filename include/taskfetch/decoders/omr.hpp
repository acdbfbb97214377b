/// @file
/// @brief omr: OMR elements (name, value) from a Csv, Json or Xml result.
#pragma once

#include <taskfetch/decoders/memory.hpp>
#include <taskfetch/omr.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace taskfetch::detail {
struct omr_traits {
  using value_type = std::vector<omr_element>;
  static constexpr std::string_view magic = "";
  static bool prefers(std::string_view) { return false; }
  // The type word says the format; when it is missing or unknown the
  // content does (the docs and the service spell the words differently).
  static result<value_type> convert(std::string &&b, std::string_view type) {
    return parse_omr(b, omr_format_of(type).value_or(sniff_omr_format(b)));
  }
};
} // namespace taskfetch::detail

namespace taskfetch::decoders {

/// @brief The recognised form elements, in the service's order.
using omr = in_memory<detail::omr_traits>;

} // namespace taskfetch::decoders
