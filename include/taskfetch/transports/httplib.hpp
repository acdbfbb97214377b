/// @file
/// @brief The default transport: cpp-httplib over a pool of keep-alive connections.
///
/// HTTP and HTTPS, TCP_NODELAY, bodies streamed to the handler as they arrive.
#pragma once

#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/connection_pool.hpp>
#include <taskfetch/detail/proxy.hpp>
#include <taskfetch/detail/target.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/transport_settings.hpp>

#include <httplib.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#endif

namespace taskfetch {

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
  case httplib::Error::Read: return "connection closed while reading the answer";
  case httplib::Error::Write: return "connection closed while sending the request";
  case httplib::Error::Canceled: return "transfer stopped";
  case httplib::Error::SSLConnection: return "TLS handshake failed";
  case httplib::Error::SSLLoadingCerts: return "could not load the trusted certificates";
  case httplib::Error::SSLServerVerification:
    return "the server's TLS certificate could not be verified";
  default: return "HTTP transport error (" + httplib::to_string(e) + ")";
  }
}

/// Our error for httplib's @p e. httplib reports a read that timed out as it
/// reports a closed connection (Error::Read). A timed-out read has waited the
/// whole @p read_limit since the last byte came; a closed connection answers
/// at once. So @p silence, the time since data last came, tells them apart
/// (an upload slower than the read timeout that then meets a closed
/// connection would be called a timeout: rare, and both are retried alike).
inline error httplib_error(httplib::Error e, std::chrono::milliseconds silence,
                           std::chrono::milliseconds read_limit) {
  if (e == httplib::Error::Read && silence + std::chrono::milliseconds(5) >= read_limit)
    return error(error_kind::transport, "read timed out: no data for " +
                                            std::to_string(read_limit.count()) +
                                            " ms while reading the answer")
        .with_transport(transport_errc::timeout);
  if (e == httplib::Error::Success) e = httplib::Error::Unknown;
  return error(error_kind::transport, describe_httplib_error(e))
      .with_transport(map_httplib_error(e));
}

/// @p d as httplib's timeout arguments: seconds and microseconds.
inline std::pair<time_t, time_t> sec_usec(std::chrono::milliseconds d) noexcept {
  return {static_cast<time_t>(d.count() / 1000), static_cast<time_t>((d.count() % 1000) * 1000)};
}

/// Why the last tunnel through a proxy could not be opened.
struct tunnel_failure {
  int status = 0;         ///< the proxy's answer to CONNECT, if not 2xx
  bool timed_out = false; ///< connect or CONNECT answer took too long
  std::string why;        ///< otherwise: why the proxy could not be reached
};

// A TCP connection to @p a, given up after @p limit; -1 on failure.
inline int connect_within(const addrinfo &a, std::chrono::milliseconds limit, bool &timed_out) {
  const int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a.ai_protocol);
  if (fd < 0) return -1;
  if (::connect(fd, a.ai_addr, a.ai_addrlen) != 0) {
    pollfd p{fd, POLLOUT, 0};
    int err = errno == EINPROGRESS ? 0 : errno;
    if (!err) {
      const int n = ::poll(&p, 1, static_cast<int>(limit.count()));
      socklen_t len = sizeof err;
      if (n == 0) timed_out = true;
      if (n <= 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err)
        err = err ? err : ETIMEDOUT;
    }
    if (err) {
      ::close(fd);
      return -1;
    }
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// The proxy's answer head, byte by byte: nothing past it may be consumed,
// since the TLS handshake follows on the same socket.
inline int read_connect_status(int fd, std::chrono::milliseconds limit, bool &timed_out) {
  std::string head;
  while (head.size() < 16384 && (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n"))) {
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(limit.count()));
    if (n == 0) timed_out = true;
    char c = 0;
    if (n <= 0 || ::recv(fd, &c, 1, 0) != 1) return -1;
    head.push_back(c);
  }
  // "HTTP/1.x NNN reason"
  if (head.rfind("HTTP/", 0) != 0) return -1;
  const auto sp = head.find(' ');
  if (sp == std::string::npos || sp + 4 > head.size()) return -1;
  int status = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (head[i] < '0' || head[i] > '9') return -1;
    status = status * 10 + (head[i] - '0');
  }
  return status;
}

