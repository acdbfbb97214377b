// The replay rules, on records alone (no storage, no files): replay() folds
// a journal into each input's history, rerun_action_of() turns a history
// into what a rerun does, row by row of docs/batch.md's "Rerunning" table.
#include "batch_support.hpp"

#include <taskfetch/batch/replay.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;
using batch_test::submitted;

namespace {
using event = journal_entry::event;
journal_entry failed(std::string input, std::string task, bool final) {
  journal_entry e = batch_test::record(event::failed, std::move(input), std::move(task));
  e.kind = "task_failed";
  e.final = final;
  return e;
}
journal_entry done(std::string input, std::string task) {
  journal_entry e = batch_test::record(event::done, std::move(input), std::move(task));
  e.output = "/out/" + e.input + ".csv";
  e.size = 12;
  e.sha256 = std::string(64, 'f');
  return e;
}
journal_entry expired(std::string input, std::string task) {
  return batch_test::record(event::expired, std::move(input), std::move(task));
}

constexpr std::chrono::seconds day{24 * 3600};
// The action for @p h at unix second @p now, the file intact or not.
rerun_action action(const input_history &h, std::int64_t now, bool intact = true) {
  return rerun_action_of(h, now, day, [&] { return intact; });
}
} // namespace

TEST_CASE("replay: the latest submission wins; errors and expiry are counted") {
  auto h = replay({submitted("a", "t1", 10), failed("a", "t1", false), submitted("a", "t2", 20)});
  CHECK(h["a"].task_id == "t2");
  CHECK(h["a"].submitted_at == 20);
  CHECK(h["a"].task_errors == 1);
  CHECK(h["a"].submissions == 2);
  CHECK_FALSE(h["a"].done);
}

TEST_CASE("replay: a new submission clears done, expiry and a final failure; inputs stay apart") {
  auto h = replay({submitted("a", "t1", 10), done("a", "t1"), submitted("b", "t2", 10),
                   expired("b", "t2"), submitted("c", "t3", 10), failed("c", "t3", true)});
  CHECK(h["a"].done);
  CHECK(h["a"].output == "/out/a.csv");
  CHECK(h["b"].expired);
  CHECK(h["c"].final_failure);
  CHECK(h["c"].task_errors == 1);

  auto again = replay({submitted("a", "t1", 10), done("a", "t1"), submitted("a", "t4", 30),
                       expired("a", "t4"), submitted("a", "t5", 40), failed("a", "t5", true),
                       submitted("a", "t6", 50)});
  CHECK_FALSE(again["a"].done);
  CHECK_FALSE(again["a"].expired);
  CHECK_FALSE(again["a"].final_failure);
  CHECK(again["a"].task_errors == 1); // counted across submissions, for --resubmit
  CHECK(again["a"].task_id == "t6");
  CHECK(again.size() == 1);
}

TEST_CASE("rerun_action_of: each row of the rerun table") {
  const std::int64_t t0 = 1'000'000;
  SUBCASE("nothing in the journal: submitted") { CHECK(action({}, t0) == rerun_action::submit); }
  SUBCASE("done and the file still matches: skipped, the file checked once") {
    auto h = replay({submitted("a", "t1", t0), done("a", "t1")})["a"];
    int checks = 0;
    CHECK(rerun_action_of(h, t0 + 10, day, [&] { return ++checks, true; }) == rerun_action::skip);
    CHECK(checks == 1);
    // Done is done whatever the task's age: the result is on disk.
    CHECK(action(h, t0 + 10 * day.count()) == rerun_action::skip);
  }
  SUBCASE("done but the file changed: the same task under 24 h, else a new one") {
    auto h = replay({submitted("a", "t1", t0), done("a", "t1")})["a"];
    CHECK(action(h, t0 + day.count() - 1, false) == rerun_action::poll);
    CHECK(action(h, t0 + day.count(), false) == rerun_action::submit);
  }
  SUBCASE("submitted under 24 h: polled, not paid for again") {
    auto h = replay({submitted("a", "t1", t0)})["a"];
    CHECK(action(h, t0) == rerun_action::poll);
    CHECK(action(h, t0 + day.count() - 1) == rerun_action::poll);
  }
  SUBCASE("submitted 24 h ago or more, or gone at the service: submitted again") {
    CHECK(action(replay({submitted("a", "t1", t0)})["a"], t0 + day.count()) ==
          rerun_action::submit);
    CHECK(action(replay({submitted("a", "t1", t0), expired("a", "t1")})["a"], t0 + 1) ==
          rerun_action::submit);
  }
  SUBCASE("an Error with resubmissions left: the next task is live, so polled") {
    auto h =
        replay({submitted("a", "t1", t0), failed("a", "t1", false), submitted("a", "t2", t0)})["a"];
    CHECK(action(h, t0 + 1) == rerun_action::poll);
    CHECK(h.task_errors == 1); // run_inputs counts on from here
  }
  SUBCASE("a final failure: reported failed, never submitted; the file is not looked at") {
    auto h = replay({submitted("a", "t1", t0), failed("a", "t1", true)})["a"];
    int checks = 0;
    CHECK(rerun_action_of(h, t0 + 1, day, [&] { return ++checks, true; }) == rerun_action::fail);
    CHECK(action(h, t0 + 10 * day.count()) == rerun_action::fail);
    CHECK(checks == 0);
  }
}
