/// @file
/// @brief GetRecognizeTemplate: OMR form in, elements (Csv/Json/Xml) out.
#pragma once

#include <taskfetch/decoders/omr.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/status_words.hpp>

namespace taskfetch::endpoints {

/// @brief OMR form recognition; its answers carry no taskStatus, so the state
/// is read from responseStatusCode.
struct recognize_template {
  static constexpr std::string_view name = "recognize-template"; ///< CLI name
  static constexpr std::string_view submit_path =
      "/v5.0/omr/RecognizeTemplate/PostRecognizeTemplate"; ///< POST
  static constexpr std::string_view fetch_path =
      "/v5.0/omr/RecognizeTemplate/GetRecognizeTemplate";                        ///< GET ?id=
  static constexpr std::string_view cancel_path = "/v5.0/omr/RecognizeTemplate"; ///< DELETE ?id=
  static constexpr status_field status_from =
      status_field::response_status_code;                ///< no taskStatus in OMR answers
  static constexpr std::string_view result_kind = "Csv"; ///< as submitted
  static constexpr std::string_view extension = "csv";   ///< default format
  using input = omr_input;                               ///< images + pattern
  using default_decoder = decoders::omr;                 ///< name/value elements
  /// @brief {"images":[...],"omrFile":...,"outputFormat":...}
  static std::string submit_body(const omr_input &in) { return omr_submit_body(in); }
};

} // namespace taskfetch::endpoints