/// @brief Opens a socket to @p target_host:@p target_port through the proxy
/// @p p with CONNECT; -1 and @p f filled on failure.
inline int open_tunnel(const proxy_route &p, const std::string &target_host, int target_port,
                       std::chrono::milliseconds connect_limit,
                       std::chrono::milliseconds read_limit, tunnel_failure &f) {
  f = tunnel_failure{};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *list = nullptr;
  if (::getaddrinfo(p.host.c_str(), std::to_string(p.port).c_str(), &hints, &list) != 0) {
    f.why = "cannot resolve its host name";
    return -1;
  }
  int fd = -1;
  for (addrinfo *a = list; a && fd < 0; a = a->ai_next)
    fd = connect_within(*a, connect_limit, f.timed_out);
  ::freeaddrinfo(list);
  if (fd < 0) {
    f.why = f.timed_out ? "connect timed out" : "connection refused or unreachable";
    return -1;
  }
  const bool v6 = target_host.find(':') != std::string::npos;
  const std::string where =
      (v6 ? "[" + target_host + "]" : target_host) + ":" + std::to_string(target_port);
  std::string req = "CONNECT " + where + " HTTP/1.1\r\nHost: " + where + "\r\n";
  if (!p.user.empty())
    req += "Proxy-Authorization: Basic " + base64_encode(p.user + ":" + p.password) + "\r\n";
  req += "\r\n";
  for (std::size_t sent = 0; sent < req.size();) {
    const auto n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      f.why = "it closed the connection";
      return -1;
    }
    sent += static_cast<std::size_t>(n);
  }
  bool slow = false;
  const int status = read_connect_status(fd, read_limit, slow);
  if (status >= 200 && status < 300) return fd;
  ::close(fd);
  if (status > 0) {
    f.status = status;
  } else {
    f.timed_out = slow;
    f.why = slow ? "no answer to CONNECT in time" : "no valid answer to CONNECT";
  }
  return -1;
}

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
/// An httplib HTTPS client whose socket is a CONNECT tunnel opened here.
/// httplib 0.11's own proxy support sends Proxy-Authorization inside the
/// tunnel to the service too, and takes a refused CONNECT for a TLS error;
/// here httplib sees a plain connection and verifies the service's
/// certificate on it as usual.
class tunnel_client : public httplib::SSLClient {
public:
  tunnel_client(const std::string &host, int port, proxy_route proxy)
      : httplib::SSLClient(host, port), proxy_(std::move(proxy)) {}
  /// Why the last tunnel failed (read by the transport after send()).
  tunnel_failure failure;

private:
  bool create_and_connect_socket(Socket &socket, httplib::Error &error) override {
    if (!is_valid()) {
      error = httplib::Error::SSLConnection;
      return false;
    }
    using std::chrono::milliseconds;
    const milliseconds connect_limit(connection_timeout_sec_ * 1000 +
                                     connection_timeout_usec_ / 1000);
    const milliseconds read_limit(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000);
    const int fd = open_tunnel(proxy_, host_, port_, connect_limit, read_limit, failure);
    if (fd < 0) {
      error = failure.timed_out ? httplib::Error::ConnectionTimeout : httplib::Error::Connection;
      return false;
    }
    socket.sock = fd;
    return true;
  }

  proxy_route proxy_;
};
#endif

} // namespace detail

/// @brief Sends requests with cpp-httplib. Thread-safe: each request borrows
/// a pooled connection; at most max_connections are open at once. Movable.
class httplib_transport {
public:
  /// @brief A transport for @p o. A bad base URL is reported by send().
  explicit httplib_transport(transport_settings o) : s_(std::make_unique<shared>(std::move(o))) {
    auto t = detail::resolve_target(s_->opts, no_https);
    if (!t) {
      s_->config_error = t.error();
      return;
    }
    s_->tls = t->url.scheme == "https";
    s_->host = t->url.host;
    s_->port = t->url.port;
    s_->prefix = t->url.path_prefix;
    s_->proxy = std::move(t->proxy);
  }

  /// @brief Why https is refused (cpp-httplib built without OpenSSL), or
  /// nullptr: check_options<httplib_transport>() refuses the same at once.
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  static constexpr const char *no_https = nullptr;
#else
  static constexpr const char *no_https =
      "cpp-httplib was built without OpenSSL: https unavailable";
#endif

