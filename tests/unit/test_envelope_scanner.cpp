// The streaming envelope scanner: fields, results in any member order, any
// chunking, escapes, and every wrong shape.
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/envelope_scanner.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace taskfetch::detail;
using nlohmann::json;

namespace {
struct collector : envelope_events {
  std::vector<std::string> data;
  std::vector<std::string> types;
  std::size_t want_only = static_cast<std::size_t>(-1);
  bool on_result_begin(std::size_t i) override {
    if (data.size() <= i) data.resize(i + 1);
    return want_only == static_cast<std::size_t>(-1) || want_only == i;
  }
  bool on_result_data(std::size_t i, const char *p, std::size_t n) override {
    data[i].append(p, n);
    return true;
  }
  bool on_result_end(std::size_t i, std::string_view type) override {
    if (types.size() <= i) types.resize(i + 1);
    types[i] = std::string(type);
    return true;
  }
};

struct scan_outcome {
  bool ok;
  scan_errc code;
  json fields;
  collector c;
  bool results_null;
  std::size_t count;
  std::uint64_t offset;
  std::string message;
};

scan_outcome scan(const std::string &text, std::size_t step) {
  scan_outcome o{};
  envelope_scanner s(o.c);
  bool ok = true;
  for (std::size_t i = 0; i < text.size() && ok; i += step)
    ok = s.feed(text.data() + i, std::min(step, text.size() - i));
  if (ok) ok = s.finish();
  o.ok = ok;
  o.code = s.error_code();
  o.fields = s.take_fields();
  o.results_null = s.results_null();
  o.count = s.result_count();
  o.offset = s.error_offset();
  o.message = s.error_message();
  return o;
}

const std::string pdf_bytes = std::string("%PDF-1.4\n") + std::string(5000, '\xC3') + "%%EOF";
} // namespace

TEST_CASE("scanner reads the contract's OCR answer in every chunk size") {
  const std::string text =
      R"({"id":"db212989-42b9-422c-8e0d-70acb08474a6","taskStatus":"Completed",)"
      R"("responseStatusCode":"Ok","results":[{"type":"Pdf","data":")" +
      base64_encode(pdf_bytes) + R"("}],"error":null})";
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 1000u, 1000000u}) {
    auto o = scan(text, step);
    REQUIRE(o.ok);
    CHECK(o.fields["taskStatus"] == "Completed");
    CHECK(o.fields["id"] == "db212989-42b9-422c-8e0d-70acb08474a6");
    CHECK(o.fields["error"].is_null());
    CHECK_FALSE(o.fields.contains("results"));
    CHECK(o.count == 1);
    CHECK_FALSE(o.results_null);
    CHECK(o.c.data.at(0) == pdf_bytes);
    CHECK(o.c.types.at(0) == "Pdf");
  }
}

TEST_CASE("scanner does not rely on member order or case") {
  const std::string text =
      "  {\"RESULTS\" : [ {\"Data\":\"" + base64_encode("0,1\n") +
      "\" , \"TYPE\":\"Csv\"}, {\"type\":null,\"data\":\"\",\"extra\":[1,{\"a\":\"]\"}]} ] ,"
      " \"error\":{\"messages\":[\"a\",\"b\"],\"warnings\":null},"
      "\"taskStatus\":\"Completed\", \"n\": -1.5e3, \"t\":true}\n";
  for (std::size_t step : {1u, 5u, 4096u}) {
    auto o = scan(text, step);
    REQUIRE(o.ok);
    CHECK(o.count == 2);
    CHECK(o.c.data[0] == "0,1\n");
    CHECK(o.c.types[0] == "Csv");
    CHECK(o.c.data[1].empty());
    CHECK(o.c.types[1].empty());
    CHECK(o.fields["taskStatus"] == "Completed");
    CHECK(o.fields["error"]["messages"] == json::array({"a", "b"}));
    CHECK(o.fields["n"] == -1500.0);
    CHECK(o.fields["t"] == true);
  }
}

