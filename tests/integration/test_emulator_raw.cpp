// The emulator at the raw HTTP level: plain httplib::Client, no taskfetch
// client, so what the wire carries is checked directly (docs/service.md §3-§11).
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/csv.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/emulator/emulator.hpp>

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <random>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {
using namespace std::chrono_literals;
namespace emulation = taskfetch::emulation;
using emulation::emulator;
using json = nlohmann::json;
using fault = emulation::fault;
using fkind = emulation::fault::kind;

// A clock the test moves by hand.
struct test_clock {
  std::shared_ptr<std::atomic<std::int64_t>> ms = std::make_shared<std::atomic<std::int64_t>>(0);
  emulation::time_point base = std::chrono::system_clock::time_point(std::chrono::hours(470000));
  std::function<emulation::time_point()> fn() const {
    auto m = ms;
    auto b = base;
    return [m, b] { return b + std::chrono::milliseconds(m->load()); };
  }
  void advance(std::chrono::milliseconds d) { *ms += d.count(); }
};

emulation::options manual(const test_clock &c) {
  emulation::options o;
  o.now = c.fn();
  o.keep_alive_timeout = 2s;
  return o;
}

std::unique_ptr<httplib::Client> client_of(const emulator &emu) {
  auto c = std::make_unique<httplib::Client>(emu.base_url());
  c->set_read_timeout(10, 0);
  c->set_keep_alive(true);
  return c;
}

std::string b64(std::string_view s) { return taskfetch::detail::base64_encode(s); }

std::string get_token(httplib::Client &c, const std::string &id = "demo-client",
                      const std::string &secret = "demo-secret") {
  auto r = c.Post("/connect/token",
                  "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret,
                  "application/x-www-form-urlencoded");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body).at("access_token").get<std::string>();
}

httplib::Headers bearer(const std::string &tok) { return {{"Authorization", "Bearer " + tok}}; }

std::string submit(httplib::Client &c, const std::string &tok, const std::string &path,
                   const json &body) {
  auto r = c.Post(path.c_str(), bearer(tok), body.dump(), "application/json");
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  CHECK(r->get_header_value("Content-Type").find("text/plain") == 0);
  return r->body;
}

json fetch(httplib::Client &c, const std::string &tok, const std::string &path,
           const std::string &id) {
  auto r = c.Get((path + "?id=" + id).c_str(), bearer(tok));
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  return json::parse(r->body);
}

std::string decoded(const json &answer, std::size_t i = 0) {
  auto d =
      taskfetch::detail::base64_decode(answer.at("results").at(i).at("data").get<std::string>());
  REQUIRE(d);
  return *d;
}

const char *table_path = "/v5.0/ocr/RecognizeTable";
const char *omr_submit = "/v5.0/omr/RecognizeTemplate/PostRecognizeTemplate";
const char *omr_fetch = "/v5.0/omr/RecognizeTemplate/GetRecognizeTemplate";
const char *djvu_path = "/v5.0/ocr/djvu2pdf";

json omr_body(const std::string &fmt) {
  return {{"images", {b64("form image bytes")}},
          {"omrFile", b64("pattern")},
          {"outputFormat", fmt},
          {"recognitionThreshold", 35}};
}

std::string fake_djvu(std::size_t n) {
  std::string d = "AT&TFORM";
  d += std::string("\0\0\x01\x00", 4) + "DJVUINFO" + std::string("\0\0\0\x0a", 4);
  d += std::string("\x09\xf6\x0c\xe4\x18\x00\x2c\x01\x16\x01", 10); // 2550 x 3300 at 300 dpi
  while (d.size() < n) d.push_back(static_cast<char>('a' + d.size() % 26));
  return d;
}

bool have_pdfinfo() { return std::system("command -v pdfinfo >/dev/null 2>&1") == 0; }

// A POST written by hand, so no Accept header is sent at all (httplib
// adds "Accept: */*"); answers the raw response text.
std::string raw_post(int port, const std::string &path, const std::string &tok,
                     const std::string &body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  const std::string req =
      "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + tok +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

// An emulator on a manual clock, started, with a client and a token.
struct running {
  test_clock clk;
  emulator emu;
  std::unique_ptr<httplib::Client> c;
  std::string tok;
  explicit running(const std::function<void(emulation::options &)> &tweak = {})
      : emu([&] {
          auto o = manual(clk);
          if (tweak) tweak(o);
          return o;
        }()) {
    REQUIRE(emu.start());
    c = client_of(emu);
    tok = get_token(*c);
  }
};

// The three submit paths with a body each accepts.
struct submit_case {
  const char *path, *fetch_path;
  json body;
};
std::vector<submit_case> every_submit() {
  return {{table_path, table_path, json{{"image", b64("table")}}},
          {djvu_path, djvu_path, json{{"image", b64(fake_djvu(64))}}},
          {omr_submit, omr_fetch, omr_body("Csv")}};
}
} // namespace

