/// @file
/// @brief A fetch answer's small members, and the task's status read from them.
///
/// The status words themselves are mapped in status_words.hpp.
#pragma once

#include <taskfetch/http.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/status_words.hpp>
#include <taskfetch/task_state.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskfetch {

/// @brief The members of a fetch answer other than the result data.
struct envelope {
  std::optional<std::string> id;                   ///< "id"
  std::optional<std::string> task_status;          ///< "taskStatus" (OCR)
  std::optional<std::string> response_status_code; ///< "responseStatusCode"
  std::vector<std::string> messages;               ///< "error.messages"
  std::vector<std::string> warnings;               ///< "error.warnings"
  bool results_null = true;                        ///< results absent or null
  std::size_t result_count = 0;                    ///< entries in results
};

namespace detail {

// Members are matched case-insensitively: the sources spell them differently.
inline const nlohmann::json *find_member(const nlohmann::json &obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (iequals(it.key(), key)) return &it.value();
  return nullptr;
}

inline result<void> read_optional_string(const nlohmann::json &obj, std::string_view key,
                                         std::optional<std::string> &out) {
  const auto *v = find_member(obj, key);
  if (!v || v->is_null()) return {};
  if (!v->is_string())
    return error(error_kind::malformed_response,
                 "member \"" + std::string(key) + "\" is not a string");
  out = v->get<std::string>();
  return {};
}

inline result<void> read_string_list(const nlohmann::json &obj, std::string_view key,
                                     std::vector<std::string> &out) {
  const auto *v = find_member(obj, key);
  if (!v || v->is_null()) return {};
  if (!v->is_array())
    return error(error_kind::malformed_response, "error." + std::string(key) + " is not a list");
  for (const auto &m : *v) {
    if (m.is_string())
      out.push_back(m.get<std::string>());
    else if (!m.is_null())
      out.push_back(m.dump()); // keep what the service said, whatever its shape
  }
  return {};
}

} // namespace detail

/// @brief Builds an envelope from the scanner's fields; wrong shapes are
/// malformed_response.
inline result<envelope> read_envelope(const nlohmann::json &fields, bool results_null,
                                      std::size_t result_count) {
  if (!fields.is_object())
    return error(error_kind::malformed_response, "answer is not a JSON object");
  envelope e;
  e.results_null = results_null;
  e.result_count = result_count;
  if (auto s = detail::read_optional_string(fields, "id", e.id); !s) return s.error();
  if (auto s = detail::read_optional_string(fields, "taskStatus", e.task_status); !s)
    return s.error();
  if (auto s = detail::read_optional_string(fields, "responseStatusCode", e.response_status_code);
      !s)
    return s.error();
  if (const auto *err = detail::find_member(fields, "error"); err && !err->is_null()) {
    if (err->is_string()) {
      e.messages.push_back(err->get<std::string>());
    } else if (err->is_object()) {
      if (auto s = detail::read_string_list(*err, "messages", e.messages); !s) return s.error();
      if (auto s = detail::read_string_list(*err, "warnings", e.warnings); !s) return s.error();
    } else {
      return error(error_kind::malformed_response,
                   "member \"error\" is neither null nor an object");
    }
  }
  return e;
}

/// @brief The task's status from an envelope. The primary field decides; when
/// it is absent the other one does (answers vary between OCR and OMR).
inline task_status status_of(const envelope &e, status_field primary) {
  task_status st;
  st.id = e.id.value_or("");
  st.response_status = e.response_status_code.value_or("");
  st.messages = e.messages;
  st.warnings = e.warnings;
  st.result_count = e.result_count;
  const bool use_task = primary == status_field::task_status
                            ? e.task_status.has_value()
                            : !e.response_status_code && e.task_status;
  if (use_task) {
    st.word = *e.task_status;
    st.state = map_task_status(st.word);
  } else if (e.response_status_code) {
    st.word = *e.response_status_code;
    st.state = map_response_status(st.word);
  } else {
    st.state = task_state::unknown;
  }
  return st;
}

} // namespace taskfetch
