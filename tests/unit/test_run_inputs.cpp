// run_inputs over the scripted transport and the manual clock: it submits,
// journals, skips what is done, polls live tasks and resubmits after Error
// or expiry; and the readers it relies on report unreadable files as io
// errors.
#include "batch_support.hpp"
#include "io_check.hpp"
#include "support.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/batch/file_journal.hpp>
#include <taskfetch/batch/run_inputs.hpp>
#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

using namespace taskfetch;
using batch_test::completed;
using batch_test::temp_dir;
namespace fs = std::filesystem;
using detail::file_call;
using detail::file_fault;

namespace {
/// The image in file @p p, as a batch reads it.
result<image_input> read_image(const fs::path &p) {
  auto bytes = detail::read_whole_file(p);
  if (!bytes) return std::move(bytes.error());
  return image_input{std::move(*bytes), std::nullopt};
}

/// @p n input files in @p d (in0.png ...), each read back as its own name.
std::vector<batch_input> numbered_inputs(const temp_dir &d, int n) {
  std::vector<batch_input> ins;
  for (int i = 0; i < n; ++i) {
    const std::string name = "in" + std::to_string(i) + ".png";
    std::ofstream(d.path / name) << name;
    ins.push_back({name, d.path / name, d.path / (name + ".csv")});
  }
  return ins;
}

// RecognizeTable submits answered task-1, task-2, ... (@p next_id counts them).
void number_submits(testing::scripted_transport &net, int &next_id) {
  net.on(
      http_method::post, "/v5.0/ocr/RecognizeTable",
      [&next_id](const request &) {
        return testing::scripted_reply::text(200, "task-" + std::to_string(++next_id));
      },
      testing::scripted_transport::forever);
}
} // namespace

TEST_CASE("inputs and results that cannot be read are io errors naming them") {
  temp_dir d("read-io");
  const fs::path gone = d.path / "gone.png";
  auto r = detail::read_whole_file(gone);
  REQUIRE_FALSE(r);
  check_io(r.error(), gone, ENOENT);
  auto h = detail::sha256_file(gone);
  REQUIRE_FALSE(h);
  check_io(h.error(), gone, ENOENT);

  const fs::path there = d.path / "there.png";
  std::ofstream(there) << "bytes";
  REQUIRE(detail::read_whole_file(there).value_or("") == "bytes");
  file_fault broken(file_call::read, EIO);
  auto bad = detail::read_whole_file(there);
  REQUIRE_FALSE(bad);
  check_io(bad.error(), there, EIO);
  auto bad_hash = detail::sha256_file(there);
  REQUIRE_FALSE(bad_hash);
  check_io(bad_hash.error(), there, EIO);
}

TEST_CASE("folder_writable: 0 where a file can be written, else the errno that says why") {
  temp_dir d("writable");
  CHECK(detail::folder_writable(d.path) == 0);
  CHECK(detail::folder_writable(d.path / "missing") == ENOENT);
  std::size_t before = 0;
  for (const auto &e : fs::directory_iterator(d.path)) before += e.exists();
  CHECK(before == 0); // the probe leaves nothing behind
  {
    file_fault ro(file_call::open,
                  EROFS); // a read-only disk (CI runs as root: chmod refuses nothing)
    CHECK(detail::folder_writable(d.path) == EROFS);
  }
  {
    file_fault none(file_call::open, EOPNOTSUPP); // no O_TMPFILE: access(2) decides
    CHECK(detail::folder_writable(d.path) == 0);
  }
}

using ut::test_client;

