// task_pool under the manual clock, driven on the test thread (own_threads =
// false): a scripted service whose tasks take a set time, 10,000 tasks whose
// polls must follow the polling schedule, each bound (outstanding, rate),
// throttling and recovery, cancel and deadlines. No network, no sleeps.
#include "fake_service.hpp"
#include "support.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/learning_schedule.hpp>
#include <taskfetch/task_pool.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>

using namespace taskfetch;
using namespace std::chrono_literals;
using testing::manual_clock;
using testing::scripted_reply;
using testing::scripted_transport;

namespace {
using ut::test_client;
using rt = endpoints::recognize_table;
using ut::fake_service;
using time_point = std::chrono::steady_clock::time_point;

struct pool_fixture {
  fake_service svc;
  test_client api;
  explicit pool_fixture(duration task_time)
      : svc(task_time),
        api(options{}.base_url("https://api.test").bearer_token("tok").deadline(600s), svc.net,
            ut::seeded_retry(7), svc.clock) {}
  pool_options inline_pool() {
    pool_options o;
    o.own_threads = false;
    return o;
  }
};

/// The times at which the standard schedule polls a task that needs
/// @p task_time, starting at 0.
std::vector<duration> schedule_for(duration task_time) {
  auto st = ut::seeded_retry(7).start();
  std::vector<duration> at{duration(0)};
  while (at.back() < task_time) at.push_back(at.back() + *st.on_pending(at.back()));
  return at;
}
} // namespace

TEST_CASE("10,000 tasks through the pool: every poll on the schedule, every result decoded") {
  pool_fixture f(20s);
  auto opts = f.inline_pool();
  std::size_t progress_calls = 0;
  pool_progress last;
  opts.on_progress = [&](const pool_progress &p) {
    ++progress_calls;
    last = p;
  };
  task_pool<test_client> pool(f.api, opts);
  constexpr std::size_t n = 10000;
  std::vector<task_handle<taskfetch::table>> handles;
  for (std::size_t i = 0; i < n; ++i)
    handles.push_back(pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now())));
  pool.wait_all();

  const auto expected = schedule_for(20s);
  std::size_t off_schedule = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto r = handles[i].get();
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->rows.at(1).at(0) == "t" + std::to_string(i));
    const auto &times = f.svc.polls["t" + std::to_string(i)];
    std::vector<duration> got;
    for (auto t : times) got.push_back(std::chrono::duration_cast<duration>(t - time_point{}));
    off_schedule += got != expected;
  }
  CHECK(off_schedule == 0);
  // The whole batch takes one task's time (its last poll), not n of them.
  CHECK(f.svc.clock.elapsed() == expected.back());
  CHECK(f.svc.clock.sleeps().size() == expected.size() - 1);
  CHECK(last.done == n);
  CHECK(last.failed == 0);
  CHECK(last.requests == n * expected.size());
  CHECK(progress_calls > 0);
}

TEST_CASE("admission holds tasks back: never more outstanding at the service than allowed") {
  pool_fixture f(3s);
  auto opts = f.inline_pool();
  opts.max_outstanding = 50;
  task_pool<test_client> pool(f.api, opts);
  std::vector<task_handle<taskfetch::table>> handles;
  for (int i = 0; i < 400; ++i) handles.push_back(pool.run<rt>(image_input{"scan", {}}));
  pool.wait_all();
  for (auto &h : handles) CHECK(h.get());
  CHECK(f.svc.max_outstanding == 50);
  CHECK(f.svc.next_id == 400);
  CHECK(pool.progress().done == 400);
}

TEST_CASE("the request rate never passes its cap in any second") {
  pool_fixture f(2s);
  auto opts = f.inline_pool();
  opts.max_requests_per_second = 40;
  task_pool<test_client> pool(f.api, opts);
  for (int i = 0; i < 300; ++i) pool.run<rt>(image_input{"scan", {}});
  pool.wait_all();
  CHECK(pool.progress().done == 300);
  const auto &a = f.svc.accepted;
  std::size_t worst = 0;
  for (std::size_t i = 0, j = 0; i < a.size(); ++i) {
    while (a[i] - a[j] >= 1s) ++j;
    worst = std::max(worst, i - j + 1);
  }
  // A bucket of a twentieth of a second on top of the rate: 40 + 2.
  CHECK(worst <= 42);
  CHECK(worst >= 38); // and it does use what it may
}

