// basic_client over the scripted transport and the manual clock: every
// endpoint's states, each retry rule, Retry-After, deadline, cancellation,
// tokens, ids, submit/status/wait/cancel/run. No network, no sleeps.
#include "support.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <doctest/doctest.h>

#include <thread>

using namespace taskfetch;
using namespace std::chrono_literals;
using testing::manual_clock;
using testing::scripted_reply;
using testing::scripted_transport;

namespace {
using ut::test_client;

struct fixture {
  scripted_transport net;
  manual_clock clock;
  test_client api{options{}.base_url("https://api.test").credentials("id", "s e&cret"), net,
                  ut::seeded_retry(42), clock};
};

std::string ocr_answer(const std::string &status, const std::string &data = {},
                       const std::string &type = "Csv", const std::string &error = "null") {
  std::string results = "null";
  if (status == "Completed")
    results = "[{\"type\":\"" + type + "\",\"data\":\"" + detail::base64_encode(data) + "\"}]";
  return "{\"id\":\"t1\",\"taskStatus\":\"" + status +
         "\",\"responseStatusCode\":\"Ok\",\"results\":" + results + ",\"error\":" + error + "}";
}
std::string omr_answer(const std::string &word, const std::string &data = {}) {
  std::string results =
      word == "Ok" ? "[{\"type\":\"Csv\",\"data\":\"" + detail::base64_encode(data) + "\"}]"
                   : "null";
  return "{\"id\":\"t1\",\"responseStatusCode\":\"" + word + "\",\"results\":" + results +
         ",\"error\":null}";
}
constexpr const char *table_path = "/v5.0/ocr/RecognizeTable";
constexpr const char *omr_fetch = "/v5.0/omr/RecognizeTemplate/GetRecognizeTemplate";
constexpr const char *pdf_path = "/v5.0/ocr/djvu2pdf";
} // namespace

TEST_CASE("fetch waits through Pending and Processing, then decodes the table") {
  fixture f;
  f.net.on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Pending")))
      .on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Processing")), 2)
      .on(http_method::get, table_path,
          scripted_reply::json(200, ocr_answer("Completed", "0,1\na,b\n")));
  std::vector<std::string> seen;
  call_options co;
  co.on_status = [&](const task_status &s) { seen.push_back(s.word); };
  auto t = f.api.fetch<endpoints::recognize_table>("t1", co);
  REQUIRE_MESSAGE(t, t.error().message());
  CHECK(t->rows.size() == 2);
  CHECK(t->rows[1] == std::vector<std::string>{"a", "b"});
  CHECK(seen == std::vector<std::string>{"Pending", "Processing", "Processing", "Completed"});
  CHECK(f.net.tokens_issued() == 1);
  CHECK(f.net.unmatched() == 0);
  CHECK(f.clock.sleeps().size() == 3); // one wait between polls, never a busy loop
  const auto reqs = f.net.requests();
  REQUIRE(reqs.size() == 5);
  CHECK(reqs[0].target == "/connect/token");
  CHECK(reqs[0].body == "grant_type=client_credentials&client_id=id&client_secret=s+e%26cret");
  CHECK(reqs[1].target == "/v5.0/ocr/RecognizeTable?id=t1");
  CHECK(find_header(reqs[1].headers, "authorization").value() == "Bearer token-1");
}

TEST_CASE("OCR terminal states: Error with and without messages, NotExist, unknown word") {
  fixture f;
  f.net
      .on(http_method::get, pdf_path,
          scripted_reply::json(
              200, ocr_answer("Error", "", "",
                              R"({"messages":["bad page","no text"],"warnings":null})")))
      .on(http_method::get, pdf_path, scripted_reply::json(200, ocr_answer("Error")))
      .on(http_method::get, pdf_path, scripted_reply::json(200, ocr_answer("NotExist")))
      .on(http_method::get, pdf_path, scripted_reply::json(200, ocr_answer("Sleeping")));
  auto a = f.api.fetch<endpoints::djvu2pdf>("t1");
  REQUIRE_FALSE(a);
  CHECK(a.error().kind() == error_kind::task_failed);
  CHECK(a.error().service_messages() == std::vector<std::string>{"bad page", "no text"});
  CHECK(a.error().message().find("bad page") != std::string::npos);
  auto b = f.api.fetch<endpoints::djvu2pdf>("t1");
  REQUIRE_FALSE(b);
  CHECK(b.error().kind() == error_kind::task_failed);
  auto c = f.api.fetch<endpoints::djvu2pdf>("t1");
  REQUIRE_FALSE(c);
  CHECK(c.error().kind() == error_kind::not_found);
  auto d = f.api.fetch<endpoints::djvu2pdf>("t1");
  REQUIRE_FALSE(d);
  CHECK(d.error().kind() == error_kind::malformed_response);
  CHECK(d.error().message().find("Sleeping") != std::string::npos);
  CHECK(f.clock.sleeps().empty()); // none of these polled again
}

