// The shared journal's rules, in memory: claims are exclusive, a lapsed
// lease hands the input to another worker (attempt + 1, task id kept), the
// lapsed attempt's writes are refused and change nothing, renew() names
// lost claims, counts, and the shared rate budget split, cut and recovered.
#include <taskfetch/batch/memory_shared_journal.hpp>
#include <taskfetch/detail/shared_budget.hpp>
#include <taskfetch/testing/manual_clock.hpp>

#include <doctest/doctest.h>

#include <set>

using namespace taskfetch;
using std::chrono::seconds;

namespace {

struct two_workers {
  testing::manual_clock clock;
  std::shared_ptr<memory_shared_state> state =
      std::make_shared<memory_shared_state>([c = clock] { return c.wall_now(); });
  memory_shared_journal a{state, "a", seconds(30)};
  memory_shared_journal b{state, "b", seconds(30)};
};

journal_entry done_entry(const std::string &input, const std::string &task) {
  journal_entry e;
  e.what = journal_entry::event::done;
  e.input = input;
  e.task_id = task;
  e.output = "/out/" + input + ".csv";
  e.size = 3;
  e.sha256 = std::string(64, 'a');
  return e;
}

} // namespace

TEST_CASE("shared journal: claims are exclusive and enrol is idempotent") {
  two_workers w;
  REQUIRE(w.a.enroll({"1", "2", "3"}));
  REQUIRE(w.b.enroll({"1", "2", "3"}));
  auto ca = w.a.claim(2);
  auto cb = w.b.claim(5);
  REQUIRE(ca);
  REQUIRE(cb);
  CHECK(ca->size() == 2);
  REQUIRE(cb->size() == 1);
  std::set<std::string> all;
  for (const auto &c : *ca) all.insert(c.input);
  for (const auto &c : *cb) all.insert(c.input);
  CHECK(all == std::set<std::string>{"1", "2", "3"});
  CHECK(cb->front().attempt == 1);
  auto k = w.a.counts();
  REQUIRE(k);
  CHECK(k->claimed == 3);
  CHECK(k->open == 0);
  CHECK(w.b.claim(1)->empty());
}

TEST_CASE("shared journal: a lapsed lease is taken over with attempt + 1 and the task id") {
  two_workers w;
  REQUIRE(w.a.enroll({"x"}));
  auto ca = w.a.claim(1);
  REQUIRE(ca->size() == 1);
  const auto a_claim = ca->front();
  CHECK(*w.a.submitted(a_claim, "task-1", 100));
  w.clock.advance(seconds(29));
  CHECK(w.b.claim(1)->empty()); // still A's
  w.clock.advance(seconds(1));
  CHECK(w.a.counts()->open == 1); // lapsed counts as open
  auto cb = w.b.claim(1);
  REQUIRE(cb->size() == 1);
  const auto b_claim = cb->front();
  CHECK(b_claim.attempt == 2);
  CHECK(b_claim.history.task_id == "task-1");
  CHECK(b_claim.history.submitted_at == 100);
  CHECK(b_claim.history.submissions == 1);

  // The fence: every write of A's lapsed attempt is refused and changes nothing.
  const auto before = *w.state->row("x");
  CHECK_FALSE(*w.a.submitted(a_claim, "task-2", 200));
  journal_entry f;
  f.what = journal_entry::event::failed;
  f.input = "x";
  f.kind = "task_failed";
  f.final = true;
  CHECK_FALSE(*w.a.fail(a_claim, f));
  CHECK_FALSE(*w.a.release(a_claim));
  CHECK_FALSE(*w.a.finish(a_claim, done_entry("x", "task-1"), "[[1]]"));
  const auto after = *w.state->row("x");
  CHECK(after.state == "claimed");
  CHECK(after.owner == "b");
  CHECK(after.attempt == 2);
  CHECK(after.history.task_id == before.history.task_id);
  CHECK(after.history.submissions == before.history.submissions);
  CHECK(after.history.task_errors == 0);
  CHECK_FALSE(after.result);

  // B finishes: done exactly once, result kept.
  CHECK(*w.b.finish(b_claim, done_entry("x", "task-1"), R"([["a","b"]])"));
  const auto fin = *w.state->row("x");
  CHECK(fin.state == "done");
  CHECK(*fin.result == R"([["a","b"]])");
  CHECK(fin.history.output == "/out/x.csv");
  CHECK_FALSE(*w.b.finish(b_claim, done_entry("x", "task-1"), "[]")); // not claimed any more
  auto k = w.a.counts();
  CHECK(k->done == 1);
  CHECK(k->open + k->claimed + k->failed == 0);
}

