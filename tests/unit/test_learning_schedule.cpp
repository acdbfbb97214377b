// learning_schedule against a simulated service on the manual clock:
// uniform, queued, mixed, drifting and outlier batches. Each asserts the
// requests per task (submit + polls) and the lateness bound: a completion is
// seen at most max(25% of the task's time from submit to done, 1 s) late.
// The standard schedule runs the same batches for comparison.
#include "../common/sanitized.hpp"

#include <taskfetch/learning_schedule.hpp>
#include <taskfetch/poll_schedule.hpp>
#include <taskfetch/retry.hpp>
#include <taskfetch/testing/manual_clock.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <tuple>
#include <vector>

using namespace taskfetch;
using ms = std::chrono::milliseconds;

namespace {

/// A batch as the service sees it: submit times and own running times (ms);
/// with slots > 0 it runs that many at once, the rest wait FIFO.
struct batch {
  std::vector<long long> submit, run;
  std::size_t slots = 0;
  // @p run_at: the running time of a task that starts at that time (a
  // service that slows down or speeds up); defaults to run[k].
  std::function<long long(std::size_t, long long)> run_at;
};

struct figures {
  double requests_per_task = 0;
  // The same polls made with OCR's GetTaskStatus (no results in any
  // answer): a fetch follows the poll that says done.
  double status_requests_per_task = 0;
  double worst_excess =
      0; // largest lateness minus its bound, ms (<= 0: bound met), first task aside
  double median_late = 0, worst_late = 0;
  double first_late = 0;        // the first task's lateness, s
  long long first_requests = 0; // the first task's requests (submit included)
  double makespan = 0;          // last poll that saw a task done, s from the first submit
  std::size_t seen = 0;
};

/// Drives every task of @p b through a schedule state (learning) or the
/// retry policy alone (standard) on the manual clock: each wake and poll at
/// its time, a poll seeing the task done at or after its completion.
/// @p per_ms > 0 models the pool's throughput: one FIFO line of requests
/// (submits and polls alike, as task_pool's ready queue) answered at that
/// many per ms, so polls falling due together wait their turn, as against
/// the emulator; 0 answers every request at once.
figures simulate(const batch &b, bool learning, double per_ms = 0, learning_settings ls = {},
                 double jitter_ms = 0) {
  std::mt19937 jrng(7);
  std::uniform_real_distribution<double> jd(0, jitter_ms);
  testing::manual_clock clock;
  const auto epoch = clock.now();
  const standard_retry retry;
  const poll_schedule sched = learning ? poll_schedule(learning_schedule(ls)) : poll_schedule();
  const std::size_t n = b.submit.size();
  struct task {
    decltype(retry.start()) rs;
    std::unique_ptr<detail::poll_plan> plan;
    long long polls = 0;
    double arrived = 0, done_at = 0, sent = 0; // at the service, us
    bool submitted = false, submit_answered = false;
  };
  std::vector<std::optional<task>> tasks(n);
  // (time us, seq, task, kind); equal times in push order.
  enum kind { enqueue, wake, answer };
  using event = std::tuple<double, std::size_t, std::size_t, int>;
  std::priority_queue<event, std::vector<event>, std::greater<>> q;
  std::size_t seq = 0;
  double line_free = 0; // when the request line is next free, us
  // The service's FIFO slots (batch::completions, one arrival at a time).
  std::priority_queue<long long, std::vector<long long>, std::greater<>> free_at;
  for (std::size_t k = 0; k < n; ++k) q.emplace(b.submit[k] * 1000.0, seq++, k, enqueue);
  std::vector<double> late(n);
  figures f;
  while (!q.empty()) {
    // Plain copies, not a structured binding: clang 14 cannot capture those.
    const auto top = q.top();
    q.pop();
    const double t = std::get<0>(top);
    const auto k = std::get<2>(top);
    const int what = std::get<3>(top);
    const auto at_ms = static_cast<long long>(t / 1000);
    if (epoch + ms(at_ms) > clock.now())
      clock.advance(std::chrono::duration_cast<duration>(epoch + ms(at_ms) - clock.now()));
    const auto now = clock.now();
    // The service takes the submit: its slot (FIFO) and when it ends.
    auto arrive = [&](task &tk) {
      tk.submitted = true;
      tk.arrived = tk.sent;
      long long start = static_cast<long long>(tk.sent / 1000);
      if (b.slots && free_at.size() >= b.slots) {
        start = std::max(start, free_at.top());
        free_at.pop();
      }
      tk.done_at = 1000.0 * double(start + (b.run_at ? b.run_at(k, start) : b.run[k]));
      if (b.slots) free_at.push(static_cast<long long>(tk.done_at / 1000));
    };
    // Into the request line: sent when the line is free, answered one
    // request's time later; with @p jitter_ms a submit's answer comes back
    // up to that much later, so answers cross while the service keeps the
    // order they were sent in (several requests in flight).
    auto send = [&](task &tk) {
      tk.sent = per_ms > 0 ? std::max(t, line_free) : t;
      const double answered = per_ms > 0 ? tk.sent + 1000 / per_ms : t;
      line_free = per_ms > 0 ? answered : line_free;
      if (!tk.submitted && jitter_ms > 0) { // the service takes it now; the answer travels
        arrive(tk);
        q.emplace(answered + 1000 * jd(jrng), seq++, k, answer);
        return;
      }
      q.emplace(answered, seq++, k, answer);
    };
    auto wait_after = [&](task &tk, duration standard) {
      const duration w = tk.plan ? tk.plan->on_pending(now, standard) : standard;
      q.emplace(t + 1000.0 * double(w.count()), seq++, k, wake);
    };
    if (what == enqueue) {
      tasks[k].emplace(task{retry.start(), sched.plan("ep"), 0});
      send(*tasks[k]);
      // As the pool: the plan starts when the submit leaves the line.
      if (tasks[k]->plan)
        tasks[k]->plan->on_sending(epoch +
                                   std::chrono::duration_cast<duration>(
                                       std::chrono::duration<double, std::micro>(tasks[k]->sent)));
      continue;
    }
    task &tk = *tasks[k];
    if (what == wake) {
      if (tk.plan)
        if (auto h = tk.plan->hold(now)) {
          q.emplace(t + 1000.0 * double(h->count()), seq++, k, wake);
          continue;
        }
      send(tk);
      continue;
    }
    if (!tk.submit_answered) { // the submit's answer
      tk.submit_answered = true;
      if (!tk.submitted) arrive(tk); // taken as it is answered (no jitter)
      wait_after(tk, *tk.rs.on_pending(duration(0)));
      continue;
    }
    ++tk.polls;
    if (tk.sent >= tk.done_at) {
      if (tk.plan) tk.plan->on_done(now);
      late[k] = (tk.sent - tk.done_at) / 1000;
      const double bound = std::max(0.25 * (tk.done_at - tk.arrived) / 1000, 1000.0);
      if (k == 0) {
        f.first_late = late[k] / 1000;
        f.first_requests = 1 + tk.polls;
      } else {
        f.worst_excess = std::max(f.worst_excess, late[k] - bound);
      }
      f.makespan = std::max(f.makespan, tk.sent / 1e6);
      ++f.seen;
      continue;
    }
    wait_after(tk, *tk.rs.on_pending(ms(at_ms - static_cast<long long>(tk.arrived / 1000))));
  }
  long long requests = 0;
  for (auto &tk : tasks) requests += 1 + tk->polls;
  f.requests_per_task = double(requests) / n;
  f.status_requests_per_task = double(requests + static_cast<long long>(f.seen)) / n;
  std::sort(late.begin(), late.end());
  f.median_late = late[n / 2] / 1000;
  f.worst_late = late.back() / 1000;
  return f;
}

batch uniform(std::size_t n, long long run_ms, long long every_ms) {
  batch b;
  for (std::size_t k = 0; k < n; ++k) {
    b.submit.push_back(static_cast<long long>(k) * every_ms);
    b.run.push_back(run_ms);
  }
  return b;
}

/// @p n tasks @p every_ms apart whose times are log-uniform in [lo_ms, hi_ms].
batch log_uniform(std::size_t n, double lo_ms, double hi_ms, long long every_ms) {
  batch b;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> logd(std::log(lo_ms), std::log(hi_ms));
  for (std::size_t k = 0; k < n; ++k) {
    b.submit.push_back(static_cast<long long>(k) * every_ms);
    b.run.push_back(static_cast<long long>(std::exp(logd(rng))));
  }
  return b;
}

void report(const std::string &name, const figures &l, const figures &s) {
  MESSAGE(name << ": requests/task learning " << l.requests_per_task << " standard "
               << s.requests_per_task << "; late (s) median " << l.median_late << " worst "
               << l.worst_late << " (standard " << s.median_late << ", " << s.worst_late
               << "); with status-only polls " << l.status_requests_per_task << " / "
               << s.status_requests_per_task);
}

} // namespace

