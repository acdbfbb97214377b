/// @file
/// @brief Matching the service's free-form result `type` words ("Csv", "CSV").
#pragma once

#include <cstddef>
#include <string_view>

namespace taskfetch {

/// @brief Whether a result's @p type names @p word, ignoring ASCII case and
/// surrounding spaces: the docs write "CSV" where the service sends "Csv".
constexpr bool result_type_is(std::string_view type, std::string_view word) noexcept {
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  if (type.size() != word.size()) return false;
  for (std::size_t i = 0; i < type.size(); ++i) {
    char a = type[i], b = word[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

} // namespace taskfetch
