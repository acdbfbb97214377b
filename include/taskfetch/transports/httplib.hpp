/// @file
/// @brief The default transport: cpp-httplib, HTTP and HTTPS, a pool of
/// keep-alive connections with TCP_NODELAY, streaming bodies.
#pragma once

#include <taskfetch/detail/url.hpp>
#include <taskfetch/http.hpp>

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#endif

namespace taskfetch {

/// @brief Settings of httplib_transport.
struct httplib_options {
  std::string base_url = "https://api.aspose.cloud"; ///< scheme://host[:port][/prefix]
  std::chrono::milliseconds connect_timeout{10000};  ///< TCP (and TLS) connect
  std::chrono::milliseconds read_timeout{60000};     ///< longest silence while reading
  std::chrono::milliseconds write_timeout{60000};    ///< longest stall while sending
  std::string ca_file;                  ///< extra trusted CA (PEM), added to the system store
  bool verify_certificate = true;       ///< verify the server's certificate (keep it on)
  bool allow_insecure_http = false;     ///< http:// to non-loopback hosts
  std::size_t max_connections = 16;     ///< connections kept; callers beyond wait
  std::uint64_t max_response_bytes = 0; ///< answer size cap; 0: none
};

namespace detail {

/// Maps httplib's error codes to ours; decides what the retry policy sees.
inline transport_errc map_httplib_error(httplib::Error e) noexcept {
  switch (e) {
  case httplib::Error::Connection:
  case httplib::Error::BindIPAddress: return transport_errc::connect;
  case httplib::Error::ConnectionTimeout: return transport_errc::timeout;
  case httplib::Error::Read:
  case httplib::Error::Write: return transport_errc::closed;
  case httplib::Error::Canceled: return transport_errc::aborted;
  case httplib::Error::SSLConnection:
  case httplib::Error::SSLLoadingCerts:
  case httplib::Error::SSLServerVerification: return transport_errc::tls;
  default: return transport_errc::other;
  }
}

inline std::string describe_httplib_error(httplib::Error e) {
  switch (e) {
  case httplib::Error::Connection: return "could not connect";
  case httplib::Error::BindIPAddress: return "could not bind the local address";
  case httplib::Error::ConnectionTimeout: return "connect timed out";
  case httplib::Error::Read: return "connection closed or timed out while reading the answer";
  case httplib::Error::Write: return "connection closed while sending the request";
  case httplib::Error::Canceled: return "transfer stopped";
  case httplib::Error::SSLConnection: return "TLS handshake failed";
  case httplib::Error::SSLLoadingCerts: return "could not load the trusted certificates";
  case httplib::Error::SSLServerVerification:
    return "the server's TLS certificate could not be verified";
  default: return "HTTP transport error (" + httplib::to_string(e) + ")";
  }
}

} // namespace detail

/// @brief Sends requests with cpp-httplib. Thread-safe: each request borrows
/// a pooled connection; at most max_connections are open at once. Movable.
class httplib_transport {
public:
  /// @brief A transport for @p o. A bad base URL is reported by send().
  explicit httplib_transport(httplib_options o) : s_(std::make_unique<shared>()) {
    s_->opts = std::move(o);
    auto u = detail::checked_base_url(s_->opts.base_url, s_->opts.allow_insecure_http);
    if (!u) {
      s_->config_error = u.error();
      return;
    }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
    if (u->scheme == "https") {
      s_->config_error = error(error_kind::invalid_argument,
                               "cpp-httplib was built without OpenSSL: https unavailable");
      return;
    }
#endif
    s_->origin = detail::origin_of(*u);
    s_->prefix = u->path_prefix;
  }

