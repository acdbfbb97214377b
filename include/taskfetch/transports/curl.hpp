/// @file
/// @brief An optional transport over libcurl, which moves big answers at curl's own speed.
///
/// Debian libcurl4-openssl-dev; link `CURL::libcurl`, CMake target
/// `taskfetch::curl`. It receives in large blocks, where cpp-httplib 0.11
/// reads 4 KiB at a time (docs/BENCHMARKS.md).
#pragma once

#include <taskfetch/detail/connection_pool.hpp>
#include <taskfetch/detail/proxy.hpp>
#include <taskfetch/detail/target.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/transport_settings.hpp>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace taskfetch {

namespace detail {

inline transport_errc map_curl_error(CURLcode c) noexcept {
  switch (c) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: return transport_errc::connect;
  case CURLE_OPERATION_TIMEDOUT: return transport_errc::timeout;
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING: return transport_errc::closed;
  case CURLE_WRITE_ERROR:
  case CURLE_ABORTED_BY_CALLBACK: return transport_errc::aborted;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER: return transport_errc::tls;
  default: return transport_errc::other;
  }
}

inline void curl_global_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace detail

/// @brief Sends requests with libcurl: pooled easy handles (each keeps its
/// connection alive), TCP_NODELAY, 512 KiB receive blocks, the system CA
/// store plus an optional extra CA. Thread-safe, movable.
class curl_transport {
public:
  /// @brief A transport for @p o. A bad base URL is reported by send().
  explicit curl_transport(transport_settings o) : s_(std::make_unique<shared>(std::move(o))) {
    detail::curl_global_once();
    auto t = detail::resolve_target(s_->opts, no_https);
    if (!t) {
      s_->config_error = t.error();
      return;
    }
    s_->root = detail::origin_of(t->url) + t->url.path_prefix;
    s_->proxy = std::move(t->proxy);
  }

  /// @brief libcurl offers https whenever it was built with TLS (Debian's is).
  static constexpr const char *no_https = nullptr;

  /// @brief Sends @p req; the answer's head and body go to @p h as they
  /// arrive (the transport requirement, docs/policies.md).
  send_result send(const request &req, response_handler &h) {
    if (s_->config_error) return *s_->config_error;
    handle_pool::lease conn(s_->pool, [] { return handle(curl_easy_init()); });
    CURL *c = conn.get().get();
    if (!c) // not kept: the next request tries again
      return error(error_kind::transport, "HTTP transport error: libcurl could not make a handle")
          .with_transport(transport_errc::other);
    curl_easy_reset(c); // options only; the connection stays open
    call st{h, c, s_->opts.max_response_bytes, s_->proxy.has_value()};
    const std::string url = s_->root + req.target;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
    auto ms = [&](std::chrono::milliseconds d) {
      if (req.time_left && *req.time_left < d) d = *req.time_left;
      return static_cast<long>(std::max<std::int64_t>(1, d.count()));
    };
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms(s_->opts.connect_timeout));
    // A read timeout is "no byte for this long": curl's low-speed limit.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(s_->opts.read_timeout.count() / 1000)));
    if (req.time_left) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms(*req.time_left));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s_->opts.verify_certificate ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s_->opts.verify_certificate ? 2L : 0L);
    // The proxy resolved by detail::resolve_proxy, as for httplib_transport; "" for both keeps
    // libcurl from reading the environment on its own.
    const std::string proxy_url = s_->proxy ? s_->proxy->url() : std::string();
    curl_easy_setopt(c, CURLOPT_PROXY, proxy_url.c_str());
    curl_easy_setopt(c, CURLOPT_NOPROXY, "");
    if (s_->proxy) {
      curl_easy_setopt(c, CURLOPT_PROXYTYPE, static_cast<long>(CURLPROXY_HTTP));
      curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
      if (!s_->proxy->user.empty()) {
        curl_easy_setopt(c, CURLOPT_PROXYUSERNAME, s_->proxy->user.c_str());
        curl_easy_setopt(c, CURLOPT_PROXYPASSWORD, s_->proxy->password.c_str());
      }
    }
    if (!s_->opts.ca_file.empty()) {
      // Add the CA to the store curl already filled from the system bundle.
      curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, &add_ca);
      curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, s_.get());
    }
    curl_slist *headers = nullptr;
    for (const auto &kv : req.headers)
      headers = curl_slist_append(headers, (kv.first + ": " + kv.second).c_str());
    if (!req.content_type.empty())
      headers = curl_slist_append(headers, ("Content-Type: " + req.content_type).c_str());
    headers = curl_slist_append(headers, "Expect:"); // no 100-continue round trip
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (req.method == http_method::post) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    } else if (req.method == http_method::del) {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (st.too_large)
      return error(error_kind::too_large, "the answer is larger than the configured cap of " +
                                              std::to_string(st.cap) + " bytes");
    if (rc == CURLE_OK && !st.head_sent) st.deliver_head(); // an answer without a body
    if (st.proxy_auth) return detail::proxy_refused_error(*s_->proxy, 407);
    if (rc == CURLE_OK && !st.stopped) return {};
    if (s_->proxy && !st.stopped) {
      long connect_status = 0; // the proxy's answer to CONNECT
      curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &connect_status);
      if (connect_status && (connect_status < 200 || connect_status > 299))
        return detail::proxy_refused_error(*s_->proxy, static_cast<int>(connect_status));
      if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_PROXY)
        return detail::proxy_connect_error(*s_->proxy, curl_easy_strerror(rc));
    }
    if (st.stopped)
      return error(error_kind::transport, "transfer stopped by the receiver")
          .with_transport(transport_errc::aborted);
    return error(error_kind::transport,
                 std::string("HTTP transport error: ") + curl_easy_strerror(rc))
        .with_transport(detail::map_curl_error(rc));
  }

  /// @brief Easy handles created so far (for tests and benchmarks).
  std::size_t connections_opened() const noexcept { return s_->pool.opened(); }

