/// @file
/// @brief What the emulator's tasks produce from what was submitted.
///
/// The submission it saw, the outcome, and the default processor that makes
/// believable results (a CSV table, OMR answers in the requested format, a
/// real PDF from a DjVu file).
#pragma once

#include <taskfetch/detail/csv.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/emulator/pdf_writer.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace taskfetch::emulation {

/// @brief One submitted task, as the emulator decoded its request.
struct submission {
  std::string endpoint;              ///< "recognize-table", "recognize-template" or "djvu2pdf"
  std::string image;                 ///< the image (first of images for OMR), decoded
  std::string omr_file;              ///< OMR: the pattern, decoded
  std::string output_format = "Csv"; ///< OMR: Csv, Json or Xml (normalised)
  std::string result_type = "Csv";   ///< table: Text, Excel, Csv or CsvAndExcel
  std::string body_sha256;           ///< SHA-256 of the request body (duplicate detection)
};

/// @brief One result of a finished task.
struct result_item {
  std::string type;                        ///< "Csv", "Pdf", ...
  std::shared_ptr<const std::string> data; ///< the bytes (shared, never copied per request)
};

/// @brief How a task ends: Completed with results, or Error with messages.
struct processed {
  bool ok = true;                    ///< Completed (true) or Error (false)
  std::vector<result_item> results;  ///< when ok
  std::vector<std::string> messages; ///< error.messages when not ok
  std::vector<std::string> warnings; ///< error.warnings

  /// @brief A Completed outcome with one result.
  static processed completed(std::string type, std::string bytes) {
    processed p;
    p.results.push_back({std::move(type), std::make_shared<const std::string>(std::move(bytes))});
    return p;
  }
  /// @brief An Error outcome reporting @p messages as error.messages.
  static processed failed(std::vector<std::string> messages) {
    processed p;
    p.ok = false;
    p.messages = std::move(messages);
    return p;
  }
};

namespace detail {
inline std::string table_csv(const submission &s) {
  const std::string h = taskfetch::detail::sha256_hex(s.image);
  taskfetch::detail::csv_rows rows{
      {"0", "1", "2"},
      {"  Item          ", "Qty", "Price "},
      {"  Coffee beans  ", "2", "12.50 "},
      {"  Milk, whole   ", "1", " 1.20 "},
      {"  Note: \"fresh\"\n  roasted today", "", ""},
      {"  Total         ", "", "26.20 "},
      {"  scanned " + std::to_string(s.image.size()) + " bytes", "", h.substr(0, 8)},
  };
  // A few more rows whose count and text follow the input, so different
  // inputs give different (but reproducible) tables.
  const std::size_t extra = static_cast<std::size_t>(h[0] - '0') % 4;
  for (std::size_t i = 0; i < extra; ++i)
    rows.push_back({"  Line " + std::to_string(i + 1) + "     ", h.substr(8 + 4 * i, 4), ""});
  std::string out;
  for (const auto &row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) out.push_back(',');
      taskfetch::detail::append_csv_field(out, row[i]);
    }
    out += "\r\n";
  }
  return out;
}

inline std::vector<std::string> omr_names(const std::string &pattern) {
  std::vector<std::string> names;
  auto j = nlohmann::json::parse(pattern, nullptr, false);
  // The demo's pattern is JSON with Pages[].Elements[].Name; anything else
  // gets the contract's sample names.
  if (j.is_object() && j.contains("Pages") && j["Pages"].is_array())
    for (const auto &p : j["Pages"])
      if (p.is_object() && p.contains("Elements") && p["Elements"].is_array())
        for (const auto &e : p["Elements"])
          if (e.is_object() && e.contains("Name") && e["Name"].is_string())
            names.push_back(e["Name"].get<std::string>());
  if (names.empty()) names = {"Animals91", "Animals92", "Plants90"};
  return names;
}

inline std::string omr_result(const submission &s) {
  const auto names = omr_names(s.omr_file);
  const std::string h = taskfetch::detail::sha256_hex(s.image);
  std::vector<std::pair<std::string, std::string>> els;
  for (std::size_t i = 0; i < names.size(); ++i) {
    // Deterministic marks: the second element is always marked, others by hash.
    const bool marked = i == 1 || (h[i % h.size()] & 1);
    els.emplace_back(names[i], marked ? "selected" : "");
  }
  if (s.output_format == "Json") {
    nlohmann::json j{{"Elements", nlohmann::json::array()}};
    for (const auto &e : els) j["Elements"].push_back({{"Name", e.first}, {"Value", e.second}});
    return j.dump();
  }
  if (s.output_format == "Xml") {
    std::string x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<OmrResult><Elements>\n";
    for (const auto &e : els)
      x += "  <Element><Name>" + e.first + "</Name><Value>" + e.second + "</Value></Element>\n";
    return x + "</Elements></OmrResult>\n";
  }
  std::string c = "Element Name,Value,\n"; // the service's header ends with a comma
  for (const auto &e : els) c += e.first + ",\"" + e.second + "\"\n";
  return c;
}

// Width, height and resolution from a DjVu file's INFO chunk, if found.
inline std::string djvu_info(const std::string &d) {
  const auto at = d.find("INFO");
  if (at == std::string::npos || at + 8 + 10 > d.size()) return "no INFO chunk";
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(d[at + 8 + i]); };
  const unsigned w = b(0) << 8 | b(1), h = b(2) << 8 | b(3), dpi = b(6) | b(7) << 8;
  return std::to_string(w) + " x " + std::to_string(h) + " pixels at " + std::to_string(dpi) +
         " dpi";
}
} // namespace detail

/// @brief The default processor: believable, deterministic results.
inline processed default_processor(const submission &s) {
  if (s.endpoint == "recognize-table") {
    if (s.image.empty()) return processed::failed({"the image is empty"});
    const std::string csv = detail::table_csv(s);
    if (s.result_type == "Text") {
      auto rows = taskfetch::detail::parse_csv(csv);
      std::string text;
      for (const auto &r : *rows) {
        for (const auto &c : r) text += c + "\t";
        text += "\n";
      }
      return processed::completed("Text", text);
    }
    // Not a real workbook: the bytes only stand for one (a ZIP header).
    const std::string excel = std::string("PK\x03\x04", 4) + "emulated xlsx";
    if (s.result_type == "Excel") return processed::completed("Excel", excel);
    processed p = processed::completed("Csv", csv);
    if (s.result_type == "CsvAndExcel")
      p.results.push_back({"Excel", std::make_shared<const std::string>(excel)});
    return p;
  }
  if (s.endpoint == "recognize-template") {
    if (s.image.empty()) return processed::failed({"no image to recognise"});
    if (s.omr_file.empty())
      return processed::failed({"the recognition pattern (omrFile) is empty"});
    return processed::completed(s.output_format, detail::omr_result(s));
  }
  if (s.endpoint == "djvu2pdf") {
    if (s.image.compare(0, 8, "AT&TFORM") != 0)
      return processed::failed({"the input is not a DjVu document (no AT&TFORM header)"});
    const std::string h = taskfetch::detail::sha256_hex(s.image);
    return processed::completed("Pdf",
                                write_text_pdf({{"Converted from DjVu by the taskfetch emulator",
                                                 "Input: " + std::to_string(s.image.size()) +
                                                     " bytes, " + detail::djvu_info(s.image),
                                                 "SHA-256: " + h.substr(0, 32), h.substr(32)}}));
  }
  return processed::failed({"unknown operation " + s.endpoint});
}

} // namespace taskfetch::emulation
