// The retry policies: which errors are retried, the failure budget, the
// full-jitter backoff's bounds, the seed and the baselines. The pending
// schedule is test_poll_schedule.cpp's, is_retry_policy_v test_policy_checks.cpp's.
#include <taskfetch/retry.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;

TEST_CASE("retry policy: what is retried, the budget, the backoff's bounds") {
  auto http = [](int s) { return error(error_kind::http_status, "x").with_http_status(s); };
  auto net = [](transport_errc c) { return error(error_kind::transport, "x").with_transport(c); };
  for (int s : {408, 429, 500, 503, 599}) CHECK_MESSAGE(is_retryable(http(s)), s);
  for (int s : {400, 401, 403, 404, 409, 422}) CHECK_MESSAGE(!is_retryable(http(s)), s);
  for (auto c : {transport_errc::connect, transport_errc::timeout, transport_errc::closed,
                 transport_errc::other})
    CHECK(is_retryable(net(c)));
  CHECK_FALSE(is_retryable(net(transport_errc::tls)));
  CHECK_FALSE(is_retryable(net(transport_errc::aborted)));
  for (auto k :
       {error_kind::auth, error_kind::malformed_response, error_kind::decode,
        error_kind::task_failed, error_kind::not_found, error_kind::too_large,
        error_kind::deadline_exceeded, error_kind::cancelled, error_kind::io, error_kind::unknown})
    CHECK_FALSE(is_retryable(error(k, "x")));

  retry_settings s;
  s.seed = 1;
  const standard_retry p(s);
  auto st = p.start();
  for (std::size_t n = 1; n <= s.max_failures; ++n) {
    auto d = st.on_failure(http(503));
    REQUIRE(d);
    const auto ceiling = std::min<long long>(30000, 200LL << (n - 1));
    CHECK(d->count() >= 0);
    CHECK(d->count() <= ceiling);
  }
  CHECK_FALSE(st.on_failure(http(503))); // the budget is spent
  st.on_success();
  CHECK(st.on_failure(http(503))); // and starts over after a success
  // Full jitter: many draws spread over the whole range.
  std::int64_t lo = 1 << 30, hi = 0;
  for (int i = 0; i < 200; ++i) {
    auto one = p.start();
    for (int k = 0; k < 3; ++k) (void)one.on_failure(http(500));
    const auto d = one.on_failure(http(500))->count(); // 4th failure: [0, 1600]
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo < 200);
  CHECK(hi > 1400);
  CHECK(hi <= 1600);
  // The same seed gives the same jitter.
  auto a = standard_retry(s).start(), b = standard_retry(s).start();
  CHECK(a.on_failure(http(500)) == b.on_failure(http(500)));
  // Baselines.
  auto fixed = fixed_interval{duration(2000), 2}.start();
  CHECK(fixed.on_pending(duration(0)) == duration(2000));
  CHECK(fixed.on_failure(http(500)) == duration(2000));
  CHECK(fixed.on_failure(http(500)) == duration(2000));
  CHECK_FALSE(fixed.on_failure(http(500)));
  CHECK_FALSE(no_retry{}.start().on_failure(http(500)));
}