TEST_CASE("learning schedule: a uniform batch costs little more than one poll a task") {
  const batch b = uniform(1000, 5000, 1);
  const figures l = simulate(b, true), s = simulate(b, false);
  report("uniform 1000 x 5 s", l, s);
  CHECK(l.seen == 1000);
  CHECK(l.requests_per_task <= 2.5);
  CHECK(l.worst_excess <= 0);
  CHECK(l.requests_per_task < s.requests_per_task);
  // Status-only polls never lower the count: the done answer must be fetched.
  CHECK(l.status_requests_per_task > l.requests_per_task);
}

TEST_CASE("learning schedule: 10,000 tasks of 20 s") {
  const batch b = uniform(10000, 20000, 1);
  const figures l = simulate(b, true), s = simulate(b, false);
  report("uniform 10000 x 20 s", l, s);
  CHECK(l.seen == 10000);
  CHECK(l.requests_per_task <= 3);
  CHECK(l.worst_excess <= 0);
}

TEST_CASE("learning schedule: a queue (100 at once) is followed at its completion rate") {
  batch b = uniform(1000, 2000, 1);
  b.slots = 100;
  const figures l = simulate(b, true), s = simulate(b, false);
  report("queued 1000 x 2 s, 100 at once", l, s);
  CHECK(l.seen == 1000);
  CHECK(l.requests_per_task <= 3);
  CHECK(l.worst_excess <= 0);
}

