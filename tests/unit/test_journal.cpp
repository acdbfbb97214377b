// The batch journal's storage: file_journal's round trip, torn and
// corrupted records, local failures as io errors, group commit from many
// threads; memory_journal. What a rerun makes of the records is
// test_replay.cpp's.
#include "batch_support.hpp"
#include "io_check.hpp"

#include <taskfetch/batch/file_journal.hpp>
#include <taskfetch/batch/memory_journal.hpp>
#include <taskfetch/detail/posix_file.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

using namespace taskfetch;
using batch_test::submitted;
using batch_test::temp_dir;
using ut::slurp;
namespace fs = std::filesystem;

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
  std::string text = slurp(p);
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
  SUBCASE("unreadable: a folder where the journal should be") {
    fs::create_directory(p);
    file_journal j(p);
    auto es = j.load();
    REQUIRE_FALSE(es);
    check_io(es.error(), p, EISDIR);
    auto r = j.append(submitted("a.png", "t1"));
    REQUIRE_FALSE(r);
    check_io(r.error(), p, EISDIR);
  }
}

TEST_CASE("file journal: a path that is not a regular file is refused, never read or written") {
  // Without the check, load() read /dev/full's and /dev/zero's endless zeros
  // until memory ran out, a FIFO blocked the open and /dev/null swallowed
  // every record (so a rerun would pay again for everything).
  temp_dir d("journal-special");
  const fs::path fifo = d.path / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  struct {
    fs::path path;
    const char *kind;
  } const specials[] = {{"/dev/full", "a character device"},
                        {"/dev/zero", "a character device"},
                        {"/dev/null", "a character device"},
                        {fifo, "a FIFO"}};
  for (const auto &sp : specials) {
    if (!fs::exists(sp.path)) continue; // not every sandbox has every device
    CAPTURE(sp.path);
    const std::string why = std::string(": ") + sp.kind + ", not a regular file";
    file_journal j(sp.path);
    auto es = j.load();
    REQUIRE_FALSE(es);
    CHECK(es.error().kind() == error_kind::io);
    CHECK(es.error().message() == "cannot read the journal " + sp.path.string() + why);
    auto r = j.append(submitted("a.png", "t1"));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::io);
    CHECK(r.error().message() == "cannot open the journal " + sp.path.string() + why);
  }
  // A symbolic link to a regular file is a regular file.
  const fs::path real = d.path / "real", link = d.path / "link";
  {
    file_journal w(real);
    REQUIRE(w.append(submitted("a.png", "t1")));
  }
  fs::create_symlink(real, link);
  file_journal j(link);
  auto es = j.load();
  REQUIRE(es);
  CHECK(es->size() == 1);
  CHECK(j.append(submitted("b.png", "t2")));
}

TEST_CASE("memory journal: keeps every record, in order") {
  memory_journal j;
  REQUIRE(j.append(submitted("a.png", "t1")));
  REQUIRE(j.append(submitted("b.png", "t2")));
  auto es = j.load();
  REQUIRE(es);
  REQUIRE(es->size() == 2);
  CHECK((*es)[0].input == "a.png");
  CHECK((*es)[1].task_id == "t2");
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
  std::set<std::string> inputs;
  for (const auto &e : *es) inputs.insert(e.input);
  CHECK(inputs.size() == threads * each); // none lost, none doubled
}
