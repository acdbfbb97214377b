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
