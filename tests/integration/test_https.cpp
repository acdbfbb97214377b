// HTTPS and the plain-http rule over loopback: a private CA trusted through
// ca_file, a certificate failure not retried, and plain http:// to a host
// that is not loopback refused before any connection is made.
#include "proxy_support.hpp"
#include "support.hpp"
#include "test_certs.hpp"

using namespace it;

TEST_CASE("HTTPS with a private CA; a certificate failure is not retried") {
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulator emu(tls_emulator(certs));
  REQUIRE(emu.start());
  CHECK(emu.base_url().rfind("https://", 0) == 0);
  const auto id = emu.add_task("djvu2pdf", pdf_task());
  {
    auto api = make_client(client_options(emu).ca_file(certs.ca_cert.string()));
    auto r = api.fetch<endpoints::djvu2pdf>(id);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->size() == 4096);
  }
  {
    auto api = make_client(client_options(emu));
    auto r = api.fetch<endpoints::djvu2pdf>(id);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::transport);
    CHECK(r.error().transport_code() == transport_errc::tls);
    CHECK(r.error().attempts() == 1);
  }
}

TEST_CASE("plain http to a non-loopback host is refused before connecting") {
  // Every request would go through this loopback proxy, which counts what
  // reaches it: so no DNS and no traffic beyond 127.0.0.1 even if the rule broke.
  proxy_407 listener;
  const auto through = options{}
                           .base_url("http://example.com")
                           .bearer_token("t")
                           .proxy("http://127.0.0.1:" + std::to_string(listener.port()));
  auto api = make_client(through);
  auto r = api.fetch<endpoints::recognize_table>("x");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::invalid_argument);
  CHECK_MESSAGE(r.error().message().find("refusing plain http:// to example.com: only loopback "
                                         "hosts may be reached without TLS (use https://)") !=
                    std::string::npos,
                r.error().message());
  CHECK(listener.answered() == 0);

  // The control: allowed, the same client does reach the listener, so the
  // count above would have seen a connection.
  auto allowed = make_client(options(through).allow_insecure_http(true));
  auto a = allowed.fetch<endpoints::recognize_table>("x");
  REQUIRE_FALSE(a);
  CHECK(a.error().http_status() == 407);
  CHECK(listener.answered() == 1);
}
