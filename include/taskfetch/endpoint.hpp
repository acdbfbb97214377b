/// @file
/// @brief Endpoint traits: facts about one service operation, no I/O.
///
/// An endpoint type names its paths and status field; endpoint_traits fills
/// in defaults for everything it leaves out (as std::allocator_traits does),
/// so an OCR-shaped endpoint takes a few lines (see docs/endpoints.md).
#pragma once

#include <taskfetch/decoders/bytes.hpp>
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/type_traits.hpp>
#include <taskfetch/envelope.hpp>
#include <taskfetch/inputs.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace taskfetch {

/// @brief The JSON body of an OCR-shaped submit: {"image":..., "settings":...}.
inline std::string ocr_submit_body(const image_input &in) {
  nlohmann::json j;
  j["image"] = detail::base64_encode(in.bytes);
  if (in.settings) {
    const auto &s = *in.settings;
    j["settings"] = {{"language", s.language},
                     {"makeSkewCorrect", s.make_skew_correct},
                     {"makeSpellCheck", s.make_spell_check},
                     {"makeBinarization", s.make_binarization},
                     {"makeUpsampling", s.make_upsampling},
                     {"Rotate", s.rotate},
                     {"dsrMode", s.dsr_mode},
                     {"dsrConfidence", s.dsr_confidence},
                     {"resultTypeTable", s.result_type_table},
                     {"regions", nullptr}};
    // Optional: unset leaves the body exactly as before they existed.
    if (s.make_contrast_correction)
      j["settings"]["makeContrastCorrection"] = *s.make_contrast_correction;
    if (s.result_type) j["settings"]["resultType"] = *s.result_type;
  }
  return j.dump();
}

/// @brief The word the service expects for an OMR format ("Csv", ...).
constexpr std::string_view to_string(omr_format f) noexcept {
  switch (f) {
  case omr_format::csv: return "Csv";
  case omr_format::json: return "Json";
  case omr_format::xml: return "Xml";
  }
  return "Csv";
}

/// @brief The JSON body of an OMR submit.
inline std::string omr_submit_body(const omr_input &in) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto &img : in.images) images.push_back(detail::base64_encode(img));
  nlohmann::json j{{"images", std::move(images)},
                   {"omrFile", detail::base64_encode(in.omr_file)},
                   {"outputFormat", std::string(to_string(in.format))},
                   {"recognitionThreshold", in.recognition_threshold}};
  return j.dump();
}

namespace detail {
// The optional members endpoint_traits looks for, falling back to the
// defaults in docs/policies.md's endpoint table.
template <class E> using endpoint_submit_path_t = decltype(E::submit_path);
template <class E> using endpoint_fetch_path_t = decltype(E::fetch_path);
template <class E> using endpoint_cancel_path_t = decltype(E::cancel_path);
template <class E> using endpoint_status_from_t = decltype(E::status_from);
template <class E> using endpoint_result_kind_t = decltype(E::result_kind);
template <class E> using endpoint_extension_t = decltype(E::extension);
template <class E> using endpoint_magic_t = decltype(E::magic);
template <class E> using endpoint_input_t = typename E::input;
template <class E> using endpoint_default_decoder_t = typename E::default_decoder;
template <class E>
using endpoint_submit_body_t = decltype(E::submit_body(std::declval<const typename E::input &>()));
// Names submit_body at all, whatever it takes (to catch one without `input`).
template <class E> using endpoint_submit_body_member_t = decltype(&E::submit_body);

// Whether E has a static constexpr member that converts to a string_view:
// Static names it through a pointer (ill-formed for a non-static member),
// Constant uses it as a template argument (ill-formed unless constexpr).
template <class E, template <class> class Static, template <class> class Constant>
constexpr bool endpoint_constant_string() {
  if constexpr (is_detected_convertible_v<std::string_view, Static, E>)
    return is_detected_v<Constant, E>;
  else
    return false;
}
#define TASKFETCH_DETAIL_CONSTANT_STRING(member)                                                   \
  template <class E> using endpoint_##member##_static_t = decltype(*&E::member);                   \
  template <class E>                                                                               \
  using endpoint_##member##_constant_t =                                                           \
      std::integral_constant<std::size_t, std::string_view(E::member).size()>;                     \
  template <class E>                                                                               \
  inline constexpr bool endpoint_has_##member##_v =                                                \
      endpoint_constant_string<E, endpoint_##member##_static_t, endpoint_##member##_constant_t>();
// One trait per required row of docs/policies.md's endpoint table.
TASKFETCH_DETAIL_CONSTANT_STRING(name)
TASKFETCH_DETAIL_CONSTANT_STRING(path)
TASKFETCH_DETAIL_CONSTANT_STRING(submit_path)
TASKFETCH_DETAIL_CONSTANT_STRING(fetch_path)
TASKFETCH_DETAIL_CONSTANT_STRING(cancel_path)
#undef TASKFETCH_DETAIL_CONSTANT_STRING
template <class E>
inline constexpr bool endpoint_has_any_verb_path_v = (endpoint_has_submit_path_v<E> ||
                                                      endpoint_has_fetch_path_v<E> ||
                                                      endpoint_has_cancel_path_v<E>);
// path, unless all three per-verb paths are given: with none of them, path is
// reported; with some, the ones left out are.
template <class E>
inline constexpr bool endpoint_needs_path_v =
    !endpoint_has_path_v<E> && !endpoint_has_any_verb_path_v<E>;
template <class E>
inline constexpr bool endpoint_verb_path_needed_v =
    !endpoint_has_path_v<E> && endpoint_has_any_verb_path_v<E>;
template <class E>
inline constexpr bool endpoint_has_submit_body_v =
    !is_detected_v<endpoint_input_t, E> ||
    is_detected_convertible_v<std::string, endpoint_submit_body_t, E>;
template <class E>
inline constexpr bool endpoint_has_input_v =
    is_detected_v<endpoint_input_t, E> || !is_detected_v<endpoint_submit_body_member_t, E>;
} // namespace detail