TEST_CASE("shared journal: renew extends live claims and names the lost ones") {
  two_workers w;
  REQUIRE(w.a.enroll({"1", "2"}));
  auto ca = w.a.claim(2);
  REQUIRE(ca->size() == 2);
  w.clock.advance(seconds(20));
  CHECK(w.a.renew()->empty());
  w.clock.advance(seconds(20)); // 40 s after the claim, 20 after the renewal
  CHECK(w.b.claim(2)->empty());
  w.clock.advance(seconds(10));
  auto cb = w.b.claim(1); // B takes "1"
  REQUIRE(cb->size() == 1);
  auto lost = w.a.renew();
  REQUIRE(lost);
  // Both lapsed: "1" now B's, "2" lapsed unclaimed; A holds neither.
  CHECK(*lost == std::vector<std::string>{"1", "2"});
  CHECK(w.a.renew()->empty()); // said once
}

TEST_CASE("shared journal: release, non-final and final failures, expiry, bad JSON") {
  two_workers w;
  REQUIRE(w.a.enroll({"1", "2"}));
  auto c = w.a.claim(2).value();
  journal_entry f;
  f.what = journal_entry::event::failed;
  f.input = "1";
  f.kind = "task_failed";
  f.messages = {"bad page"};
  CHECK(*w.a.fail(c[0], f)); // not final: still A's
  CHECK(w.state->row("1")->state == "claimed");
  f.final = true;
  CHECK(*w.a.fail(c[0], f));
  auto r1 = *w.state->row("1");
  CHECK(r1.state == "failed");
  CHECK(r1.history.task_errors == 2);
  CHECK(r1.messages == std::vector<std::string>{"bad page"});
  CHECK(r1.finished_at > 0);

  CHECK(*w.a.submitted(c[1], "t", 5));
  journal_entry ex;
  ex.what = journal_entry::event::expired;
  ex.input = "2";
  CHECK(*w.a.fail(c[1], ex));
  CHECK(*w.a.release(c[1]));
  CHECK_FALSE(*w.a.finish(c[1], done_entry("2", "t"), "[]")); // released: fenced out
  auto cb = w.b.claim(1).value();
  REQUIRE(cb.size() == 1);
  CHECK(cb[0].input == "2");
  CHECK(cb[0].history.expired);
  CHECK(cb[0].history.task_id == "t");
  auto bad = w.b.finish(cb[0], done_entry("2", "t"), "{not json");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == error_kind::invalid_argument);
  CHECK(w.state->row("2")->state == "claimed");
  CHECK(*w.b.finish(cb[0], done_entry("2", "t"), "")); // a file-only result
  CHECK_FALSE(w.state->row("2")->result);
  auto k = w.b.counts().value();
  CHECK(k.done == 1);
  CHECK(k.failed == 1);
}

TEST_CASE("shared budget: split among live workers, cut, recovered") {
  using detail::step_shared_budget;
  detail::shared_budget s;
  auto st = step_shared_budget(s, 4, 100, 0, 1000);
  CHECK(st.share == doctest::Approx(25));
  st = step_shared_budget(st.stored, 2, 100, 0, 1000);
  CHECK(st.share == doctest::Approx(50));
  CHECK(step_shared_budget(s, 3, 0, 0, 1000).share == 0); // no cap: unlimited
  // A worker of 4 cut to 10/s: the account's budget is 40, 10 each.
  st = step_shared_budget(st.stored, 4, 100, 10, 1000);
  CHECK(st.share == doctest::Approx(10));
  CHECK(st.stored.budget == doctest::Approx(40));
  // A milder cut does not raise it.
  st = step_shared_budget(st.stored, 4, 100, 20, 1000.5);
  CHECK(st.stored.budget == doctest::Approx(40));
  // Quiet seconds: x1.05 + 1 each.
  auto later = step_shared_budget(st.stored, 4, 100, 0, 1002.5);
  CHECK(later.share == doctest::Approx(((40 * 1.05 + 1) * 1.05 + 1) / 4));
  // Recovered to the cap, the cut forgotten.
  later = step_shared_budget(st.stored, 4, 100, 0, 1100);
  CHECK(later.share == doctest::Approx(25));
  CHECK(later.stored.cut_at == 0);
  // Without a cap: unlimited again once past the mark.
  auto nocap = step_shared_budget(detail::shared_budget{}, 2, 0, 5, 0.5);
  CHECK(nocap.share == doctest::Approx(5));
  nocap = step_shared_budget(nocap.stored, 2, 0, 0, 10000);
  CHECK(nocap.share == 0);
  // A cut never goes below one request per second for the account.
  CHECK(step_shared_budget({}, 1, 0, 0.01, 1).stored.budget == doctest::Approx(1));
}

TEST_CASE("shared journal: share_rate counts the workers seen within a lease") {
  two_workers w;
  CHECK(*w.a.share_rate(60, 0) == doctest::Approx(60));
  CHECK(*w.b.share_rate(60, 0) == doctest::Approx(30));
  CHECK(*w.a.share_rate(60, 0) == doctest::Approx(30));
  w.clock.advance(seconds(31)); // b silent for a lease
  CHECK(*w.a.share_rate(60, 0) == doctest::Approx(60));
  // A cut by b (2 live) to 5/s: 10 for the account, 5 each.
  CHECK(*w.b.share_rate(60, 5) == doctest::Approx(5));
  CHECK(*w.a.share_rate(60, 0) == doctest::Approx(5));
}
