// libpq's wrapper (detail/pq.hpp): no message ever carries a password, and
// a connection that cannot be made is an io error naming the host. Built
// only with libpq (TASKFETCH_TEST_POSTGRESQL).
#ifdef TASKFETCH_TEST_POSTGRESQL
#include "../common/pg_server.hpp"

#include <taskfetch/batch/pg_journal.hpp>
#include <taskfetch/detail/pq.hpp>
#include <taskfetch/testing/manual_clock.hpp>

#include <set>
#include <thread>

#include <doctest/doctest.h>

using namespace taskfetch;
namespace pq = taskfetch::detail::pq;

TEST_CASE("pq: passwords are stripped from URIs, key/value strings and libpq's text") {
  CHECK(pq::strip_password("postgresql://bob:s3cret@db.example:5432/x") ==
        "postgresql://bob:***@db.example:5432/x");
  CHECK(pq::strip_password("postgres://bob@h/x?password=s3cret&sslmode=disable") ==
        "postgres://bob@h/x?password=***&sslmode=disable");
  CHECK(pq::strip_password("host=h password='a b' dbname=x") == "host=h password=*** dbname=x");
  CHECK(pq::strip_password("auth failed for s3cret here", "s3cret") == "auth failed for *** here");
  CHECK(pq::strip_password("postgresql://h:5432/x") == "postgresql://h:5432/x");
}

TEST_CASE("pq: an unreachable server is an io error naming the host, never the password") {
  const int port = pg_test::free_port();
  pq::connection c("postgresql://bob:s3cret@127.0.0.1:" + std::to_string(port) +
                   "/jobs?connect_timeout=2");
  auto r = c.open();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::io);
  const auto &m = r.error().message();
  CHECK(m.find("127.0.0.1:" + std::to_string(port) + "/jobs") != std::string::npos);
  CHECK(m.find("s3cret") == std::string::npos);
  CHECK_FALSE(c.good());
}

TEST_CASE("pq: a malformed connection string is an io error without the password") {
  pq::connection c("postgresql://bob:s3cret@[::1/x"); // unterminated IPv6 literal
  auto r = c.open();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::io);
  CHECK(r.error().message().find("s3cret") == std::string::npos);
}

namespace {
// The server every test below shares; started once.
pg_test::pg_server &server() {
  static pg_test::pg_server s;
  return s;
}
// False (with a loud message) when no server could start; in CI that fails.
bool have_server() { return pg_test::usable(server()); }
} // namespace

TEST_CASE("pq: a real server: query, refused login, restart and reconnect") {
  if (!have_server()) return;
  pq::connection c(server().uri());
  REQUIRE(c.open());
  auto r = c.exec("SELECT $1::int + 1", {std::string("41")});
  REQUIRE(r.ok());
  CHECK(r.text(0, 0) == "42");
  CHECK(c.exec("SELECT NULL::text", {}).is_null(0, 0));

  SUBCASE("refused login names the host, not the password") {
    pq::connection bad(server().uri("Wrong-Pass-9"));
    auto o = bad.open();
    REQUIRE_FALSE(o);
    CHECK(o.error().kind() == error_kind::io);
    CHECK(o.error().message().find("127.0.0.1") != std::string::npos);
    CHECK(o.error().message().find("Wrong-Pass-9") == std::string::npos);
    CHECK(o.error().message().find(pg_test::pg_server::password) == std::string::npos);
  }
  SUBCASE("a transaction rolls back unless committed") {
    REQUIRE(c.exec("CREATE TABLE IF NOT EXISTS t_tx (v int)").ok());
    {
      pq::transaction tx(c);
      REQUIRE(tx.began());
      REQUIRE(c.exec("INSERT INTO t_tx VALUES (1)").ok());
    }
    CHECK(c.exec("SELECT count(*) FROM t_tx").text(0, 0) == "0");
    {
      pq::transaction tx(c);
      REQUIRE(c.exec("INSERT INTO t_tx VALUES (2)").ok());
      CHECK(tx.commit());
    }
    CHECK(c.exec("SELECT count(*) FROM t_tx").text(0, 0) == "1");
  }
  SUBCASE("the server goes away and comes back: one reopen reconnects") {
    REQUIRE(server().stop());
    CHECK_FALSE(c.exec("SELECT 1").ok());
    CHECK_FALSE(c.good());
    auto down = c.open();
    REQUIRE_FALSE(down);
    CHECK(down.error().kind() == error_kind::io);
    CHECK(down.error().message().find(pg_test::pg_server::password) == std::string::npos);
    REQUIRE(server().start());
    REQUIRE(c.open());
    CHECK(c.exec("SELECT 1").ok());
  }
}
namespace {
// A journal on batch @p batch as worker @p owner, its time from @p clock.
// A lost connection is retried for @p reconnect (short, so a test of an
// outage ends soon).
pg_journal worker(const std::string &batch, const std::string &owner,
                  const testing::manual_clock &clock,
                  std::chrono::milliseconds reconnect = std::chrono::milliseconds(300)) {
  pg_journal_options o;
  o.batch = batch;
  o.owner = owner;
  o.clock = [clock] { return clock.wall_now(); };
  o.reconnect_for = reconnect;
  return pg_journal(server().uri(), o);
}
journal_entry done_entry(const std::string &input) {
  journal_entry e;
  e.what = journal_entry::event::done;
  e.input = input;
  e.output = "/out/" + input + ".csv";
  e.size = 7;
  e.sha256 = std::string(64, 'c');
  return e;
}
} // namespace

