// `taskfetch run --journal postgresql://...` against a real PostgreSQL that
// the test starts: a database that cannot be reached or refuses the login is
// exit 9 naming host:port before any request; several CLI workers share one
// batch, one is SIGKILLed mid-batch, and the survivors finish every input
// exactly once (one result file, one done row) without paying for the dead
// worker's tasks again. Built only with libpq and the CLI.
#if defined(TASKFETCH_TEST_POSTGRESQL) && defined(TASKFETCH_CLI_PATH)
#include "../common/pg_server.hpp"
#include "cli_runner.hpp"
#include "support.hpp"

#include <taskfetch/detail/pq.hpp>

#include <fstream>
#include <set>
#include <thread>

#include <doctest/doctest.h>

using namespace it;
using namespace std::chrono_literals;
namespace pq = taskfetch::detail::pq;

namespace {

pg_test::pg_server &workers_server() {
  static pg_test::pg_server s;
  return s;
}

bool have_workers_server() { return pg_test::usable(workers_server()); }

std::size_t count_kind(const emulator &emu, const std::string &kind) {
  std::size_t n = 0;
  for (const auto &r : emu.log()) n += r.kind == kind;
  return n;
}

// Writes @p n inputs PREFIX<i>.png into @p in.
void write_inputs(const fs::path &in, int n, const std::string &prefix) {
  fs::create_directories(in);
  for (int i = 0; i < n; ++i) std::ofstream(in / (prefix + std::to_string(i) + ".png")) << i;
}

// Starts @p n CLI workers <prefix><w> on one batch of @p in; worker w's
// stdout and stderr go to tmp/out<w> and tmp/err<w>.
std::vector<pid_t> spawn_workers(const emulator &emu, const temp_dir &tmp, const fs::path &in,
                                 const fs::path &out, const std::string &batch, int n,
                                 const std::string &lease, const std::string &jobs,
                                 const std::string &prefix) {
  std::vector<pid_t> pids;
  for (int w = 0; w < n; ++w)
    pids.push_back(spawn_cli(
        against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir", out.string(),
                      "--journal", workers_server().uri(), "--lease", lease, "--batch", batch,
                      "--jobs", jobs, "--worker", prefix + std::to_string(w)}),
        tmp.path / ("out" + std::to_string(w)), tmp.path / ("err" + std::to_string(w))));
  return pids;
}

// Real waiting (child processes): until the emulator has seen @p k submits.
bool wait_for_submits(const emulator &emu, std::size_t k) {
  for (int i = 0; i < 1000 && count_kind(emu, "submit") < k; ++i) std::this_thread::sleep_for(5ms);
  return count_kind(emu, "submit") >= k;
}

/// Whether @p n workers of @p batch have joined it (each is connected, so a
/// restart after this is one they must ride out, not a server they never met).
bool wait_for_workers(const std::string &batch, int n) {
  pq::connection db(workers_server().uri());
  if (!db.open()) return false;
  for (int i = 0; i < 2000; ++i) {
    auto rows = db.exec("SELECT count(*) FROM taskfetch_workers WHERE batch = $1", {batch});
    if (rows.ok() && rows.rows() == 1 && std::stoi(rows.text(0, 0)) >= n) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

} // namespace

TEST_CASE("CLI --journal postgresql: an unreachable database or a refused login is exit 9 "
          "naming host:port, never the password, before any request") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = tmp.path / "in";
  fs::create_directories(in);
  std::ofstream(in / "a.png") << "a";
  auto run_with = [&](const std::string &uri) {
    return run_cli(against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir",
                                 (tmp.path / "out").string(), "--journal", uri}));
  };
  const int closed = pg_test::free_port();
  auto r = run_with("postgresql://bob:Hush-Pass-1@127.0.0.1:" + std::to_string(closed) +
                    "/jobs?connect_timeout=3");
  CHECK(r.code == 9);
  CHECK(r.err.find("127.0.0.1:" + std::to_string(closed)) != std::string::npos);
  CHECK(r.err.find("Hush-Pass-1") == std::string::npos);
  if (have_workers_server()) {
    auto bad = run_with(workers_server().uri("Wrong-Pass-2"));
    CHECK(bad.code == 9);
    CHECK(bad.err.find("127.0.0.1:" + std::to_string(workers_server().port())) !=
          std::string::npos);
    CHECK(bad.err.find("Wrong-Pass-2") == std::string::npos);
  }
  CHECK(emu.log().empty()); // not even a token request
}

