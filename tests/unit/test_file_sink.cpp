// detail::file_sink, the machinery behind decoders::to_file: every byte in
// order on each write path, a file that appears only at commit and keeps an
// existing file's mode, and local failures (injected through
// detail::file_fault) as io errors that leave nothing behind.
#include "io_check.hpp"
#include "support.hpp"

#include <taskfetch/detail/file_sink.hpp>
#include <taskfetch/detail/posix_file.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace taskfetch;
using taskfetch::detail::file_call;
using taskfetch::detail::file_fault;
using taskfetch::detail::file_sink;
using ut::names_in;
using ut::slurp;
using ut::temp_dir;
namespace fs = std::filesystem;

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

TEST_CASE(
    "file_sink: an unnamed file is named through /proc where the kernel refuses its descriptor") {
  // Kernels before 6.10 refuse linkat(fd, "", AT_EMPTY_PATH) without
  // CAP_DAC_READ_SEARCH; this kernel may not, so the /proc way is forced.
  auto &by_fd = taskfetch::detail::link_by_descriptor();
  const bool was = by_fd.exchange(false);
  temp_dir tmp;
  const fs::path out = tmp.path / "via-proc.csv";
  file_sink sink;
  for (const char *text : {"first", "second"}) { // a new file, then one replaced
    REQUIRE(sink.open(out));
    REQUIRE(sink.write(text, std::strlen(text)));
    REQUIRE(sink.commit());
    CHECK(slurp(out) == text);
  }
  CHECK(names_in(tmp.path) == std::vector<std::string>{"via-proc.csv"});
  CHECK_FALSE(by_fd.load());
  by_fd.store(was);
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
    // Found by open() where the temporary is named, by commit() where it is
    // unnamed (Linux): either way an io error, the directory left alone.
    fs::create_directory(out);
    std::optional<error> e;
    if (auto o = sink.open(out); !o)
      e = o.error();
    else if (auto c = sink.commit(); !c)
      e = c.error();
    REQUIRE(e);
    check_io(*e, out, EISDIR);
    CHECK(fs::is_directory(out));
    CHECK(names_in(tmp.path) == std::vector<std::string>{"book.pdf"});
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