TEST_CASE("scanner: results null or empty, and pending answers") {
  auto o = scan(R"({"taskStatus":"Pending","results":null,"error":null})", 3);
  REQUIRE(o.ok);
  CHECK(o.results_null);
  CHECK(o.count == 0);
  o = scan(R"({"results":[],"responseStatusCode":"Processing"})", 2);
  REQUIRE(o.ok);
  CHECK_FALSE(o.results_null);
  CHECK(o.count == 0);
  o = scan(R"({})", 1);
  CHECK(o.ok);
}

TEST_CASE("scanner decodes escapes inside data") {
  // "\/" is how some serializers write '/'; \u002B is '+'.
  const std::string b64 = base64_encode("\xFB\xEF\xBE\xFF"); // "++++/w=="
  std::string escaped;
  for (char c : b64) {
    if (c == '/')
      escaped += "\\/";
    else if (c == '+')
      escaped += "\\u002B";
    else
      escaped += c;
  }
  auto o = scan("{\"results\":[{\"data\":\"" + escaped + "\"}]}", 1);
  REQUIRE(o.ok);
  CHECK(o.c.data[0] == "\xFB\xEF\xBE\xFF");
}

TEST_CASE("scanner delivers only wanted results") {
  collector c;
  c.want_only = 1;
  envelope_scanner s(c);
  std::string t = "{\"results\":[{\"data\":\"" + base64_encode("one") + "\"},{\"data\":\"" +
                  base64_encode("two") + "\"}]}";
  REQUIRE(s.feed(t.data(), t.size()));
  REQUIRE(s.finish());
  CHECK(c.data[0].empty());
  CHECK(c.data[1] == "two");
}

namespace {
// A bad answer and the message of the one error it must give.
struct bad_answer {
  const char *text;
  std::string message;
};

// Each answer, fed in chunks of @p step, fails with @p code and its message.
void check_rejected(const std::vector<bad_answer> &cases, scan_errc code, std::size_t step) {
  for (const auto &c : cases) {
    const std::string text = c.text;
    CAPTURE(text);
    auto o = scan(text, step);
    CHECK_FALSE(o.ok);
    CHECK(o.code == code);
    CHECK(o.message == c.message);
  }
}
} // namespace

TEST_CASE("scanner rejects what is not JSON: one syntax error, with what went wrong") {
  const std::vector<bad_answer> cases = {
      {"", "the answer is empty"},
      {"   ", "the answer is empty"},
      {"{", "the answer ends early"},
      {"{\"a\"", "the answer ends early"},
      {"{\"results\":[{\"data\":\"Zm9v\"}", "the answer ends early"},
      {"{\"a\":}", "member \"a\" is not valid JSON"},
      {"{\"a\":tru}", "member \"a\" is not valid JSON"},
      {"{\"a\":[1,2}", "member \"a\" is not valid JSON"},
      {"{\"a\":01}", "member \"a\" is not valid JSON"},
      {"{\"a\":1,}", "expected a member name"},
      {"{'a':1}", "expected a member name"},
      {"{\"a\":1} x", "text after the answer's object"},
      {"{\"results\":nul}", "invalid literal"},
      {"{\"results\":[{\"data\":\"Zm9v\\q\"}]}", "invalid escape in a string"},
      {"{\"results\":[{\"data\":\"Zm9v\"},]}", "expected a result object"},
  };
  check_rejected(cases, scan_errc::syntax, 1);
}

TEST_CASE("scanner rejects JSON of the wrong shape, naming what is wrong") {
  const std::vector<bad_answer> cases = {
      // Valid JSON, but not an object: a shape error (docs/TESTING.md, fuzzing).
      {"[]", "the answer is not a JSON object"},
      {"\"x\"", "the answer is not a JSON object"},
      {"5", "the answer is not a JSON object"},
      {"{\"results\":{}}", "results is not a list"},
      {"{\"results\":\"x\"}", "results is not a list"},
      {"{\"results\":[1]}", "results[0] is not an object"},
      {"{\"results\":[{\"type\":\"Csv\"}]}", "results[0] has no data"},
      {"{\"results\":[{\"data\":null}]}", "results[0].data is null"},
      {"{\"results\":[{\"data\":5}]}", "results[0].data is not a string"},
      {"{\"results\":[{\"data\":\"\",\"type\":3}]}", "results[0].type is not a string"},
      {"{\"taskStatus\":\"a\",\"TaskStatus\":\"b\"}", "duplicate member \"TaskStatus\""},
      {"{\"results\":[{\"data\":\"\",\"data\":\"\"}]}", "duplicate member \"data\""},
      {"{\"results\":null,\"results\":null}", "duplicate member \"results\""},
  };
  check_rejected(cases, scan_errc::shape, 2);
}

