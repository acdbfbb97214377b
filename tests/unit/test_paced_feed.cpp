// paced_feed: a batch's items handed out a window at a time, each once,
// without the stack growing when items end as they are added, and without
// a race when threads end items together.
#include <taskfetch/detail/paced_feed.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using taskfetch::detail::paced_feed;

TEST_CASE("paced_feed: the first window, then one item per ending, each once and in order") {
  for (std::size_t window : {1u, 3u, 10u, 50u}) {
    CAPTURE(window);
    const std::size_t total = 20;
    paced_feed feed(total, window);
    std::vector<std::size_t> added;
    std::size_t ended = 0;
    std::function<void(std::size_t)> add = [&](std::size_t i) {
      added.push_back(i);
      CHECK(added.size() - ended <= window); // never more out than the window
    };
    feed.start(add);
    CHECK(added.size() == std::min(window, total));
    // End the items out of order: the newest first.
    while (ended < added.size()) {
      ++ended;
      feed.ended(add);
    }
    CHECK(added.size() == total);
    for (std::size_t i = 0; i < added.size(); ++i) CHECK(added[i] == i);
  }
  paced_feed none(0, 8);
  std::size_t calls = 0;
  auto count = [&](std::size_t) { ++calls; };
  none.start(count);
  none.ended(count);
  CHECK(calls == 0);
}

TEST_CASE("paced_feed: items that end as they are added never deepen the stack") {
  // A cancelled batch ends each task inside its add; were the next add made
  // from there, 200,000 items would nest 200,000 calls deep.
  const std::size_t total = 200000;
  paced_feed feed(total, 1);
  std::size_t added = 0, depth = 0, deepest = 0;
  bool in_order = true;
  std::function<void(std::size_t)> add = [&](std::size_t i) {
    in_order = in_order && i == added;
    ++added;
    deepest = std::max(deepest, ++depth);
    feed.ended(add); // the item ended at once
    --depth;
  };
  feed.start(add);
  CHECK(added == total);
  CHECK(in_order);
  CHECK(deepest == 1);
}

TEST_CASE("paced_feed: threads ending items together get each item added once") {
  const std::size_t total = 20000, window = 16;
  paced_feed feed(total, window);
  std::vector<std::atomic<int>> times(total);
  std::atomic<std::size_t> out{0}, most{0};
  std::mutex m;
  std::deque<std::size_t> running; // items added and not yet ended
  std::function<void(std::size_t)> add = [&](std::size_t i) {
    ++times[i];
    const std::size_t now = ++out;
    for (std::size_t seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::lock_guard<std::mutex> lk(m);
    running.push_back(i);
  };
  feed.start(add);
  std::atomic<std::size_t> ended{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&] {
      while (ended.load() < total) {
        bool got = false;
        {
          std::lock_guard<std::mutex> lk(m);
          if (!running.empty()) {
            running.pop_front();
            got = true;
          }
        }
        if (!got) {
          std::this_thread::yield();
          continue;
        }
        --out;
        ++ended;
        feed.ended(add);
      }
    });
  for (auto &w : workers) w.join();
  CHECK(ended.load() == total);
  CHECK(most.load() <= window);
  CHECK(std::all_of(times.begin(), times.end(), [](const auto &n) { return n.load() == 1; }));
}
