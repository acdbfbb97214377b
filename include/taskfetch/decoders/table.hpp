/// @file
/// @brief table: a Csv (or Text) result read into rows of cells.
#pragma once

#include <taskfetch/decoders/memory.hpp>
#include <taskfetch/table.hpp>

#include <string>
#include <string_view>

namespace taskfetch::detail {
struct table_traits {
  using value_type = taskfetch::table;
  static constexpr std::string_view magic = "";
  // CsvAndExcel answers carry two results: read the Csv one.
  static bool prefers(std::string_view type) { return result_type_is(type, "Csv"); }
  static result<taskfetch::table> convert(std::string &&b, std::string_view type) {
    return table_from_result(b, type);
  }
};
} // namespace taskfetch::detail

namespace taskfetch::decoders {

/// @brief Rows of cells from the Csv result (RFC 4180; padding kept).
using table = in_memory<detail::table_traits>;

} // namespace taskfetch::decoders