TEST_CASE("a throttled pool slows down as a whole, then recovers its rate gradually") {
  pool_fixture f(2s);
  f.svc.per_second_limit = 100;
  auto opts = f.inline_pool();
  std::vector<double> rates;
  opts.on_progress = [&](const pool_progress &p) {
    if (rates.empty() || rates.back() != p.rate_limit) rates.push_back(p.rate_limit);
  };
  task_pool<test_client> pool(f.api, opts);
  std::vector<task_handle<taskfetch::table>> handles;
  for (int i = 0; i < 500; ++i) handles.push_back(pool.run<rt>(image_input{"scan", {}}));
  pool.wait_all();
  for (auto &h : handles) REQUIRE(h.get());
  const auto p = pool.progress();
  CHECK(p.throttled == f.svc.throttled);
  CHECK(f.svc.throttled > 0);
  // Throttling costs a few requests per episode, not one per task.
  CHECK(f.svc.throttled * 10 <= p.requests);
  // The rate was cut (from unlimited) to what the service accepted, and
  // grew again afterwards.
  REQUIRE(rates.size() >= 3);
  CHECK(rates[0] == 0);
  const auto low = std::min_element(rates.begin() + 1, rates.end());
  CHECK(*low <= 100);
  CHECK(*low >= 50);
  CHECK(std::max_element(low, rates.end()) != low);
  // 500 tasks at ~100 requests/s, about three requests each.
  CHECK(f.svc.clock.elapsed() < 40s);
}

TEST_CASE("cancel ends a waiting task at once, and at the service when asked") {
  pool_fixture f(1h); // never done within the test
  task_pool<test_client> pool(f.api, f.inline_pool());
  auto slow = pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now()));
  auto at_service = pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now()));
  const std::string service_id = at_service.task_id();
  // A quick task whose completion cancels the two slow ones mid-wait.
  auto quick = pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now() - 2h), decoders::table{},
                              call_options{}, [&](result<taskfetch::table> &r) {
                                CHECK(r);
                                slow.cancel();
                                at_service.cancel(true);
                              });
  pool.wait_all();
  auto r = slow.get();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::cancelled);
  CHECK(at_service.get().error().kind() == error_kind::cancelled);
  // Nobody waited out the 1-second poll interval.
  CHECK(f.svc.clock.elapsed() == 0ms);
  std::size_t deletes = 0;
  for (const auto &req : f.svc.net.requests())
    if (req.method == http_method::del) {
      ++deletes;
      CHECK(req.target == "/v5.0/ocr/RecognizeTable?id=" + service_id);
    }
  CHECK(deletes == 1);
  const auto p = pool.progress();
  CHECK(p.done == 1);
  CHECK(p.failed == 2);
}

TEST_CASE("a task's deadline and the pool's deadline end waits") {
  SUBCASE("per task") {
    pool_fixture f(1h);
    task_pool<test_client> pool(f.api, f.inline_pool());
    call_options co;
    co.deadline = 5s;
    auto h = pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now()), decoders::table{}, co);
    auto r = h.get(); // drives the pool on this thread
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::deadline_exceeded);
    CHECK(f.svc.clock.elapsed() <= 5s);
  }
  SUBCASE("the whole pool") {
    pool_fixture f(1h);
    auto opts = f.inline_pool();
    opts.deadline = 12s;
    opts.max_outstanding = 2; // the third waits in the pool and still ends on time
    task_pool<test_client> pool(f.api, opts);
    std::vector<task_handle<taskfetch::table>> hs;
    for (int i = 0; i < 3; ++i) hs.push_back(pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now())));
    pool.wait_all();
    for (auto &h : hs) CHECK(h.get().error().kind() == error_kind::deadline_exceeded);
    CHECK(f.svc.clock.elapsed() <= 12s);
  }
}