  /// @brief Sends @p req; the answer's head and body go to @p h as they
  /// arrive. Success means the whole answer was delivered, whatever its
  /// HTTP status; network failures are error_kind::transport values.
  send_result send(const request &req, response_handler &h) {
    if (s_->config_error) return *s_->config_error;
    client_pool::lease conn(s_->pool, [this] { return s_->make(); });
    httplib::ClientImpl &c = *conn.get();

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
    bool proxy_auth = false;
    std::uint64_t received = 0;
    // When data last came (or the request went out): see httplib_error().
    auto last_data = std::chrono::steady_clock::now();
    r.response_handler = [&](const httplib::Response &res) {
      last_data = std::chrono::steady_clock::now();
      // Only a proxy answers 407: the service never does.
      if (s_->proxy && res.status == 407) {
        proxy_auth = true;
        return false;
      }
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
      last_data = std::chrono::steady_clock::now();
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
      return req.time_left && *req.time_left < d ? *req.time_left : d;
    };
    const auto [cs, cu] = detail::sec_usec(limit(s_->opts.connect_timeout));
    c.set_connection_timeout(cs, cu);
    const std::chrono::milliseconds read_limit = limit(s_->opts.read_timeout);
    const auto [rs, ru] = detail::sec_usec(read_limit);
    c.set_read_timeout(rs, ru);

    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const bool ok = c.send(r, res, err);
    if (too_large)
      return error(error_kind::too_large, "the answer is larger than the configured cap of " +
                                              std::to_string(cap) + " bytes");
    if (proxy_auth) return detail::proxy_refused_error(*s_->proxy, 407);
    if (ok && !stopped) return {};
    if (s_->proxy && !stopped) {
      const detail::tunnel_failure f = tunnel_failure_of(c);
      if (f.status) return detail::proxy_refused_error(*s_->proxy, f.status);
      if (f.timed_out)
        return detail::proxy_connect_error(*s_->proxy, f.why)
            .with_transport(transport_errc::timeout);
      if (err == httplib::Error::Connection || !f.why.empty())
        return detail::proxy_connect_error(*s_->proxy, f.why);
    }
    if (stopped || err == httplib::Error::Canceled)
      return error(error_kind::transport, "transfer stopped by the receiver")
          .with_transport(transport_errc::aborted);
    return detail::httplib_error(err,
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - last_data),
                                 read_limit);
  }

  /// @brief Connections opened so far (for tests and benchmarks).
  std::size_t connections_opened() const noexcept { return s_->pool.opened(); }

private:
  using client_pool = detail::connection_pool<std::unique_ptr<httplib::ClientImpl>>;

  struct shared {
    explicit shared(transport_settings o) : opts(std::move(o)), pool(opts.max_connections) {}
    transport_settings opts;
    std::optional<error> config_error;
    bool tls = false;
    std::string host; // without IPv6 brackets
    int port = 0;
    std::string prefix; // path prefix of the base URL
    std::optional<detail::proxy_route> proxy;
    client_pool pool;

    // A client for one keep-alive connection; it opens the socket on its first request.
    std::unique_ptr<httplib::ClientImpl> make() const {
      std::unique_ptr<httplib::ClientImpl> c;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      httplib::SSLClient *ssl = nullptr;
      if (tls && proxy) {
        auto t = std::make_unique<detail::tunnel_client>(host, port, *proxy);
        ssl = t.get();
        c = std::move(t);
      } else if (tls) {
        auto t = std::make_unique<httplib::SSLClient>(host, port);
        ssl = t.get();
        c = std::move(t);
      }
#endif
      if (!c) {
        c = std::make_unique<httplib::ClientImpl>(host, port);
        // Plain HTTP: httplib sends absolute URIs to the proxy, and the
        // credentials are for the proxy alone.
        if (proxy) {
          c->set_proxy(proxy->host, proxy->port);
          if (!proxy->user.empty()) c->set_proxy_basic_auth(proxy->user, proxy->password);
        }
      }
      c->set_keep_alive(true);
      c->set_tcp_nodelay(true); // without it httplib 0.11 stalls ~40 ms per request
      // send() sets the connect and read timeouts for each request (the
      // deadline shortens them); the write timeout is fixed.
      auto [ws, wu] = detail::sec_usec(opts.write_timeout);
      c->set_write_timeout(ws, wu);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      c->enable_server_certificate_verification(opts.verify_certificate);
      if (ssl && !opts.ca_file.empty()) {
        // The system store plus the extra CA; httplib's own ca path option
        // would replace the system store instead. The SSL context owns the
        // store (SSLClient's setter: ClientImpl's would not reach the context).
        X509_STORE *store = X509_STORE_new();
        if (store) {
          X509_STORE_set_default_paths(store);
          X509_STORE_load_locations(store, opts.ca_file.c_str(), nullptr);
          ssl->set_ca_cert_store(store);
        }
      }
#endif
      return c;
    }
  };

  // Why the last CONNECT through the proxy failed; empty without a tunnel.
  detail::tunnel_failure tunnel_failure_of(httplib::ClientImpl &c) const {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    // Every connection of an https:// transport with a proxy is a tunnel_client.
    if (s_->tls && s_->proxy) return static_cast<detail::tunnel_client &>(c).failure;
#endif
    (void)c;
    return {};
  }

  std::unique_ptr<shared> s_;
};

} // namespace taskfetch
