/// @file
/// @brief pdf: a PDF result in memory, checked to start with "%PDF-".
#pragma once

#include <taskfetch/decoders/memory.hpp>

#include <string>
#include <string_view>

namespace taskfetch::detail {
struct pdf_traits {
  using value_type = std::string;
  static constexpr std::string_view magic = "%PDF-";
  static bool prefers(std::string_view type) { return result_type_is(type, "Pdf"); }
  static result<std::string> convert(std::string &&b, std::string_view) {
    magic_check m;
    m.reset("%PDF-", "a PDF");
    if (auto s = m.feed(b.data(), b.size()); !s) return s.error();
    if (auto s = m.at_end(); !s) return s.error();
    return std::move(b);
  }
};
} // namespace taskfetch::detail

namespace taskfetch::decoders {

/// @brief The PDF's bytes; a decode error unless they start with "%PDF-".
using pdf = in_memory<detail::pdf_traits>;

} // namespace taskfetch::decoders