TEST_CASE(
    "run_inputs: submits, journals, skips what is done, polls live tasks, resubmits after Error") {
  temp_dir d("runner");
  for (const char *n : {"a.png", "b.png", "c.png"}) std::ofstream(d.path / n) << n;
  std::vector<batch_input> ins;
  for (const char *n : {"a.png", "b.png", "c.png"})
    ins.push_back({n, d.path / n, d.path / (std::string(n) + ".csv")});
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  int next_id = 0;
  number_submits(net, next_id);
  // b's first task fails; everything else completes.
  net.on(
      http_method::get, "/v5.0/ocr/RecognizeTable",
      [&](const request &r) {
        if (r.target.find("id=task-") != std::string::npos && r.target.back() == '2')
          return testing::scripted_reply::json(
              200, R"({"taskStatus":"Error","error":{"messages":["blurred"]}})");
        return testing::scripted_reply::json(200, completed("0,1\n" + r.target + "\n"));
      },
      testing::scripted_transport::forever);
  file_journal j(d.path / "journal");
  const auto read = read_image;
  std::vector<input_report> reps;
  run_options ro;
  ro.jobs = 1;            // deterministic task numbering
  ro.own_threads = false; // the manual clock: this thread drives and waits
  ro.now = [&] { return clock.wall_now(); };
  auto sum = run_inputs<endpoints::recognize_table>(
      api, ins, j, read, [&](const input_report &r) { reps.push_back(r); }, ro);
  REQUIRE(sum);
  CHECK(sum->done == 3);
  CHECK(sum->resubmitted == 1);
  CHECK(net.count("/v5.0/ocr/RecognizeTable") > 0);
  CHECK(next_id == 4);
  CHECK(fs::exists(d.path / "b.png.csv"));
  // One report per input, each done; b's says it was submitted twice.
  REQUIRE(reps.size() == 3);
  for (const auto &r : reps) {
    CHECK(r.outcome == input_outcome::done);
    CHECK(r.resubmitted == (r.key == "b.png"));
    CHECK(r.submissions == (r.key == "b.png" ? 2u : 1u));
  }

  // Rerun: all done and verified; nothing submitted.
  auto again = run_inputs<endpoints::recognize_table>(
      api, ins, j, read, [](const input_report &) {}, ro);
  REQUIRE(again);
  CHECK(again->skipped == 3);
  CHECK(next_id == 4);

  // A changed output is redone: its task is still live, so it is fetched, not resubmitted.
  std::ofstream(d.path / "a.png.csv") << "tampered";
  auto third = run_inputs<endpoints::recognize_table>(
      api, ins, j, read, [](const input_report &) {}, ro);
  REQUIRE(third);
  CHECK(third->done == 1);
  CHECK(third->skipped == 2);
  CHECK(next_id == 4);

  // After 24 hours the task is gone: resubmitted.
  std::ofstream(d.path / "a.png.csv") << "tampered again";
  clock.advance(std::chrono::hours(25));
  auto fourth = run_inputs<endpoints::recognize_table>(
      api, ins, j, read, [](const input_report &) {}, ro);
  REQUIRE(fourth);
  CHECK(fourth->done == 1);
  CHECK(next_id == 5);
}

TEST_CASE("run_inputs: a journal that cannot be opened fails the run before any request") {
  temp_dir d("runner-nojournal");
  std::ofstream(d.path / "a.png") << "a";
  const std::vector<batch_input> ins{{"a.png", d.path / "a.png", d.path / "a.png.csv"}};
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  net.on(
      http_method::post, "/v5.0/ocr/RecognizeTable",
      [](const request &) { return testing::scripted_reply::text(200, "task-1"); },
      testing::scripted_transport::forever);
  // Its folder does not exist: load() finds no journal yet, open() fails.
  const fs::path where = d.path / "missing" / "journal";
  file_journal j(where);
  const auto read = read_image;
  std::size_t reports = 0;
  run_options ro;
  ro.own_threads = false;
  ro.now = [&] { return clock.wall_now(); };
  auto sum = run_inputs<endpoints::recognize_table>(
      api, ins, j, read, [&](const input_report &) { ++reports; }, ro);
  REQUIRE_FALSE(sum);
  check_io(sum.error(), where, ENOENT);
  CHECK(net.requests().empty()); // not even the token
  CHECK(reports == 0);
  CHECK_FALSE(fs::exists(d.path / "a.png.csv"));
}

