// task_pool with its own threads over loopback: tasks that take real time,
// results streamed to files, the concurrency bound held at the transport,
// a rate-limited service slowing the whole pool, cancel at the service.
#include "support.hpp"

#include <taskfetch/task_pool.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

using namespace it;

namespace {
/// The default transport, counting requests in flight.
struct counting_transport {
  httplib_transport inner;
  std::shared_ptr<std::atomic<int>> in_flight = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> peak = std::make_shared<std::atomic<int>>(0);

  send_result send(const request &r, response_handler &h) {
    const int now = ++*in_flight;
    int seen = peak->load();
    while (now > seen && !peak->compare_exchange_weak(seen, now)) {
    }
    auto res = inner.send(r, h);
    --*in_flight;
    return res;
  }
};
using counted_client = basic_client<counting_transport>;

counted_client make_counted(const emulator &emu) {
  auto o = client_options(emu);
  return counted_client(o, counting_transport{httplib_transport(transport_settings_for(o))},
                        fast_retry());
}
} // namespace

TEST_CASE("pool: 120 runs of 300 ms tasks to files, never more requests in flight than allowed") {
  emulator emu(timed_emulator(100ms, 200ms));
  REQUIRE(emu.start());
  auto api = make_counted(emu);
  temp_dir dir;
  pool_options po;
  po.max_concurrent_requests = 3;
  po.max_outstanding = 40;
  std::atomic<std::size_t> callbacks{0};
  task_pool<counted_client> pool(api, po);
  std::vector<task_handle<file_result>> hs;
  constexpr int n = 120;
  for (int i = 0; i < n; ++i)
    hs.push_back(pool.run<endpoints::recognize_table>(
        image_input{"scan " + std::to_string(i), std::nullopt},
        decoders::to_file{dir.path / (std::to_string(i) + ".csv")}, call_options{},
        [&](result<file_result> &r) { callbacks += r.has_value(); }));
  pool.wait_all();
  CHECK(callbacks == n);
  for (int i = 0; i < n; ++i) {
    auto r = hs[i].get();
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(slurp(r->path) == expected_table("scan " + std::to_string(i)));
    CHECK_FALSE(hs[i].task_id().empty());
  }
  CHECK(*api.transport().peak <= 3);
  CHECK(*api.transport().peak >= 2); // and it does use them
  // Never more tasks at the service than admitted: 40 at a time, so at
  // least n / 40 task lifetimes passed, and every submit was accepted once.
  CHECK(emu.submit_counts().at("recognize-table") == n);
  const auto p = pool.progress();
  CHECK(p.done == n);
  CHECK(p.in_progress() == 0);
}

TEST_CASE("pool: a service that allows 40 requests a second slows the whole pool, which finishes") {
  auto eo = timed_emulator(200ms, 300ms);
  eo.max_requests_per_second = 40;
  emulator emu(eo);
  REQUIRE(emu.start());
  auto o = client_options(emu).deadline(60s);
  // The real polling schedule (1 s first wait), so the load is a batch's.
  client api(o);
  task_pool<client> pool(api);
  std::vector<task_handle<taskfetch::table>> hs;
  for (int i = 0; i < 80; ++i)
    hs.push_back(pool.run<endpoints::recognize_table>(image_input{"s" + std::to_string(i), {}}));
  pool.wait_all();
  for (auto &h : hs) CHECK(h.get());
  const auto p = pool.progress();
  std::size_t refused = 0;
  for (const auto &e : emu.log()) refused += e.status == 429;
  MESSAGE("requests: " << p.requests << ", answered 429: " << refused
                       << ", rate now: " << p.rate_limit);
  CHECK(p.throttled == refused);
  CHECK(refused > 0);               // the burst of submits was throttled...
  CHECK(refused * 5 <= p.requests); // ...once per episode, not once per task
  CHECK(p.rate_limit > 0);          // and the pool keeps a rate now
}

TEST_CASE("pool: cancel at the service sends DELETE once the id is known") {
  emulator emu(timed_emulator(60s, 0ms)); // never finishes within the test
  REQUIRE(emu.start());
  auto api = make_client(client_options(emu));
  task_pool<fast_client> pool(api);
  auto h = pool.run<endpoints::recognize_table>(image_input{"scan", {}});
  // Wait (real time, bounded) until the submit was answered.
  for (int i = 0; i < 500 && h.task_id().empty(); ++i) std::this_thread::sleep_for(2ms);
  REQUIRE_FALSE(h.task_id().empty());
  const auto start = std::chrono::steady_clock::now();
  h.cancel(/*at_service=*/true);
  auto r = h.get();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::cancelled);
  pool.wait_all(); // the DELETE is a task of the pool too
  bool deleted = false;
  for (const auto &e : emu.log())
    if (e.kind == "cancel" && e.task_id == h.task_id()) deleted = e.status == 200;
  CHECK(deleted);
  CHECK(pool.progress().failed == 1);
}
