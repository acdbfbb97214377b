// The batch journal: round trip, torn and corrupted records, replay rules,
// and the batch runner's resume/resubmit decisions over the scripted transport.
#include "io_check.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/batch/file_journal.hpp>
#include <taskfetch/batch/replay.hpp>
#include <taskfetch/batch/run_inputs.hpp>
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace taskfetch;
namespace fs = std::filesystem;

namespace {
struct temp_dir {
  fs::path path;
  explicit temp_dir(const char *tag) {
    path = fs::temp_directory_path() /
           ("taskfetch-" + std::string(tag) + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};
journal_entry submitted(std::string input, std::string task, std::int64_t t = 100) {
  journal_entry e;
  e.what = journal_entry::event::submitted;
  e.input = std::move(input);
  e.task_id = std::move(task);
  e.time = t;
  return e;
}
} // namespace

TEST_CASE("file journal: records survive a reopen, in order") {
  temp_dir d("journal1");
  {
    file_journal j(d.path / "j");
    REQUIRE(j.append(submitted("a.png", "t1")));
    journal_entry done;
    done.what = journal_entry::event::done;
    done.input = "a.png";
    done.task_id = "t1";
    done.output = "/out/a.png.csv";
    done.size = 12;
    done.sha256 = std::string(64, 'f');
    done.time = 101;
    REQUIRE(j.append(done));
  }
  file_journal j(d.path / "j");
  auto es = j.load();
  REQUIRE(es);
  REQUIRE(es->size() == 2);
  CHECK((*es)[1].what == journal_entry::event::done);
  CHECK((*es)[1].size == 12);
  CHECK(j.skipped() == 0);
}

TEST_CASE("file journal: a torn last record is ignored and never swallows the next") {
  temp_dir d("journal2");
  const fs::path p = d.path / "j";
  {
    file_journal j(p);
    REQUIRE(j.append(submitted("a.png", "t1")));
    REQUIRE(j.append(submitted("b.png", "t2")));
  }
  // Tear the last record in half, as a crash during write() would.
  const auto size = fs::file_size(p);
  fs::resize_file(p, size - 20);
  {
    file_journal j(p);
    auto es = j.load();
    REQUIRE(es);
    CHECK(es->size() == 1);
    CHECK(j.skipped() == 1);
    REQUIRE(j.append(submitted("c.png", "t3")));
  }
  file_journal j(p);
  auto es = j.load();
  REQUIRE(es);
  REQUIRE(es->size() == 2);
  CHECK((*es)[1].input == "c.png");
}

TEST_CASE("file journal: corrupted records fail their checksum and are skipped") {
  temp_dir d("journal3");
  const fs::path p = d.path / "j";
  {
    file_journal j(p);
    REQUIRE(j.append(submitted("a.png", "t1")));
    REQUIRE(j.append(submitted("b.png", "t2")));
  }
  std::string text;
  {
    std::ifstream in(p);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text[30] = text[30] == 'x' ? 'y' : 'x'; // a flipped byte in the first record
  text += "garbage line\n\n{\"v\":1}\n";
  { std::ofstream(p, std::ios::trunc) << text; }
  file_journal j(p);
  auto es = j.load();
  REQUIRE(es);
  REQUIRE(es->size() == 1);
  CHECK((*es)[0].input == "b.png");
  CHECK(j.skipped() == 3);
}

using detail::file_call;
using detail::file_fault;

TEST_CASE("file journal: local failures are io errors naming the journal") {
  temp_dir d("journal-io");
  const fs::path p = d.path / "j";

  SUBCASE("missing folder") {
    const fs::path lost = d.path / "no" / "such" / "j";
    file_journal j(lost);
    auto es = j.load(); // nothing yet: a new journal
    REQUIRE(es);
    CHECK(es->empty());
    auto r = j.append(submitted("a.png", "t1"));
    REQUIRE_FALSE(r);
    check_io(r.error(), lost, ENOENT);
    CHECK(r.error().message() ==
          "cannot open the journal " + lost.string() + ": No such file or directory");
  }
  SUBCASE("permission refused, disk full, fsync failing (injected: root passes any chmod)") {
    struct {
      file_call call;
      int err;
      const char *what;
    } const faults[] = {{file_call::open, EACCES, "cannot open the journal "},
                        {file_call::write, ENOSPC, "cannot write the journal "},
                        {file_call::sync, EIO, "cannot sync the journal "}};
    for (const auto &f : faults) {
      file_journal j(p);
      file_fault fault(f.call, f.err);
      auto r = j.append(submitted("a.png", "t1"));
      REQUIRE_FALSE(r);
      check_io(r.error(), p, f.err);
      CHECK(r.error().message() == f.what + p.string() + ": " + detail::errno_text(f.err));
      CHECK(fault.failures() == 1);
    }
  }
  SUBCASE("disk full (/dev/full)") {
    if (!fs::exists("/dev/full")) return; // not in every sandbox; the injected case covers it
    file_journal j("/dev/full");
    auto r = j.append(submitted("a.png", "t1"));
    REQUIRE_FALSE(r);
    check_io(r.error(), "/dev/full", ENOSPC);
  }
  SUBCASE("unreadable: a folder where the journal should be") {
    fs::create_directory(p);
    file_journal j(p);
    auto es = j.load();
    REQUIRE_FALSE(es);
    check_io(es.error(), p, EISDIR);
  }
}

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

TEST_CASE("replay: the latest submission wins; errors and expiry are counted") {
  std::vector<journal_entry> es{submitted("a", "t1", 10)};
  journal_entry f;
  f.what = journal_entry::event::failed;
  f.input = "a";
  f.task_id = "t1";
  f.kind = "task_failed";
  es.push_back(f);
  es.push_back(submitted("a", "t2", 20));
  auto h = replay(es);
  CHECK(h["a"].task_id == "t2");
  CHECK(h["a"].submitted_at == 20);
  CHECK(h["a"].task_errors == 1);
  CHECK(h["a"].submissions == 2);
  CHECK_FALSE(h["a"].done);
}

namespace {
using test_client =
    basic_client<testing::scripted_transport, standard_retry, testing::manual_clock>;
std::string completed(const std::string &data) {
  return "{\"taskStatus\":\"Completed\",\"results\":[{\"type\":\"Csv\",\"data\":\"" +
         detail::base64_encode(data) + "\"}]}";
}
} // namespace

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
  net.on(
      http_method::post, "/v5.0/ocr/RecognizeTable",
      [&](const request &) {
        return testing::scripted_reply::text(200, "task-" + std::to_string(++next_id));
      },
      testing::scripted_transport::forever);
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
  auto read = [](const fs::path &p) -> result<image_input> {
    std::ifstream in(p, std::ios::binary);
    return image_input{std::string(std::istreambuf_iterator<char>(in), {}), std::nullopt};
  };
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

TEST_CASE("file_journal: appends from many threads share fsyncs and all survive") {
  temp_dir d("group");
  file_journal j(d.path / "journal");
  constexpr int threads = 8, each = 100;
  std::vector<std::thread> ts;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < each; ++i)
        if (!j.append(submitted("in-" + std::to_string(t) + "-" + std::to_string(i),
                                "task-" + std::to_string(i), i)))
          ++failures;
    });
  for (auto &t : ts) t.join();
  CHECK(failures == 0);
  // Every append returned only after an fsync that covered it; overlapping
  // appends shared one.
  CHECK(j.syncs() < threads * each);
  CHECK(j.syncs() >= 1);
  file_journal reread(d.path / "journal");
  auto es = reread.load();
  REQUIRE(es);
  CHECK(es->size() == threads * each);
  CHECK(replay(*es).size() == threads * each);
}