TEST_CASE("OMR responseStatusCode: every word of both vocabularies") {
  for (const char *pending : {"Processing", "NotReady", "Pending"}) {
    fixture f;
    f.net.on(http_method::get, omr_fetch, scripted_reply::json(200, omr_answer(pending)))
        .on(http_method::get, omr_fetch,
            scripted_reply::json(
                200, omr_answer("Ok", "Element Name,Value,\nAnimals92,\"selected\"\n")));
    auto r = f.api.fetch<endpoints::recognize_template>("t1");
    REQUIRE_MESSAGE(r, pending);
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].value == "selected");
  }
  for (const char *failed : {"Error", "NoAnyResultData", "ResultDataLost"}) {
    fixture f;
    f.net.on(http_method::get, omr_fetch, scripted_reply::json(200, omr_answer(failed)));
    auto r = f.api.fetch<endpoints::recognize_template>("t1");
    REQUIRE_FALSE(r);
    CHECK_MESSAGE(r.error().kind() == error_kind::task_failed, failed);
  }
  for (const char *gone : {"NotFound", "TaskNotFound"}) {
    fixture f;
    f.net.on(http_method::get, omr_fetch, scripted_reply::json(200, omr_answer(gone)));
    auto r = f.api.fetch<endpoints::recognize_template>("t1");
    REQUIRE_FALSE(r);
    CHECK_MESSAGE(r.error().kind() == error_kind::not_found, gone);
  }
  fixture f;
  f.net.on(
      http_method::get, omr_fetch,
      scripted_reply::json(200, R"({"responseStatusCode":"Ok","results":null})")); // no results
  auto r = f.api.fetch<endpoints::recognize_template>("t1");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::malformed_response);
}

TEST_CASE("retries 408, 429 and 5xx, not other 4xx") {
  for (int st : {408, 429, 500, 502, 503, 504}) {
    fixture f;
    f.net.on(http_method::get, table_path, scripted_reply::json(st, "{}"))
        .on(http_method::get, table_path,
            scripted_reply::json(200, ocr_answer("Completed", "a\n")));
    auto r = f.api.fetch<endpoints::recognize_table>("t1");
    CHECK_MESSAGE(r, st);
    CHECK(f.net.count(table_path) == 2);
  }
  for (int st : {400, 403, 404, 409, 422}) {
    fixture f;
    f.net.on(http_method::get, table_path,
             scripted_reply::json(st, R"({"title":"Nope","detail":"wrong path"})"));
    auto r = f.api.fetch<endpoints::recognize_table>("t1");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::http_status);
    CHECK(r.error().http_status() == st);
    CHECK(r.error().message().find("wrong path") != std::string::npos);
    CHECK(r.error().attempts() == 2); // the token request and the one call
    CHECK(f.net.count(table_path) == 1);
  }
}

TEST_CASE("transport failures are retried until the budget runs out; TLS never") {
  fixture f;
  f.net.on(http_method::get, table_path, scripted_reply::fail(transport_errc::connect),
           scripted_transport::forever);
  auto r = f.api.fetch<endpoints::recognize_table>("t1");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::transport);
  CHECK(f.net.count(table_path) == 1 + retry_settings{}.max_failures);
  for (auto d : f.clock.sleeps()) CHECK(d <= 30s);

  fixture g;
  g.net.on(http_method::get, table_path, scripted_reply::fail(transport_errc::tls),
           scripted_transport::forever);
  auto t = g.api.fetch<endpoints::recognize_table>("t1");
  REQUIRE_FALSE(t);
  CHECK(t.error().transport_code() == transport_errc::tls);
  CHECK(g.net.count(table_path) == 1);
}

