// The client against the emulator over real loopback TCP: submit, wait and
// fetch on every endpoint, both OMR vocabularies, status, cancel and expiry,
// and a token refreshed when the service no longer takes it.
#include "support.hpp"

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
TEST_CASE("tokens: an expired token is refreshed once and the call repeated") {
  std::atomic<long long> offset_s{0};
  emulation::options eo = fast_emulator();
  eo.now = [&] { return std::chrono::system_clock::now() + std::chrono::seconds(offset_s.load()); };
  eo.token_lifetime = 600s;
  emulator emu(eo);
  REQUIRE(emu.start());
  // (The emulator's three client-auth styles are checked at the HTTP level in
  // test_emulator_raw.cpp.)
  auto api = make_client(client_options(emu));
  const auto id = emu.add_task("recognize-table", {});
  REQUIRE(api.fetch<endpoints::recognize_table>(id));
  // The emulator's clock passes the token's life; the client's does not: a
  // 401, one refresh, the call repeated.
  offset_s = 601;
  auto again = api.fetch<endpoints::recognize_table>(id);
  REQUIRE_MESSAGE(again, again.error().message());
  std::size_t tokens = 0, refused = 0;
  for (const auto &e : emu.log()) {
    tokens += e.kind == "token";
    refused += e.status == 401;
  }
  CHECK(tokens == 2);
  CHECK(refused == 1);
}