TEST_CASE("learning schedule: mixed durations from 1 s to 4 minutes keep the bound") {
  const batch b = log_uniform(500, 1000, 240000, 2);
  const figures l = simulate(b, true), s = simulate(b, false);
  report("mixed 500 x 1..240 s", l, s);
  CHECK(l.seen == 500);
  CHECK(l.worst_excess <= 0);
  // The standard schedule is cheaper here only by breaking the bound (short
  // tasks seen up to 2 s late). Keeping it costs the bounded rule's polls for
  // tasks that nothing predicts: every task polled so is the floor learning
  // must not exceed (docs/polling.md).
  CHECK(s.worst_excess > 0);
  learning_settings all_probes;
  all_probes.probe_every = 1;
  all_probes.probe_fraction = all_probes.poll_fraction;
  const figures floor = simulate(b, true, 0, all_probes);
  MESSAGE("mixed: every task by the bounded rule " << floor.requests_per_task);
  CHECK(floor.worst_excess <= 0);
  CHECK(l.requests_per_task <= floor.requests_per_task * 1.02);
}

TEST_CASE("learning schedule: a service that speeds up or slows down mid-batch") {
  // Tasks arrive steadily for a minute; the service's time per task changes
  // half-way (6 s to 3 s, then 3 s to 8 s), and a queue's rate halves.
  for (auto [from, to] : {std::pair<long long, long long>{6000, 3000}, {3000, 8000}}) {
    batch b = uniform(1200, from, 50);
    b.run_at = [from = from, to = to](std::size_t, long long start) {
      return start < 30000 ? from : to;
    };
    const figures l = simulate(b, true), s = simulate(b, false);
    report(from < to ? "drifting 3 s -> 8 s" : "drifting 6 s -> 3 s", l, s);
    CHECK(l.seen == 1200);
    if (from < to) {
      CHECK(l.worst_excess <= 0);
    } else {
      // Known limit: tasks planned on the old, longer time just before the
      // service sped up are seen up to the difference late (docs/polling.md).
      CHECK(l.worst_late <= double(from - to) / 1000 + 0.25);
    }
    CHECK(l.requests_per_task < s.requests_per_task);
  }
  batch q = uniform(1000, 2000, 1);
  q.slots = 100;
  q.run_at = [](std::size_t, long long start) { return start < 8000 ? 2000LL : 4000LL; };
  const figures l = simulate(q, true), s = simulate(q, false);
  report("queue slows down (2 s -> 4 s a task, 100 at once)", l, s);
  CHECK(l.seen == 1000);
  CHECK(l.worst_excess <= 0);
  CHECK(l.requests_per_task < s.requests_per_task);
}