TEST_CASE("pg_journal: schema created once, versioned; a newer schema is refused") {
  if (!have_server()) return;
  pq::connection c(server().uri());
  REQUIRE(c.open());
  REQUIRE(c.exec("DROP SCHEMA IF EXISTS newer CASCADE; CREATE SCHEMA newer").ok());
  const std::string uri = server().uri() + "&options=-csearch_path%3Dnewer";
  {
    pg_journal j(uri);
    REQUIRE(j.enroll({"a"}));
    pg_journal k(uri);
    REQUIRE(k.enroll({"a", "b"}));
    CHECK(k.counts()->open == 2);
  }
  auto v = c.exec("SELECT count(*), max(version) FROM newer.taskfetch_schema");
  CHECK(v.text(0, 0) == "1");
  CHECK(v.text(0, 1) == std::to_string(pg_journal_schema_version));
  REQUIRE(c.exec("UPDATE newer.taskfetch_schema SET version = 99").ok());
  pg_journal j(uri);
  auto r = j.enroll({"a"});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::io);
  CHECK(r.error().message().find("version 99") != std::string::npos);
  CHECK(r.error().message().find(pg_test::pg_server::password) == std::string::npos);
}

TEST_CASE("pg_journal: two workers claiming at once never get the same input") {
  if (!have_server()) return;
  testing::manual_clock clock;
  auto a = worker("skip", "a", clock);
  auto b = worker("skip", "b", clock);
  std::vector<std::string> in;
  for (int i = 0; i < 200; ++i) in.push_back("in" + std::to_string(i));
  REQUIRE(a.enroll(in));
  REQUIRE(b.enroll(in));
  std::vector<std::string> ga, gb;
  auto take = [](pg_journal &j, std::vector<std::string> &got) {
    for (;;) {
      auto c = j.claim(3);
      REQUIRE(c);
      if (c->empty()) return;
      for (const auto &x : *c) got.push_back(x.input);
    }
  };
  std::thread ta([&] { take(a, ga); });
  std::thread tb([&] { take(b, gb); });
  ta.join();
  tb.join();
  std::set<std::string> all(ga.begin(), ga.end());
  all.insert(gb.begin(), gb.end());
  CHECK(ga.size() + gb.size() == 200);
  CHECK(all.size() == 200);
  CHECK(a.counts()->claimed == 200);
}

