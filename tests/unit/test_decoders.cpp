// The shipped decoders (decoders.hpp: table, omr, pdf, bytes, json, as,
// to_file, callback) on the contract's samples and on malformed input, driven
// through the decoder requirements exactly as the client drives them. The
// file machinery behind to_file is in test_file_sink.cpp.
#include "io_check.hpp"
#include "support.hpp"

#include <taskfetch/decoders.hpp>
#include <taskfetch/detail/posix_file.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace taskfetch;
using taskfetch::detail::file_call;
using taskfetch::detail::file_fault;
using ut::names_in;
using ut::slurp;
using ut::temp_dir;
namespace fs = std::filesystem;

namespace {
/// Feeds results (bytes, type) through a decoder in chunks of @p step.
template <class D>
result<typename D::value_type> drive(D &d, std::vector<std::pair<std::string, std::string>> results,
                                     std::size_t step = 3, std::string_view magic = "") {
  fetch_info info;
  info.magic = magic;
  if (auto s = d.begin(info); !s) return s.error();
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (d.want(i)) {
      const auto &b = results[i].first;
      for (std::size_t at = 0; at < b.size(); at += step)
        if (auto s = d.write(i, b.data() + at, std::min(step, b.size() - at)); !s) {
          d.abort();
          return s.error();
        }
    }
    if (auto s = d.end_result(i, results[i].second); !s) {
      d.abort();
      return s.error();
    }
  }
  return d.finish();
}

struct form_answer {
  std::string name;
  bool selected = false;
};
void from_json(const nlohmann::json &j, form_answer &f) {
  j.at("Name").get_to(f.name);
  f.selected = j.at("Value").get<std::string>() == "selected";
}
struct form {
  std::vector<form_answer> elements;
};
void from_json(const nlohmann::json &j, form &f) { j.at("Elements").get_to(f.elements); }
} // namespace

TEST_CASE("table decoder: the seed's CSV, padding kept, quotes and newlines") {
  decoders::table d;
  const std::string csv = "0,1\r\n                      SHOP   ...     THANK yo  I,\r\n,\r\n"
                          "\"a, b\",\"say \"\"hi\"\"\"\n\"two\nlines\",x,extra\n";
  for (std::size_t step : {1u, 2u, 1000u}) {
    auto t = drive(d, {{csv, "Csv"}}, step);
    REQUIRE(t);
    REQUIRE(t->rows.size() == 5);
    CHECK(t->rows[0] == std::vector<std::string>{"0", "1"});
    CHECK(t->rows[1][0] == "                      SHOP   ...     THANK yo  I");
    CHECK(t->rows[1][1].empty());
    CHECK(t->rows[2] == std::vector<std::string>{"", ""});
    CHECK(t->rows[3] == std::vector<std::string>{"a, b", "say \"hi\""});
    CHECK(t->rows[4] == std::vector<std::string>{"two\nlines", "x", "extra"}); // ragged
  }
}

