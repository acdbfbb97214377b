// The library against the emulator over real loopback TCP: every endpoint,
// both OMR vocabularies, tokens, HTTPS with a private CA, and batches.
#include "support.hpp"
#include "test_certs.hpp"

#include <taskfetch/batch/fetch_batch.hpp>

using namespace it;

TEST_CASE("submit, wait and fetch each endpoint against the emulator") {
  emulation::options eo = fast_emulator();
  eo.pending_for = 30ms;
  eo.processing_for = 30ms;
  emulator emu(eo);
  REQUIRE(emu.start());
  auto api = make_client(client_options(emu));
  const std::string dir = TASKFETCH_TEST_DATA_DIR;

  image_input table_in{slurp(dir + "/table.png"), ocr_settings{}};
  std::vector<std::string> words;
  call_options co;
  co.on_status = [&](const task_status &s) { words.push_back(s.word); };
  auto t = api.run<endpoints::recognize_table>(table_in, decoders::table{}, co);
  REQUIRE_MESSAGE(t, t.error().message());
  CHECK(t->rows.at(0) == std::vector<std::string>{"0", "1", "2"});
  CHECK(t->rows.at(3).at(0).find("Milk, whole") != std::string::npos);
  CHECK(words.front() != "Completed"); // it saw the task working
  CHECK(words.back() == "Completed");

  for (auto fmt : {omr_format::csv, omr_format::json, omr_format::xml}) {
    omr_input form{{slurp(dir + "/form.png")}, slurp(dir + "/form.omr"), fmt, 35};
    auto f = api.run<endpoints::recognize_template>(form);
    REQUIRE_MESSAGE(f, f.error().message());
    REQUIRE(f->size() == 4);
    CHECK((*f)[1].name == "Animals92");
    CHECK((*f)[1].value == "selected");
  }

  temp_dir tmp;
  image_input book{slurp(dir + "/book.djvu"), std::nullopt};
  auto p = api.run<endpoints::djvu2pdf>(book, decoders::to_file{tmp.path / "book.pdf"});
  REQUIRE_MESSAGE(p, p.error().message());
  CHECK(slurp(tmp.path / "book.pdf").rfind("%PDF-1.4", 0) == 0);
  CHECK(slurp(tmp.path / "book.pdf").find("%%EOF") != std::string::npos);

  // A DjVu that is not one: the task ends in Error with the service's message.
  auto bad = api.run<endpoints::djvu2pdf>(image_input{"not a djvu", std::nullopt});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == error_kind::task_failed);
  REQUIRE_FALSE(bad.error().service_messages().empty());
}

TEST_CASE("OMR answers in the SDK vocabulary (NotReady, TaskNotFound)") {
  emulation::options eo = fast_emulator();
  eo.omr_style = emulation::omr_words::sdk;
  eo.pending_for = 40ms;
  emulator emu(eo);
  REQUIRE(emu.start());
  auto api = make_client(client_options(emu));
  std::vector<std::string> words;
  call_options co;
  co.on_status = [&](const task_status &s) { words.push_back(s.word); };
  omr_input form{{"IMG"}, "{}", omr_format::csv, 35};
  auto f = api.run<endpoints::recognize_template>(form, decoders::omr{}, co);
  REQUIRE(f);
  CHECK(words.front() == "NotReady");
  auto gone = api.fetch<endpoints::recognize_template>("no-such-task");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().kind() == error_kind::not_found);
  CHECK(gone.error().message().find("TaskNotFound") != std::string::npos);
}

TEST_CASE("status, cancel and expiry after 24 hours") {
  std::atomic<long long> offset_h{0};
  emulation::options eo = fast_emulator();
  eo.now = [&] { return std::chrono::system_clock::now() + std::chrono::hours(offset_h.load()); };
  eo.token_lifetime = std::chrono::hours(100);
  emulator emu(eo);
  REQUIRE(emu.start());
  auto api = make_client(client_options(emu));
  const auto a = emu.add_task("recognize-table", {});
  const auto b = emu.add_task("recognize-table", {});
  auto st = api.status<endpoints::recognize_table>(a);
  REQUIRE(st);
  CHECK(st->state == task_state::done);
  REQUIRE(api.cancel<endpoints::recognize_table>(b));
  auto cancelled = api.fetch<endpoints::recognize_table>(b);
  REQUIRE_FALSE(cancelled);
  CHECK(cancelled.error().kind() == error_kind::not_found);
  offset_h = 25;
  auto expired = api.fetch<endpoints::recognize_table>(a);
  REQUIRE_FALSE(expired);
  CHECK(expired.error().kind() == error_kind::not_found);
}