TEST_CASE("a run's input is made when its task is admitted, and its failure is the task's") {
  pool_fixture f(1s);
  auto opts = f.inline_pool();
  opts.max_outstanding = 1;
  task_pool<test_client> pool(f.api, opts);
  std::vector<int> made;
  std::vector<task_handle<taskfetch::table>> hs;
  for (int i = 0; i < 3; ++i)
    hs.push_back(pool.run_from<rt>(
        [&, i]() -> result<image_input> {
          made.push_back(i);
          if (i == 1) return error(error_kind::invalid_argument, "cannot read input 1");
          return image_input{"scan", {}};
        },
        decoders::table{}));
  CHECK(made.empty()); // nothing read before the pool runs
  pool.wait_all();
  CHECK(made == std::vector<int>{0, 1, 2});
  CHECK(hs[0].get());
  auto bad = hs[1].get();
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("cannot read input 1") != std::string::npos);
  CHECK(hs[2].get());
  CHECK(f.svc.next_id == 2);
}

TEST_CASE("hooks see every request and every retry, without secrets") {
  scripted_transport net;
  net.on(http_method::get, "/v5.0/ocr/RecognizeTable", scripted_reply::json(503, "{}"), 1)
      .on(http_method::get, "/v5.0/ocr/RecognizeTable",
          scripted_reply::json(200,
                               R"({"taskStatus":"Completed","results":[{"type":"Csv","data":")" +
                                   detail::base64_encode("0\n") + R"("}]})"));
  manual_clock clock;
  test_client api(options{}.base_url("https://api.test").credentials("id", "s3cret"), net,
                  ut::seeded_retry(7), clock);
  std::vector<std::string> seen;
  std::vector<duration> waits;
  pool_options o;
  o.own_threads = false;
  o.on_request = [&](const request_event &ev) {
    seen.push_back(std::string(to_string(ev.method)) + " " + std::string(ev.path) + " " +
                   std::to_string(ev.http_status));
  };
  o.on_retry = [&](const retry_event &ev) {
    CHECK(ev.reason.http_status() == 503);
    waits.push_back(ev.wait);
  };
  task_pool<test_client> pool(api, o);
  auto h = pool.fetch<rt>("abc");
  REQUIRE(h.get());
  CHECK(seen == std::vector<std::string>{"POST /connect/token 200",
                                         "GET /v5.0/ocr/RecognizeTable?id=abc 503",
                                         "GET /v5.0/ocr/RecognizeTable?id=abc 200"});
  CHECK(waits.size() == 1);
  CHECK(pool.progress().retries == 1);
  for (const auto &s : seen) CHECK(s.find("s3cret") == std::string::npos);
}

TEST_CASE("a pool with the learning schedule polls a uniform batch about once a task") {
  // The same 500 tasks of 5 s, with and without the schedule: the pool asks
  // it for every pending wait, holds tasks back without requests, and tells
  // it when a poll sees a task done.
  auto polls_per_task = [](bool learning) {
    pool_fixture f(5s);
    auto opts = f.inline_pool();
    if (learning) opts.schedule = learning_schedule{};
    task_pool<test_client> pool(f.api, opts);
    std::vector<task_handle<taskfetch::table>> handles;
    for (int i = 0; i < 500; ++i) handles.push_back(pool.run<rt>(image_input{"scan", {}}));
    pool.wait_all();
    std::size_t polls = 0;
    for (auto &h : handles) {
      auto r = h.get();
      REQUIRE(r);
      auto it = f.svc.polls.find(h.task_id());
      REQUIRE(it != f.svc.polls.end());
      polls += it->second.size();
      // Seen within max(25%, 1 s) of its 5 s: at most 1.25 s late.
      CHECK(it->second.back() - f.svc.created[h.task_id()] <= 6250ms);
    }
    return double(polls) / 500;
  };
  const double learned = polls_per_task(true), standard = polls_per_task(false);
  CHECK(standard == doctest::Approx(3.0)); // 1, 3 and 6 s
  CHECK(learned < 1.5);
}

