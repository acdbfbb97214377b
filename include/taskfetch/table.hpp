/// @file
/// @brief taskfetch::table, a recognised table's rows, read from a Csv (or Text) result.
#pragma once

#include <taskfetch/decoders/result_type.hpp>
#include <taskfetch/detail/csv.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch {

/// @brief A recognised table: rows of cells, exactly as the service sent
/// them. Rows may differ in length (nothing is padded) and cells keep their
/// padding spaces. RecognizeTable's first row holds the column indices
/// ("0","1",...); it is kept, since it is part of the service's data.
struct table {
  /// @brief The rows, top to bottom; each a list of cells, left to right.
  std::vector<std::vector<std::string>> rows;

  /// @brief Number of rows, RecognizeTable's column-index row included.
  std::size_t row_count() const noexcept { return rows.size(); }
  /// @brief Length of the longest row (0 for an empty table).
  std::size_t column_count() const noexcept {
    std::size_t n = 0;
    for (const auto &r : rows) n = std::max(n, r.size());
    return n;
  }
  /// @brief True when the table has no rows.
  bool empty() const noexcept { return rows.empty(); }
  /// @brief The cell at (@p row, @p column), or "" past the end of a short
  /// row or of the table.
  std::string_view cell(std::size_t row, std::size_t column) const noexcept {
    if (row >= rows.size() || column >= rows[row].size()) return {};
    return rows[row][column];
  }

  /// @brief Equal when all rows and cells are equal.
  friend bool operator==(const table &a, const table &b) { return a.rows == b.rows; }
  friend bool operator!=(const table &a, const table &b) { return !(a == b); }
};

/// @brief Reads a table from CSV text (RFC 4180, see detail/csv.hpp);
/// malformed CSV is an error_kind::decode error naming the line.
inline result<table> table_from_csv(std::string_view csv) {
  auto rows = detail::parse_csv(detail::strip_utf8_bom(csv));
  if (!rows) return rows.error();
  return table{std::move(*rows)};
}

/// @brief Reads a table from plain text (resultTypeTable "Text"): one row per
/// line, each holding the whole line as one cell. Line ends are LF or CRLF;
/// empty lines at the end make no rows, as in CSV.
inline table table_from_text(std::string_view text) {
  text = detail::strip_utf8_bom(text);
  table t;
  std::size_t blank = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      ++blank; // kept only if a non-empty line follows
      continue;
    }
    for (; blank > 0; --blank) t.rows.push_back({std::string()});
    t.rows.push_back({std::string(line)});
  }
  return t;
}

/// @brief Reads a table from one result according to its type: "Csv" (or no
/// type at all) as CSV, "Text" as lines; any other type is an
/// error_kind::decode error (an Excel workbook is not parsed).
inline result<table> table_from_result(std::string_view bytes, std::string_view type) {
  if (result_type_is(type, "Csv") || result_type_is(type, "")) return table_from_csv(bytes);
  if (result_type_is(type, "Text")) return table_from_text(bytes);
  return error(error_kind::decode, "a table cannot be read from a result of type \"" +
                                       std::string(type) +
                                       "\" (submit with resultTypeTable Csv or CsvAndExcel, or "
                                       "fetch the raw bytes)");
}

} // namespace taskfetch
