/// @file
/// @brief omr_element: one recognised form element, without the parsers (and
/// so without nlohmann::json or pugixml), for the compiled client's users and
/// your own headers.
#pragma once

#include <string>

namespace taskfetch {

/// @brief One element of a recognised form: its name in the template and the
/// recognised value ("" when nothing is marked).
struct omr_element {
  std::string name;  ///< element name, e.g. "Animals92"
  std::string value; ///< recognised value, e.g. "selected"; "" when empty

  /// @brief Equal when name and value are equal.
  friend bool operator==(const omr_element &a, const omr_element &b) {
    return a.name == b.name && a.value == b.value;
  }
  friend bool operator!=(const omr_element &a, const omr_element &b) { return !(a == b); }
};

} // namespace taskfetch
