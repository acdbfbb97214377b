// Retry-After in all its forms, URL parsing, the loopback rule, encodings,
// and the retry policy's classifier, budget and backoff bounds.
#include <taskfetch/check_options.hpp>
#include <taskfetch/detail/retry_after.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/retry.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;
using namespace taskfetch::detail;
using std::chrono::seconds;
using wall = std::chrono::system_clock;

namespace {
// 1994-11-06T08:49:37Z, the RFC's example, minus 10 s.
const wall::time_point rfc_now = wall::from_time_t(784111777 - 10);
} // namespace

TEST_CASE("Retry-After: delta-seconds, the three HTTP-date forms, past, garbage, huge") {
  CHECK(parse_retry_after("120", rfc_now) == duration(120000));
  CHECK(parse_retry_after("  0 ", rfc_now) == duration(0));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_now) == duration(10000));
  CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", rfc_now) == duration(10000));
  CHECK(parse_retry_after("Sun Nov  6 08:49:37 1994", rfc_now) == duration(10000));
  CHECK(parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", rfc_now) == duration(0)); // past
  CHECK(parse_retry_after("99999999999999999999", rfc_now) == duration(365LL * 24 * 3600 * 1000));
  for (const char *bad :
       {"", "soon", "-5", "1.5", "Sun, 06 Nov 1994 08:49:37", "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"})
    CHECK_MESSAGE(!parse_retry_after(bad, rfc_now), bad);
  CHECK(format_http_date(wall::from_time_t(784111777)) == "Sun, 06 Nov 1994 08:49:37 GMT");
  const auto now = wall::from_time_t(1700000000);
  CHECK(parse_retry_after(format_http_date(now + seconds(42)), now) == duration(42000));
}

TEST_CASE("parse_url and the loopback rule (no DNS)") {
  auto u = parse_url("HTTPS://api.aspose.cloud");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->port == 443);
  CHECK(u->path_prefix.empty());
  auto v = parse_url("http://[::1]:8080/v5.0/");
  REQUIRE(v);
  CHECK(v->host == "::1");
  CHECK(v->port == 8080);
  CHECK(v->path_prefix == "/v5.0");
  CHECK(origin_of(*v) == "http://[::1]:8080");
  for (const char *bad :
       {"api.aspose.cloud", "ftp://x", "https://", "https://u:p@h", "https://h:0",
        "https://h:99999", "https://h:x", "https://h/?q", "https://h#f", "https://h\n"})
    CHECK_MESSAGE(!parse_url(bad), bad);
  for (const char *h :
       {"localhost", "LOCALHOST", "127.0.0.1", "127.255.3.4", "::1", "[::1]", "0:0:0:0:0:0:0:1"})
    CHECK_MESSAGE(is_loopback_host(h), h);
  for (const char *h : {"example.com", "127.0.0.1.nip.io", "localhost.example", "128.0.0.1",
                        "10.0.0.1", "127.1", "127.0.0.256", "::2", "::", "1::1", "0.0.0.0"})
    CHECK_MESSAGE(!is_loopback_host(h), h);
  CHECK(checked_base_url("http://example.com", false).error().kind() ==
        error_kind::invalid_argument);
  CHECK(checked_base_url("http://example.com", true));
  CHECK(checked_base_url("http://127.0.0.1:9", false));
}

TEST_CASE("check_options refuses what a transport would, before any request") {
  CHECK(check_options(options{}.base_url("https://api.aspose.cloud")));
  CHECK(check_options(options{}.base_url("http://[::1]:8080")));
  for (const char *bad :
       {"http://example.com", "http://10.0.0.1:8080", "api.aspose.cloud", "https://h\x01"}) {
    auto r = check_options(options{}.base_url(bad).proxy_from_environment(false));
    REQUIRE_MESSAGE(!r, bad);
    CHECK(r.error().kind() == error_kind::invalid_argument);
  }
  CHECK(check_options(options{}.base_url("http://example.com").allow_insecure_http(true)));
  auto p = check_options(options{}.base_url("https://api.aspose.cloud").proxy("ftp://proxy"));
  REQUIRE(!p);
  CHECK(p.error().kind() == error_kind::invalid_argument);
}

TEST_CASE("encodings and control characters") {
  CHECK(percent_encode("a b/é~") == "a%20b%2F%C3%A9~");
  CHECK(form_urlencode("s e&c=r+t") == "s+e%26c%3Dr%2Bt");
  CHECK(has_control_chars(std::string("a\0b", 3)));
  CHECK(has_control_chars("\x7f"));
  CHECK_FALSE(has_control_chars("abc-\xC3\xA9"));
}

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

namespace {
struct no_start {};
struct bad_state {
  struct state {
    std::optional<duration> on_failure(const error &) { return {}; }
  };
  state start() const { return {}; }
};
} // namespace

TEST_CASE("retry policy detection traits") {
  static_assert(is_retry_policy_v<standard_retry>);
  static_assert(is_retry_policy_v<no_retry>);
  static_assert(is_retry_policy_v<fixed_interval>);
  static_assert(!is_retry_policy_v<no_start>);
  static_assert(!is_retry_policy_v<bad_state>);
  CHECK(true);
}