namespace {
// Takes any answer; its finish() throws, as a user's decoder may.
struct decoder_throwing_finish {
  using value_type = int;
  result<void> begin(const fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  result<void> end_result(std::size_t, std::string_view) { return {}; }
  result<int> finish() { throw std::runtime_error("decoder broke"); }
  void abort() noexcept {}
};
} // namespace

namespace {
// The fixture's pool settings, with or without the pool's own threads.
pool_options with_threads(pool_fixture &f, bool threads) {
  pool_options o = f.inline_pool();
  o.own_threads = threads;
  return o;
}
} // namespace

// User code that throws on a worker used to end the process (std::terminate):
// now the first exception cancels every task and wait_all() rethrows it, as
// the blocking call would have thrown it; every handle is ready.
TEST_CASE("what user code throws in the pool cancels every task and reaches wait_all") {
  SUBCASE("a completion callback") {
    for (bool threads : {false, true}) {
      CAPTURE(threads);
      pool_fixture f(1h);
      task_pool<test_client> pool(f.api, with_threads(f, threads));
      std::atomic<int> calls{0};
      auto on_done = [&](result<taskfetch::table> &) {
        if (++calls == 2) throw std::runtime_error("report failed");
      };
      std::vector<task_handle<taskfetch::table>> slow, quick;
      for (int i = 0; i < 2; ++i)
        slow.push_back(pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now())));
      for (int i = 0; i < 6; ++i)
        quick.push_back(pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now() - 2h),
                                       decoders::table{}, call_options{}, on_done));
      CHECK_THROWS_WITH_AS(pool.wait_all(), "report failed", std::runtime_error);
      for (auto &h : slow) {
        REQUIRE(h.ready());
        CHECK(h.get().error().kind() == error_kind::cancelled);
      }
      for (auto &h : quick) CHECK(h.ready());
      CHECK(f.svc.clock.elapsed() == 0ms); // nobody waited out a poll interval
      // Rethrown once; the pool then takes new tasks again.
      CHECK_NOTHROW(pool.wait_all());
      auto again = pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now() - 2h));
      pool.wait_all();
      CHECK(again.get());
    }
  }
  SUBCASE("a decoder") {
    for (bool threads : {false, true}) {
      CAPTURE(threads);
      pool_fixture f(1h);
      task_pool<test_client> pool(f.api, with_threads(f, threads));
      auto broken =
          pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now() - 2h), decoder_throwing_finish{});
      auto slow = pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now()));
      CHECK_THROWS_WITH_AS(pool.wait_all(), "decoder broke", std::runtime_error);
      REQUIRE(broken.ready());
      CHECK(broken.get().error().kind() == error_kind::cancelled);
      CHECK(slow.get().error().kind() == error_kind::cancelled);
    }
  }
  SUBCASE("an input maker, before anything is submitted") {
    for (bool threads : {false, true}) {
      CAPTURE(threads);
      pool_fixture f(1s);
      auto opts = with_threads(f, threads);
      opts.max_outstanding = 1; // the second waits in the pool
      task_pool<test_client> pool(f.api, opts);
      auto bad =
          pool.run_from<rt>([]() -> result<image_input> { throw std::runtime_error("unreadable"); },
                            decoders::table{});
      auto next = pool.run_from<rt>(
          []() -> result<image_input> {
            return image_input{"scan", {}};
          },
          decoders::table{});
      CHECK_THROWS_WITH_AS(pool.wait_all(), "unreadable", std::runtime_error);
      CHECK(bad.get().error().kind() == error_kind::cancelled);
      CHECK(next.get().error().kind() == error_kind::cancelled);
      CHECK(f.svc.next_id == 0); // no submit
    }
  }
  SUBCASE("on_progress") {
    for (bool threads : {false, true}) {
      CAPTURE(threads);
      pool_fixture f(1h);
      auto opts = with_threads(f, threads);
      opts.on_progress = [](const pool_progress &) { throw std::logic_error("no display"); };
      task_pool<test_client> pool(f.api, opts);
      auto h = pool.fetch<rt>(f.svc.add_existing(f.svc.clock.now()));
      CHECK_THROWS_WITH_AS(pool.wait_all(), "no display", std::logic_error);
      CHECK(h.get().error().kind() == error_kind::cancelled);
    }
  }
}
