/// @file
/// @brief RecognizeTable: table image in, CSV (or text/Excel) out.
#pragma once

#include <taskfetch/decoders/table.hpp>
#include <taskfetch/endpoint.hpp>

namespace taskfetch::endpoints {

/// @brief Table recognition (/v5.0/ocr/RecognizeTable); decodes into rows.
struct recognize_table {
  static constexpr std::string_view name = "recognize-table";          ///< CLI name
  static constexpr std::string_view path = "/v5.0/ocr/RecognizeTable"; ///< all verbs
  static constexpr std::string_view result_kind = "Csv";               ///< default result
  static constexpr std::string_view extension = "csv";                 ///< file extension
  using default_decoder = decoders::table;                             ///< rows of cells
};

} // namespace taskfetch::endpoints
