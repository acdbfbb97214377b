// Proxy resolution, the one function both transports call: curl's variables,
// precedence and case rules, no_proxy matching, explicit settings, env off.
#include <taskfetch/detail/proxy.hpp>

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace taskfetch;
using namespace taskfetch::detail;

namespace {

using env_map = std::map<std::string, std::string>;

// "" when no proxy applies, "error" for a refused URL, else source=host:port.
std::string resolved(const proxy_settings &s, const std::string &target, const env_map &env) {
  auto u = parse_url(target);
  REQUIRE(u);
  env_lookup lookup = [&](const char *n) -> const char * {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto r = resolve_proxy(s, *u, lookup);
  if (!r) return "error";
  if (!*r) return "";
  return (*r)->source + "=" + (*r)->label();
}

struct row {
  const char *what;
  proxy_settings settings;
  const char *target;
  env_map env;
  const char *expected;
};

proxy_settings explicit_url(const char *url) {
  proxy_settings s;
  s.url = url;
  return s;
}
proxy_settings explicit_no_proxy(const char *list) {
  proxy_settings s;
  s.no_proxy = list;
  return s;
}
proxy_settings env_off(const char *url = "") {
  proxy_settings s;
  s.url = url;
  s.from_environment = false;
  return s;
}

} // namespace

TEST_CASE("resolve_proxy: curl's variables, precedence, case rules and no_proxy") {
  const char *https = "https://api.example.com";
  const char *http = "http://127.0.0.1:8080";
  const std::vector<row> rows = {
      {"no proxy anywhere", {}, https, {}, ""},
      // https: lower case first, then upper case, then all_proxy
      {"https_proxy", {}, https, {{"https_proxy", "http://p1:3128"}}, "https_proxy=p1:3128"},
      {"HTTPS_PROXY", {}, https, {{"HTTPS_PROXY", "http://p2:3128"}}, "HTTPS_PROXY=p2:3128"},
      {"https_proxy before HTTPS_PROXY",
       {},
       https,
       {{"https_proxy", "p1:1"}, {"HTTPS_PROXY", "p2:2"}},
       "https_proxy=p1:1"},
      {"https before all_proxy",
       {},
       https,
       {{"all_proxy", "pa:1"}, {"HTTPS_PROXY", "p2:2"}},
       "HTTPS_PROXY=p2:2"},
      {"all_proxy for https", {}, https, {{"all_proxy", "pa:1"}}, "all_proxy=pa:1"},
      {"all_proxy before ALL_PROXY",
       {},
       https,
       {{"all_proxy", "pa:1"}, {"ALL_PROXY", "pA:2"}},
       "all_proxy=pa:1"},
      {"ALL_PROXY, host names lower-cased", {}, http, {{"ALL_PROXY", "pA:2"}}, "ALL_PROXY=pa:2"},
      {"an empty variable counts as unset",
       {},
       https,
       {{"https_proxy", ""}, {"all_proxy", "pa:1"}},
       "all_proxy=pa:1"},
      // http: lower-case http_proxy only (HTTP_PROXY is CGI's request header)
      {"http_proxy", {}, http, {{"http_proxy", "ph:1"}}, "http_proxy=ph:1"},
      {"HTTP_PROXY is ignored", {}, http, {{"HTTP_PROXY", "ph:1"}}, ""},
      {"HTTP_PROXY ignored, all_proxy used",
       {},
       http,
       {{"HTTP_PROXY", "ph:1"}, {"all_proxy", "pa:1"}},
       "all_proxy=pa:1"},
      {"https_proxy does not apply to http", {}, http, {{"https_proxy", "p1:1"}}, ""},
      {"http_proxy does not apply to https", {}, https, {{"http_proxy", "ph:1"}}, ""},
      // defaults of the URL
      {"port 1080 when none", {}, https, {{"https_proxy", "http://p1"}}, "https_proxy=p1:1080"},
      {"path ignored", {}, https, {{"https_proxy", "http://p1:8/"}}, "https_proxy=p1:8"},
      {"IPv6 proxy", {}, https, {{"https_proxy", "http://[::1]:8"}}, "https_proxy=[::1]:8"},
      {"socks refused", {}, https, {{"https_proxy", "socks5://p1:1"}}, "error"},
      {"bad port refused", {}, https, {{"https_proxy", "http://p1:99999"}}, "error"},
      // no_proxy
      {"no_proxy exact", {}, https, {{"https_proxy", "p1:1"}, {"no_proxy", "api.example.com"}}, ""},
      {"NO_PROXY", {}, https, {{"https_proxy", "p1:1"}, {"NO_PROXY", "example.com"}}, ""},
      {"no_proxy before NO_PROXY",
       {},
       https,
       {{"https_proxy", "p1:1"}, {"no_proxy", "other.org"}, {"NO_PROXY", "example.com"}},
       "https_proxy=p1:1"},
      {"suffix without dot",
       {},
       https,
       {{"https_proxy", "p1:1"}, {"no_proxy", "a.org, example.com"}},
       ""},
      {"suffix with dot", {}, https, {{"https_proxy", "p1:1"}, {"no_proxy", ".example.com"}}, ""},
      {"suffix must end at a dot",
       {},
       https,
       {{"https_proxy", "p1:1"}, {"no_proxy", "ple.com"}},
       "https_proxy=p1:1"},
      {"case-insensitive", {}, https, {{"https_proxy", "p1:1"}, {"no_proxy", "EXAMPLE.COM"}}, ""},
      {"star", {}, https, {{"https_proxy", "p1:1"}, {"no_proxy", "*"}}, ""},
      {"star among others", {}, https, {{"https_proxy", "p1:1"}, {"no_proxy", "a.org,*"}}, ""},
      {"IP exact", {}, http, {{"http_proxy", "p1:1"}, {"no_proxy", "127.0.0.1"}}, ""},
      {"no suffix match on IPs",
       {},
       http,
       {{"http_proxy", "p1:1"}, {"no_proxy", "0.0.1"}},
       "http_proxy=p1:1"},
      {"port matches", {}, http, {{"http_proxy", "p1:1"}, {"no_proxy", "127.0.0.1:8080"}}, ""},
      {"other port does not",
       {},
       http,
       {{"http_proxy", "p1:1"}, {"no_proxy", "127.0.0.1:9090"}},
       "http_proxy=p1:1"},
      {"default port of https",
       {},
       https,
       {{"https_proxy", "p1:1"}, {"no_proxy", "example.com:443"}},
       ""},
      // explicit settings override the environment
      {"explicit URL wins",
       explicit_url("http://mine:9"),
       https,
       {{"https_proxy", "p1:1"}},
       "options=mine:9"},
      {"explicit URL and env no_proxy (as curl)",
       explicit_url("http://mine:9"),
       https,
       {{"no_proxy", "example.com"}},
       ""},
      {"explicit no_proxy replaces env's",
       explicit_no_proxy("other.org"),
       https,
       {{"https_proxy", "p1:1"}, {"no_proxy", "*"}},
       "https_proxy=p1:1"},
      {"explicit empty no_proxy replaces env's",
       explicit_no_proxy(""),
       https,
       {{"https_proxy", "p1:1"}, {"NO_PROXY", "*"}},
       "https_proxy=p1:1"},
      {"explicit no_proxy bypasses an explicit URL",
       [] {
         auto s = explicit_url("http://mine:9");
         s.no_proxy = ".example.com";
         return s;
       }(),
       https,
       {},
       ""},
      // environment off
      {"env off: variables ignored", env_off(), https, {{"https_proxy", "p1:1"}}, ""},
      {"env off: explicit URL still used",
       env_off("http://mine:9"),
       https,
       {{"no_proxy", "*"}},
       "options=mine:9"},
      {"a malformed explicit URL is an error even when bypassed",
       [] {
         auto s = explicit_url("ftp://x");
         s.no_proxy = "*";
         return s;
       }(),
       https,
       {},
       "error"},
  };
  for (const auto &r : rows)
    CHECK_MESSAGE(resolved(r.settings, r.target, r.env) == std::string(r.expected),
                  std::string(r.what));
}

TEST_CASE("proxy URL: credentials are percent-decoded and kept out of labels and errors") {
  auto p = parse_proxy_url("http://us%40er:p%3Ass%20w@proxy.corp:3128", "options");
  REQUIRE(p);
  CHECK(p->user == "us@er");
  CHECK(p->password == "p:ss w");
  CHECK(p->label() == "proxy.corp:3128");
  CHECK(p->url() == "http://proxy.corp:3128");
  auto only_user = parse_proxy_url("user@proxy.corp:3128", "https_proxy");
  REQUIRE(only_user);
  CHECK(only_user->user == "user");
  CHECK(only_user->password.empty());
  CHECK(only_user->source == "https_proxy");

  auto bad = parse_proxy_url("http://user:sekrit%zz@proxy.corp:3128", "options");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == error_kind::invalid_argument);
  CHECK(bad.error().message().find("sekrit") == std::string::npos);

  const auto refused = proxy_refused_error(*p, 407);
  CHECK(refused.kind() == error_kind::auth);
  CHECK(refused.http_status() == 407);
  CHECK(refused.message().find("proxy.corp:3128") != std::string::npos);
  CHECK(refused.message().find("p:ss") == std::string::npos);
  const auto tunnel = proxy_refused_error(*p, 403);
  CHECK(tunnel.kind() == error_kind::transport);
  CHECK(tunnel.message().find("refused the tunnel (HTTP 403)") != std::string::npos);
  const auto down = proxy_connect_error(*p);
  CHECK(down.transport_code() == transport_errc::connect);
  CHECK(down.message().find("could not connect to the proxy proxy.corp:3128") != std::string::npos);
}
