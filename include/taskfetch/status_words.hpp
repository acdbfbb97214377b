/// @file
/// @brief The service's status words and the task_state each one means.
///
/// The mapping is docs/service.md §7 (the table in docs/endpoints.md).
#pragma once

#include <taskfetch/http.hpp>
#include <taskfetch/task_state.hpp>

#include <string_view>

namespace taskfetch {

/// @brief Which member of a fetch answer an endpoint reads its state from
/// first: OCR answers carry taskStatus, OMR answers only responseStatusCode.
enum class status_field { task_status, response_status_code };

/// @brief Maps an OCR taskStatus word, in any case; a word the contract does
/// not list is task_state::unknown.
inline task_state map_task_status(std::string_view w) noexcept {
  using detail::iequals;
  if (iequals(w, "Pending") || iequals(w, "Processing")) return task_state::pending;
  if (iequals(w, "Completed")) return task_state::done;
  if (iequals(w, "Error")) return task_state::failed;
  if (iequals(w, "NotExist")) return task_state::not_found;
  return task_state::unknown;
}

/// @brief Maps a responseStatusCode word when it is the only status (OMR),
/// in the seed's words and the SDKs' enum alike. "Ok" means done only with
/// results; the caller checks that.
inline task_state map_response_status(std::string_view w) noexcept {
  using detail::iequals;
  if (iequals(w, "Processing") || iequals(w, "NotReady") || iequals(w, "Pending"))
    return task_state::pending;
  if (iequals(w, "Ok")) return task_state::done;
  if (iequals(w, "Error") || iequals(w, "NoAnyResultData") || iequals(w, "ResultDataLost"))
    return task_state::failed;
  if (iequals(w, "NotFound") || iequals(w, "TaskNotFound")) return task_state::not_found;
  return task_state::unknown;
}

} // namespace taskfetch
