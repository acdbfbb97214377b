/// @file
/// @brief What the emulator's answers say: status words, answer bodies, ProblemDetails.
///
/// The status words of each vocabulary (OCR, OMR seed, OMR SDK), the fetch
/// answer's JSON shape, the token answer and ProblemDetails errors.
#pragma once

#include <taskfetch/detail/base64.hpp>
#include <taskfetch/emulator/faults.hpp>
#include <taskfetch/emulator/options.hpp>
#include <taskfetch/emulator/streamed_body.hpp>
#include <taskfetch/emulator/tasks.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace taskfetch::emulation::detail {

/// @brief Answers @p status with an RFC 7807 ProblemDetails body.
inline void problem(httplib::Response &res, int status, const std::string &title,
                    const std::string &detail, const std::string &instance = {}) {
  res.status = status;
  nlohmann::json j{
      {"type", "https://httpstatuses.io/" + std::to_string(status)},
      {"title", title},
      {"status", status},
      {"detail", detail},
      {"instance", instance.empty() ? nlohmann::json(nullptr) : nlohmann::json(instance)}};
  res.set_content(j.dump(), "application/problem+json");
}

/// @brief The token endpoint's success body: access_token, expires_in (seconds), token_type.
inline std::string token_answer(const std::string &token, std::chrono::seconds lifetime) {
  nlohmann::json j{
      {"access_token", token}, {"expires_in", lifetime.count()}, {"token_type", "Bearer"}};
  return j.dump();
}

/// @brief taskStatus and responseStatusCode for phase @p p: the OMR words
/// (seed's or SDK's) when @p omr, the OCR words otherwise.
inline std::pair<std::string, std::string> status_words(phase p, bool omr, omr_words style) {
  const bool sdk = style == omr_words::sdk;
  std::string word, code;
  switch (p) {
  case phase::pending:
    word = "Pending", code = omr ? (sdk ? "NotReady" : "Processing") : "Ok";
    break;
  case phase::processing:
    word = "Processing", code = omr ? (sdk ? "NotReady" : "Processing") : "Ok";
    break;
  case phase::done: word = "Completed", code = "Ok"; break;
  case phase::failed: word = "Error", code = "Error"; break;
  case phase::gone:
    word = "NotExist", code = omr ? (sdk ? "TaskNotFound" : "NotFound") : "TaskNotFound";
    break;
  }
  return {word, code};
}

/// @brief The fetch (or, with @p status_only, GetTaskStatus) answer for task
/// @p id in state @p t, with @p f's shape faults applied.
inline std::shared_ptr<streamed_body> fetch_answer(const std::string &id, const polled &t,
                                                   omr_words style, bool status_only,
                                                   const std::optional<fault> &f) {
  // The OMR shape and words, except on GetTaskStatus: an OCR endpoint,
  // whose clients (the OCR SDKs) parse only the OCR vocabulary.
  const bool omr = t.endpoint == "recognize-template" && !status_only;
  auto [word, code] = status_words(t.phase, omr, style);
  if (f && f->what == fault::kind::unknown_status) word = code = "Frobnicating";
  nlohmann::json head{{"id", id}};
  if (!omr) head["taskStatus"] = word;
  head["responseStatusCode"] = code;
  std::string err = "null";
  if (t.phase == phase::failed) {
    nlohmann::json ej{{"messages", t.outcome.messages},
                      {"warnings", t.outcome.warnings.empty()
                                       ? nlohmann::json(nullptr)
                                       : nlohmann::json(t.outcome.warnings)}};
    err = ej.dump();
  }
  std::string prefix = head.dump();
  prefix.pop_back(); // reopen the object: results follow
  auto body = std::make_shared<streamed_body>();
  if (f && f->what == fault::kind::raw_answer) {
    body->add_text(f->body);
  } else if (t.phase == phase::done && !status_only) {
    if (f && f->what == fault::kind::wrong_shape) {
      body->add_text(prefix + ",\"results\":{\"type\":\"Csv\",\"data\":\"\"},\"error\":null}");
    } else {
      body->add_text(prefix + ",\"results\":[");
      for (std::size_t i = 0; i < t.outcome.results.size(); ++i) {
        const auto &r = t.outcome.results[i];
        body->add_text(std::string(i ? "," : "") + "{\"type\":" + nlohmann::json(r.type).dump() +
                       ",\"data\":\"");
        if (f && f->what == fault::kind::invalid_base64 && i == 0) {
          std::string b = taskfetch::detail::base64_encode(*r.data);
          b.insert(b.size() / 2, "!");
          body->add_text(std::move(b));
        } else {
          body->add_base64(r.data);
        }
        body->add_text("\"}");
      }
      body->add_text("],\"error\":" + err + "}");
    }
  } else {
    body->add_text(prefix + ",\"results\":null,\"error\":" + err + "}");
  }
  return body;
}

} // namespace taskfetch::emulation::detail
