// The compiled mode (TASKFETCH_COMPILED_LIB, set by taskfetch::compiled):
// this program sees the client's declarations only and links the library's
// code. Every call of the client, for each shipped endpoint, against the
// emulator over loopback TCP; fwd.hpp's client is the compiled one.
#include <taskfetch/fwd.hpp>

#include <string_view>

namespace {
// What a user's own header declares with fwd.hpp alone.
taskfetch::result<taskfetch::table> first_table(taskfetch::client &api, std::string_view id);
} // namespace

#include <taskfetch/decoders/to_file.hpp>
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/taskfetch.hpp>

#include "../common/files.hpp"

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {
using namespace std::chrono_literals;
using namespace taskfetch;
using test_files::slurp;
using test_files::temp_dir;

taskfetch::result<taskfetch::table> first_table(taskfetch::client &api, std::string_view id) {
  return api.fetch<endpoints::recognize_table>(id);
}

emulation::options instant_tasks() {
  emulation::options o;
  o.pending_for = 0ms;
  o.processing_for = 0ms;
  return o;
}

options client_options(const emulation::emulator &emu) {
  return options{}
      .base_url(emu.base_url())
      .credentials(emu.config().client_id, emu.config().client_secret)
      .deadline(20s);
}

const std::string data_dir = TASKFETCH_TEST_DATA_DIR;
} // namespace

TEST_CASE("the compiled client is not the header-only one, and fwd.hpp names it") {
  static_assert(std::is_same_v<client, taskfetch::compiled::client>);
  static_assert(!std::is_copy_constructible_v<client>);
  static_assert(std::is_nothrow_move_constructible_v<client>);
  // A base URL the transport refuses: the call fails before any network I/O.
  client api{options{}.base_url("not a url").credentials("id", "secret")};
  CHECK(api.config().base_url() == "not a url");
  auto r = first_table(api, "task-id");
  REQUIRE(!r);
  CHECK(r.error().kind() == error_kind::invalid_argument);
}

TEST_CASE("a closed loopback port: a transport error") {
  client api{options{}.base_url("http://127.0.0.1:1").bearer_token("x").deadline(1s)};
  auto st = api.status<endpoints::recognize_table>("id");
  REQUIRE_FALSE(st);
  CHECK(st.error().kind() == error_kind::transport);
}

TEST_CASE("every call of each shipped endpoint, through the library") {
  emulation::emulator emu(instant_tasks());
  REQUIRE(emu.start());
  client api{client_options(emu)};

  // recognize_table: submit, status, wait, fetch; then run.
  image_input table_in{slurp(data_dir + "/table.png"), ocr_settings{}};
  auto id = api.submit<endpoints::recognize_table>(table_in);
  REQUIRE_MESSAGE(id, id.error().message());
  auto st = api.status<endpoints::recognize_table>(*id);
  REQUIRE_MESSAGE(st, st.error().message());
  auto done = api.wait<endpoints::recognize_table>(*id);
  REQUIRE_MESSAGE(done, done.error().message());
  CHECK(done->state == task_state::done);
  auto t = api.fetch<endpoints::recognize_table>(*id);
  REQUIRE_MESSAGE(t, t.error().message());
  CHECK(t->rows.at(0) == std::vector<std::string>{"0", "1", "2"});
  auto t2 = api.run<endpoints::recognize_table>(table_in);
  REQUIRE_MESSAGE(t2, t2.error().message());
  CHECK(t2->rows == t->rows);

  // recognize_template: run, and fetch into a file.
  omr_input form{
      {slurp(data_dir + "/form.png")}, slurp(data_dir + "/form.omr"), omr_format::json, 35};
  auto f = api.run<endpoints::recognize_template>(form);
  REQUIRE_MESSAGE(f, f.error().message());
  REQUIRE(f->size() == 4);
  CHECK((*f)[1] == omr_element{"Animals92", "selected"});
  temp_dir tmp;
  auto form_id = api.submit<endpoints::recognize_template>(form);
  REQUIRE_MESSAGE(form_id, form_id.error().message());
  auto json =
      api.fetch<endpoints::recognize_template>(*form_id, decoders::to_file{tmp.path / "form.json"});
  REQUIRE_MESSAGE(json, json.error().message());
  CHECK(json->size == slurp(tmp.path / "form.json").size());

  // djvu2pdf: run to memory and to a file; a task cancelled.
  image_input book{slurp(data_dir + "/book.djvu"), std::nullopt};
  auto pdf = api.run<endpoints::djvu2pdf>(book);
  REQUIRE_MESSAGE(pdf, pdf.error().message());
  CHECK(pdf->rfind("%PDF-", 0) == 0);
  decoders::to_file sink{tmp.path / "book.pdf"};
  auto file = api.run<endpoints::djvu2pdf>(book, sink);
  REQUIRE_MESSAGE(file, file.error().message());
  CHECK(slurp(tmp.path / "book.pdf") == *pdf);
  auto book_id = api.submit<endpoints::djvu2pdf>(book);
  REQUIRE_MESSAGE(book_id, book_id.error().message());
  auto cancelled = api.cancel<endpoints::djvu2pdf>(*book_id);
  CHECK_MESSAGE(cancelled, cancelled.error().message());

  // A moved client keeps its connections and token.
  client moved = std::move(api);
  auto again = moved.fetch<endpoints::recognize_table>(*id);
  REQUIRE_MESSAGE(again, again.error().message());
  CHECK(again->rows == t->rows);
}
