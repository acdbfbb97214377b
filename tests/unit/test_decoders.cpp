// Decoders on the contract's samples and on malformed input, driven through
// the decoder requirements exactly as the client drives them.
#include "io_check.hpp"

#include <taskfetch/decoders.hpp>
#include <taskfetch/detail/file_sink.hpp>
#include <taskfetch/detail/posix_file.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace taskfetch;
using taskfetch::detail::file_sink;
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

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("taskfetch-dec-" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

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
  auto bad2 = drive(d, {{"a,b\"c\n", "Csv"}});
  CHECK_FALSE(bad2);
  auto excel = drive(d, {{"PK", "Excel"}});
  CHECK_FALSE(excel);
  auto none = drive(d, {});
  CHECK_FALSE(none);
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
  auto upper = drive(d, {{R"({"Elements":[]})", "JSON"}});
  CHECK(upper);
  auto sniffed = drive(d, {{"<OmrResult><Elements/></OmrResult>", ""}});
  CHECK(sniffed);
}

TEST_CASE("omr decoder rejects malformed results") {
  decoders::omr d;
  CHECK_FALSE(drive(d, {{"<OmrResult><Elements>", "Xml"}}));
  CHECK_FALSE(drive(d, {{"{\"Elements\":", "Json"}}));
  CHECK_FALSE(drive(d, {{"{\"Elements\":5}", "Json"}}));
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
  CHECK_FALSE(drive(d, {{"%PD", "Pdf"}}));
  CHECK_FALSE(drive(d, {{"", "Pdf"}}));
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
  CHECK_FALSE(drive(missing, {{"one", "Text"}}));
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
  CHECK(slurp(out) == "%PDF-1.4 but then");
  // An abandoned attempt (as on a dropped connection).
  decoders::to_file cut(tmp.path / "cut.pdf");
  fetch_info info;
  REQUIRE(cut.begin(info));
  REQUIRE(cut.write(0, "%PDF-", 5));
  cut.abort();
  CHECK_FALSE(fs::exists(tmp.path / "cut.pdf"));
  std::size_t files = 0;
  for (auto &e : fs::directory_iterator(tmp.path)) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);
  // A directory that does not exist is an io error value, not an exception.
  decoders::to_file nowhere(tmp.path / "no" / "such" / "dir.pdf");
  auto n = drive(nowhere, {{"x", "Pdf"}});
  REQUIRE_FALSE(n);
  CHECK(n.error().kind() == error_kind::io);
}

TEST_CASE("file_sink keeps every byte in order across buffered, direct and writeback paths") {
  temp_dir tmp;
  // 20 MiB in chunks of sizes around the buffer, direct-write and writeback
  // thresholds, so small writes follow large ones and the other way round.
  std::string data(std::size_t{20} << 20, '\0');
  std::uint32_t x = 12345;
  for (auto &c : data) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  const std::size_t sizes[] = {1,
                               100,
                               file_sink::direct_write_min - 1,
                               file_sink::direct_write_min,
                               file_sink::direct_write_min + 1,
                               7,
                               file_sink::default_buffer_size,
                               file_sink::default_buffer_size + 3,
                               3 << 20};
  for (durability d : {durability::synced, durability::unsynced}) {
    for (std::size_t capacity : {file_sink::default_buffer_size, std::size_t{0}}) {
      const fs::path out = tmp.path / "big.bin";
      fs::remove(out);
      file_sink sink(capacity);
      sink.set_durability(d);
      REQUIRE(sink.open(out));
      std::size_t at = 0;
      for (std::size_t k = 0; at < data.size(); ++k) {
        const std::size_t n = std::min(sizes[k % std::size(sizes)], data.size() - at);
        REQUIRE(sink.write(data.data() + at, n));
        at += n;
      }
      CHECK_FALSE(fs::exists(out)); // nothing visible before commit
      auto r = sink.commit();
      REQUIRE(r);
      CHECK(r->size == data.size());
      CHECK(slurp(out) == data);
    }
  }
}