TEST_CASE("run_inputs: inputs become tasks as room opens, max_outstanding at once") {
  temp_dir d("runner-window");
  const auto ins = numbered_inputs(d, 30);
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  int next_id = 0;
  number_submits(net, next_id);
  // Every seventh task ends in Error: its input goes back to the service as
  // a new task, which takes no second place in the window.
  net.on(
      http_method::get, "/v5.0/ocr/RecognizeTable",
      [&](const request &r) {
        const int id = std::stoi(r.target.substr(r.target.find("id=task-") + 8));
        if (id % 7 == 0) return testing::scripted_reply::json(200, R"({"taskStatus":"Error"})");
        return testing::scripted_reply::json(200, completed("0\n" + std::to_string(id) + "\n"));
      },
      testing::scripted_transport::forever);
  file_journal j(d.path / "journal");
  std::set<std::string> read_once; // inputs read so far
  std::size_t reported = 0, most = 0;
  auto read = [&](const fs::path &p) -> result<image_input> {
    read_once.insert(p.filename().string());
    most = std::max(most, read_once.size() - reported);
    return read_image(p);
  };
  run_options ro;
  ro.jobs = 2;
  ro.max_outstanding = 3;
  ro.own_threads = false;
  ro.now = [&] { return clock.wall_now(); };
  std::size_t most_queued = 0; // inputs not yet made tasks count as queued
  ro.on_progress = [&](const pool_progress &p) { most_queued = std::max(most_queued, p.queued); };
  auto sum = run_inputs<endpoints::recognize_table>(
      api, ins, j, read, [&](const input_report &) { ++reported; }, ro);
  REQUIRE(sum);
  CHECK(reported == ins.size());
  CHECK(sum->done + sum->failed == ins.size());
  CHECK(sum->resubmitted >= 4); // tasks 7, 14, 21, 28 at least
  CHECK(read_once.size() == ins.size());
  CHECK(most <= ro.max_outstanding); // before: 6, every input's task made up front
  CHECK(most_queued >= ins.size() - ro.max_outstanding);
  CHECK(net.unmatched() == 0);
}

TEST_CASE("run_inputs: what on_report throws stops the run; the next run finishes it with no "
          "second submit") {
  temp_dir d("runner-throw");
  const auto ins = numbered_inputs(d, 12);
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  int next_id = 0;
  number_submits(net, next_id);
  // Every task is Pending at its first poll, then Completed.
  std::map<std::string, int> polls;
  net.on(
      http_method::get, "/v5.0/ocr/RecognizeTable",
      [&](const request &r) {
        const std::string id = r.target.substr(r.target.find("id=") + 3);
        if (polls[id]++ == 0)
          return testing::scripted_reply::json(200, R"({"taskStatus":"Pending"})");
        return testing::scripted_reply::json(200, completed("0\n" + id + "\n"));
      },
      testing::scripted_transport::forever);
  file_journal j(d.path / "journal");
  const auto read = read_image;
  run_options ro;
  ro.jobs = 2;
  ro.max_outstanding = 6;
  ro.own_threads = false;
  ro.now = [&] { return clock.wall_now(); };
  std::size_t reports = 0;
  auto first = [&] {
    (void)run_inputs<endpoints::recognize_table>(
        api, ins, j, read,
        [&](const input_report &) {
          if (++reports == 3) throw std::runtime_error("terminal gone");
        },
        ro);
  };
  CHECK_THROWS_WITH_AS(first(), "terminal gone", std::runtime_error);
  const int submitted = next_id;
  CHECK(submitted < 12); // stopped: no input made after the throw
  // The rerun polls the tasks the first left live and submits the rest once.
  std::size_t done = 0;
  auto again = run_inputs<endpoints::recognize_table>(
      api, ins, j, read, [&](const input_report &r) { done += r.outcome == input_outcome::done; },
      ro);
  REQUIRE(again);
  CHECK(again->done + again->skipped == 12);
  CHECK(next_id == 12); // every input submitted once over both runs
  CHECK(again->resubmitted == 0);
  for (const auto &in : ins) CHECK(fs::exists(in.output));
}
