// Both transports through a real proxy on loopback (tinyproxy, started here):
// plain HTTP, HTTPS over CONNECT verified against the service's certificate,
// no-proxy bypasses, the environment, a proxy that is down, refuses the
// tunnel or wants credentials, and the proxy password in no output at all.
#include "cli_runner.hpp"
#include "proxy_support.hpp"
#include "test_certs.hpp"

#ifdef TASKFETCH_TEST_CURL
#include <taskfetch/transports/curl.hpp>
#define TASKFETCH_TEST_TRANSPORTS httplib_transport, curl_transport
#else
#define TASKFETCH_TEST_TRANSPORTS httplib_transport
#endif

using namespace it;

namespace {

const std::string password = "pr0xy-s3cret"; // must never show up anywhere

template <class T> basic_client<T> client_with(const options &o) {
  return basic_client<T>(o, T(transport_settings_for(o)), fast_retry());
}

// Through @p proxy, whatever the environment of the machine running the tests says.
options via(const emulator &emu, const std::string &proxy) {
  return client_options(emu).proxy(proxy).proxy_from_environment(false);
}

std::string dead_proxy(int port) {
  return "http://taskfetch:" + password + "@127.0.0.1:" + std::to_string(port);
}

bool has(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// Sets an environment variable for one scope.
struct env_var {
  std::string name;
  std::optional<std::string> old;
  env_var(std::string n, const std::string &value) : name(std::move(n)) {
    if (const char *v = std::getenv(name.c_str())) old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~env_var() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

// No proxy variable of the test machine may leak into the environment tests.
struct clean_proxy_env {
  std::vector<std::unique_ptr<env_var>> saved;
  clean_proxy_env() {
    for (const char *n : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                          "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
      saved.push_back(std::make_unique<env_var>(n, ""));
      ::unsetenv(n);
    }
  }
};

} // namespace

TEST_CASE_TEMPLATE("plain HTTP through the proxy; once it is stopped the error names it", T,
                   TASKFETCH_TEST_TRANSPORTS) {
  if (!need_tinyproxy()) return;
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  tiny_proxy tp({port_of(emu)}, "taskfetch", password);
  const auto id = emu.add_task("djvu2pdf", pdf_task(50000));
  auto api = client_with<T>(via(emu, tp.url()));
  auto r = api.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
  REQUIRE_MESSAGE(r, r.error().message());
  CHECK(*r == pdf_of(50000));
  // The proxy carried both the token request and the fetch.
  const std::string at = "http://127.0.0.1:" + std::to_string(port_of(emu)) + "/";
  CHECK(has(tp.log(), "POST " + at));
  CHECK(has(tp.log(), "GET " + at));

  tp.stop();
  auto down = client_with<T>(via(emu, tp.url()));
  auto e = down.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
  REQUIRE_FALSE(e);
  CHECK(e.error().kind() == error_kind::transport);
  CHECK(e.error().transport_code() == transport_errc::connect);
  CHECK_MESSAGE(has(e.error().message(),
                    "could not connect to the proxy 127.0.0.1:" + std::to_string(tp.port())),
                e.error().message());
  CHECK_FALSE(has(e.error().message(), password));
}

TEST_CASE_TEMPLATE("HTTPS through CONNECT: Basic auth, the service's certificate, refusals", T,
                   TASKFETCH_TEST_TRANSPORTS) {
  if (!need_tinyproxy()) return;
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulator emu(tls_emulator(certs));
  REQUIRE(emu.start());
  const std::string target = "127.0.0.1:" + std::to_string(port_of(emu));
  tiny_proxy tp({port_of(emu)}, "taskfetch", password);
  const auto id = emu.add_task("djvu2pdf", pdf_task(50000));
  const std::string ca = certs.ca_cert.string();

  // %2D is "-": the password is percent-decoded before it is sent.
  const std::string encoded =
      "http://taskfetch:pr0xy%2Ds3cret@127.0.0.1:" + std::to_string(tp.port());
  auto api = client_with<T>(via(emu, encoded).ca_file(ca));
  auto r = api.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
  REQUIRE_MESSAGE(r, r.error().message());
  CHECK(*r == pdf_of(50000));
  CHECK(has(tp.log(), "CONNECT " + target));

  // TLS runs end to end: without the service's CA the handshake fails.
  auto untrusted = client_with<T>(via(emu, tp.url()));
  auto u = untrusted.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
  REQUIRE_FALSE(u);
  CHECK(u.error().transport_code() == transport_errc::tls);

  // Wrong credentials (tinyproxy answers CONNECT with 401): an auth failure, not retried.
  auto wrong = client_with<T>(
      via(emu, "http://taskfetch:not-" + password + "@127.0.0.1:" + std::to_string(tp.port()))
          .ca_file(ca));
  auto w = wrong.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
  REQUIRE_FALSE(w);
  CHECK(w.error().kind() == error_kind::auth);
  CHECK(w.error().attempts() == 1);
  CHECK_MESSAGE(has(w.error().message(), "the proxy 127.0.0.1:" + std::to_string(tp.port())),
                w.error().message());
  CHECK_FALSE(has(w.error().message(), password));

  // A proxy that allows CONNECT to another port only: the tunnel is refused.
  tiny_proxy strict({free_port()});
  auto refused = client_with<T>(via(emu, strict.url()).ca_file(ca));
  auto f = refused.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
  REQUIRE_FALSE(f);
  CHECK(f.error().kind() == error_kind::transport);
  CHECK_MESSAGE(has(f.error().message(), "the proxy 127.0.0.1:" + std::to_string(strict.port()) +
                                             " (from options) refused the tunnel (HTTP 403)"),
                f.error().message());
}

TEST_CASE_TEMPLATE("a proxy answering 407 is an auth failure naming it, for http and https", T,
                   TASKFETCH_TEST_TRANSPORTS) {
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulator plain(fast_emulator());
  REQUIRE(plain.start());
  emulator tls(tls_emulator(certs));
  REQUIRE(tls.start());
  for (emulator *emu : {&plain, &tls}) {
    proxy_407 stub;
    auto api = client_with<T>(via(*emu, dead_proxy(stub.port())).ca_file(certs.ca_cert.string()));
    auto r = api.template fetch<endpoints::djvu2pdf>("any", decoders::bytes{});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::auth);
    CHECK(r.error().http_status() == 407);
    CHECK(stub.answered() == 1); // not retried
    CHECK_MESSAGE(
        has(r.error().message(), "the proxy 127.0.0.1:" + std::to_string(stub.port()) +
                                     " (from options) requires authentication (HTTP 407)"),
        r.error().message());
    CHECK_FALSE(has(r.error().message(), password));
  }
}

TEST_CASE_TEMPLATE("no_proxy matches bypass the proxy; other ports do not", T,
                   TASKFETCH_TEST_TRANSPORTS) {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto id = emu.add_task("djvu2pdf", pdf_task(1000));
  const int dead = free_port(); // nothing listens: using the proxy would fail
  const std::string emu_port = std::to_string(port_of(emu));
  for (const std::string &list : std::vector<std::string>{"127.0.0.1", "localhost, 127.0.0.1", "*",
                                                          "127.0.0.1:" + emu_port}) {
    auto api = client_with<T>(via(emu, dead_proxy(dead)).no_proxy(list));
    auto r = api.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
    CHECK_MESSAGE(r, list);
  }
  auto api = client_with<T>(via(emu, dead_proxy(dead)).no_proxy("127.0.0.1:1,example.com"));
  auto r = api.template fetch<endpoints::djvu2pdf>(id, decoders::bytes{});
  REQUIRE_FALSE(r);
  CHECK(
      has(r.error().message(), "could not connect to the proxy 127.0.0.1:" + std::to_string(dead)));
}

TEST_CASE_TEMPLATE("the environment: https_proxy, lower-case http_proxy only, no_proxy", T,
                   TASKFETCH_TEST_TRANSPORTS) {
  if (!need_tinyproxy()) return;
  clean_proxy_env clean;
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulator tls(tls_emulator(certs));
  REQUIRE(tls.start());
  emulator plain(fast_emulator());
  REQUIRE(plain.start());
  tiny_proxy tp({port_of(tls)});
  {
    env_var https("HTTPS_PROXY", tp.url());
    auto api = client_with<T>(client_options(tls).ca_file(certs.ca_cert.string()));
    auto r = api.template fetch<endpoints::djvu2pdf>(tls.add_task("djvu2pdf", pdf_task(1000)),
                                                     decoders::bytes{});
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(has(tp.log(), "CONNECT 127.0.0.1:" + std::to_string(port_of(tls))));
    // proxy_from_environment(false): the variable is ignored, direct again.
    auto direct = client_with<T>(client_options(tls)
                                     .ca_file(certs.ca_cert.string())
                                     .proxy(dead_proxy(free_port()))
                                     .no_proxy("127.0.0.1"));
    CHECK(direct.template fetch<endpoints::djvu2pdf>(tls.add_task("djvu2pdf", pdf_task(10))));
  }
  {
    // HTTP_PROXY is what CGI makes of a "Proxy:" request header: curl and
    // taskfetch ignore it; lower-case http_proxy is used.
    env_var upper("HTTP_PROXY", dead_proxy(free_port()));
    auto api = client_with<T>(client_options(plain));
    CHECK(api.template fetch<endpoints::djvu2pdf>(plain.add_task("djvu2pdf", pdf_task(10))));
    const int dead = free_port();
    env_var lower("http_proxy", dead_proxy(dead));
    auto via_lower = client_with<T>(client_options(plain));
    auto r = via_lower.template fetch<endpoints::djvu2pdf>("x");
    REQUIRE_FALSE(r);
    CHECK(has(r.error().message(), "could not connect to the proxy 127.0.0.1:" +
                                       std::to_string(dead) + " (from http_proxy)"));
    CHECK_FALSE(has(r.error().message(), password));
    env_var bypass("no_proxy", "localhost,127.0.0.1");
    auto bypassed = client_with<T>(client_options(plain));
    CHECK(bypassed.template fetch<endpoints::djvu2pdf>(plain.add_task("djvu2pdf", pdf_task(10))));
  }
}

TEST_CASE("CLI: --proxy, --noproxy and the environment; --verbose names the proxy, never "
          "its password; 407 exits 5, a dead proxy 7") {
  if (!need_tinyproxy()) return;
  clean_proxy_env clean;
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  tiny_proxy tp({port_of(emu)}, "taskfetch", password);
  const std::string proxy_at = "127.0.0.1:" + std::to_string(tp.port());
  auto ok = run_cli(against(emu, {"fetch", "djvu2pdf", emu.add_task("djvu2pdf", pdf_task(1000)),
                                  "--verbose", "--proxy", tp.url()}));
  CHECK(ok.code == 0);
  CHECK_MESSAGE(has(ok.err, "proxy: " + proxy_at + " (from --proxy)"), ok.err);
  CHECK(has(tp.log(), "GET http://127.0.0.1:" + std::to_string(port_of(emu)) + "/"));
  CHECK_FALSE(has(ok.out + ok.err, password));

  {
    env_var env("http_proxy", tp.url());
    auto from_env = run_cli(
        against(emu, {"fetch", "djvu2pdf", emu.add_task("djvu2pdf", pdf_task(10)), "--verbose"}));
    CHECK(from_env.code == 0);
    CHECK_MESSAGE(has(from_env.err, "proxy: " + proxy_at + " (from http_proxy)"), from_env.err);
    CHECK_FALSE(has(from_env.out + from_env.err, password));
  }

  proxy_407 stub;
  auto auth = run_cli(against(emu, {"fetch", "djvu2pdf", "x", "--verbose", "--proxy",
                                    dead_proxy(stub.port()), "--deadline", "5"}));
  CHECK(auth.code == 5);
  CHECK_MESSAGE(has(auth.err, "the proxy 127.0.0.1:" + std::to_string(stub.port())), auth.err);
  CHECK_FALSE(has(auth.out + auth.err, password));

  const int dead = free_port();
  auto down = run_cli(against(emu, {"fetch", "djvu2pdf", "x", "--verbose", "--proxy",
                                    dead_proxy(dead), "--deadline", "2"}));
  CHECK(down.code == 7);
  CHECK_MESSAGE(has(down.err, "could not connect to the proxy 127.0.0.1:" + std::to_string(dead)),
                down.err);
  CHECK_FALSE(has(down.out + down.err, password));

  auto bypass =
      run_cli(against(emu, {"fetch", "djvu2pdf", emu.add_task("djvu2pdf", pdf_task(10)),
                            "--verbose", "--proxy", dead_proxy(dead), "--noproxy", "127.0.0.1"}));
  CHECK(bypass.code == 0);
  CHECK_MESSAGE(has(bypass.err, "proxy: none"), bypass.err);

  auto bad = run_cli(against(
      emu, {"fetch", "djvu2pdf", "x", "--proxy", "socks5://u:" + password + "@127.0.0.1:1"}));
  CHECK(bad.code == 2);
  CHECK_FALSE(has(bad.err, password));
}

TEST_CASE_TEMPLATE("the proxy's credentials never reach the service through the tunnel", T,
                   TASKFETCH_TEST_TRANSPORTS) {
  // httplib 0.11's own proxy support sent Proxy-Authorization inside the
  // TLS tunnel too; a server that records headers shows what arrives.
  if (!need_tinyproxy()) return;
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  httplib::SSLServer server(certs.server_cert.c_str(), certs.server_key.c_str());
  std::mutex m;
  std::vector<std::string> seen;
  server.Get("/hello", [&](const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lk(m);
    for (const auto &kv : req.headers) seen.push_back(kv.first + ": " + kv.second);
    res.set_content("hi", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread th([&] { server.listen_after_bind(); });
  tiny_proxy tp({port}, "taskfetch", password);
  transport_settings o;
  o.base_url = "https://127.0.0.1:" + std::to_string(port);
  o.ca_file = certs.ca_cert.string();
  o.proxy.url = tp.url();
  o.proxy.from_environment = false;
  T transport(o);
  request req;
  req.target = "/hello";
  string_response resp;
  auto sent = transport.send(req, resp);
  server.stop();
  th.join();
  REQUIRE_MESSAGE(sent, sent.error().message());
  CHECK(resp.head.status == 200);
  CHECK(resp.body == "hi");
  CHECK(has(tp.log(), "CONNECT 127.0.0.1:" + std::to_string(port)));
  REQUIRE_FALSE(seen.empty());
  for (const auto &h : seen) {
    CHECK_FALSE(has(detail::ascii_lower(h), "proxy-authorization"));
    CHECK_FALSE(has(h, detail::base64_encode("taskfetch:" + password)));
  }
}
