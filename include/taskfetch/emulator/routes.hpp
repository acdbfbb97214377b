/// @file
/// @brief Reading an emulator request: its operation, credentials, submit body and `Accept`.
///
/// Which operation a path names (case-insensitive, with or without the /ocr
/// or /omr segment), the credentials of a token request, whether a submit
/// body is valid, and which type the submit answer takes from `Accept`.
#pragma once

#include <taskfetch/detail/base64.hpp>
#include <taskfetch/emulator/processor.hpp>
#include <taskfetch/envelope.hpp>
#include <taskfetch/http.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace taskfetch::emulation::detail {

/// @brief Which request a lower-cased path @p p names: @p kind token, status,
/// submit, fetch or cancel ("" none) and @p ep the operation ("" none).
/// Paths with or without the /ocr (or /omr) segment, which self-hosted
/// deployments drop.
inline void route(const std::string &p, const std::string &method, std::string &kind,
                  std::string &ep) {
  auto is = [&](const char *tail) {
    return p == std::string("/v5.0/ocr/") + tail || p == std::string("/v5.0/") + tail;
  };
  auto is_omr = [&](const char *tail) {
    return p == std::string("/v5.0/omr/") + tail || p == std::string("/v5.0/") + tail;
  };
  const bool get = method == "GET", post = method == "POST", del = method == "DELETE";
  if (p == "/connect/token") {
    if (post) kind = "token";
    return;
  }
  if (is("utilities/gettaskstatus")) {
    if (get) kind = "status";
    return;
  }
  if (is("recognizetable"))
    ep = "recognize-table";
  else if (is("djvu2pdf"))
    ep = "djvu2pdf";
  else if ((is_omr("recognizetemplate/postrecognizetemplate") && post) ||
           (is_omr("recognizetemplate/getrecognizetemplate") && get) ||
           (is_omr("recognizetemplate") && del) ||
           (is_omr("recognizetemplate/cancelrecognizetemplate") && del))
    ep = "recognize-template";
  if (ep.empty()) return;
  if (post)
    kind = "submit";
  else if (get)
    kind = "fetch";
  else if (del)
    kind = "cancel";
  else
    ep.clear();
}

/// @brief What a token request asks for, from a form (urlencoded or
/// multipart) or HTTP Basic client authentication.
struct token_request {
  std::string grant, id, secret;
};

/// @brief The grant and credentials of POST /connect/token.
inline token_request read_token_request(const httplib::Request &req) {
  auto param = [&](const char *k) {
    if (req.has_param(k)) return req.get_param_value(k);
    if (req.has_file(k)) return req.get_file_value(k).content;
    return std::string();
  };
  token_request t{param("grant_type"), param("client_id"), param("client_secret")};
  const auto auth = req.get_header_value("Authorization");
  if (auth.size() > 6 && taskfetch::detail::iequals(auth.substr(0, 6), "Basic ")) {
    // RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
    auto dec = taskfetch::detail::base64_decode(auth.substr(6));
    if (dec) {
      const auto colon = dec->find(':');
      if (colon != std::string::npos) {
        t.id = httplib::detail::decode_url(dec->substr(0, colon), true);
        t.secret = httplib::detail::decode_url(dec->substr(colon + 1), true);
      }
    }
  }
  return t;
}

using taskfetch::detail::find_member;

// The OCR SDK's ResultType enum (aspose-ocr-cloud, models/result_type).
inline constexpr const char *ocr_result_types[] = {
    "Text",     "Pdf", "TextAndPdf", "Hocr", "TextAndHocr", "PdfAndHocr", "TextAndPdfAndHocr",
    "ImagePNG", "JSON"};

// Reads member @p key of @p j (any case, null or absent: @p out kept) as
// one of @p words in any case, canonical spelling into @p out; false
// after bad() when it is something else.
template <std::size_t N, class Bad>
bool word(const nlohmann::json &j, const char *key, const char *const (&words)[N], std::string &out,
          Bad &bad) {
  const auto *v = find_member(j, key);
  if (!v || v->is_null()) return true;
  if (v->is_string())
    for (const char *w : words)
      if (taskfetch::detail::iequals(v->get_ref<const std::string &>(), w)) {
        out = w;
        return true;
      }
  std::string list;
  for (const char *w : words) list += (list.empty() ? "" : ", ") + std::string(w);
  bad(std::string(key) + " must be one of " + list);
  return false;
}