/// @brief True when E meets the endpoint requirements (docs/policies.md).
template <class E>
inline constexpr bool is_endpoint_v =
    (detail::endpoint_has_name_v<E> && !detail::endpoint_needs_path_v<E> &&
     (!detail::endpoint_verb_path_needed_v<E> ||
      (detail::endpoint_has_submit_path_v<E> && detail::endpoint_has_fetch_path_v<E> &&
       detail::endpoint_has_cancel_path_v<E>)) &&
     detail::endpoint_has_submit_body_v<E> && detail::endpoint_has_input_v<E>);

/// @brief Rejects an endpoint with one static_assert per missing member,
/// each naming it; returns true, so it can stand in a static_assert of its
/// own.
template <class E> constexpr bool check_endpoint() {
  constexpr bool verbs = detail::endpoint_verb_path_needed_v<E>; // no path, some per-verb ones
  TASKFETCH_REQUIRE_MEMBER("endpoint", detail::endpoint_has_name_v<E>,
                           "static constexpr std::string_view name");
  TASKFETCH_REQUIRE_MEMBER("endpoint", !detail::endpoint_needs_path_v<E>,
                           "static constexpr std::string_view path");
  TASKFETCH_REQUIRE_MEMBER("endpoint", !verbs || detail::endpoint_has_submit_path_v<E>,
                           "static constexpr std::string_view submit_path");
  TASKFETCH_REQUIRE_MEMBER("endpoint", !verbs || detail::endpoint_has_fetch_path_v<E>,
                           "static constexpr std::string_view fetch_path");
  TASKFETCH_REQUIRE_MEMBER("endpoint", !verbs || detail::endpoint_has_cancel_path_v<E>,
                           "static constexpr std::string_view cancel_path");
  TASKFETCH_REQUIRE_MEMBER("endpoint", detail::endpoint_has_submit_body_v<E>,
                           "static std::string submit_body(const input&)");
  TASKFETCH_REQUIRE_MEMBER("endpoint", detail::endpoint_has_input_v<E>, "using input = ...");
  return true;
}

/// @brief Uniform access to an endpoint's facts, with defaults for an
/// OCR-shaped operation (one path, taskStatus, image input, bytes result).
template <class E> struct endpoint_traits {
  static_assert(check_endpoint<E>());
  /// @brief What submit() takes.
  using input = detail::detected_or_t<image_input, detail::endpoint_input_t, E>;
  /// @brief The decoder fetch() uses when the caller names none.
  using default_decoder =
      detail::detected_or_t<decoders::bytes, detail::endpoint_default_decoder_t, E>;

  /// @brief The CLI's name for the endpoint.
  static constexpr std::string_view name() { return E::name; }
  /// @brief POST path of submit.
  static constexpr std::string_view submit_path() {
    if constexpr (detail::is_detected_v<detail::endpoint_submit_path_t, E>)
      return E::submit_path;
    else
      return E::path;
  }
  /// @brief GET path of fetch (the id goes in ?id=).
  static constexpr std::string_view fetch_path() {
    if constexpr (detail::is_detected_v<detail::endpoint_fetch_path_t, E>)
      return E::fetch_path;
    else
      return E::path;
  }
  /// @brief DELETE path of cancel.
  static constexpr std::string_view cancel_path() {
    if constexpr (detail::is_detected_v<detail::endpoint_cancel_path_t, E>)
      return E::cancel_path;
    else
      return E::path;
  }
  /// @brief The member the state is read from first.
  static constexpr status_field status_from() {
    if constexpr (detail::is_detected_v<detail::endpoint_status_from_t, E>)
      return E::status_from;
    else
      return status_field::task_status;
  }
  /// @brief The kind of result the operation yields ("Csv", "Pdf", ...).
  static constexpr std::string_view result_kind() {
    if constexpr (detail::is_detected_v<detail::endpoint_result_kind_t, E>)
      return E::result_kind;
    else
      return "";
  }
  /// @brief File extension for the result, chosen by us, never by the server.
  static constexpr std::string_view extension() {
    if constexpr (detail::is_detected_v<detail::endpoint_extension_t, E>)
      return E::extension;
    else
      return "bin";
  }
  /// @brief Bytes a valid result starts with ("" when anything goes).
  static constexpr std::string_view magic() {
    if constexpr (detail::is_detected_v<detail::endpoint_magic_t, E>)
      return E::magic;
    else
      return "";
  }
  /// @brief The submit request's JSON body.
  static std::string submit_body(const input &in) {
    if constexpr (!is_endpoint_v<E>) // check_endpoint refused E: no second error
      return {};
    else if constexpr (detail::is_detected_v<detail::endpoint_submit_body_t, E>)
      return E::submit_body(in);
    else
      return ocr_submit_body(in);
  }
  /// @brief Maps one answer's envelope to a task status.
  static task_status state_of(const envelope &e) { return status_of(e, status_from()); }
};

} // namespace taskfetch