TEST_CASE("tokens: all three client-auth styles, expiry and refresh") {
  std::atomic<long long> offset_s{0};
  emulation::options eo = fast_emulator();
  eo.now = [&] { return std::chrono::system_clock::now() + std::chrono::seconds(offset_s.load()); };
  eo.token_lifetime = 600s;
  emulator emu(eo);
  REQUIRE(emu.start());
  httplib::Client raw(emu.base_url());
  auto form =
      raw.Post("/connect/token",
               "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
               "application/x-www-form-urlencoded");
  REQUIRE(form);
  CHECK(form->status == 200);
  httplib::MultipartFormDataItems items{{"grant_type", "client_credentials", "", ""},
                                        {"client_id", "demo-client", "", ""},
                                        {"client_secret", "demo-secret", "", ""}};
  auto multi = raw.Post("/connect/token", items);
  REQUIRE(multi);
  CHECK(multi->status == 200);
  httplib::Headers basic{
      {"Authorization", "Basic " + detail::base64_encode("demo-client:demo-secret")}};
  auto b = raw.Post("/connect/token", basic, "grant_type=client_credentials",
                    "application/x-www-form-urlencoded");
  REQUIRE(b);
  CHECK(b->status == 200);
  auto wrong = raw.Post("/connect/token",
                        "grant_type=client_credentials&client_id=demo-client&client_secret=x",
                        "application/x-www-form-urlencoded");
  REQUIRE(wrong);
  CHECK(wrong->status == 400);

  auto api = make_client(client_options(emu));
  const auto id = emu.add_task("recognize-table", {});
  REQUIRE(api.fetch<endpoints::recognize_table>(id));
  // The emulator's clock passes the token's life; the client's does not: a
  // 401, one refresh, the call repeated.
  offset_s = 601;
  auto again = api.fetch<endpoints::recognize_table>(id);
  REQUIRE_MESSAGE(again, again.error().message());
  std::size_t tokens = 0;
  for (const auto &e : emu.log()) tokens += e.kind == "token";
  CHECK(tokens == 4 + 2);
}

TEST_CASE("HTTPS with a private CA; a certificate failure is not retried") {
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulation::options eo = fast_emulator();
  eo.cert_file = certs.server_cert.string();
  eo.key_file = certs.server_key.string();
  emulator emu(eo);
  REQUIRE(emu.start());
  CHECK(emu.base_url().rfind("https://", 0) == 0);
  const auto id = emu.add_task("djvu2pdf", pdf_task());
  {
    auto api = make_client(client_options(emu).ca_file(certs.ca_cert.string()));
    auto r = api.fetch<endpoints::djvu2pdf>(id);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->size() == 4096);
  }
  {
    auto api = make_client(client_options(emu));
    auto r = api.fetch<endpoints::djvu2pdf>(id);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::transport);
    CHECK(r.error().transport_code() == transport_errc::tls);
    CHECK(r.error().attempts() == 1);
  }
}

TEST_CASE("plain http to a non-loopback host is refused before connecting") {
  auto api = make_client(options{}.base_url("http://example.com").bearer_token("t"));
  auto r = api.fetch<endpoints::recognize_table>("x");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::invalid_argument);
}

TEST_CASE("batch: shared client, bounded concurrency, one failure never fails the others") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(emu.add_task("recognize-table", {}));
  ids[17] = "missing-task";
  auto opts = client_options(emu).max_connections(8);
  client api(opts);
  temp_dir tmp;
  std::vector<int> seen(ids.size(), 0);
  auto sum = fetch_batch<endpoints::recognize_table>(
      api, ids,
      [&](std::size_t i, const std::string &) {
        return decoders::to_file{tmp.path / (std::to_string(i) + ".csv")};
      },
      [&](std::size_t i, const std::string &, const auto &r) {
        ++seen[i];
        if (i == 17)
          CHECK(r.error().kind() == error_kind::not_found);
        else
          CHECK(r);
      },
      batch_options{8, {}});
  CHECK(sum.done == 299);
  CHECK(sum.failed == 1);
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  CHECK(tmp.entries() == 299);
  CHECK(api.transport().connections_opened() <= 8);
}