TEST_CASE("CLI --journal postgresql: 3 workers, one SIGKILLed mid-batch; the survivors finish "
          "every input exactly once") {
  if (!have_workers_server()) return;
  emulator emu(timed_emulator(150ms, 250ms)); // tasks of ~400 ms
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = tmp.path / "in";
  const auto out = tmp.path / "out";
  constexpr int inputs = 30;
  write_inputs(in, inputs, "s");
  const std::string batch = "kill-test";
  auto pids = spawn_workers(emu, tmp, in, out, batch, 3, "2", "4", "w");
  REQUIRE(wait_for_submits(emu, inputs / 3)); // a third of the inputs submitted
  ::kill(pids[0], SIGKILL);
  CHECK(wait_exit(pids[0]) == 128 + SIGKILL);
  for (int w = 1; w < 3; ++w) {
    const int code = wait_exit(pids[w]);
    INFO("worker " << w << ": " << slurp(tmp.path / ("err" + std::to_string(w))));
    CHECK(code == 0);
  }
  // One result file per input, and one done row each in taskfetch_results.
  std::set<std::string> files;
  for (const auto &e : fs::directory_iterator(out))
    if (e.path().extension() == ".csv") files.insert(e.path().filename().string());
  CHECK(files.size() == std::size_t(inputs));
  pq::connection db(workers_server().uri());
  REQUIRE(db.open());
  auto rows = db.exec("SELECT count(*) FILTER (WHERE state = 'done'), count(*), "
                      "count(DISTINCT task_id) FILTER (WHERE state = 'done') FROM "
                      "taskfetch_results WHERE batch = $1",
                      {batch});
  REQUIRE(rows.ok());
  CHECK(rows.text(0, 0) == std::to_string(inputs));
  CHECK(rows.text(0, 1) == std::to_string(inputs));
  CHECK(rows.text(0, 2) == std::to_string(inputs));
  // The survivors resumed the dead worker's tasks: the only extra submissions
  // are those it had in flight when killed (at most its --jobs).
  const std::size_t submits = count_kind(emu, "submit");
  CHECK(submits >= std::size_t(inputs));
  CHECK(submits <= std::size_t(inputs) + 4);
  // And the survivors' reports cover the rest between them.
  std::size_t reported = 0;
  for (int w = 1; w < 3; ++w) {
    const std::string o = slurp(tmp.path / ("out" + std::to_string(w)));
    for (std::size_t at = o.find(".png\tdone"); at != std::string::npos;
         at = o.find(".png\tdone", at + 1))
      ++reported;
    CHECK(o.find("summary\tdone=") != std::string::npos);
  }
  CHECK(reported <= std::size_t(inputs));
  CHECK(reported > 0);
}

TEST_CASE("CLI --journal postgresql: the database restarts mid-batch; the workers ride it out "
          "and finish every input exactly once") {
  if (!have_workers_server()) return;
  emulator emu(timed_emulator(150ms, 250ms));
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = tmp.path / "in";
  const auto out = tmp.path / "out";
  constexpr int inputs = 20;
  write_inputs(in, inputs, "r");
  const std::string batch = "restart-test";
  auto pids = spawn_workers(emu, tmp, in, out, batch, 2, "20", "2", "r");
  // Both workers in (a slow start under a sanitizer met the stopped server
  // and rightly exited 9), and a quarter of the inputs submitted.
  REQUIRE(wait_for_workers(batch, 2));
  REQUIRE(wait_for_submits(emu, inputs / 4));
  REQUIRE(workers_server().stop()); // as a crash would: every connection cut
  REQUIRE(workers_server().start());
  for (int w = 0; w < 2; ++w) {
    const int code = wait_exit(pids[w]);
    INFO("worker " << w << ": " << slurp(tmp.path / ("err" + std::to_string(w))));
    CHECK(code == 0);
  }
  pq::connection db(workers_server().uri());
  REQUIRE(db.open());
  auto rows = db.exec("SELECT count(*) FILTER (WHERE state = 'done'), count(*) FROM "
                      "taskfetch_results WHERE batch = $1",
                      {batch});
  REQUIRE(rows.ok());
  CHECK(rows.text(0, 0) == std::to_string(inputs));
  CHECK(rows.text(0, 1) == std::to_string(inputs));
  // Nobody lost a claim, so nothing was submitted twice.
  CHECK(count_kind(emu, "submit") == std::size_t(inputs));
}
#endif