TEST_CASE("pg_journal: the fence race, a lapsed worker's finish is refused") {
  if (!have_server()) return;
  testing::manual_clock clock;
  auto a = worker("race", "a", clock);
  auto b = worker("race", "b", clock);
  REQUIRE(a.enroll({"x"}));
  auto ca = a.claim(1).value();
  REQUIRE(ca.size() == 1);
  CHECK(*a.submitted(ca[0], "task-7", 1700000000));
  clock.advance(std::chrono::seconds(10));
  CHECK(a.renew()->empty());
  CHECK(b.claim(1)->empty());
  clock.advance(std::chrono::seconds(30)); // A's lease lapses
  auto cb = b.claim(1).value();
  REQUIRE(cb.size() == 1);
  CHECK(cb[0].attempt == ca[0].attempt + 1);
  CHECK(cb[0].history.task_id == "task-7");
  CHECK(cb[0].history.submissions == 1);
  CHECK_FALSE(*a.finish(ca[0], done_entry("x"), R"({"rows":[["stale"]]})"));
  CHECK_FALSE(*a.submitted(ca[0], "task-8", 1700000001));
  CHECK_FALSE(*a.release(ca[0]));
  CHECK(*a.renew() == std::vector<std::string>{"x"});
  pq::connection c(server().uri());
  REQUIRE(c.open());
  auto row = c.exec("SELECT state, owner, attempt, result IS NULL, task_id FROM taskfetch_inputs "
                    "WHERE batch = 'race' AND input = 'x'");
  REQUIRE(row.rows() == 1);
  CHECK(row.text(0, 0) == "claimed");
  CHECK(row.text(0, 1) == "b");
  CHECK(row.text(0, 2) == std::to_string(cb[0].attempt));
  CHECK(row.text(0, 3) == "t");
  CHECK(row.text(0, 4) == "task-7");
  CHECK(*b.finish(cb[0], done_entry("x"), R"({"rows":[["a","1"]]})"));
  CHECK_FALSE(*b.finish(cb[0], done_entry("x"), R"({"rows":[]})"));
  // Plain SQL through the view.
  auto v = c.exec("SELECT input, task_id, state, result->'rows'->0->>1, output_path, "
                  "finished_at IS NOT NULL FROM taskfetch_results WHERE batch = 'race'");
  REQUIRE(v.rows() == 1);
  CHECK(v.text(0, 0) == "x");
  CHECK(v.text(0, 1) == "task-7");
  CHECK(v.text(0, 2) == "done");
  CHECK(v.text(0, 3) == "1");
  CHECK(v.text(0, 4) == "/out/x.csv");
  CHECK(v.text(0, 5) == "t");
  auto k = b.counts().value();
  CHECK(k.done == 1);
  CHECK(k.open + k.claimed + k.failed == 0);
}

