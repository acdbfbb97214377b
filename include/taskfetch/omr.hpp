/// @file
/// @brief OMR form elements (omr_element) and the parsers of the Csv, Json and Xml results.
#pragma once

#include <taskfetch/decoders/result_type.hpp>
#include <taskfetch/detail/csv.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/inputs.hpp>
#include <taskfetch/omr_element.hpp>
#include <taskfetch/result.hpp>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch {

/// @brief The OMR format a result `type` names ("Csv", "JSON", "xml"...), or
/// nullopt for an empty or unknown type.
constexpr std::optional<omr_format> omr_format_of(std::string_view type) noexcept {
  if (result_type_is(type, "Csv")) return omr_format::csv;
  if (result_type_is(type, "Json")) return omr_format::json;
  if (result_type_is(type, "Xml")) return omr_format::xml;
  return std::nullopt;
}

/// @brief Guesses the format from the content: after a BOM and white space,
/// `<` is XML, `{` or `[` is JSON, anything else CSV.
inline omr_format sniff_omr_format(std::string_view bytes) noexcept {
  bytes = detail::strip_utf8_bom(bytes);
  for (char c : bytes) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '<') return omr_format::xml;
    if (c == '{' || c == '[') return omr_format::json;
    break;
  }
  return omr_format::csv;
}

namespace detail {
inline error omr_error(std::string_view format, const std::string &what) {
  return error(error_kind::decode, "OMR " + std::string(format) + " result: " + what);
}
} // namespace detail

/// @brief Parses the Csv format: a header row `Element Name,Value,` (trailing
/// comma optional) then `name,value` rows. The header is skipped when its
/// first cell is "Element Name" or "Name" (any case); otherwise the first
/// row is data. Empty lines are skipped, columns past the second ignored;
/// a row with one non-empty cell is an error.
inline result<std::vector<omr_element>> parse_omr_csv(std::string_view bytes) {
  auto rows = detail::parse_csv(detail::strip_utf8_bom(bytes));
  if (!rows) return detail::omr_error("Csv", rows.error().message());
  std::vector<omr_element> out;
  out.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto &row = (*rows)[i];
    if (i == 0 && !row.empty() &&
        (result_type_is(row[0], "Element Name") || result_type_is(row[0], "Name")))
      continue;
    if (row.size() == 1 && row[0].empty()) continue; // an empty line
    if (row.size() < 2)
      return detail::omr_error("Csv", "row " + std::to_string(i + 1) +
                                          " has one field; expected name,value");
    if (row[0].empty())
      return detail::omr_error("Csv",
                               "row " + std::to_string(i + 1) + " has an empty element name");
    out.push_back(omr_element{std::move(row[0]), std::move(row[1])});
  }
  return out;
}

namespace detail {
inline const nlohmann::json *omr_member(const nlohmann::json &obj, std::string_view key) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (result_type_is(it.key(), key)) return &it.value();
  return nullptr;
}
// Strings as they are, null as "", other scalars in their JSON spelling.
inline bool omr_scalar(const nlohmann::json &v, std::string &out) {
  if (v.is_string())
    out = v.get_ref<const std::string &>();
  else if (v.is_null())
    out.clear();
  else if (v.is_primitive())
    out = v.dump();
  else
    return false;
  return true;
}
} // namespace detail

/// @brief Parses the Json format: `{"Elements":[{"Name":..,"Value":..}]}`.
/// Keys match in any case; a null or missing Value is ""; a bare array of
/// elements is accepted too.
inline result<std::vector<omr_element>> parse_omr_json(std::string_view bytes) {
  try {
    const auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
    const nlohmann::json *list = &j;
    if (j.is_object()) {
      list = detail::omr_member(j, "Elements");
      if (!list) return detail::omr_error("Json", "no \"Elements\" member");
    }
    if (!list->is_array()) return detail::omr_error("Json", "\"Elements\" is not a list");
    std::vector<omr_element> out;
    out.reserve(list->size());
    std::size_t n = 0;
    for (const auto &e : *list) {
      ++n;
      const std::string where = "element " + std::to_string(n);
      if (!e.is_object()) return detail::omr_error("Json", where + " is not an object");
      omr_element el;
      const auto *name = detail::omr_member(e, "Name");
      if (!name || name->is_null() || !detail::omr_scalar(*name, el.name))
        return detail::omr_error("Json", where + " has no \"Name\"");
      if (el.name.empty()) return detail::omr_error("Json", where + " has an empty \"Name\"");
      if (const auto *value = detail::omr_member(e, "Value"))
        if (!detail::omr_scalar(*value, el.value))
          return detail::omr_error("Json", where + ": \"Value\" is not a string");
      out.push_back(std::move(el));
    }
    return out;
  } catch (const nlohmann::json::exception &e) {
    return detail::omr_error("Json", e.what());
  }
}

namespace detail {
inline bool omr_xml_name_is(const pugi::xml_node &n, std::string_view local) {
  std::string_view name = n.name();
  if (auto colon = name.rfind(':'); colon != std::string_view::npos)
    name.remove_prefix(colon + 1); // a namespace prefix does not matter
  return result_type_is(name, local);
}
inline pugi::xml_node omr_xml_child(const pugi::xml_node &n, std::string_view local) {
  for (auto c = n.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && omr_xml_name_is(c, local)) return c;
  return {};
}
} // namespace detail

/// @brief Parses the Xml format:
/// `<OmrResult><Elements><Element><Name/><Value/></Element>...`. Names match
/// in any case and with any namespace prefix; a BOM is fine; a missing or
/// empty Value is "".
inline result<std::vector<omr_element>> parse_omr_xml(std::string_view bytes) {
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(bytes.data(), bytes.size(),
                                      pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!parsed)
    return detail::omr_error("Xml", std::string(parsed.description()) + " at byte " +
                                        std::to_string(parsed.offset));
  auto root = doc.document_element();
  auto elements =
      detail::omr_xml_name_is(root, "Elements") ? root : detail::omr_xml_child(root, "Elements");
  if (!elements) return detail::omr_error("Xml", "no <Elements> element");
  std::vector<omr_element> out;
  std::size_t n = 0;
  for (auto e = elements.first_child(); e; e = e.next_sibling()) {
    if (e.type() != pugi::node_element) continue;
    ++n;
    auto name = detail::omr_xml_child(e, "Name");
    if (!name) return detail::omr_error("Xml", "element " + std::to_string(n) + " has no <Name>");
    omr_element el;
    el.name = name.text().get();
    if (el.name.empty())
      return detail::omr_error("Xml", "element " + std::to_string(n) + " has an empty <Name>");
    if (auto value = detail::omr_xml_child(e, "Value")) el.value = value.text().get();
    out.push_back(std::move(el));
  }
  return out;
}

/// @brief Parses @p bytes as format @p f, without sniffing (parse_omr_result
/// sniffs when the type says nothing).
inline result<std::vector<omr_element>> parse_omr(std::string_view bytes, omr_format f) {
  switch (f) {
  case omr_format::json: return parse_omr_json(bytes);
  case omr_format::xml: return parse_omr_xml(bytes);
  case omr_format::csv: break;
  }
  return parse_omr_csv(bytes);
}

/// @brief Parses one result by its `type`; an empty or unknown type is
/// resolved by sniffing the content (sniff_omr_format).
inline result<std::vector<omr_element>> parse_omr_result(std::string_view bytes,
                                                         std::string_view type) {
  return parse_omr(bytes, omr_format_of(type).value_or(sniff_omr_format(bytes)));
}

} // namespace taskfetch