TEST_CASE("a connection dropped mid-body is retried and the decoder starts over") {
  fixture f;
  auto cut = scripted_reply::json(200, ocr_answer("Completed", "%PDF-1.4 whole file", "Pdf"));
  cut.cut_after = 60;
  cut.chunk_size = 7;
  f.net.on(http_method::get, pdf_path, cut)
      .on(http_method::get, pdf_path,
          scripted_reply::json(200, ocr_answer("Completed", "%PDF-1.4 whole file", "Pdf")));
  auto r = f.api.fetch<endpoints::djvu2pdf>("t1");
  REQUIRE(r);
  CHECK(*r == "%PDF-1.4 whole file");
}

TEST_CASE("Retry-After: delta-seconds and HTTP-date are honoured; beyond the deadline gives up") {
  {
    fixture f;
    f.net
        .on(http_method::get, table_path,
            scripted_reply::json(429, "{}").header("Retry-After", "7"))
        .on(http_method::get, table_path,
            scripted_reply::json(200, ocr_answer("Completed", "a\n")));
    REQUIRE(f.api.fetch<endpoints::recognize_table>("t1"));
    REQUIRE(f.clock.sleeps().size() == 1);
    CHECK(f.clock.sleeps()[0] >= 7s);
  }
  {
    fixture f;
    // The manual clock's wall time is 2023-11-14T22:13:20Z.
    f.net
        .on(http_method::get, table_path,
            scripted_reply::json(503, "{}").header("Retry-After", "Tue, 14 Nov 2023 22:13:32 GMT"))
        .on(http_method::get, table_path,
            scripted_reply::json(200, ocr_answer("Completed", "a\n")));
    REQUIRE(f.api.fetch<endpoints::recognize_table>("t1"));
    REQUIRE(f.clock.sleeps().size() == 1);
    CHECK(f.clock.sleeps()[0] >= 12s);
  }
  {
    fixture f;
    f.net.on(http_method::get, table_path,
             scripted_reply::json(503, "{}").header("Retry-After", "99999999999"));
    call_options co;
    co.deadline = 60s;
    auto r = f.api.fetch<endpoints::recognize_table>("t1", co);
    REQUIRE_FALSE(r);
    CHECK(r.error().http_status() == 503);
    CHECK(f.clock.elapsed() <= 60s); // never slept past the deadline
  }
}

TEST_CASE("the deadline ends a task that never finishes") {
  fixture f;
  f.net.on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Processing")),
           scripted_transport::forever);
  call_options co;
  co.deadline = 300s;
  auto r = f.api.fetch<endpoints::recognize_table>("t1", co);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::deadline_exceeded);
  CHECK(f.clock.elapsed() <= 300s);
  CHECK(f.net.count(table_path) < 150); // fewer than a fixed 2 s poll would make
}

TEST_CASE("a cancellation token stops the wait") {
  fixture f;
  f.net.on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Processing")),
           scripted_transport::forever);
  cancel_source stop;
  call_options co;
  co.cancel = stop.token();
  int polls = 0;
  co.on_status = [&](const task_status &) {
    if (++polls == 3) stop.cancel();
  };
  auto r = f.api.fetch<endpoints::recognize_table>("t1", co);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::cancelled);
  CHECK(polls == 3);
  auto again = f.api.fetch<endpoints::recognize_table>("t1", co);
  CHECK(again.error().kind() == error_kind::cancelled);
}

TEST_CASE("tokens: cached, refreshed once on 401, refreshed on expiry, wrong credentials") {
  fixture f;
  f.net
      .on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Completed", "a\n")),
          2)
      .on(http_method::get, table_path, scripted_reply::json(401, R"({"title":"Unauthorized"})"))
      .on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Completed", "a\n")));
  REQUIRE(f.api.fetch<endpoints::recognize_table>("t1"));
  REQUIRE(f.api.fetch<endpoints::recognize_table>("t1"));
  CHECK(f.net.tokens_issued() == 1);
  REQUIRE(f.api.fetch<endpoints::recognize_table>("t1")); // 401, new token, repeated
  CHECK(f.net.tokens_issued() == 2);
  CHECK(find_header(f.net.requests().back().headers, "Authorization").value() == "Bearer token-2");
  f.clock.advance(3600s);
  f.net.on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Completed", "a\n")));
  REQUIRE(f.api.fetch<endpoints::recognize_table>("t1"));
  CHECK(f.net.tokens_issued() == 3);

  fixture g;
  g.net.on(http_method::get, table_path, scripted_reply::json(401, "{}"),
           scripted_transport::forever);
  auto r = g.api.fetch<endpoints::recognize_table>("t1");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::auth);
  CHECK(g.net.count(table_path) == 2);

  fixture h;
  h.net.serve_tokens(false).on(http_method::post, "/connect/token",
                               scripted_reply::json(400, R"({"error":"invalid_client"})"),
                               scripted_transport::forever);
  auto w = h.api.fetch<endpoints::recognize_table>("t1");
  REQUIRE_FALSE(w);
  CHECK(w.error().kind() == error_kind::auth);
  CHECK(w.error().message().find("invalid_client") != std::string::npos);
  CHECK(w.error().message().find("s e&cret") == std::string::npos); // never the secret
  CHECK(h.net.count("/connect/token") == 1);
}