private:
  struct handle_deleter {
    void operator()(CURL *c) const noexcept { curl_easy_cleanup(c); }
  };
  using handle = std::unique_ptr<CURL, handle_deleter>;
  using handle_pool = detail::connection_pool<handle>;

  struct shared {
    explicit shared(transport_settings o) : opts(std::move(o)), pool(opts.max_connections) {}
    transport_settings opts;
    std::optional<error> config_error;
    std::string root;
    std::optional<detail::proxy_route> proxy;
    handle_pool pool;
  };

  // The state of one transfer, seen by curl's callbacks.
  struct call {
    call(response_handler &handler, CURL *c, std::uint64_t limit, bool via_proxy)
        : h(handler), curl(c), cap(limit), proxied(via_proxy) {}
    response_handler &h;
    CURL *curl;
    std::uint64_t cap;
    bool proxied;
    response_head head;
    bool head_sent = false, stopped = false, too_large = false, proxy_auth = false;
    std::uint64_t received = 0;

    bool deliver_head() {
      long code = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
      head.status = static_cast<int>(code);
      head_sent = true;
      if (proxied && code == 407) { // only a proxy answers 407
        proxy_auth = true;
        return false;
      }
      if (cap && head.content_length && *head.content_length > cap) {
        too_large = true;
        return false;
      }
      if (!h.on_head(head)) {
        stopped = true;
        return false;
      }
      return true;
    }
  };

  static std::size_t on_header(char *p, std::size_t size, std::size_t n, void *ud) {
    auto &st = *static_cast<call *>(ud);
    std::string_view line(p, size * n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.rfind("HTTP/", 0) == 0) { // a status line starts a new block
      st.head = response_head{};
      return size * n;
    }
    if (line.empty()) return size * n; // the head is delivered with the first body bytes
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      if (detail::iequals(name, "Content-Length")) {
        char *end = nullptr;
        const std::string sv(v);
        const unsigned long long len = std::strtoull(sv.c_str(), &end, 10);
        if (end && *end == '\0' && !sv.empty()) st.head.content_length = len;
      }
      st.head.headers.emplace_back(std::move(name), std::string(v));
    }
    return size * n;
  }

  static std::size_t on_write(char *p, std::size_t size, std::size_t n, void *ud) {
    auto &st = *static_cast<call *>(ud);
    const std::size_t len = size * n;
    // The first body bytes: the (final) head is complete.
    if (!st.head_sent && !st.deliver_head()) return 0;
    return write_body(st, p, len);
  }

  static std::size_t write_body(call &st, const char *p, std::size_t len) {
    st.received += len;
    if (st.cap && st.received > st.cap) {
      st.too_large = true;
      return 0;
    }
    if (!st.h.on_body(p, len)) {
      st.stopped = true;
      return 0;
    }
    return len;
  }

  static CURLcode add_ca(CURL *, void *ssl_ctx, void *ud) {
    auto *s = static_cast<shared *>(ud);
    X509_STORE *store = SSL_CTX_get_cert_store(static_cast<SSL_CTX *>(ssl_ctx));
    if (!store || X509_STORE_load_locations(store, s->opts.ca_file.c_str(), nullptr) != 1)
      return CURLE_SSL_CACERT_BADFILE;
    return CURLE_OK;
  }

  std::unique_ptr<shared> s_;
};

} // namespace taskfetch
