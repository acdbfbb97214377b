/// @file
/// @brief result_json_of: a written result file as the JSON text a shared
/// journal stores beside its input (table rows, OMR elements; a PDF is a
/// file only), read back from the file itself so the database holds exactly
/// what the file says.
#pragma once

#include <taskfetch/detail/csv.hpp>
#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/omr.hpp>
#include <taskfetch/result.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <type_traits>

namespace taskfetch {

/// @brief The decoded result in file @p p as JSON text, for shared_journal::finish.
///
/// - recognize_table: the CSV's rows, an array of arrays of strings
///   (`[["Date","Amount"],["2024-01-02","12.50"]]`);
/// - recognize_template: the OMR elements in any of the three formats,
///   `[{"name":"Q1","value":"selected"}]`;
/// - djvu2pdf and any other endpoint: "" (the result is the file only).
///
/// A file that does not parse is an error of error_kind::decode (io when it
/// cannot be read). Invalid UTF-8 is replaced (U+FFFD), never an error.
template <class E> result<std::string> result_json_of(const std::filesystem::path &p) {
  constexpr bool table = std::is_same_v<E, endpoints::recognize_table>;
  constexpr bool omr = std::is_same_v<E, endpoints::recognize_template>;
  if constexpr (!table && !omr) {
    (void)p;
    return std::string();
  } else {
    auto text = detail::read_whole_file(p);
    if (!text) return std::move(text.error());
    nlohmann::json out = nlohmann::json::array();
    if constexpr (table) {
      auto rows = detail::parse_csv(detail::strip_utf8_bom(*text));
      if (!rows) return std::move(rows.error());
      out = *rows;
    } else {
      auto els = parse_omr(*text, sniff_omr_format(*text));
      if (!els) return std::move(els.error());
      for (const auto &e : *els) out.push_back({{"name", e.name}, {"value", e.value}});
    }
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

} // namespace taskfetch