TEST_CASE("learning schedule: outliers are never abandoned nor noticed late") {
  batch b = uniform(1000, 5000, 1);
  for (std::size_t k = 100; k < 1000; k += 100) b.run[k] = 60000; // nine slow ones
  const figures l = simulate(b, true), s = simulate(b, false);
  report("uniform 1000 x 5 s with outliers", l, s);
  CHECK(l.seen == 1000);
  CHECK(l.requests_per_task <= 2.6);
  CHECK(l.worst_excess <= 0);
}

TEST_CASE("learning schedule: a lone task, or the first of a batch, polls as the standard one") {
  for (long long run : {500LL, 1500LL, 3500LL, 5000LL, 11000LL, 60000LL, 200000LL}) {
    CAPTURE(run);
    const batch b = uniform(1, run, 1);
    const figures l = simulate(b, true), s = simulate(b, false);
    CHECK(l.first_requests == s.first_requests);
    CHECK(l.first_late == s.first_late);
    CHECK(l.seen == 1);
    const figures lb = simulate(uniform(50, run, 1), true),
                  sb = simulate(uniform(50, run, 1), false);
    CHECK(lb.first_requests == sb.first_requests);
    CHECK(lb.worst_excess <= 0);
  }
  // A 5 s task: a submit and polls at 1, 3 and 6 s, as before.
  CHECK(simulate(uniform(1, 5000, 1), true).first_requests == 4);
}

TEST_CASE("learning schedule: batches through a pool of limited throughput keep the bound") {
  // The pool sends every request through one line (its ready queue): a
  // batch's submits first, so the probes' early polls wait behind them, and
  // polls falling due together wait their turn. 8 requests/ms is this
  // machine's CLI against the emulator when quiet, 2.5 when loaded.
  for (double per_ms : {8.0, 2.5}) {
    CAPTURE(per_ms);
    const std::string rate = ", " + std::to_string(per_ms).substr(0, 3) + " requests/ms";
    const batch b = uniform(10000, 20000, 0);
    const figures l = simulate(b, true, per_ms), s = simulate(b, false, per_ms);
    report("uniform 10000 x 20 s" + rate, l, s);
    CHECK(l.seen == 10000);
    CHECK(l.requests_per_task <= 3);
    CHECK(l.worst_excess <= 0);
    CHECK(l.makespan <= 60);
    batch five = uniform(1000, 5000, 0);
    const figures l5 = simulate(five, true, per_ms), s5 = simulate(five, false, per_ms);
    report("uniform 1000 x 5 s" + rate, l5, s5);
    CHECK(l5.seen == 1000);
    CHECK(l5.requests_per_task <= 2.5);
    CHECK(l5.worst_excess <= 0);
  }
}