TEST_SUITE("emulator raw") {

  TEST_CASE("token in three auth styles; wrong credentials; expiry on the injected clock") {
    test_clock clk;
    auto o = manual(clk);
    o.token_lifetime = 60s;
    emulator emu(o);
    REQUIRE(emu.start());
    auto c = client_of(emu);

    // 1. urlencoded, with values that need encoding.
    {
      auto r =
          c->Post("/connect/token",
                  "grant_type=client_credentials&client_id=demo%2Dclient&client_secret=demo-secret",
                  "application/x-www-form-urlencoded");
      REQUIRE(r);
      CHECK(r->status == 200);
      auto j = json::parse(r->body);
      CHECK(j.at("token_type") == "Bearer");
      CHECK(j.at("expires_in") == 60);
      CHECK_FALSE(j.at("access_token").get<std::string>().empty());
    }
    // 2. multipart/form-data.
    {
      httplib::MultipartFormDataItems items{{"grant_type", "client_credentials", "", ""},
                                            {"client_id", "demo-client", "", ""},
                                            {"client_secret", "demo-secret", "", ""}};
      auto r = c->Post("/connect/token", items);
      REQUIRE(r);
      CHECK(r->status == 200);
    }
    // 3. HTTP Basic client authentication.
    {
      httplib::Headers h{{"Authorization", "Basic " + b64("demo-client:demo-secret")}};
      auto r = c->Post("/connect/token", h, "grant_type=client_credentials",
                       "application/x-www-form-urlencoded");
      REQUIRE(r);
      CHECK(r->status == 200);
      h = {{"Authorization", "Basic " + b64("demo-client:nope")}};
      r = c->Post("/connect/token", h, "grant_type=client_credentials",
                  "application/x-www-form-urlencoded");
      REQUIRE(r);
      CHECK(r->status == 400);
    }
    // Wrong credentials and grant.
    {
      auto r = c->Post("/connect/token",
                       "grant_type=client_credentials&client_id=demo-client&client_secret=x",
                       "application/x-www-form-urlencoded");
      REQUIRE(r);
      CHECK(r->status == 400);
      CHECK(json::parse(r->body).at("error") == "invalid_client");
      r = c->Post("/connect/token",
                  "grant_type=password&client_id=demo-client&client_secret=demo-secret",
                  "application/x-www-form-urlencoded");
      REQUIRE(r);
      CHECK(r->status == 400);
    }
    // A token works until its lifetime passes on the emulator's clock.
    const std::string tok = get_token(*c);
    auto r = c->Get("/v5.0/ocr/RecognizeTable?id=nothing", bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 200);
    clk.advance(59s);
    r = c->Get("/v5.0/ocr/RecognizeTable?id=nothing", bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 200);
    clk.advance(1s);
    r = c->Get("/v5.0/ocr/RecognizeTable?id=nothing", bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 401);
    auto pd = json::parse(r->body);
    for (const char *k : {"type", "title", "status", "detail", "instance"}) CHECK(pd.contains(k));
    CHECK(pd.at("status") == 401);
    // No token, or a malformed header.
    r = c->Get("/v5.0/ocr/RecognizeTable?id=nothing");
    REQUIRE(r);
    CHECK(r->status == 401);
    r = c->Get("/v5.0/ocr/RecognizeTable?id=nothing", {{"Authorization", "Bearer"}});
    REQUIRE(r);
    CHECK(r->status == 401);
  }

  TEST_CASE("table lifecycle on the injected clock: Pending, Processing, Completed, NotExist") {
    test_clock clk;
    auto o = manual(clk);
    o.pending_for = 300ms;
    o.processing_for = 700ms;
    emulator emu(o);
    REQUIRE(emu.start());
    auto c = client_of(emu);
    const auto tok = get_token(*c);
    json body{
        {"image", b64("a table image")},
        {"settings", {{"language", "English"}, {"resultTypeTable", "Csv"}, {"regions", nullptr}}}};
    const auto id = submit(*c, tok, table_path, body);
    CHECK(id.size() == 36);
    CHECK(id[8] == '-');

    auto a = fetch(*c, tok, table_path, id);
    CHECK(a.at("id") == id);
    CHECK(a.at("taskStatus") == "Pending");
    CHECK(a.at("results").is_null());
    CHECK(a.at("error").is_null());
    CHECK(a.contains("responseStatusCode"));
    clk.advance(300ms);
    CHECK(fetch(*c, tok, table_path, id).at("taskStatus") == "Processing");
    auto st = fetch(*c, tok, "/v5.0/ocr/Utilities/GetTaskStatus", id);
    CHECK(st.at("taskStatus") == "Processing");
    clk.advance(700ms);
    a = fetch(*c, tok, table_path, id);
    CHECK(a.at("taskStatus") == "Completed");
    CHECK(a.at("responseStatusCode") == "Ok");
    CHECK(a.at("error").is_null());
    REQUIRE(a.at("results").size() == 1);
    CHECK(a.at("results")[0].at("type") == "Csv");
    const std::string csv = decoded(a);
    auto rows = taskfetch::detail::parse_csv(csv);
    REQUIRE(rows);
    CHECK(rows->at(0) == std::vector<std::string>{"0", "1", "2"});
    CHECK(csv.find("\"  Milk, whole") != std::string::npos);  // quoted for a comma
    CHECK(csv.find("\"\"fresh\"\"") != std::string::npos);    // doubled quotes
    CHECK(rows->at(4).at(0).find('\n') != std::string::npos); // newline inside a cell
    // Deterministic: the same input gives the same table.
    const auto id2 = submit(*c, tok, table_path, body);
    clk.advance(1s);
    CHECK(decoded(fetch(*c, tok, table_path, id2)) == csv);
    // The status-only endpoint never carries results.
    st = fetch(*c, tok, "/v5.0/ocr/Utilities/GetTaskStatus", id);
    CHECK(st.at("taskStatus") == "Completed");
    CHECK(st.at("results").is_null());

    // Retention: 24 hours after submission the task is gone.
    clk.advance(std::chrono::hours(24) - 1s - 1s);
    const auto tok2 = get_token(*c); // the first one expired long ago
    CHECK(fetch(*c, tok2, table_path, id).at("taskStatus") == "Completed");
    clk.advance(2s);
    a = fetch(*c, tok2, table_path, id);
    CHECK(a.at("taskStatus") == "NotExist");
    CHECK(a.at("results").is_null());
    CHECK(fetch(*c, tok2, table_path, "00000000-0000-0000-0000-000000000000").at("taskStatus") ==
          "NotExist");
  }

  TEST_CASE("result types, bad bodies, wrong paths") {
    test_clock clk;
    auto o = manual(clk);
    o.pending_for = 0ms;
    o.processing_for = 0ms;
    emulator emu(o);
    REQUIRE(emu.start());
    auto c = client_of(emu);
    const auto tok = get_token(*c);
    auto with_type = [&](const char *t) {
      json body{{"image", b64("img")}, {"settings", {{"resultTypeTable", t}}}};
      return fetch(*c, tok, table_path, submit(*c, tok, table_path, body));
    };
    CHECK(with_type("Text").at("results")[0].at("type") == "Text");
    CHECK(with_type("Excel").at("results")[0].at("type") == "Excel");
    auto both = with_type("CsvAndExcel");
    REQUIRE(both.at("results").size() == 2);
    CHECK(both.at("results")[0].at("type") == "Csv");
    CHECK(both.at("results")[1].at("type") == "Excel");

    auto status_of = [&](const std::string &path, const std::string &body) {
      auto r = c->Post(path.c_str(), bearer(tok), body, "application/json");
      REQUIRE(r);
      return r->status;
    };
    CHECK(status_of(table_path, "not json") == 400);
    CHECK(status_of(table_path, "[1,2]") == 400);
    CHECK(status_of(table_path, R"({"settings":{}})") == 400);
    CHECK(status_of(table_path, R"({"image":"@@@"})") == 400);
    CHECK(status_of(table_path, R"({"image":"aGk=","settings":{"resultTypeTable":"Pdf"}})") == 400);
    CHECK(status_of(omr_submit, R"({"images":[],"omrFile":"aGk="})") == 400);
    CHECK(status_of(omr_submit, omr_body("Yaml").dump()) == 400);
    auto no_threshold = omr_body("Csv");
    no_threshold["recognitionThreshold"] = "high";
    CHECK(status_of(omr_submit, no_threshold.dump()) == 400);
    CHECK(emu.submit_counts().at("recognize-table") == 3); // bad bodies are not counted
    CHECK(emu.submit_counts().count("recognize-template") == 0);
    CHECK(status_of("/v5.0/ocr/NoSuchThing", R"({"image":"aGk="})") == 404);
    auto r = c->Get("/nowhere", bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(json::parse(r->body).at("status") == 404);
  }

  TEST_CASE("paths are case-insensitive and the self-hosted form drops /ocr") {
    test_clock clk;
    auto o = manual(clk);
    o.pending_for = 0ms;
    o.processing_for = 0ms;
    emulator emu(o);
    REQUIRE(emu.start());
    auto c = client_of(emu);
    const auto tok = get_token(*c);
    const json djvu{{"image", b64(fake_djvu(200))}};
    const auto id = submit(*c, tok, "/v5.0/ocr/DjVu2PDF", djvu);
    CHECK(fetch(*c, tok, "/V5.0/OCR/djvu2pdf", id).at("taskStatus") == "Completed");
    CHECK(fetch(*c, tok, "/v5.0/ocr/DJVU2PDF/", id).at("taskStatus") == "Completed");
    const auto id2 = submit(*c, tok, "/v5.0/RecognizeTable", json{{"image", b64("x")}});
    CHECK(fetch(*c, tok, "/v5.0/recognizetable", id2).at("taskStatus") == "Completed");
    CHECK(fetch(*c, tok, "/v5.0/ocr/utilities/gettaskstatus", id2).at("taskStatus") == "Completed");
    auto r =
        c->Post("/CONNECT/TOKEN",
                "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
                "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK(r->status == 200);
    // A task asked for on another operation's path does not exist there.
    CHECK(fetch(*c, tok, table_path, id).at("taskStatus") == "NotExist");
    CHECK(emu.submit_counts().at("djvu2pdf") == 1);
    CHECK(emu.submit_counts().at("recognize-table") == 1);
  }

  TEST_CASE("OMR answers: no taskStatus, seed and SDK words, three formats") {
    for (auto style : {emulation::omr_words::seed, emulation::omr_words::sdk}) {
      CAPTURE(static_cast<int>(style));
      const bool sdk = style == emulation::omr_words::sdk;
      test_clock clk;
      auto o = manual(clk);
      o.omr_style = style;
      o.pending_for = 100ms;
      o.processing_for = 100ms;
      emulator emu(o);
      REQUIRE(emu.start());
      auto c = client_of(emu);
      const auto tok = get_token(*c);
      const auto id = submit(*c, tok, omr_submit, omr_body("Csv"));
      auto a = fetch(*c, tok, omr_fetch, id);
      CHECK_FALSE(a.contains("taskStatus"));
      CHECK(a.at("responseStatusCode") == (sdk ? "NotReady" : "Processing"));
      CHECK(a.at("results").is_null());
      clk.advance(100ms);
      CHECK(fetch(*c, tok, omr_fetch, id).at("responseStatusCode") ==
            (sdk ? "NotReady" : "Processing"));
      clk.advance(100ms);
      a = fetch(*c, tok, omr_fetch, id);
      CHECK(a.at("responseStatusCode") == "Ok");
      CHECK(a.at("results")[0].at("type") == "Csv");
      const std::string csv = decoded(a);
      CHECK(csv.rfind("Element Name,Value,\n", 0) == 0);
      CHECK(csv.find("\nAnimals92,\"selected\"\n") != std::string::npos);
      a = fetch(*c, tok, omr_fetch, "11111111-2222-3333-4444-555555555555");
      CHECK(a.at("responseStatusCode") == (sdk ? "TaskNotFound" : "NotFound"));
      CHECK_FALSE(a.contains("taskStatus"));

      // Any case of member names and format words.
      json upper{{"Images", {b64("form")}},
                 {"OmrFile", b64("p")},
                 {"OutputFormat", "JSON"},
                 {"RecognitionThreshold", 35}};
      const auto jid = submit(*c, tok, omr_submit, upper);
      clk.advance(1s);
      a = fetch(*c, tok, omr_fetch, jid);
      CHECK(a.at("results")[0].at("type") == "Json");
      auto doc = json::parse(decoded(a));
      REQUIRE(doc.at("Elements").size() == 3);
      CHECK(doc["Elements"][1] == json{{"Name", "Animals92"}, {"Value", "selected"}});

      const auto xid = submit(*c, tok, omr_submit, omr_body("xml"));
      clk.advance(1s);
      a = fetch(*c, tok, omr_fetch, xid);
      CHECK(a.at("results")[0].at("type") == "Xml");
      const std::string xml = decoded(a);
      CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<OmrResult><Elements>", 0) == 0);
      CHECK(xml.find("<Element><Name>Animals92</Name><Value>selected</Value></Element>") !=
            std::string::npos);

      // Failure: an empty pattern ends in Error with a message.
      json bad = omr_body("Csv");
      bad["omrFile"] = "";
      const auto eid = submit(*c, tok, omr_submit, bad);
      clk.advance(1s);
      a = fetch(*c, tok, omr_fetch, eid);
      CHECK(a.at("responseStatusCode") == "Error");
      CHECK_FALSE(a.at("error").at("messages").empty());

      // The status-only endpoint does carry taskStatus for an OMR task.
      CHECK(fetch(*c, tok, "/v5.0/ocr/Utilities/GetTaskStatus", id).at("taskStatus") ==
            "Completed");

      // Cancel uses its own path.
      auto r =
          c->Delete((std::string("/v5.0/omr/RecognizeTemplate?id=") + id).c_str(), bearer(tok));
      REQUIRE(r);
      CHECK(r->status == 200);
      CHECK(fetch(*c, tok, omr_fetch, id).at("responseStatusCode") ==
            (sdk ? "TaskNotFound" : "NotFound"));
    }
  }

  TEST_CASE("cancel: the task is gone, a second cancel is 404") {
    test_clock clk;
    emulator emu(manual(clk));
    REQUIRE(emu.start());
    auto c = client_of(emu);
    const auto tok = get_token(*c);
    const auto id = submit(*c, tok, table_path, json{{"image", b64("x")}});
    auto r = c->Delete((std::string(table_path) + "?id=" + id).c_str(), bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(fetch(*c, tok, table_path, id).at("taskStatus") == "NotExist");
    r = c->Delete((std::string(table_path) + "?id=" + id).c_str(), bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 404);
    r = c->Delete((std::string(table_path) + "?id=" + id).c_str());
    REQUIRE(r);
    CHECK(r->status == 401);
  }

  TEST_CASE("preloaded tasks: schedules by time and by polls, errors, many at once") {
    test_clock clk;
    emulator emu(manual(clk));
    REQUIRE(emu.start());
    auto c = client_of(emu);
    const auto tok = emu.issue_token();

    emulation::task_spec polls;
    polls.outcome = emulation::processed::completed("Csv", "0\r\nx\r\n");
    polls.pending_polls = 2;
    polls.processing_polls = 1;
    const auto pid = emu.add_task("recognize-table", polls);
    CHECK(fetch(*c, tok, table_path, pid).at("taskStatus") == "Pending");
    CHECK(fetch(*c, tok, table_path, pid).at("taskStatus") == "Pending");
    CHECK(fetch(*c, tok, table_path, pid).at("taskStatus") == "Processing");
    auto a = fetch(*c, tok, table_path, pid);
    CHECK(a.at("taskStatus") == "Completed");
    CHECK(decoded(a) == "0\r\nx\r\n");

    emulation::task_spec timed;
    timed.pending_for = 5s;
    timed.id = "fixed-id";
    CHECK(emu.add_task("djvu2pdf", timed) == "fixed-id");
    CHECK(fetch(*c, tok, djvu_path, "fixed-id").at("taskStatus") == "Pending");
    clk.advance(5s);
    CHECK(fetch(*c, tok, djvu_path, "fixed-id").at("taskStatus") == "Completed");

    emulation::task_spec failing;
    failing.outcome = emulation::processed::failed({"page 3 is blank"});
    failing.outcome.warnings = {"low contrast"};
    a = fetch(*c, tok, djvu_path, emu.add_task("djvu2pdf", failing));
    CHECK(a.at("taskStatus") == "Error");
    CHECK(a.at("responseStatusCode") == "Error");
    CHECK(a.at("results").is_null());
    CHECK(a.at("error").at("messages") == json{"page 3 is blank"});
    CHECK(a.at("error").at("warnings") == json{"low contrast"});

    const auto before = emu.task_count();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> ids;
    for (int i = 0; i < 2000; ++i) ids.push_back(emu.add_task("recognize-table", {}));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(emu.task_count() == before + 2000);
    CHECK(fetch(*c, tok, table_path, ids[1999]).at("taskStatus") == "Completed");
    CHECK(emu.submit_counts().empty()); // preloads are not submissions
  }

  TEST_CASE("djvu2pdf makes a real PDF; a non-DjVu input ends in Error") {
    test_clock clk;
    auto o = manual(clk);
    o.pending_for = 0ms;
    o.processing_for = 0ms;
    emulator emu(o);
    REQUIRE(emu.start());
    auto c = client_of(emu);
    const auto tok = get_token(*c);
    const std::string djvu = fake_djvu(5000);
    auto a = fetch(*c, tok, djvu_path, submit(*c, tok, djvu_path, json{{"image", b64(djvu)}}));
    CHECK(a.at("taskStatus") == "Completed");
    CHECK(a.at("results")[0].at("type") == "Pdf");
    const std::string pdf = decoded(a);
    CHECK(pdf.rfind("%PDF-1.4", 0) == 0);
    CHECK(pdf.find("%%EOF") != std::string::npos);
    CHECK(pdf.find("/BaseFont /Helvetica") != std::string::npos);
    // startxref points at the xref table.
    const auto sx = pdf.rfind("startxref\n");
    REQUIRE(sx != std::string::npos);
    const auto xref_at = std::stoul(pdf.substr(sx + 10));
    CHECK(pdf.compare(xref_at, 4, "xref") == 0);
    // Each object offset in the xref table points at "N 0 obj".
    {
      std::size_t pos = pdf.find('\n', pdf.find('\n', xref_at) + 1) + 1; // past "0 N" line
      pos += 20;                                                         // past the free entry
      for (int n = 1; pdf.compare(pos, 7, "trailer") != 0; ++n, pos += 20) {
        const auto off = std::stoul(pdf.substr(pos, 10));
        CHECK(pdf.compare(off, std::to_string(n).size() + 6, std::to_string(n) + " 0 obj") == 0);
      }
    }
    if (have_pdfinfo()) {
      const auto path = std::filesystem::temp_directory_path() /
                        ("taskfetch-emu-" + std::to_string(::getpid()) + ".pdf");
      std::ofstream(path, std::ios::binary) << pdf;
      const std::string cmd = "pdfinfo '" + path.string() + "' >/dev/null 2>&1";
      CHECK_MESSAGE(std::system(cmd.c_str()) == 0, "pdfinfo rejects the PDF");
      std::filesystem::remove(path);
    } else {
      MESSAGE("pdfinfo not on PATH: PDF checked structurally only");
    }

    a = fetch(*c, tok, djvu_path, submit(*c, tok, djvu_path, json{{"image", b64("GIF89a...")}}));
    CHECK(a.at("taskStatus") == "Error");
    CHECK(a.at("results").is_null());
    REQUIRE_FALSE(a.at("error").at("messages").empty());
    CHECK(a.at("error").at("messages")[0].get<std::string>().find("DjVu") != std::string::npos);
  }

  TEST_CASE("a large answer is streamed with an exact Content-Length") {
    emulation::options o;
    o.keep_alive_timeout = 2s;
    emulator emu(o);
    REQUIRE(emu.start());
    std::string big(24u << 20, '\0');
    std::mt19937_64 rng(42);
    for (std::size_t i = 0; i + 8 <= big.size(); i += 8) {
      const auto v = rng();
      std::memcpy(&big[i], &v, 8);
    }
    big.resize(big.size() - 1); // not a multiple of 3: padding at the end
    const std::string sha = taskfetch::detail::sha256_hex(big);
    emulation::task_spec spec;
    spec.outcome = emulation::processed::completed("Pdf", std::move(big));
    const auto id = emu.add_task("djvu2pdf", std::move(spec));
    const auto tok = emu.issue_token();

    auto c = client_of(emu);
    std::string length_header;
    std::string body;
    auto r = c->Get((std::string(djvu_path) + "?id=" + id).c_str(), bearer(tok),
                    [&](const httplib::Response &res) {
                      length_header = res.get_header_value("Content-Length");
                      return true;
                    },
                    [&](const char *p, std::size_t n) {
                      body.append(p, n);
                      return true;
                    });
    REQUIRE(r);
    CHECK(r->status == 200);
    REQUIRE_FALSE(length_header.empty());
    CHECK(std::stoull(length_header) == body.size());
    const std::size_t b64_len = ((24u << 20) - 1 + 2) / 3 * 4;
    CHECK(body.size() > b64_len);
    CHECK(body.size() < b64_len + 200);
    auto j = json::parse(body);
    auto bytes = taskfetch::detail::base64_decode(j.at("results")[0].at("data").get<std::string>());
    REQUIRE(bytes);
    CHECK(taskfetch::detail::sha256_hex(*bytes) == sha);
  }

  TEST_CASE("faults at the raw HTTP level") {
    emulation::options o;
    o.pending_for = 0ms;
    o.processing_for = 0ms;
    o.keep_alive_timeout = 2s;
    emulator emu(o);
    REQUIRE(emu.start());
    const auto tok = emu.issue_token();
    emulation::task_spec spec;
    spec.outcome = emulation::processed::completed("Csv", std::string(3000, 'c'));
    const auto id = emu.add_task("recognize-table", spec);
    const std::string url = std::string(table_path) + "?id=" + id;
    auto get = [&] {
      auto c = client_of(emu);
      return c->Get(url.c_str(), bearer(tok));
    };

    SUBCASE("5xx and 429 with Retry-After in seconds and as an HTTP-date") {
      fault f;
      f.status = 503;
      f.retry_after = "2";
      emu.inject(f);
      f.status = 429;
      f.retry_after =
          fault::http_date(std::chrono::system_clock::time_point(std::chrono::seconds(784111777)));
      emu.inject(f);
      auto r = get();
      REQUIRE(r);
      CHECK(r->status == 503);
      CHECK(r->get_header_value("Retry-After") == "2");
      CHECK(json::parse(r->body).at("status") == 503);
      r = get();
      REQUIRE(r);
      CHECK(r->status == 429);
      CHECK(r->get_header_value("Retry-After") == "Sun, 06 Nov 1994 08:49:37 GMT");
      r = get();
      REQUIRE(r);
      CHECK(r->status == 200); // both used up
      auto lg = emu.log();
      REQUIRE(lg.size() >= 3);
      CHECK(lg[lg.size() - 3].fault == "http_status");
      CHECK(lg[lg.size() - 3].status == 503);
      CHECK(lg.back().fault.empty());
    }
    SUBCASE("times: forever, and matching by task and endpoint") {
      fault f;
      f.status = 500;
      f.times = fault::forever;
      f.task_id = "other-task";
      emu.inject(f);
      f.task_id.clear();
      f.endpoint = "djvu2pdf";
      emu.inject(f);
      auto r = get();
      REQUIRE(r);
      CHECK(r->status == 200); // neither matches
      f.endpoint = "recognize-table";
      f.times = 3;
      emu.inject(f);
      for (int i = 0; i < 3; ++i) {
        r = get();
        REQUIRE(r);
        CHECK(r->status == 500);
      }
      r = get();
      REQUIRE(r);
      CHECK(r->status == 200);
      CHECK(emu.armed_faults() == 2);
      emu.clear_faults();
      CHECK(emu.armed_faults() == 0);
    }
    SUBCASE("connection dropped mid-body") {
      fault f;
      f.what = fkind::drop_mid_body;
      f.after_bytes = 100;
      emu.inject(f);
      auto c = client_of(emu);
      std::size_t got = 0;
      auto r = c->Get(url.c_str(), bearer(tok), [&](const char *, std::size_t n) {
        got += n;
        return true;
      });
      CHECK_FALSE(r);
      CHECK(got == 100);
    }
    SUBCASE("drop on submit: the task exists but the answer is lost") {
      fault f;
      f.what = fkind::drop_mid_body;
      f.on = emulation::target::submit;
      f.after_bytes = 1000; // larger than the id: still drops the last byte
      emu.inject(f);
      auto c = client_of(emu);
      auto r =
          c->Post(table_path, bearer(tok), json{{"image", b64("x")}}.dump(), "application/json");
      CHECK_FALSE(r);
      CHECK(emu.submit_counts().at("recognize-table") == 1);
      CHECK(emu.submissions().begin()->second == 1);
    }
    SUBCASE("truncated body: Content-Length larger than what is sent") {
      fault f;
      f.what = fkind::truncate_body;
      f.after_bytes = 10;
      emu.inject(f);
      auto c = client_of(emu);
      std::string length;
      std::size_t got = 0;
      auto r = c->Get(
          url.c_str(), bearer(tok),
          [&](const httplib::Response &res) {
            length = res.get_header_value("Content-Length");
            return true;
          },
          [&](const char *, std::size_t n) {
            got += n;
            return true;
          });
      CHECK_FALSE(r);
      REQUIRE_FALSE(length.empty());
      CHECK(got + 10 == std::stoull(length));
    }
    SUBCASE("stalled body: part, a pause, the rest") {
      fault f;
      f.what = fkind::stall_body;
      f.after_bytes = 50;
      f.stall = 300ms;
      emu.inject(f);
      const auto t0 = std::chrono::steady_clock::now();
      auto r = get();
      REQUIRE(r);
      CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
      CHECK(json::parse(r->body).at("taskStatus") == "Completed");
      // With a client read timeout shorter than the stall, the client gives up.
      f.stall = 3s;
      emu.inject(f);
      auto c = client_of(emu);
      c->set_read_timeout(0, 300000);
      r = c->Get(url.c_str(), bearer(tok));
      CHECK_FALSE(r);
    }
    SUBCASE("malformed JSON, invalid base64, unknown status word, wrong shape") {
      fault f;
      f.what = fkind::malformed_json;
      emu.inject(f);
      auto r = get();
      REQUIRE(r);
      CHECK(r->status == 200);
      CHECK(json::parse(r->body, nullptr, false).is_discarded());
      CHECK(std::stoull(r->get_header_value("Content-Length")) == r->body.size());

      f.what = fkind::invalid_base64;
      emu.inject(f);
      r = get();
      REQUIRE(r);
      auto j = json::parse(r->body);
      CHECK_FALSE(taskfetch::detail::base64_decode(j["results"][0]["data"].get<std::string>()));

      f.what = fkind::unknown_status;
      emu.inject(f);
      r = get();
      REQUIRE(r);
      j = json::parse(r->body);
      CHECK(j.at("taskStatus") == "Frobnicating");
      CHECK(j.at("responseStatusCode") == "Frobnicating");

      f.what = fkind::wrong_shape;
      emu.inject(f);
      r = get();
      REQUIRE(r);
      CHECK(json::parse(r->body).at("results").is_object());
    }
    SUBCASE("revoked token: 401 even with a valid token, until a new one") {
      fault f;
      f.what = fkind::revoke_token;
      emu.inject(f);
      auto r = get();
      REQUIRE(r);
      CHECK(r->status == 401);
      r = get();
      REQUIRE(r);
      CHECK(r->status == 401); // the old token stays revoked
      auto c = client_of(emu);
      const auto fresh = get_token(*c);
      r = c->Get(url.c_str(), bearer(fresh));
      REQUIRE(r);
      CHECK(r->status == 200);
      emu.revoke_tokens();
      r = c->Get(url.c_str(), bearer(fresh));
      REQUIRE(r);
      CHECK(r->status == 401);
    }
    SUBCASE("slow token endpoint") {
      fault f;
      f.what = fkind::delay;
      f.on = emulation::target::token;
      f.stall = 300ms;
      emu.inject(f);
      auto c = client_of(emu);
      const auto t0 = std::chrono::steady_clock::now();
      get_token(*c);
      CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
      const auto t1 = std::chrono::steady_clock::now();
      get_token(*c);
      CHECK(std::chrono::steady_clock::now() - t1 < 300ms);
      CHECK(emu.log().back().kind == "token");
    }
  }

  TEST_CASE("request log and duplicate-submission counters") {
    test_clock clk;
    auto o = manual(clk);
    emulator emu(o);
    REQUIRE(emu.start());
    auto c = client_of(emu);
    const auto tok = get_token(*c);
    const json body{{"image", b64("same input")}};
    const auto id1 = submit(*c, tok, table_path, body);
    clk.advance(5s);
    const auto id2 = submit(*c, tok, table_path, body);
    submit(*c, tok, table_path, json{{"image", b64("other input")}});
    fetch(*c, tok, table_path, id1);
    CHECK(id1 != id2);
    const auto subs = emu.submissions();
    CHECK(subs.size() == 2);
    CHECK(subs.at(taskfetch::detail::sha256_hex(body.dump())) == 2);
    CHECK(emu.submit_counts().at("recognize-table") == 3);
    const auto lg = emu.log();
    REQUIRE(lg.size() == 5);
    CHECK(lg[0].kind == "token");
    CHECK(lg[1].kind == "submit");
    CHECK(lg[1].method == "POST");
    CHECK(lg[1].endpoint == "recognize-table");
    CHECK(lg[1].task_id == id1);
    CHECK(lg[1].status == 200);
    CHECK(lg[1].body_sha256 == taskfetch::detail::sha256_hex(body.dump()));
    CHECK(lg[2].time - lg[1].time == std::chrono::seconds(5));
    CHECK(lg[4].kind == "fetch");
    CHECK(lg[4].method == "GET");
    CHECK(lg[4].task_id == id1);
    CHECK(emu.requests() == 5);
    emu.clear_log();
    CHECK(emu.log().empty());
  }

  TEST_CASE("stop() is quick with a stalled body and idle keep-alive connections") {
    emulation::options o;
    o.keep_alive_timeout = 30s;
    emulator emu(o);
    REQUIRE(emu.start());
    const auto tok = emu.issue_token();
    const auto id = emu.add_task("recognize-table", {});
    const std::string url = std::string(table_path) + "?id=" + id;
    // An idle keep-alive connection.
    auto idle = client_of(emu);
    auto r = idle->Get(url.c_str(), bearer(tok));
    REQUIRE(r);
    // A stalled answer in flight.
    fault f;
    f.what = fkind::stall_body;
    f.after_bytes = 10;
    f.stall = 60s;
    emu.inject(f);
    std::atomic<bool> done{false};
    std::thread t([&] {
      auto c = client_of(emu);
      c->set_read_timeout(60, 0);
      auto rr = c->Get(url.c_str(), bearer(tok));
      CHECK_FALSE(rr);
      done = true;
    });
    while (emu.armed_faults() != 0) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(50ms);
    const auto t0 = std::chrono::steady_clock::now();
    emu.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    t.join();
    CHECK(done);
    // A stopped emulator starts again on a (new) free port.
    REQUIRE(emu.start());
    auto c = client_of(emu);
    r = c->Get(url.c_str(), bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 200);
  }

  TEST_CASE("start() fails when the port is taken") {
    emulator a;
    REQUIRE(a.start());
    emulation::options o;
    o.port = a.port();
    emulator b(o);
    auto st = b.start();
    CHECK_FALSE(st);
    CHECK(a.base_url() == "http://127.0.0.1:" + std::to_string(a.port()));
  }

  TEST_CASE("submit answers a JSON string when Accept prefers JSON, the bare id otherwise") {
    running run;
    auto &emu = run.emu;
    auto &c = run.c;
    const auto &tok = run.tok;
    struct {
      const char *accept, *type;
    } cases[] = {
        {"text/plain", "text/plain"},
        {"application/json", "application/json"}, // the OMR Python SDK
        {"text/json", "text/json"},
        {"*/*", "text/plain"},
        {"", "text/plain"},
        {"Application/JSON; charset=utf-8", "application/json"},
        {"application/json, text/plain;q=0.5", "application/json"},
        {"text/plain;q=0.4, text/json;q=0.8", "text/json"},
        {"application/json, */*;q=0.1", "application/json"},
        {"application/json, */*", "application/json"},  // named beats a wildcard
        {"text/plain, application/json", "text/plain"}, // a tie keeps text/plain
        {"text/plain, application/json, text/json", "text/plain"},
        {"application/json;q=0, */*", "text/plain"},
        {"text/*", "text/plain"},
        {"image/png", "text/plain"}, // nothing acceptable: the plain id anyway
    };
    for (const auto &sc : every_submit()) {
      for (const auto &k : cases) {
        CAPTURE(sc.path);
        CAPTURE(k.accept);
        auto h = bearer(tok);
        h.emplace("Accept", k.accept);
        auto r = c->Post(sc.path, h, sc.body.dump(), "application/json");
        REQUIRE(r);
        REQUIRE(r->status == 200);
        CHECK(r->get_header_value("Content-Type") == k.type);
        std::string id = r->body;
        if (std::string(k.type) != "text/plain") {
          auto j = json::parse(r->body, nullptr, false);
          REQUIRE(j.is_string());
          id = j.get<std::string>();
        }
        CHECK(id.size() == 36);
        CHECK(id.find('"') == std::string::npos);
        CHECK(fetch(*c, tok, sc.fetch_path, id).at("id") == id);
      }
      // No Accept header at all.
      const std::string raw = raw_post(emu.port(), sc.path, tok, sc.body.dump());
      CHECK(raw.find("Content-Type: text/plain\r\n") != std::string::npos);
      const std::string id = raw.substr(raw.find("\r\n\r\n") + 4);
      CHECK(id.size() == 36);
      CHECK(fetch(*c, tok, sc.fetch_path, id).at("id") == id);
    }
  }

  TEST_CASE("GetTaskStatus speaks the OCR vocabulary for an OMR task, in either OMR style") {
    for (auto style : {emulation::omr_words::seed, emulation::omr_words::sdk}) {
      CAPTURE(static_cast<int>(style));
      running run([&](emulation::options &o) {
        o.omr_style = style;
        o.pending_for = o.processing_for = 100ms;
      });
      auto &clk = run.clk;
      auto &c = run.c;
      const auto &tok = run.tok;
      const char *status_path = "/v5.0/ocr/Utilities/GetTaskStatus";
      const auto id = submit(*c, tok, omr_submit, omr_body("Csv"));
      const auto ocr_codes = {"Ok", "Error", "TaskNotFound"};
      auto check = [&](const std::string &task, const char *state, const char *code) {
        auto a = fetch(*c, tok, status_path, task);
        CHECK(a.at("taskStatus") == state);
        CHECK(a.at("responseStatusCode") == code);
        CHECK(std::find(ocr_codes.begin(), ocr_codes.end(), a.at("responseStatusCode")) !=
              ocr_codes.end());
      };
      check(id, "Pending", "Ok");
      clk.advance(100ms);
      check(id, "Processing", "Ok");
      clk.advance(100ms);
      check(id, "Completed", "Ok");
      json bad = omr_body("Csv");
      bad["omrFile"] = "";
      const auto eid = submit(*c, tok, omr_submit, bad);
      clk.advance(1s);
      check(eid, "Error", "Error");
      REQUIRE(
          c->Delete((std::string("/v5.0/omr/RecognizeTemplate?id=") + id).c_str(), bearer(tok)));
      check(id, "NotExist", "TaskNotFound");
      check("11111111-2222-3333-4444-555555555555", "NotExist", "TaskNotFound");
    }
  }

  TEST_CASE("OMR cancel on both paths the SDKs use; the log records DELETE as 200") {
    running run;
    auto &emu = run.emu;
    auto &c = run.c;
    const auto &tok = run.tok;
    for (const char *path :
         {"/v5.0/omr/RecognizeTemplate/CancelRecognizeTemplate", "/v5.0/omr/RecognizeTemplate",
          "/v5.0/RecognizeTemplate/cancelrecognizetemplate/"}) {
      CAPTURE(path);
      const auto id = submit(*c, tok, omr_submit, omr_body("Csv"));
      emu.clear_log();
      auto r = c->Delete((std::string(path) + "?id=" + id).c_str(), bearer(tok));
      REQUIRE(r);
      CHECK(r->status == 200);
      auto lg = emu.log();
      REQUIRE(lg.size() == 1);
      CHECK(lg[0].kind == "cancel");
      CHECK(lg[0].endpoint == "recognize-template");
      CHECK(lg[0].status == 200);
      CHECK(fetch(*c, tok, omr_fetch, id).at("responseStatusCode") == "NotFound");
      r = c->Delete((std::string(path) + "?id=" + id).c_str(), bearer(tok));
      REQUIRE(r);
      CHECK(r->status == 404);
      CHECK(emu.log().back().status == 404);
    }
    // A table task is not an OMR task, whichever cancel path names it.
    const auto tid = submit(*c, tok, table_path, json{{"image", b64("t")}});
    auto r = c->Delete(("/v5.0/omr/RecognizeTemplate/CancelRecognizeTemplate?id=" + tid).c_str(),
                       bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 404);
    r = c->Delete((std::string(table_path) + "?id=" + tid).c_str(), bearer(tok));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(emu.log().back().status == 200);
  }

  TEST_CASE("the OCR SDK's resultType and makeContrastCorrection are validated") {
    running run;
    auto &c = run.c;
    const auto &tok = run.tok;
    auto post = [&](const char *path, const json &settings) {
      json body{{"image", b64(fake_djvu(64))}, {"settings", settings}};
      auto r = c->Post(path, bearer(tok), body.dump(), "application/json");
      REQUIRE(r);
      return std::make_pair(r->status, r->body);
    };
    for (const char *path : {table_path, djvu_path}) {
      CAPTURE(path);
      for (const char *t : {"Text", "Pdf", "TextAndPdf", "Hocr", "TextAndHocr", "PdfAndHocr",
                            "TextAndPdfAndHocr", "ImagePNG", "JSON", "hocr", "textandpdf"}) {
        CAPTURE(t);
        CHECK(post(path, json{{"resultType", t}}).first == 200);
      }
      CHECK(post(path, json{{"resultType", nullptr}, {"makeContrastCorrection", nullptr}}).first ==
            200);
      CHECK(post(path, json{{"makeContrastCorrection", true}}).first == 200);
      CHECK(post(path, json{{"MakeContrastCorrection", false}, {"ResultType", "Pdf"}}).first ==
            200);
      for (const json &bad :
           {json{{"resultType", "Docx"}}, json{{"resultType", 1}}, json{{"resultType", "Csv"}},
            json{{"makeContrastCorrection", "yes"}}, json{{"makeContrastCorrection", 1}}}) {
        CAPTURE(bad.dump());
        const auto [st, body] = post(path, bad);
        CHECK(st == 400);
        auto pd = json::parse(body);
        CHECK(pd.at("status") == 400);
        CHECK(pd.at("title") == "Bad Request");
        CHECK(pd.at("detail").get<std::string>().find(bad.begin().key()) != std::string::npos);
      }
    }
  }

  TEST_CASE("32 pooled keep-alive connections are all served at once by default") {
    emulation::options o;
    o.keep_alive_timeout = 30s; // idle connections stay: only enough threads serve them all
    emulator emu(o);
    REQUIRE(emu.start());
    const auto tok = emu.issue_token();
    const auto id = emu.add_task("recognize-table", {});
    const std::string url = std::string(table_path) + "?id=" + id;
    constexpr int n = 32;
    std::atomic<int> first{0}, done{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < n; ++i)
      clients.emplace_back([&] {
        auto c = client_of(emu);
        c->set_read_timeout(5, 0);
        auto r = c->Get(url.c_str(), bearer(tok));
        if (!r || r->status != 200) return;
        ++first;
        // Hold the connection open until every client has had an answer.
        const auto until = std::chrono::steady_clock::now() + 3s;
        while (first.load() < n && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(1ms);
        for (int k = 0; k < 5; ++k) {
          r = c->Get(url.c_str(), bearer(tok));
          if (!r || r->status != 200) return;
        }
        ++done;
      });
    for (auto &t : clients) t.join();
    CHECK(first == n);
    CHECK(done == n);
    CHECK(emu.config().threads >= 2 * n);
  }

  TEST_CASE("max_running: tasks beyond it queue FIFO, Pending until a slot frees") {
    running run([](emulation::options &o) {
      o.max_running = 2;
      o.pending_for = 100ms;
      o.processing_for = 200ms; // a slot is held 300 ms
    });
    auto &clk = run.clk;
    auto &c = run.c;
    const auto &tok = run.tok;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i)
      ids.push_back(submit(*c, tok, table_path, json{{"image", b64("t" + std::to_string(i))}}));
    // The log says when each ends, its wait for a slot included.
    std::vector<long long> ends; // ms after its arrival
    for (const auto &e : run.emu.log())
      if (e.kind == "submit" && e.done)
        ends.push_back(
            std::chrono::duration_cast<std::chrono::milliseconds>(*e.done - e.time).count());
    CHECK(ends == std::vector<long long>{300, 300, 600, 600, 900});
    auto states = [&] {
      std::string s;
      for (const auto &id : ids)
        s += fetch(*c, tok, table_path, id).at("taskStatus").get<std::string>()[2];
      return s; // n: Pending, o: Processing, m: Completed
    };
    CHECK(states() == "nnnnn");
    clk.advance(150ms);
    CHECK(states() == "oonnn");
    clk.advance(200ms); // 350: the first two done, the next two started at 300
    CHECK(states() == "mmnnn");
    clk.advance(100ms); // 450
    CHECK(states() == "mmoon");
    clk.advance(200ms); // 650: the fifth started at 600
    CHECK(states() == "mmmmn");
    clk.advance(100ms); // 750
    CHECK(states() == "mmmmo");
    clk.advance(200ms); // 950
    CHECK(states() == "mmmmm");
    // Idle slots: a new task starts at once.
    const auto late = submit(*c, tok, table_path, json{{"image", b64("late")}});
    clk.advance(150ms);
    CHECK(fetch(*c, tok, table_path, late).at("taskStatus") == "Processing");
  }

  TEST_CASE("max_running: a cancelled task keeps its slot until its time is up") {
    running run([](emulation::options &o) {
      o.max_running = 1;
      o.pending_for = 100ms;
      o.processing_for = 200ms;
    });
    auto &clk = run.clk;
    auto &c = run.c;
    const auto &tok = run.tok;
    const auto a = submit(*c, tok, table_path, json{{"image", b64("a")}});
    const auto b = submit(*c, tok, table_path, json{{"image", b64("b")}});
    clk.advance(10ms);
    auto r = c->Delete((std::string(table_path) + "?id=" + a).c_str(), bearer(tok));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    clk.advance(140ms); // 150: b would be Processing had a's slot been freed at 10
    CHECK(fetch(*c, tok, table_path, b).at("taskStatus") == "Pending");
    clk.advance(200ms); // 350: b started at 300
    CHECK(fetch(*c, tok, table_path, b).at("taskStatus") == "Pending");
    clk.advance(100ms); // 450
    CHECK(fetch(*c, tok, table_path, b).at("taskStatus") == "Processing");
    clk.advance(200ms); // 650
    CHECK(fetch(*c, tok, table_path, b).at("taskStatus") == "Completed");
  }

  TEST_CASE("max_requests_per_second: 429 with Retry-After 1 beyond the rate, tokens counted") {
    running run([](emulation::options &o) { o.max_requests_per_second = 3; });
    auto &clk = run.clk;
    auto &emu = run.emu;
    auto &c = run.c;
    const auto &tok = run.tok; // the token request was 1 of 3
    const auto id = submit(*c, tok, table_path, json{{"image", b64("x")}}); // 2
    fetch(*c, tok, table_path, id);                                         // 3
    auto expect_429 = [&](httplib::Result r) {
      REQUIRE(r);
      CHECK(r->status == 429);
      CHECK(r->get_header_value("Retry-After") == "1");
      auto pd = json::parse(r->body);
      CHECK(pd.at("status") == 429);
      CHECK(pd.at("title") == "Too Many Requests");
      CHECK(emu.log().back().status == 429);
    };
    expect_429(c->Get((std::string(table_path) + "?id=" + id).c_str(), bearer(tok)));
    expect_429(c->Post("/connect/token", "grant_type=client_credentials",
                       "application/x-www-form-urlencoded"));
    expect_429(c->Get("/no/such/path"));
    const auto before = emu.submit_counts().at("recognize-table");
    expect_429(
        c->Post(table_path, bearer(tok), json{{"image", b64("y")}}.dump(), "application/json"));
    CHECK(emu.submit_counts().at("recognize-table") == before); // a refused submit makes no task
    clk.advance(1s);                                            // full again
    for (int i = 0; i < 3; ++i) fetch(*c, tok, table_path, id);
    expect_429(c->Get((std::string(table_path) + "?id=" + id).c_str(), bearer(tok)));
    clk.advance(340ms); // 1.02 tokens: one request, not two
    fetch(*c, tok, table_path, id);
    expect_429(c->Get((std::string(table_path) + "?id=" + id).c_str(), bearer(tok)));
    clk.advance(10s); // never more than a burst of 3
    for (int i = 0; i < 3; ++i) fetch(*c, tok, table_path, id);
    expect_429(c->Get((std::string(table_path) + "?id=" + id).c_str(), bearer(tok)));
  }
} // TEST_SUITE

TEST_CASE("emulator: task_ms_max gives each input its own time, the same on every run") {
  emulation::options o;
  o.pending_for = std::chrono::milliseconds(333);
  o.processing_for = std::chrono::milliseconds(667);
  o.task_ms_max = std::chrono::milliseconds(120000);
  std::vector<long long> times;
  for (int i = 0; i < 400; ++i) {
    const std::string sha = taskfetch::detail::sha256_hex("table scan " + std::to_string(i));
    const auto t = emulation::detail::varied_task_ms(o, sha).count();
    CHECK(t >= 1000);
    CHECK(t <= 120000);
    CHECK(emulation::detail::varied_task_ms(o, sha).count() == t); // deterministic
    times.push_back(t);
  }
  // Log-uniform from 1 s to 120 s: about half below the geometric mean
  // (~11 s), and both ends reached.
  const auto below =
      std::count_if(times.begin(), times.end(), [](long long t) { return t < 10954; });
  CHECK(below > 160);
  CHECK(below < 240);
  CHECK(*std::min_element(times.begin(), times.end()) < 2000);
  CHECK(*std::max_element(times.begin(), times.end()) > 90000);
  // Another seed, other times; no task_ms_max, none.
  emulation::options other = o;
  other.task_seed = 2;
  int same = 0;
  for (int i = 0; i < 400; ++i)
    same += emulation::detail::varied_task_ms(
                other, taskfetch::detail::sha256_hex("table scan " + std::to_string(i)))
                .count() == times[static_cast<std::size_t>(i)];
  CHECK(same < 10);
  o.task_ms_max = std::chrono::milliseconds(0);
  CHECK(emulation::detail::varied_task_ms(o, taskfetch::detail::sha256_hex("x")).count() == 0);
}
