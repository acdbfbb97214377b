/// @file
/// @brief Endpoint traits: facts about one service operation, no I/O.
///
/// An endpoint type names its paths and status field; endpoint_traits fills
/// in defaults for everything it leaves out (as std::allocator_traits does),
/// so an OCR-shaped endpoint takes a few lines (see docs/endpoints.md).
#pragma once

#include <taskfetch/decoders/bytes.hpp>
#include <taskfetch/detail/base64.hpp>
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
template <class...> using ep_void_t = void;
#define TASKFETCH_DETAIL_HAS_STATIC(member)                                                        \
  template <class E, class = void> struct has_##member : std::false_type {};                       \
  template <class E> struct has_##member<E, ep_void_t<decltype(E::member)>> : std::true_type {};
TASKFETCH_DETAIL_HAS_STATIC(name)
TASKFETCH_DETAIL_HAS_STATIC(path)
TASKFETCH_DETAIL_HAS_STATIC(submit_path)
TASKFETCH_DETAIL_HAS_STATIC(fetch_path)
TASKFETCH_DETAIL_HAS_STATIC(cancel_path)
TASKFETCH_DETAIL_HAS_STATIC(status_from)
TASKFETCH_DETAIL_HAS_STATIC(result_kind)
TASKFETCH_DETAIL_HAS_STATIC(extension)
TASKFETCH_DETAIL_HAS_STATIC(magic)
#undef TASKFETCH_DETAIL_HAS_STATIC
template <class E, class = void> struct has_input : std::false_type {};
template <class E> struct has_input<E, ep_void_t<typename E::input>> : std::true_type {};
template <class E, class = void> struct has_default_decoder : std::false_type {};
template <class E>
struct has_default_decoder<E, ep_void_t<typename E::default_decoder>> : std::true_type {};
template <class E, class = void> struct has_submit_body : std::false_type {};
template <class E>
struct has_submit_body<
    E, ep_void_t<decltype(E::submit_body(std::declval<const typename E::input &>()))>>
    : std::true_type {};
template <class E, bool = has_input<E>::value> struct input_of { using type = image_input; };
template <class E> struct input_of<E, true> { using type = typename E::input; };
template <class E, bool = has_default_decoder<E>::value> struct decoder_of {
  using type = decoders::bytes;
};
template <class E> struct decoder_of<E, true> { using type = typename E::default_decoder; };
} // namespace detail

/// @brief Fails compilation naming what an endpoint type lacks.
template <class E> constexpr bool check_endpoint() {
  static_assert(detail::has_name<E>::value,
                "taskfetch: an endpoint needs `static constexpr std::string_view "
                "name` (e.g. \"recognize-receipt\")");
  static_assert(detail::has_path<E>::value ||
                    (detail::has_submit_path<E>::value && detail::has_fetch_path<E>::value &&
                     detail::has_cancel_path<E>::value),
                "taskfetch: an endpoint needs `static constexpr std::string_view "
                "path` (or submit_path, fetch_path and cancel_path)");
  static_assert(!detail::has_input<E>::value || detail::has_submit_body<E>::value,
                "taskfetch: an endpoint with its own `input` type needs "
                "`static std::string submit_body(const input&)`");
  return true;
}

/// @brief Uniform access to an endpoint's facts, with defaults for an
/// OCR-shaped operation (one path, taskStatus, image input, bytes result).
template <class E> struct endpoint_traits {
  static_assert(check_endpoint<E>());
  /// @brief What submit() takes.
  using input = typename detail::input_of<E>::type;
  /// @brief The decoder fetch() uses when the caller names none.
  using default_decoder = typename detail::decoder_of<E>::type;

  /// @brief The CLI's name for the endpoint.
  static constexpr std::string_view name() { return E::name; }
  /// @brief POST path of submit.
  static constexpr std::string_view submit_path() {
    if constexpr (detail::has_submit_path<E>::value)
      return E::submit_path;
    else
      return E::path;
  }
  /// @brief GET path of fetch (the id goes in ?id=).
  static constexpr std::string_view fetch_path() {
    if constexpr (detail::has_fetch_path<E>::value)
      return E::fetch_path;
    else
      return E::path;
  }
  /// @brief DELETE path of cancel.
  static constexpr std::string_view cancel_path() {
    if constexpr (detail::has_cancel_path<E>::value)
      return E::cancel_path;
    else
      return E::path;
  }
  /// @brief The member the state is read from first.
  static constexpr status_field status_from() {
    if constexpr (detail::has_status_from<E>::value)
      return E::status_from;
    else
      return status_field::task_status;
  }
  /// @brief The kind of result the operation yields ("Csv", "Pdf", ...).
  static constexpr std::string_view result_kind() {
    if constexpr (detail::has_result_kind<E>::value)
      return E::result_kind;
    else
      return "";
  }
  /// @brief File extension for the result, chosen by us, never by the server.
  static constexpr std::string_view extension() {
    if constexpr (detail::has_extension<E>::value)
      return E::extension;
    else
      return "bin";
  }
  /// @brief Bytes a valid result starts with ("" when anything goes).
  static constexpr std::string_view magic() {
    if constexpr (detail::has_magic<E>::value)
      return E::magic;
    else
      return "";
  }
  /// @brief The submit request's JSON body.
  static std::string submit_body(const input &in) {
    if constexpr (detail::has_submit_body<E>::value)
      return E::submit_body(in);
    else
      return ocr_submit_body(in);
  }
  /// @brief Maps one answer's envelope to a task status.
  static task_status state_of(const envelope &e) { return status_of(e, status_from()); }
};

} // namespace taskfetch