// A queued batch whose submits reach the service all at once (the pool sends
// 1,000 in a fraction of a second): the queue shows only after the first
// plans missed; those tasks then follow the queue's plan, not the dense
// polls, and still keep the bound.
TEST_CASE(
    "learning schedule: a queued batch submitted in a burst costs at most 3 requests a task") {
  for (double per_ms : {8.0, 2.5}) {
    CAPTURE(per_ms);
    batch queued = uniform(1000, 2000, 0);
    queued.slots = 100;
    const figures lq = simulate(queued, true, per_ms), sq = simulate(queued, false, per_ms);
    report("queued 1000 x 2 s, 100 at once, submitted in a burst, " +
               std::to_string(per_ms).substr(0, 3) + " requests/ms",
           lq, sq);
    REQUIRE(lq.seen == 1000);
    REQUIRE(lq.worst_excess <= 0);
    CHECK(lq.requests_per_task <= 3);
  }
}

// A short batch on a queue of a few slots: every task past the first wave
// misses the plan made before the queue showed, so no first plan is left to
// check the queue's; the missed tasks' own polls at the queue's plans check
// it instead. Before that, these cost more than the standard schedule (7.2
// requests a task against 4.0 for 1 s tasks, 20 at once) and, on longer
// batches of the same shape, saw tasks seconds past the bound.
TEST_CASE("learning schedule: a short batch on a queue of a few slots") {
  for (const auto &shape :
       {std::pair<std::size_t, long long>{20, 1000}, {20, 2000}, {10, 1000}, {50, 2000}}) {
    // Plain copies, not a structured binding: clang 14 cannot capture those.
    const std::size_t slots = shape.first;
    const long long run = shape.second;
    CAPTURE(slots);
    CAPTURE(run);
    batch q = uniform(200, run, 0);
    q.slots = slots;
    const figures l = simulate(q, true, 8), s = simulate(q, false, 8);
    report("queued 200 x " + std::to_string(run / 1000) + " s, " + std::to_string(slots) +
               " at once, submitted in a burst",
           l, s);
    REQUIRE(l.seen == 200);
    CHECK(l.worst_excess <= 0);
    CHECK(l.requests_per_task < s.requests_per_task);
  }
}

// The same over a grid of short queues (docs/polling.md quotes the figures):
// 100 to 600 tasks, 5 to 100 slots, 1 to 8 s, in a burst or 2 ms apart;
// through the quiet pool's line (8 requests/ms), and through a loaded one
// (2.5/ms) whose submits are answered up to 3 ms apart.
// Skipped under the sanitizers: 600 simulations took 43 s under ASan and 60 s
// under TSan, and what they check is the schedule's counts, which the plain
// build checks; the code they run, every other case here runs as well.
TEST_CASE("learning schedule: a grid of short queues" * doctest::skip(test_common::sanitized)) {
  struct line {
    double per_ms, jitter_ms;
    int over, costlier; // at most this many batches past the bound, or costlier
  };
  for (const line &ln : {line{8, 0, 0, 6}, line{2.5, 3, 0, 10}}) {
    CAPTURE(ln.per_ms);
    int over = 0, costlier = 0, cases = 0;
    double worst = 0, sum_l = 0, sum_s = 0;
    for (std::size_t n : {100, 300, 600})
      for (std::size_t slots : {5, 10, 20, 40, 100})
        for (long long run : {1000, 1300, 2000, 3000, 8000})
          for (long long every : {0, 2}) {
            batch q = uniform(n, run, every);
            q.slots = slots;
            const figures l = simulate(q, true, ln.per_ms, {}, ln.jitter_ms),
                          s = simulate(q, false, ln.per_ms, {}, ln.jitter_ms);
            CAPTURE(n);
            CAPTURE(slots);
            CAPTURE(run);
            CAPTURE(every);
            REQUIRE(l.seen == n);
            ++cases;
            sum_l += l.requests_per_task;
            sum_s += s.requests_per_task;
            over += l.worst_excess > 0;
            costlier += l.requests_per_task > s.requests_per_task;
            worst = std::max(worst, l.worst_excess);
            CHECK(l.worst_excess <= 0);
            CHECK(l.requests_per_task <= s.requests_per_task + 2);
          }
    MESSAGE("short queues, line " << ln.per_ms << "/ms: " << cases << " batches, " << over
                                  << " see a task past the bound (worst " << worst << " ms), "
                                  << costlier << " cost more than standard; requests/task "
                                  << sum_l / cases << " against " << sum_s / cases);
    CHECK(over <= ln.over);
    CHECK(costlier <= ln.costlier);
    CHECK(sum_l < 0.6 * sum_s);
  }
}

