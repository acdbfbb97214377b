// Retry-After in all its forms (delta-seconds and the three HTTP-date
// forms), past dates, garbage and huge values, and the HTTP-date we write.
#include <taskfetch/detail/retry_after.hpp>

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
