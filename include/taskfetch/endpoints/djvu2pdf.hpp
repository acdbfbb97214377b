/// @file
/// @brief djvu2pdf: DjVu document in, PDF out.
#pragma once

#include <taskfetch/decoders/pdf.hpp>
#include <taskfetch/endpoint.hpp>

namespace taskfetch::endpoints {

/// @brief DjVu to PDF conversion (/v5.0/ocr/djvu2pdf); results are large.
struct djvu2pdf {
  static constexpr std::string_view name = "djvu2pdf";           ///< CLI name
  static constexpr std::string_view path = "/v5.0/ocr/djvu2pdf"; ///< all verbs
  static constexpr std::string_view result_kind = "Pdf";         ///< one PDF
  static constexpr std::string_view extension = "pdf";           ///< file extension
  static constexpr std::string_view magic = "%PDF-";             ///< checked early
  using default_decoder = decoders::pdf;                         ///< PDF bytes in memory
};

} // namespace taskfetch::endpoints
