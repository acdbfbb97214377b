/// @file
/// @brief A minimal PDF writer, so the emulator's djvu2pdf results open in any PDF reader.
///
/// Text pages in Helvetica, with a correct cross-reference table.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace taskfetch::emulation {

/// @brief Writes a PDF 1.4 file whose pages hold the given lines of text.
inline std::string write_text_pdf(const std::vector<std::vector<std::string>> &pages) {
  std::string out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets; // of objects 1..n
  auto object = [&](const std::string &body) {
    offsets.push_back(out.size());
    out += std::to_string(offsets.size()) + " 0 obj\n" + body + "\nendobj\n";
  };
  auto escape = [](const std::string &s) {
    std::string e;
    for (char c : s) {
      if (c == '(' || c == ')' || c == '\\') e.push_back('\\');
      e.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    }
    return e;
  };
  const std::size_t n = pages.empty() ? 1 : pages.size();
  // 1 catalog, 2 pages, 3 font, then page i at 4+2i and its content at 5+2i.
  object("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (std::size_t i = 0; i < n; ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
  object("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>");
  object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  for (std::size_t i = 0; i < n; ++i) {
    object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R "
           ">> >> /Contents " +
           std::to_string(5 + 2 * i) + " 0 R >>");
    std::string text = "BT /F1 12 Tf 56 780 Td 16 TL\n";
    if (i < pages.size())
      for (const auto &line : pages[i]) text += "(" + escape(line) + ") Tj T*\n";
    text += "ET";
    object("<< /Length " + std::to_string(text.size()) + " >>\nstream\n" + text + "\nendstream");
  }
  const std::size_t xref = out.size();
  out += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%010zu 00000 n \n", off);
    out += buf;
  }
  out += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return out;
}

} // namespace taskfetch::emulation
