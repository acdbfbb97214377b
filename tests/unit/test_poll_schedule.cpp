// The default pending schedule against the rule, for every task
// length from 11 s to 600 s: fewer requests than fixed 2 s polling, and
// completion noticed within 25% of the task's duration.
#include <taskfetch/retry.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;

namespace {
struct run {
  std::size_t requests = 0;
  duration notice{0};
};
template <class Policy> run simulate(const Policy &p, duration task) {
  auto st = p.start();
  run r;
  duration t{0};
  for (;;) {
    ++r.requests; // a poll at time t
    if (t >= task) break;
    auto d = st.on_pending(t);
    REQUIRE(d);
    t += *d;
  }
  r.notice = t - task;
  return r;
}
} // namespace

TEST_CASE("default polling beats fixed 2 s for tasks over 10 s and notices within 25%") {
  const standard_retry def;
  const fixed_interval two{duration(2000)};
  for (int s = 11; s <= 600; ++s) {
    const duration task = std::chrono::seconds(s);
    const run d = simulate(def, task);
    const run f = simulate(two, task);
    CHECK_MESSAGE(d.requests < f.requests, s);
    CHECK_MESSAGE(d.notice * 4 <= task, s);
  }
}

TEST_CASE("short tasks are noticed quickly: polls at 1, 3, 6 and 10 s") {
  const standard_retry def;
  auto st = def.start();
  CHECK(st.on_pending(duration(0)) == duration(1000));
  CHECK(st.on_pending(duration(1000)) == duration(2000));
  CHECK(st.on_pending(duration(3000)) == duration(3000));
  CHECK(st.on_pending(duration(6000)) == duration(4000));
  CHECK(st.on_pending(duration(10000)) == duration(2500));
  CHECK(st.on_pending(std::chrono::minutes(10)) == duration(30000)); // capped
  CHECK(simulate(def, std::chrono::seconds(1)).notice == duration(0));
  CHECK(simulate(def, std::chrono::seconds(5)).notice == duration(1000));
}