TEST_CASE("a fixed bearer token is sent as is and never refreshed") {
  scripted_transport net;
  manual_clock clock;
  test_client api(options{}.bearer_token("fixed"), net, standard_retry{}, clock);
  net.on(http_method::get, table_path, scripted_reply::json(401, "{}"));
  auto r = api.fetch<endpoints::recognize_table>("t1");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::auth);
  CHECK(net.count("/connect/token") == 0);
  CHECK(find_header(net.requests()[0].headers, "Authorization").value() == "Bearer fixed");
}

TEST_CASE("task ids are percent-encoded; control characters are refused before any request") {
  fixture f;
  f.net.on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Completed", "a\n")));
  REQUIRE(f.api.fetch<endpoints::recognize_table>("a b&c=d/é"));
  CHECK(f.net.requests().back().target == "/v5.0/ocr/RecognizeTable?id=a%20b%26c%3Dd%2F%C3%A9");
  const auto before = f.net.requests().size();
  for (const char *bad : {"abc\ndef", "x\r", "\x7f", ""}) {
    auto r = f.api.fetch<endpoints::recognize_table>(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::invalid_argument);
    CHECK(r.error().attempts() == 0);
  }
  CHECK(f.net.requests().size() == before);
}

TEST_CASE("malformed answers are malformed_response and not retried") {
  for (std::string body :
       {std::string("{\"taskStatus\":\"Completed\",\"results\":[{\"data\":\"%%%\"}]}"),
        std::string("{\"taskStatus\":"), std::string("<html>502</html>"),
        std::string("{\"taskStatus\":5}"), std::string("{\"results\":7}")}) {
    fixture f;
    f.net.on(http_method::get, table_path, scripted_reply::json(200, body),
             scripted_transport::forever);
    auto r = f.api.fetch<endpoints::recognize_table>("t1");
    REQUIRE_FALSE(r);
    CHECK_MESSAGE(r.error().kind() == error_kind::malformed_response, body);
    CHECK(f.net.count(table_path) == 1);
  }
}

TEST_CASE("submit, status, wait, cancel and run") {
  fixture f;
  f.net.on(http_method::post, table_path, scripted_reply::text(200, "\"new-id\"\n"))
      .on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Pending")))
      .on(http_method::get, table_path, scripted_reply::json(200, ocr_answer("Completed", "x\n")),
          2)
      .on(http_method::del, table_path, scripted_reply::text(200, ""));
  image_input in{"PNGDATA", ocr_settings{}};
  auto id = f.api.submit<endpoints::recognize_table>(in);
  REQUIRE(id);
  CHECK(*id == "new-id");
  const auto post = f.net.requests()[1];
  auto body = nlohmann::json::parse(post.body);
  CHECK(body["image"] == detail::base64_encode("PNGDATA"));
  CHECK(body["settings"]["resultTypeTable"] == "Csv");
  auto st = f.api.status<endpoints::recognize_table>(*id);
  REQUIRE(st);
  CHECK(st->state == task_state::pending);
  CHECK(f.clock.sleeps().empty()); // status never waits
  auto w = f.api.wait<endpoints::recognize_table>(*id);
  REQUIRE(w);
  CHECK(w->state == task_state::done);
  CHECK(f.api.cancel<endpoints::recognize_table>(*id));
  CHECK(f.net.requests().back().method == http_method::del);
  CHECK(f.net.requests().back().target == "/v5.0/ocr/RecognizeTable?id=new-id");
}

