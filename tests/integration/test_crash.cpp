// The batch runner survives kill -9: a real `taskfetch run --inputs` process
// is killed at random moments, rerun to completion, and then every input must
// have exactly one correct result, the journal must agree with the files, and
// the emulator must have seen no duplicate submission beyond the documented
// window (the tasks in flight at each kill).
#ifdef TASKFETCH_CLI_PATH
#include "cli_runner.hpp"

#include <taskfetch/batch/file_journal.hpp>
#include <taskfetch/batch/replay.hpp>

#include <random>
#include <thread>

using namespace it;

TEST_CASE("crash test: kill -9 a journalled batch at random moments, rerun, lose nothing") {
  emulation::options eo = fast_emulator();
  eo.pending_for = 60ms;
  eo.processing_for = 120ms;
  emulator emu(eo);
  REQUIRE(emu.start());
  temp_dir tmp;
  const fs::path in = tmp.path / "in", out = tmp.path / "out";
  fs::create_directories(in);
  constexpr int inputs = 60;
  for (int i = 0; i < inputs; ++i)
    std::ofstream(in / ("statement-" + std::to_string(i) + ".png"))
        << "scan #" << i << " " << std::string(i * 37, '#');
  const std::size_t jobs = 4;
  const std::vector<std::string> cmd =
      against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir", out.string(),
                    "--jobs", std::to_string(jobs), "--quiet"});
  std::mt19937 rng(20261122);
  int kills = 0;
  for (int round = 0; round < 5; ++round) {
    const pid_t pid = spawn_cli(cmd, tmp.path / "o", tmp.path / "e");
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 600)(rng)));
    if (::kill(pid, SIGKILL) == 0) ++kills;
    wait_exit(pid);
  }
  // Rerun until done (one run should do; a few allow for slow machines).
  int code = -1;
  for (int attempt = 0; attempt < 3 && code != 0; ++attempt) {
    const pid_t pid = spawn_cli(cmd, tmp.path / "o", tmp.path / "e");
    code = wait_exit(pid);
  }
  REQUIRE(code == 0);
  CHECK(slurp(tmp.path / "o").find("failed=0") != std::string::npos);

  // Every input: exactly one correct result.
  std::size_t outputs = 0;
  for (auto &e : fs::directory_iterator(out)) outputs += e.path().filename().string()[0] != '.';
  CHECK(outputs == inputs);
  for (int i = 0; i < inputs; ++i) {
    const std::string name = "statement-" + std::to_string(i) + ".png";
    CHECK_MESSAGE(slurp(out / (name + ".csv")) == expected_table(slurp(in / name)), name);
  }

  // The journal agrees with the files.
  file_journal j(out / ".taskfetch-journal");
  auto records = j.load();
  REQUIRE(records);
  auto h = replay(*records);
  CHECK(h.size() == inputs);
  for (const auto &[key, hist] : h) {
    CHECK(hist.done);
    auto d = detail::sha256_file(hist.output);
    REQUIRE(d);
    CHECK(d->sha256 == hist.sha256);
  }

  // Duplicates: only tasks in flight at a kill (POST sent, id not yet
  // journalled) may have been submitted twice.
  std::size_t duplicates = 0, submissions = 0;
  for (const auto &[hash, n] : emu.submissions()) {
    submissions += n;
    duplicates += n - 1;
  }
  CHECK(emu.submissions().size() == inputs);
  MESSAGE("kills: " << kills << ", submissions: " << submissions << ", duplicates: " << duplicates
                    << ", journal records skipped: " << j.skipped());
  CHECK(duplicates <= static_cast<std::size_t>(kills) * jobs);
}
#endif