  /// @brief Sends @p req; the answer's head and body go to @p h as they
  /// arrive. Success means the whole answer was delivered, whatever its
  /// HTTP status; network failures are error_kind::transport values.
  send_result send(const request &req, response_handler &h) {
    if (s_->config_error) return *s_->config_error;
    lease conn(*s_);

    httplib::Request r;
    r.method = std::string(to_string(req.method));
    r.path = s_->prefix + req.target;
    for (const auto &kv : req.headers) r.headers.emplace(kv.first, kv.second);
    if (!req.body.empty() || req.method == http_method::post) {
      r.body = req.body;
      if (!req.content_type.empty()) r.headers.emplace("Content-Type", req.content_type);
    }
    const std::uint64_t cap = s_->opts.max_response_bytes;
    bool too_large = false;
    bool stopped = false;
    std::uint64_t received = 0;
    r.response_handler = [&](const httplib::Response &res) {
      response_head head;
      head.status = res.status;
      for (const auto &kv : res.headers) head.headers.emplace_back(kv.first, kv.second);
      if (res.has_header("Content-Length")) {
        const auto &v = res.get_header_value("Content-Length");
        char *end = nullptr;
        const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
        if (end && *end == '\0' && !v.empty()) head.content_length = n;
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
    };
    r.content_receiver = [&](const char *p, std::size_t n, std::uint64_t, std::uint64_t) {
      received += n;
      if (cap && received > cap) {
        too_large = true;
        return false;
      }
      if (!h.on_body(p, n)) {
        stopped = true;
        return false;
      }
      return true;
    };

    // Never wait on the network past the caller's deadline.
    auto limit = [&](std::chrono::milliseconds d) {
      if (req.time_left && *req.time_left < d) d = *req.time_left;
      return std::make_pair(static_cast<time_t>(d.count() / 1000),
                            static_cast<time_t>((d.count() % 1000) * 1000));
    };
    const auto [cs, cu] = limit(s_->opts.connect_timeout);
    conn->set_connection_timeout(cs, cu);
    const auto [rs, ru] = limit(s_->opts.read_timeout);
    conn->set_read_timeout(rs, ru);

    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const bool ok = conn->send(r, res, err);
    if (too_large)
      return error(error_kind::too_large, "the answer is larger than the configured cap of " +
                                              std::to_string(cap) + " bytes");
    if (ok && !stopped) return {};
    if (stopped || err == httplib::Error::Canceled)
      return error(error_kind::transport, "transfer stopped by the receiver")
          .with_transport(transport_errc::aborted);
    if (err == httplib::Error::Success) err = httplib::Error::Unknown;
    return error(error_kind::transport, detail::describe_httplib_error(err))
        .with_transport(detail::map_httplib_error(err));
  }

  /// @brief Connections opened so far (for tests and benchmarks).
  std::size_t connections_opened() const noexcept {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->opened;
  }

private:
  struct shared {
    httplib_options opts;
    std::optional<error> config_error;
    std::string origin; // scheme://host:port for httplib::Client
    std::string prefix; // path prefix of the base URL
    mutable std::mutex m;
    std::condition_variable cv;
    std::vector<std::unique_ptr<httplib::Client>> idle;
    std::size_t in_use = 0;
    std::size_t opened = 0;

    std::unique_ptr<httplib::Client> make() {
      auto c = std::make_unique<httplib::Client>(origin);
      c->set_keep_alive(true);
      c->set_tcp_nodelay(true); // without it httplib 0.11 stalls ~40 ms per request
      auto us = [](std::chrono::milliseconds d) {
        return std::make_pair(static_cast<time_t>(d.count() / 1000),
                              static_cast<time_t>((d.count() % 1000) * 1000));
      };
      auto [cs, cu] = us(opts.connect_timeout);
      c->set_connection_timeout(cs, cu);
      auto [rs, ru] = us(opts.read_timeout);
      c->set_read_timeout(rs, ru);
      auto [ws, wu] = us(opts.write_timeout);
      c->set_write_timeout(ws, wu);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      c->enable_server_certificate_verification(opts.verify_certificate);
      if (!opts.ca_file.empty()) {
        // The system store plus the extra CA; httplib's own ca path option
        // would replace the system store instead. The client owns the store.
        X509_STORE *store = X509_STORE_new();
        if (store) {
          X509_STORE_set_default_paths(store);
          X509_STORE_load_locations(store, opts.ca_file.c_str(), nullptr);
          c->set_ca_cert_store(store);
        }
      }
#endif
      return c;
    }
  };

  // Borrows a connection for one request and gives it back.
  class lease {
  public:
    explicit lease(shared &s) : s_(s) {
      std::unique_lock<std::mutex> lk(s_.m);
      const std::size_t cap = s_.opts.max_connections ? s_.opts.max_connections : 1;
      s_.cv.wait(lk, [&] { return !s_.idle.empty() || s_.in_use < cap; });
      ++s_.in_use;
      if (!s_.idle.empty()) {
        c_ = std::move(s_.idle.back());
        s_.idle.pop_back();
      } else {
        ++s_.opened;
        lk.unlock();
        c_ = s_.make();
      }
    }
    ~lease() {
      {
        std::lock_guard<std::mutex> lk(s_.m);
        --s_.in_use;
        if (c_) s_.idle.push_back(std::move(c_));
      }
      s_.cv.notify_one();
    }
    httplib::Client *operator->() { return c_.get(); }

  private:
    shared &s_;
    std::unique_ptr<httplib::Client> c_;
  };

  std::unique_ptr<shared> s_;
};

} // namespace taskfetch
