// HTTPS and the plain-http rule over loopback: a private CA trusted through
// ca_file, a certificate failure not retried, and plain http:// to a host
// that is not loopback refused.
#include "support.hpp"
#include "test_certs.hpp"

using namespace it;

TEST_CASE("HTTPS with a private CA; a certificate failure is not retried") {
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulation::options eo = fast_emulator();
  eo.cert_file = certs.server_cert.string();
  eo.key_file = certs.server_key.string();
  emulator emu(eo);
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
  auto api = make_client(options{}.base_url("http://example.com").bearer_token("t"));
  auto r = api.fetch<endpoints::recognize_table>("x");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::invalid_argument);
}