/// @brief Reads the submit body @p j (a JSON object) of operation
/// s.endpoint into @p s; false after bad(why) when a member is missing or
/// invalid. The SDK's settings beyond the contract are checked, not used.
template <class Bad> bool read_submission(const nlohmann::json &j, submission &s, Bad &bad) {
  auto b64 = [&](const nlohmann::json *v, std::string &out, const char *what) {
    if (!v || !v->is_string()) {
      bad(std::string(what) + " is missing or not a string");
      return false;
    }
    auto d = taskfetch::detail::base64_decode(v->get_ref<const std::string &>());
    if (!d) {
      bad(std::string(what) + " is not valid base64");
      return false;
    }
    out = std::move(*d);
    return true;
  };
  if (s.endpoint == "recognize-template") {
    const auto *images = find_member(j, "images");
    if (!images || !images->is_array() || images->empty()) {
      bad("images must be a non-empty list");
      return false;
    }
    if (!b64(&(*images)[0], s.image, "images[0]") ||
        !b64(find_member(j, "omrFile"), s.omr_file, "omrFile"))
      return false;
    s.output_format = "Csv";
    if (!word(j, "outputFormat", {"Csv", "Json", "Xml"}, s.output_format, bad)) return false;
    if (const auto *th = find_member(j, "recognitionThreshold"); th && !th->is_null()) {
      if (!th->is_number()) {
        bad("recognitionThreshold must be a number");
        return false;
      }
      const double v = th->get<double>();
      if (v < 0 || v > 100) {
        bad("recognitionThreshold must be within 0..100");
        return false;
      }
    }
    return true;
  }
  if (!b64(find_member(j, "image"), s.image, "image")) return false;
  if (const auto *st = find_member(j, "settings"); st && !st->is_null()) {
    if (!st->is_object()) {
      bad("settings must be an object");
      return false;
    }
    if (!word(*st, "resultTypeTable", {"Text", "Excel", "Csv", "CsvAndExcel"}, s.result_type, bad))
      return false;
    std::string ignored;
    if (!word(*st, "resultType", ocr_result_types, ignored, bad)) return false;
    if (const auto *cc = find_member(*st, "makeContrastCorrection");
        cc && !cc->is_null() && !cc->is_boolean()) {
      bad("makeContrastCorrection must be true or false");
      return false;
    }
  }
  return true;
}

// The best of the media ranges in @p accept matching @p type: its q and
// how specific the range is (2 exact, 1 "major/*", 0 "*/*"); q -1: none.
inline std::pair<double, int> accept_match(const std::string &accept, std::string_view type) {
  std::pair<double, int> best{-1.0, -1};
  std::size_t at = 0;
  while (at <= accept.size()) {
    std::size_t end = accept.find(',', at);
    if (end == std::string::npos) end = accept.size();
    const std::string range = taskfetch::detail::ascii_lower(accept.substr(at, end - at));
    at = end + 1;
    auto trim = [](std::string x) {
      const auto b = x.find_first_not_of(" \t");
      return b == std::string::npos ? std::string()
                                    : x.substr(b, x.find_last_not_of(" \t") - b + 1);
    };
    const auto semi = range.find(';');
    const std::string media = trim(range.substr(0, semi));
    double q = 1.0;
    if (semi != std::string::npos) {
      const auto qp = range.find("q=", semi);
      if (qp != std::string::npos) q = std::strtod(range.c_str() + qp + 2, nullptr);
    }
    const auto slash = type.find('/');
    int spec = -1;
    if (media == type)
      spec = 2;
    else if (media.size() == slash + 2 &&
             media.compare(0, slash + 1, type.substr(0, slash + 1)) == 0 && media.back() == '*')
      spec = 1;
    else if (media == "*/*")
      spec = 0;
    if (spec > best.second || (spec == best.second && spec >= 0 && q > best.first))
      best = {q, spec};
  }
  return best;
}

/// @brief The submit answer's type for @p accept: JSON (application/json or
/// text/json) when a JSON type is preferred to text/plain by q, or named
/// more specifically at the same q; text/plain otherwise (ties, "*/*",
/// no Accept, nothing acceptable).
inline const char *id_content_type(const std::string &accept) {
  const auto text = accept_match(accept, "text/plain");
  const auto app_json = accept_match(accept, "application/json");
  const auto text_json = accept_match(accept, "text/json");
  const bool app = app_json >= text_json;
  const auto json = app ? app_json : text_json;
  if (json.first > 0 && json > text) return app ? "application/json" : "text/json";
  return "text/plain";
}

} // namespace taskfetch::emulation::detail
