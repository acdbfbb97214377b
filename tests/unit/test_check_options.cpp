// check_options: what a transport would refuse (a bad URL, plain http:// to
// a host that is not loopback, a bad proxy), refused before any request.
#include <taskfetch/check_options.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;

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