TEST_CASE("submit takes the id in either answer shape: bare text/plain or a JSON string") {
  // The service may answer text/plain or application/json (the emulator does
  // JSON when asked); the client asks for text/plain and copes with both.
  for (bool as_json : {false, true}) {
    CAPTURE(as_json);
    fixture f;
    f.net.on(http_method::post, pdf_path,
             as_json ? scripted_reply::json(200, "\"83b7c0de-0000-4000-8000-000000000001\"")
                     : scripted_reply::text(200, "83b7c0de-0000-4000-8000-000000000001"));
    auto id = f.api.submit<endpoints::djvu2pdf>(image_input{"AT&TFORM", std::nullopt});
    REQUIRE_MESSAGE(id, id.error().message());
    CHECK(*id == "83b7c0de-0000-4000-8000-000000000001");
    CHECK(find_header(f.net.requests().back().headers, "accept").value() == "text/plain");
  }
}

TEST_CASE("submit is resent only when the server surely did not act on it") {
  fixture f;
  f.net.on(http_method::post, pdf_path, scripted_reply::fail(transport_errc::connect))
      .on(http_method::post, pdf_path, scripted_reply::json(503, "{}"))
      .on(http_method::post, pdf_path, scripted_reply::text(200, "id-1"))
      .on(http_method::post, pdf_path, scripted_reply::json(500, "{}"))
      .on(http_method::post, pdf_path, scripted_reply::fail(transport_errc::closed));
  image_input in{"AT&TFORM", std::nullopt};
  auto a = f.api.submit<endpoints::djvu2pdf>(in);
  REQUIRE(a);
  CHECK(*a == "id-1");
  CHECK_FALSE(nlohmann::json::parse(f.net.requests()[3].body).contains("settings"));
  auto b = f.api.submit<endpoints::djvu2pdf>(in); // 500: may have been processed
  REQUIRE_FALSE(b);
  CHECK(b.error().http_status() == 500);
  auto c = f.api.submit<endpoints::djvu2pdf>(in); // dropped after sending
  REQUIRE_FALSE(c);
  CHECK(f.net.count(pdf_path) == 5);
}

TEST_CASE("run: submit, wait and fetch under one deadline") {
  fixture f;
  f.net
      .on(http_method::post, "/v5.0/omr/RecognizeTemplate/PostRecognizeTemplate",
          scripted_reply::text(200, "omr-1"))
      .on(http_method::get, omr_fetch, scripted_reply::json(200, omr_answer("NotReady")))
      .on(http_method::get, omr_fetch,
          scripted_reply::json(200, omr_answer("Ok", "Element Name,Value,\nA,\"\"\n")));
  omr_input in{{"IMG"}, "PATTERN", omr_format::json, 40};
  auto r = f.api.run<endpoints::recognize_template>(in);
  REQUIRE(r);
  CHECK(r->at(0).name == "A");
  auto body = nlohmann::json::parse(f.net.requests()[1].body);
  CHECK(body["outputFormat"] == "Json");
  CHECK(body["recognitionThreshold"] == 40);
  CHECK(body["omrFile"] == detail::base64_encode("PATTERN"));
}

// A user-written endpoint of the same shape: this is all it takes.
struct recognize_receipt {
  static constexpr std::string_view name = "recognize-receipt";
  static constexpr std::string_view path = "/v5.0/ocr/RecognizeReceipt";
  static constexpr std::string_view result_kind = "Text";
  static constexpr std::string_view extension = "txt";
  using default_decoder = decoders::bytes;
};

TEST_CASE("a user-defined endpoint trait works in a few lines") {
  fixture f;
  f.net.on(http_method::post, "/v5.0/ocr/RecognizeReceipt", scripted_reply::text(200, "r-1"))
      .on(http_method::get, "/v5.0/ocr/RecognizeReceipt",
          scripted_reply::json(200, ocr_answer("Completed", "TOTAL 9.99", "Text")));
  auto r = f.api.run<recognize_receipt>(image_input{"JPEG", std::nullopt});
  REQUIRE(r);
  CHECK(*r == "TOTAL 9.99");
  CHECK(endpoint_traits<recognize_receipt>::cancel_path() == "/v5.0/ocr/RecognizeReceipt");
}

TEST_CASE("one client shared by threads fetches one token") {
  fixture f;
  f.net.on(http_method::get, table_path,
           scripted_reply::json(200, ocr_answer("Completed", "a,b\n")),
           scripted_transport::forever);
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        if (f.api.fetch<endpoints::recognize_table>("t" + std::to_string(i))) ++ok;
    });
  for (auto &t : ts) t.join();
  CHECK(ok == 200);
  CHECK(f.net.tokens_issued() == 1);
}