namespace {
// Names in a folder, sorted.
std::vector<std::string> names_in(const fs::path &dir) {
  std::vector<std::string> v;
  for (auto &e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}
} // namespace

TEST_CASE("file_sink: a new file appears only at commit, an existing one keeps its mode") {
  temp_dir tmp;
  const fs::path out = tmp.path / "new.csv";
  file_sink sink;
  REQUIRE(sink.open(out));
  REQUIRE(sink.write("a,b\r\n", 5));
  // Unnamed while written (where the system allows), else one hidden temporary.
  if (sink.temp_path().empty())
    CHECK(names_in(tmp.path).empty());
  else
    CHECK(names_in(tmp.path) == std::vector<std::string>{sink.temp_path().filename().string()});
  REQUIRE(sink.commit());
  CHECK(names_in(tmp.path) == std::vector<std::string>{"new.csv"});
  CHECK(slurp(out) == "a,b\r\n");

  // Replacing keeps the old file's permissions and leaves nothing else.
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write);
  REQUIRE(sink.open(out));
  REQUIRE(sink.write("new", 3));
  REQUIRE(sink.commit());
  CHECK(slurp(out) == "new");
  CHECK((fs::status(out).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(names_in(tmp.path) == std::vector<std::string>{"new.csv"});

  // Discarded: nothing left, the existing file untouched.
  REQUIRE(sink.open(tmp.path / "gone.csv"));
  REQUIRE(sink.write("x", 1));
  sink.discard();
  CHECK(names_in(tmp.path) == std::vector<std::string>{"new.csv"});
}

TEST_CASE("file_sink: a target that appears while writing is replaced whole, a directory refused") {
  temp_dir tmp;
  const fs::path out = tmp.path / "late.csv";
  file_sink sink;
  REQUIRE(sink.open(out));
  REQUIRE(sink.write("ours", 4));
  { std::ofstream(out) << "theirs"; } // created by someone else meanwhile
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto r = sink.commit();
  REQUIRE(r);
  CHECK(slurp(out) == "ours");
  CHECK((fs::status(out).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  CHECK(names_in(tmp.path) == std::vector<std::string>{"late.csv"});

  const fs::path dir_later = tmp.path / "dir.csv";
  REQUIRE(sink.open(dir_later));
  REQUIRE(sink.write("ours", 4));
  fs::create_directory(dir_later);
  auto d = sink.commit();
  REQUIRE_FALSE(d);
  CHECK(d.error().kind() == error_kind::io);
  CHECK(d.error().message() == "cannot write " + dir_later.string() + ": Is a directory");
  CHECK(fs::is_directory(dir_later));
  CHECK(names_in(tmp.path) == std::vector<std::string>{"dir.csv", "late.csv"});
}

using detail::file_call;
using detail::file_fault;

TEST_CASE("file_sink: local failures are io errors naming the path, and leave nothing behind") {
  temp_dir tmp;
  const fs::path out = tmp.path / "book.pdf";
  file_sink sink;

  SUBCASE("missing folder") {
    const fs::path lost = tmp.path / "no" / "such" / "book.pdf";
    auto r = sink.open(lost);
    REQUIRE_FALSE(r);
    check_io(r.error(), lost, ENOENT);
    CHECK(r.error().message() == "cannot create " + lost.string() + ": No such file or directory");
  }
  SUBCASE("permission refused (injected: root passes any chmod)") {
    file_fault refuse(file_call::open, EACCES);
    auto r = sink.open(out);
    REQUIRE_FALSE(r);
    check_io(r.error(), out, EACCES);
    CHECK(r.error().message() == "cannot create " + out.string() + ": Permission denied");
    CHECK(refuse.failures() >= 1);
  }
  SUBCASE("a directory in the way") {
    fs::create_directory(out);
    auto r = sink.open(out);
    REQUIRE_FALSE(r);
    check_io(r.error(), out, EISDIR);
  }
  SUBCASE("disk full on a large write") {
    REQUIRE(sink.open(out));
    file_fault full(file_call::write, ENOSPC);
    const std::string big(file_sink::direct_write_min, 'x');
    auto r = sink.write(big.data(), big.size());
    REQUIRE_FALSE(r);
    check_io(r.error(), out, ENOSPC);
    CHECK(r.error().message() == "cannot write " + out.string() + ": No space left on device");
    sink.discard();
  }
  SUBCASE("disk full found when the buffer is flushed at commit") {
    { std::ofstream(out) << "old"; }
    REQUIRE(sink.open(out));
    REQUIRE(sink.write("abc", 3)); // buffered: the disk is not asked yet
    file_fault full(file_call::write, ENOSPC);
    auto r = sink.commit();
    REQUIRE_FALSE(r);
    check_io(r.error(), out, ENOSPC);
    CHECK(slurp(out) == "old"); // the existing file is kept
    CHECK(names_in(tmp.path) == std::vector<std::string>{"book.pdf"});
    CHECK_FALSE(sink.is_open());
  }
  SUBCASE("fsync and rename failures at commit") {
    { std::ofstream(out) << "old"; }
    REQUIRE(sink.open(out));
    REQUIRE(sink.write("new", 3));
    {
      file_fault broken(file_call::sync, EIO);
      auto r = sink.commit();
      REQUIRE_FALSE(r);
      check_io(r.error(), out, EIO);
      CHECK(r.error().message() == "cannot sync " + out.string() + ": Input/output error");
    }
    REQUIRE(sink.open(out)); // an existing target: a named temporary, renamed over it
    REQUIRE(sink.write("new", 3));
    file_fault cross(file_call::rename, EXDEV);
    auto r = sink.commit();
    REQUIRE_FALSE(r);
    check_io(r.error(), out, EXDEV);
    CHECK(r.error().message().rfind("cannot rename over " + out.string(), 0) == 0);
    CHECK(slurp(out) == "old");
    CHECK(names_in(tmp.path) == std::vector<std::string>{"book.pdf"});
  }
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
