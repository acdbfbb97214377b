// check_options: what a transport would refuse (a bad URL, plain http:// to
// a host that is not loopback, a bad proxy), refused before any request.
#include <taskfetch/check_options.hpp>
#include <taskfetch/detail/target.hpp>

#include <doctest/doctest.h>

#include <string_view>

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

namespace {
struct tls_less { // as httplib_transport built without OpenSSL
  static constexpr const char *no_https = "no TLS in this build";
};
struct tls_ok {
  static constexpr const char *no_https = nullptr;
};
} // namespace

TEST_CASE("check_options<Transport> refuses https as a transport without TLS would") {
  const auto https = options{}.base_url("https://api.aspose.cloud").proxy_from_environment(false);
  auto r = check_options<tls_less>(https);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::invalid_argument);
  CHECK(r.error().message() == "no TLS in this build");
  CHECK(check_options<tls_less>(options{}.base_url("http://127.0.0.1:8080")));
  CHECK(check_options<tls_ok>(https));
  CHECK(check_options(https)); // the shipped transports with TLS
}

TEST_CASE("resolve_target: the checked URL and the proxy its scheme takes from the environment") {
  transport_settings s;
  s.base_url = "https://api.example.test:8443/prefix";
  auto env = [](const char *name) -> const char * {
    return std::string_view(name) == "https_proxy" ? "http://proxy.test:3128" : nullptr;
  };
  auto t = detail::resolve_target(s, nullptr, env);
  REQUIRE(t);
  CHECK(t->url.host == "api.example.test");
  CHECK(t->url.port == 8443);
  CHECK(t->url.path_prefix == "/prefix");
  REQUIRE(t->proxy);
  CHECK(t->proxy->label() == "proxy.test:3128");
  CHECK(t->proxy->source == "https_proxy");
  s.base_url = "http://127.0.0.1:9000"; // http takes http_proxy only: none set
  auto direct = detail::resolve_target(s, nullptr, env);
  REQUIRE(direct);
  CHECK_FALSE(direct->proxy);
  s.base_url = "http://example.test"; // not loopback: refused before any proxy
  CHECK_FALSE(detail::resolve_target(s, nullptr, env));
}