TEST_CASE("table decoder picks the Csv result of CsvAndExcel and rejects bad CSV") {
  decoders::table d;
  auto t = drive(d, {{"PK\x03\x04 excel bytes", "Excel"}, {"a,b\n", "Csv"}});
  REQUIRE(t);
  CHECK(t->rows.at(0) == std::vector<std::string>{"a", "b"});
  auto bad = drive(d, {{"a,\"b\n", "Csv"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == error_kind::decode);
  // error() of a result that holds a value is of kind unknown, so each line
  // also fails if the decoder accepts.
  CHECK(drive(d, {{"a,b\"c\n", "Csv"}}).error().kind() == error_kind::decode);
  CHECK(drive(d, {{"PK", "Excel"}}).error().kind() == error_kind::decode); // no Csv result
  CHECK(drive(d, {}).error().kind() == error_kind::decode);
}

TEST_CASE("omr decoder reads the contract's Csv, Json and Xml") {
  decoders::omr d;
  const std::vector<omr_element> want{{"Animals91", ""}, {"Animals92", "selected"}};
  auto csv = drive(d, {{"Element Name,Value,\nAnimals91,\"\"\nAnimals92,\"selected\"\n", "Csv"}});
  REQUIRE(csv);
  CHECK(*csv == want);
  auto js = drive(
      d,
      {{R"({"Elements":[{"Name":"Animals91","Value":""},{"Name":"Animals92","Value":"selected"}]})",
        "Json"}});
  REQUIRE(js);
  CHECK(*js == want);
  auto xml = drive(d, {{"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<OmrResult><Elements>\n"
                        "  <Element><Name>Animals91</Name><Value></Value></Element>\n"
                        "  <Element><Name>Animals92</Name><Value>selected</Value></Element>\n"
                        "</Elements></OmrResult>",
                        "Xml"}});
  REQUIRE(xml);
  CHECK(*xml == want);
  // The docs' spellings, and no type at all (the content decides).
  auto upper = drive(d, {{R"({"Elements":[{"Name":"A","Value":"x"}]})", "JSON"}});
  REQUIRE(upper);
  CHECK(*upper == std::vector<omr_element>{{"A", "x"}});
  auto sniffed = drive(
      d, {{"<OmrResult><Elements><Element><Name>B</Name><Value/></Element></Elements></OmrResult>",
           ""}});
  REQUIRE(sniffed);
  CHECK(*sniffed == std::vector<omr_element>{{"B", ""}});
}

TEST_CASE("omr decoder rejects malformed results") {
  decoders::omr d;
  CHECK(drive(d, {{"<OmrResult><Elements>", "Xml"}}).error().kind() == error_kind::decode);
  CHECK(drive(d, {{"{\"Elements\":", "Json"}}).error().kind() == error_kind::decode);
  CHECK(drive(d, {{"{\"Elements\":5}", "Json"}}).error().kind() == error_kind::decode);
  auto e = drive(d, {{"Element Name,Value,\n\"open", "Csv"}});
  REQUIRE_FALSE(e);
  CHECK(e.error().kind() == error_kind::decode);
}

TEST_CASE("pdf decoder checks %PDF- as the bytes arrive") {
  decoders::pdf d;
  auto ok = drive(d, {{"%PDF-1.7\n...%%EOF", "Pdf"}}, 1);
  REQUIRE(ok);
  CHECK(ok->substr(0, 5) == "%PDF-");
  auto html = drive(d, {{"<html>error</html>", "Pdf"}}, 2);
  REQUIRE_FALSE(html);
  CHECK(html.error().kind() == error_kind::decode);
  CHECK(html.error().message().find("<h") != std::string::npos);
  CHECK(drive(d, {{"%PD", "Pdf"}}).error().kind() == error_kind::decode);
  CHECK(drive(d, {{"", "Pdf"}}).error().kind() == error_kind::decode);
}

TEST_CASE("bytes decoder: first result, or the named type") {
  decoders::bytes d;
  auto r = drive(d, {{"one", "Text"}, {"two", "Csv"}});
  REQUIRE(r);
  CHECK(*r == "one");
  decoders::bytes csv("csv");
  auto c = drive(csv, {{"one", "Text"}, {"two", "Csv"}});
  REQUIRE(c);
  CHECK(*c == "two");
  decoders::bytes missing("Pdf");
  CHECK(drive(missing, {{"one", "Text"}}).error().kind() == error_kind::decode);
}

TEST_CASE("json<T> calls the user's from_json; as<T> uses result_decoder") {
  decoders::json<form> d;
  auto f = drive(
      d, {{R"({"Elements":[{"Name":"A","Value":"selected"},{"Name":"B","Value":""}]})", "Json"}});
  REQUIRE(f);
  REQUIRE(f->elements.size() == 2);
  CHECK(f->elements[0].selected);
  CHECK_FALSE(f->elements[1].selected);
  auto wrong = drive(d, {{R"({"Elements":[{"Name":1}]})", "Json"}});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().kind() == error_kind::decode);
  decoders::json<> doc;
  auto j = drive(doc, {{"[1,2]", "Json"}});
  REQUIRE(j);
  CHECK(j->size() == 2);
  decoders::as<form> as;
  CHECK(drive(as, {{R"({"Elements":[]})", "Json"}}));
}

TEST_CASE("to_file writes atomically and never leaves or replaces a partial file") {
  temp_dir tmp;
  const fs::path out = tmp.path / "book.pdf";
  { std::ofstream(out) << "old"; }
  decoders::to_file bad(out);
  auto r = drive(bad, {{"%PDF-1.4 but then", "Pdf"}}, 2, "%PDF-");
  REQUIRE(r);
  CHECK(slurp(out) == "%PDF-1.4 but then");
  // A mismatching magic: the old file stays, no temporary is left.
  decoders::to_file wrong(out);
  auto w = drive(wrong, {{"<html>", "Pdf"}}, 2, "%PDF-");
  REQUIRE_FALSE(w);
  CHECK(w.error().kind() == error_kind::decode);
  CHECK(slurp(out) == "%PDF-1.4 but then");
  // An abandoned attempt (as on a dropped connection).
  decoders::to_file cut(tmp.path / "cut.pdf");
  fetch_info info;
  REQUIRE(cut.begin(info));
  REQUIRE(cut.write(0, "%PDF-", 5));
  cut.abort();
  CHECK(names_in(tmp.path) == std::vector<std::string>{"book.pdf"});
  // A directory that does not exist is an io error value, not an exception.
  decoders::to_file nowhere(tmp.path / "no" / "such" / "dir.pdf");
  auto n = drive(nowhere, {{"x", "Pdf"}});
  REQUIRE_FALSE(n);
  CHECK(n.error().kind() == error_kind::io);
}

TEST_CASE("to_file: a full disk is an io error of the fetch, not a malformed answer") {
  temp_dir tmp;
  const fs::path out = tmp.path / "book.pdf";
  decoders::to_file d(out);
  file_fault full(file_call::write, ENOSPC);
  const std::string pdf = "%PDF-1.4 " + std::string(std::size_t{1} << 16, 'x');
  auto r = drive(d, {{pdf, "Pdf"}}, pdf.size(), "%PDF-");
  REQUIRE_FALSE(r);
  check_io(r.error(), out, ENOSPC);
  CHECK(names_in(tmp.path).empty());
}

TEST_CASE("callback decoder streams chunks and restarts on a new attempt") {
  std::string got;
  int restarts = 0;
  decoders::callback d(
      [&](const char *p, std::size_t n) {
        got.append(p, n);
        return true;
      },
      [&] {
        got.clear();
        ++restarts;
      });
  fetch_info info;
  REQUIRE(d.begin(info));
  REQUIRE(d.write(0, "abc", 3));
  d.abort();
  CHECK(restarts == 1);
  auto r = drive(d, {{"hello", "Pdf"}});
  REQUIRE(r);
  CHECK(*r == 5);
  CHECK(got == "hello");
}