TEST_CASE("scanner reports bad base64 with its offset in the answer") {
  const std::string head = "{\"results\":[{\"data\":\"";
  for (std::size_t step : {1u, 4u, 100u}) {
    auto o = scan(head + "Zm9v!m9v\"}]}", step);
    CHECK_FALSE(o.ok);
    CHECK(o.code == scan_errc::base64);
    CHECK(o.offset == head.size() + 4);
    o = scan(head + "Zm9vY\"}]}", step);
    CHECK(o.code == scan_errc::base64);
    o = scan(head + "Zg=A\"}]}", step);
    CHECK(o.code == scan_errc::base64);
  }
}

TEST_CASE("scanner caps captured members") {
  std::string big =
      "{\"error\":{\"messages\":[\"" + std::string(envelope_scanner::capture_limit, 'x') + "\"]}}";
  auto o = scan(big, 65536);
  CHECK_FALSE(o.ok);
  CHECK(o.code == scan_errc::too_large);
}

TEST_CASE("scanner reads plain members itself and the rest through nlohmann, alike") {
  // Plain names and values (printable ASCII, no escape) skip nlohmann's
  // parser; escapes, other bytes, numbers and nesting go through it. Either
  // way the fields are what nlohmann makes of the same answer.
  const std::vector<std::string> answers = {
      R"({"id":"s","taskStatus":"Completed","responseStatusCode":"Ok","error":null})",
      R"({"task\u0053tatus":"Compl\u00e9ted","id":"a\"b","e":"tab\tnewline\n"})",
      "{\"name\":\"caf\xC3\xA9\",\"del\":\"a\x7f"
      "b\",\"empty\":\"\",\"sp\":\" \"}",
      R"({"u":5,"i":-5,"f":1.5,"z":0,"t":true,"fl":false,"n":null,"big":18446744073709551615})",
      R"({"o":{"a":[1,"x",null]},"l":[],"s":"/\\/"})",
  };
  for (const auto &a : answers)
    for (std::size_t step : {1u, 3u, 1000u}) {
      CAPTURE(a);
      auto o = scan(a, step);
      REQUIRE(o.ok);
      const json expected = json::parse(a);
      CHECK(o.fields == expected);
      // The same kinds too: nlohmann keeps 5 unsigned and -5 signed.
      for (auto it = expected.begin(); it != expected.end(); ++it)
        CHECK(o.fields.at(it.key()).type() == it.value().type());
    }
}

TEST_CASE("scanner still rejects what only nlohmann's parser catches") {
  // A raw control character or a byte that is not UTF-8 makes a string
  // that is not JSON; the plain path must not let either through.
  const std::vector<bad_answer> cases = {
      {"{\"a\":\"x\ty\"}", "member \"a\" is not valid JSON"},
      {"{\"a\":\"\xff\"}", "member \"a\" is not valid JSON"},
      {"{\"a\":nulll}", "member \"a\" is not valid JSON"},
      {"{\"x\ty\":1}", "invalid member name"},
      {"{\"\xff\":1}", "invalid member name"},
  };
  check_rejected(cases, scan_errc::syntax, 1);
  // A name written with an escape is still the same name.
  const std::vector<bad_answer> dup = {
      {"{\"id\":\"a\",\"\\u0069d\":\"b\"}", "duplicate member \"id\""},
  };
  check_rejected(dup, scan_errc::shape, 2);
}
