// Every status word of docs/service.md §7, for each endpoint's primary field.
#include <taskfetch/endpoints.hpp>
#include <taskfetch/envelope.hpp>
#include <taskfetch/status_words.hpp>

#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <vector>

using namespace taskfetch;
using nlohmann::json;

namespace {
task_status ocr(const json &fields, std::size_t results = 0) {
  auto e = read_envelope(fields, results == 0, results);
  REQUIRE(e);
  return endpoint_traits<endpoints::recognize_table>::state_of(*e);
}
task_status omr(const json &fields, std::size_t results = 0) {
  auto e = read_envelope(fields, results == 0, results);
  REQUIRE(e);
  return endpoint_traits<endpoints::recognize_template>::state_of(*e);
}
} // namespace

TEST_CASE("OCR taskStatus words map as the contract's table says") {
  CHECK(ocr({{"taskStatus", "Pending"}}).state == task_state::pending);
  CHECK(ocr({{"taskStatus", "Processing"}, {"responseStatusCode", "Ok"}}).state ==
        task_state::pending);
  CHECK(ocr({{"taskStatus", "Completed"}, {"responseStatusCode", "Ok"}}, 1).state ==
        task_state::done);
  CHECK(ocr({{"taskStatus", "Error"}}).state == task_state::failed);
  CHECK(ocr({{"taskStatus", "NotExist"}, {"responseStatusCode", "Error"}}).state ==
        task_state::not_found);
  CHECK(ocr({{"taskStatus", "Frobnicating"}}).state == task_state::unknown);
  // taskStatus decides over responseStatusCode for OCR.
  CHECK(ocr({{"taskStatus", "Completed"}, {"responseStatusCode", "PartiallyNotFound"}}, 1).state ==
        task_state::done);
  CHECK(ocr(json::object()).state == task_state::unknown);
}

TEST_CASE("OMR responseStatusCode words: seed and SDK enums") {
  for (const char *w : {"Processing", "NotReady", "Pending"})
    CHECK(omr({{"responseStatusCode", w}}).state == task_state::pending);
  CHECK(omr({{"responseStatusCode", "Ok"}}, 1).state == task_state::done);
  for (const char *w : {"Error", "NoAnyResultData", "ResultDataLost"})
    CHECK(omr({{"responseStatusCode", w}}).state == task_state::failed);
  for (const char *w : {"NotFound", "TaskNotFound"})
    CHECK(omr({{"responseStatusCode", w}}).state == task_state::not_found);
  CHECK(omr({{"responseStatusCode", "Maybe"}}).state == task_state::unknown);
  // Words are matched without regard to case; members too.
  CHECK(omr({{"ResponseStatusCode", "notready"}}).state == task_state::pending);
}

TEST_CASE("each status word maps alone, in any case") {
  struct row {
    const char *word;
    task_state state;
  };
  const row task_words[] = {{"Pending", task_state::pending},
                            {"Processing", task_state::pending},
                            {"Completed", task_state::done},
                            {"Error", task_state::failed},
                            {"NotExist", task_state::not_found}};
  const row response_words[] = {
      {"Processing", task_state::pending},     {"NotReady", task_state::pending},
      {"Pending", task_state::pending},        {"Ok", task_state::done},
      {"Error", task_state::failed},           {"NoAnyResultData", task_state::failed},
      {"ResultDataLost", task_state::failed},  {"NotFound", task_state::not_found},
      {"TaskNotFound", task_state::not_found},
  };
  auto spellings = [](std::string w) {
    std::string up = w, low = w;
    for (auto &c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (auto &c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::vector<std::string>{w, up, low};
  };
  for (const auto &r : task_words)
    for (const auto &w : spellings(r.word)) {
      CAPTURE(w);
      CHECK(map_task_status(w) == r.state);
    }
  for (const auto &r : response_words)
    for (const auto &w : spellings(r.word)) {
      CAPTURE(w);
      CHECK(map_response_status(w) == r.state);
    }
  // The spec enum's PartiallyNotFound is in no row of the contract's table:
  // alone it decides nothing, so it is an error, never a poll.
  CHECK(map_response_status("PartiallyNotFound") == task_state::unknown);
  // Each field has its own words: OCR's taskStatus never says Ok or NotFound.
  CHECK(map_task_status("Ok") == task_state::unknown);
  CHECK(map_task_status("NotFound") == task_state::unknown);
  CHECK(map_response_status("Completed") == task_state::unknown);
  CHECK(map_response_status("NotExist") == task_state::unknown);
  CHECK(map_task_status("") == task_state::unknown);
}

TEST_CASE("an answer without its endpoint's primary field falls back to the other") {
  CHECK(ocr({{"responseStatusCode", "Processing"}}).state == task_state::pending);
  CHECK(omr({{"taskStatus", "Completed"}}, 1).state == task_state::done);
  CHECK(omr({{"taskStatus", "NotExist"}}).state == task_state::not_found);
}

TEST_CASE("error messages and warnings are read; wrong shapes are malformed") {
  auto e =
      read_envelope({{"taskStatus", "Error"},
                     {"error", {{"messages", {"bad image", "try again"}}, {"warnings", nullptr}}}},
                    true, 0);
  REQUIRE(e);
  CHECK(e->messages == std::vector<std::string>{"bad image", "try again"});
  CHECK(e->warnings.empty());
  auto st = endpoint_traits<endpoints::djvu2pdf>::state_of(*e);
  CHECK(st.messages.size() == 2);

  auto none = read_envelope({{"taskStatus", "Error"}, {"error", {{"messages", nullptr}}}}, true, 0);
  REQUIRE(none);
  CHECK(none->messages.empty());

  CHECK_FALSE(read_envelope(json::array(), true, 0));
  CHECK_FALSE(read_envelope({{"taskStatus", 3}}, true, 0));
  CHECK_FALSE(read_envelope({{"error", 42}}, true, 0));
  CHECK_FALSE(read_envelope({{"error", {{"messages", "one"}}}}, true, 0));
  auto bad = read_envelope({{"responseStatusCode", json::array()}}, true, 0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == error_kind::malformed_response);
}

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
