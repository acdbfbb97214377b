// Endpoint traits: the shipped endpoints' paths, defaults and submit
// bodies, and the defaults a user-written endpoint gets.
#include <taskfetch/endpoints.hpp>

#include <doctest/doctest.h>

#include <string>
#include <type_traits>

using namespace taskfetch;
using nlohmann::json;

TEST_CASE("endpoint traits: paths, defaults and submit bodies") {
  using T = endpoint_traits<endpoints::recognize_table>;
  CHECK(T::submit_path() == "/v5.0/ocr/RecognizeTable");
  CHECK(T::fetch_path() == T::submit_path());
  CHECK(T::extension() == "csv");
  using O = endpoint_traits<endpoints::recognize_template>;
  CHECK(O::submit_path() == "/v5.0/omr/RecognizeTemplate/PostRecognizeTemplate");
  CHECK(O::fetch_path() == "/v5.0/omr/RecognizeTemplate/GetRecognizeTemplate");
  CHECK(O::cancel_path() == "/v5.0/omr/RecognizeTemplate");
  using D = endpoint_traits<endpoints::djvu2pdf>;
  CHECK(D::magic() == "%PDF-");

  image_input img{"\x89PNG", ocr_settings{}};
  auto body = json::parse(T::submit_body(img));
  CHECK(body["image"] == "iVBORw==");
  CHECK(body["settings"]["resultTypeTable"] == "Csv");
  CHECK(body["settings"]["makeSkewCorrect"] == true);
  CHECK(json::parse(D::submit_body(image_input{"abc", std::nullopt})).count("settings") == 0);

  // The SDK-only settings: absent unless set, so default bodies are the
  // same bytes as before they existed; set, they go into settings.
  CHECK(
      T::submit_body(img) ==
      R"({"image":"iVBORw==","settings":{"Rotate":0,"dsrConfidence":"Default","dsrMode":"Regions",)"
      R"("language":"English","makeBinarization":false,"makeSkewCorrect":true,)"
      R"("makeSpellCheck":false,"makeUpsampling":false,"regions":null,"resultTypeTable":"Csv"}})");
  ocr_settings sdk;
  sdk.make_contrast_correction = false;
  sdk.result_type = "TextAndPdf";
  auto sb = json::parse(T::submit_body(image_input{"x", sdk}));
  CHECK(sb["settings"]["makeContrastCorrection"] == false);
  CHECK(sb["settings"]["resultType"] == "TextAndPdf");
  CHECK(sb["settings"]["resultTypeTable"] == "Csv");

  omr_input form{{"img"}, "pattern", omr_format::json, 40};
  auto ob = json::parse(O::submit_body(form));
  CHECK(ob["images"] == json::array({"aW1n"}));
  CHECK(ob["omrFile"] == "cGF0dGVybg==");
  CHECK(ob["outputFormat"] == "Json");
  CHECK(ob["recognitionThreshold"] == 40);
}

namespace {
// A user's endpoint of the same shape, as docs/endpoints.md shows it.
struct recognize_receipt {
  static constexpr std::string_view name = "recognize-receipt";
  static constexpr std::string_view path = "/v5.0/ocr/RecognizeReceipt";
  static constexpr std::string_view extension = "txt";
};
struct no_path {
  static constexpr std::string_view name = "x";
};
} // namespace

TEST_CASE("a user-written endpoint gets OCR defaults") {
  using R = endpoint_traits<recognize_receipt>;
  CHECK(R::fetch_path() == "/v5.0/ocr/RecognizeReceipt");
  CHECK(R::status_from() == status_field::task_status);
  CHECK(std::is_same_v<R::input, image_input>);
  CHECK(std::is_same_v<R::default_decoder, decoders::bytes>);
  CHECK(R::magic().empty());
  CHECK(is_endpoint_v<recognize_receipt>);
  CHECK_FALSE(is_endpoint_v<no_path>);
}
