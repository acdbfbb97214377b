// URL parsing, the loopback rule behind plain http://, percent and form
// encodings, and the control characters refused in ids and URLs.
#include <taskfetch/detail/url.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;
using namespace taskfetch::detail;

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

TEST_CASE("encodings and control characters") {
  CHECK(percent_encode("a b/é~") == "a%20b%2F%C3%A9~");
  CHECK(form_urlencode("s e&c=r+t") == "s+e%26c%3Dr%2Bt");
  CHECK(has_control_chars(std::string("a\0b", 3)));
  CHECK(has_control_chars("\x7f"));
  CHECK_FALSE(has_control_chars("abc-\xC3\xA9"));
}