// A queue whose tasks' times vary: the first wave's held tasks may end
// before every probe (1.8 s against probes of up to 2.2 s). They look again
// at each answer of the first probes, so the first task seen done reaches
// them at once, not a probe's wait later (docs/polling.md, rule 3).
TEST_CASE("learning schedule: a queue whose task times vary by 10% keeps the bound") {
  batch q = uniform(1000, 2000, 0);
  q.slots = 100;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> d(-200, 200);
  for (auto &r : q.run) r += d(rng);
  const figures l = simulate(q, true, 8), s = simulate(q, false, 8);
  report("queued 1000 x 1.8-2.2 s, 100 at once, submitted in a burst", l, s);
  REQUIRE(l.seen == 1000);
  CHECK(l.worst_excess <= 0);
  // Plans missed by a little (the times vary) do not give the queue up:
  // when they did, whole waves were re-planned from the time tasks had
  // waited (2.73 requests a task).
  CHECK(l.requests_per_task <= 2.5);
}

// A mixed batch whose first inputs are all long (inputs sorted by size, the
// big scans first): a known limit (docs/polling.md, Limits). The probes are
// the first tasks sent, the others wait behind them until a task finishes,
// and short tasks are seen seconds past their bound (6.0 s here). Before
// any task finishes a short task looks like a long one; keeping its bound
// means the bounded rule for every held task, which the uniform batches'
// targets forbid. Drawing held tasks at random to poll as well was tried:
// 16 draws a wait cost the uniform batch 2.27 requests a task instead of
// 2.11 and still left 0.2 s (first 8 long) and 3.0 s (first 40 long) past
// the bound. Marked should_fail so that a change that fixes it shows here.
TEST_CASE("learning schedule: a mixed batch whose first inputs are long keeps the bound" *
          doctest::should_fail()) {
  batch m = log_uniform(500, 1000, 120000, 2);
  for (std::size_t k = 0; k < 8; ++k) m.run[k] = std::max<long long>(m.run[k], 20000);
  const figures l = simulate(m, true, 8), s = simulate(m, false, 8);
  report("mixed 500 x 1..120 s, the first 8 at least 20 s", l, s);
  REQUIRE(l.seen == 500);
  CHECK(l.worst_excess <= 0);
}