TEST_CASE("pg_journal: writes from several threads share one commit, each keeping its fence") {
  if (!have_server()) return;
  testing::manual_clock clock;
  auto a = worker("group", "a", clock);
  std::vector<std::string> in;
  for (int i = 0; i < 8; ++i) in.push_back("g" + std::to_string(i));
  REQUIRE(a.enroll(in));
  auto cl = a.claim(8).value();
  REQUIRE(cl.size() == 8);
  // Another session locks g0's row: the first write blocks inside its
  // commit, and the writes that come meanwhile must queue behind it.
  pq::connection lock(server().uri());
  REQUIRE(lock.open());
  REQUIRE(lock.exec("BEGIN").ok());
  REQUIRE(lock.exec("SELECT 1 FROM taskfetch_inputs WHERE batch = 'group' AND input = 'g0' FOR "
                    "UPDATE")
              .ok());
  const auto json = [](const std::string &k) { return R"({"input":")" + k + R"("})"; };
  std::vector<char> ok(8, 0);
  std::vector<std::thread> ts;
  ts.emplace_back([&] { ok[0] = a.finish(cl[0], done_entry("g0"), json("g0")).value(); });
  // Until g0's UPDATE waits for the row lock (bounded: a failure shows below).
  for (int i = 0; i < 1000; ++i) {
    auto row = lock.exec("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                         "AND query LIKE '%UPDATE taskfetch_inputs%'");
    if (row.ok() && row.text(0, 0) == "1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  input_claim stale = cl[7];
  stale.attempt -= 1; // an attempt this worker no longer holds
  for (int i = 1; i < 7; ++i)
    ts.emplace_back([&, i] { ok[i] = a.finish(cl[i], done_entry(in[i]), json(in[i])).value(); });
  ts.emplace_back([&] { ok[7] = a.finish(stale, done_entry("g7"), json("stale")).value(); });
  for (int i = 0; i < 1000 && a.stats().waiting < 7; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(a.stats().waiting == 7);
  REQUIRE(lock.exec("COMMIT").ok());
  for (auto &t : ts) t.join();
  CHECK(std::vector<char>(ok.begin(), ok.begin() + 7) == std::vector<char>(7, 1));
  CHECK(ok[7] == 0); // the fence refused the stale attempt, not its group
  auto st = a.stats();
  CHECK(st.writes == 8);
  CHECK(st.commits == 2); // g0 alone, then the seven that queued behind it
  CHECK(*a.finish(cl[7], done_entry("g7"), json("g7")));
  auto rows = lock.exec("SELECT input, state, result->>'input' FROM taskfetch_results WHERE batch "
                        "= 'group' ORDER BY input");
  REQUIRE(rows.rows() == 8);
  for (int i = 0; i < 8; ++i) {
    CHECK(rows.text(i, 0) == in[i]);
    CHECK(rows.text(i, 1) == "done");
    CHECK(rows.text(i, 2) == in[i]);
  }
  auto x = lock.exec("SELECT count(DISTINCT xmin::text) FROM taskfetch_inputs WHERE batch = "
                     "'group' AND input BETWEEN 'g1' AND 'g6'");
  CHECK(x.text(0, 0) == "1"); // one transaction wrote all six
}

TEST_CASE("pg_journal: failures, release, share_rate, and reconnect after a restart") {
  if (!have_server()) return;
  testing::manual_clock clock;
  auto a = worker("misc", "a", clock);
  auto b = worker("misc", "b", clock);
  REQUIRE(a.enroll({"1", "2"}));
  auto c = a.claim(2).value();
  REQUIRE(c.size() == 2);
  journal_entry f;
  f.what = journal_entry::event::failed;
  f.input = "1";
  f.kind = "task_failed";
  f.messages = {"bad page"};
  f.final = true;
  CHECK(*a.fail(c[0], f));
  CHECK(*a.release(c[1]));
  auto k = a.counts().value();
  CHECK(k.failed == 1);
  CHECK(k.open == 1);
  CHECK(*a.share_rate(60, 0) == doctest::Approx(60));
  CHECK(*b.share_rate(60, 0) == doctest::Approx(30));
  CHECK(*b.share_rate(60, 5) == doctest::Approx(5));

  REQUIRE(server().stop());
  auto down = a.counts();
  REQUIRE_FALSE(down);
  CHECK(down.error().kind() == error_kind::io);
  CHECK(down.error().message().find("127.0.0.1") != std::string::npos);
  CHECK(down.error().message().find(pg_test::pg_server::password) == std::string::npos);
  CHECK(down.error().message().find("retried") != std::string::npos);
  REQUIRE(server().start());
  auto up = a.claim(1);
  REQUIRE(up);
  REQUIRE(up->size() == 1);
  CHECK((*up)[0].input == "2");
}

TEST_CASE("pg_journal: a restarted worker of the same name takes its old claims over; renew "
          "extends only the claims this handle holds") {
  if (!have_server()) return;
  testing::manual_clock clock;
  auto a = worker("orphans", "w", clock);
  auto b = worker("orphans", "b", clock);
  REQUIRE(a.enroll({"x", "y"}));
  auto ca = a.claim(5).value();
  REQUIRE(ca.size() == 2);
  CHECK(*a.submitted(ca[0], "task-1", 1700000000));
  // The process died; one with the same --worker starts on the batch.
  auto a2 = worker("orphans", "w", clock);
  CHECK(a2.renew()->empty()); // it holds nothing, so it extends nothing
  CHECK(b.claim(5)->empty()); // the old leases are still live for others
  auto c2 = a2.claim(5).value();
  REQUIRE(c2.size() == 2);
  CHECK(c2[0].input == "x");
  CHECK(c2[0].attempt == ca[0].attempt + 1);
  CHECK(c2[0].history.task_id == "task-1"); // resumes the task, no new submit
  CHECK(c2[1].attempt == ca[1].attempt + 1);
  CHECK(a.renew()->size() == 2); // the old handle, were it alive, lost both
  CHECK_FALSE(*a.finish(ca[0], done_entry("x"), "{}"));
  CHECK(*a2.finish(c2[0], done_entry("x"), "{}"));
  // A renewal by a2 keeps y; one lease later only renewed claims are live.
  clock.advance(std::chrono::seconds(20));
  CHECK(a2.renew()->empty());
  clock.advance(std::chrono::seconds(20));
  CHECK(b.claim(5)->empty());
}

TEST_CASE("pg_journal: a database restart mid-batch is ridden out within reconnect_for") {
  if (!have_server()) return;
  testing::manual_clock clock;
  auto a = worker("restart", "a", clock, std::chrono::seconds(60));
  REQUIRE(a.enroll({"p"}));
  auto c = a.claim(1).value();
  REQUIRE(c.size() == 1);
  REQUIRE(server().stop());
  // Real time: the server takes a second or so to come back.
  std::thread back([] { CHECK(server().start()); });
  auto done = a.finish(c[0], done_entry("p"), R"({"rows":[]})");
  back.join();
  REQUIRE(done);
  CHECK(*done);
  CHECK(a.counts()->done == 1);
}
#endif