TEST_CASE("learning schedule: first polls on an unconfirmed plan go a window at a time") {
  // 100 tasks submitted at once; the first is seen done at 2 s, so the
  // others plan their first poll for then, and all fall due together.
  detail::completion_params p;
  p.unconfirmed = 4;
  detail::completion_model m(p);
  for (int k = 0; k < 100; ++k) m.add(0);
  m.done(0, 2); // ran at once: the window reaches rank 1 + 4
  auto due = [&](std::uint64_t r) {
    const auto plan = m.next_poll(r, 2, 1);
    REQUIRE(plan.replan);
    REQUIRE(plan.at == doctest::Approx(2));
  };
  // They fall due highest rank first: none goes before all have asked,
  // then the lowest, alone, as nothing is in flight.
  std::size_t sent = 0;
  for (std::uint64_t r = 99; r >= 8; --r) {
    if (r == 64) continue; // a probe
    due(r);
    sent += m.send(r);
  }
  CHECK(sent == 0);
  CHECK_FALSE(m.send(9));
  CHECK(m.send(8));
  CHECK_FALSE(m.send(9)); // one in flight, and 9 is past the window
  // Rank 8 confirms the plan: ranks up to 8 + 4 go.
  m.done(8, 2.001);
  CHECK_FALSE(m.send(13)); // past the window
  CHECK(m.send(12));
  CHECK(m.send(10));
  CHECK(m.send(9));
  CHECK_FALSE(m.send(13)); // still past it
  // An answered miss frees a place and moves the window past its rank;
  // the lowest waiting rank goes first.
  m.pending(12, 2.002, true);
  CHECK_FALSE(m.send(14)); // 11 and 13 wait before it, and 2 places are free
  CHECK(m.send(13));
  CHECK(m.send(11));
  CHECK_FALSE(m.send(14)); // 4 in flight
  // A plan seen right further on opens the window there; ranks below it
  // go as they fall due.
  m.done(50, 2.003);
  m.done(9, 2.003);
  m.done(10, 2.003);
  CHECK(m.send(14));
  CHECK(m.send(49));
  CHECK_FALSE(m.send(51)); // 4 in flight
  m.done(11, 2.004);
  CHECK(m.send(51));       // past rank 50, a window at a time
  CHECK_FALSE(m.send(55)); // past 51 + 4
  // Held back, a task asks again in 2 ms near the front of the waiting
  // ranks, and once per window (4) of waiting ranks ahead of it, 2 ms
  // each, further back: those due together do not all ask every 2 ms.
  // (Every rank above 51 but the probe 64 waits since it first asked.)
  CHECK(m.send_retry(55) == doctest::Approx(0.002));      // 52 to 54 ahead
  CHECK(m.send_retry(60) == doctest::Approx(0.002 * 2));  // 8 ahead
  CHECK(m.send_retry(70) == doctest::Approx(0.002 * 4));  // 17 ahead
  CHECK(m.send_retry(99) == doctest::Approx(0.002 * 11)); // 46 ahead
  CHECK(m.send_retry(12) == doctest::Approx(0.002));      // confirmed ranks
}

TEST_CASE("learning schedule: held tasks look again at the first probes' answers") {
  detail::completion_model m(detail::completion_params{});
  for (int k = 0; k < 20; ++k) m.add(0);
  // The probes' first polls: rank r at (r + 1) / 8 s (out of step), rank 0
  // at the standard schedule's 1 s.
  for (std::uint64_t r = 0; r < 8; ++r) m.next_poll(r, 0, 1);
  const auto held = m.next_poll(10, 0, 1);
  CHECK(held.replan);
  // It polls (without a finished task) when the probes' cover lapses...
  CHECK(held.at == doctest::Approx(1.1));
  // ...and looks, without a poll, at rank 1's answer (a tenth of min_poll
  // after its poll), not only then, a probe's wait after the first done.
  CHECK(held.revise == doctest::Approx(0.35));
  m.pending(1, 0.25, true);
  m.next_poll(1, 0.25, 1);
  CHECK(m.next_poll(10, 0.35, 1).revise == doctest::Approx(0.475)); // rank 2's
  m.done(3, 0.5);
  const auto plan = m.next_poll(10, 0.5, 1);
  CHECK(plan.replan);
  CHECK(plan.at == doctest::Approx(0.5)); // planned from it: due at once
}

TEST_CASE("learning schedule: submits answered out of the service's order") {
  for (double jit : {1.0, 3.0, 10.0}) {
    CAPTURE(jit);
    batch queued = uniform(1000, 2000, 0);
    queued.slots = 100;
    const figures lq = simulate(queued, true, 8, {}, jit), sq = simulate(queued, false, 8, {}, jit);
    report("queued burst, answers jittered " + std::to_string(jit).substr(0, 4) + " ms", lq, sq);
    CHECK(lq.worst_excess <= 0);
    CHECK(lq.requests_per_task <= 3);
  }
}
