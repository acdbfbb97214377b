/// @file
/// @brief The emulator's HTTP(S) server on a background thread, and a stop that does not hang.
///
/// Binding (a taken port is an error), a deeper listen backlog, and a stop
/// that does not wait for idle keep-alive clients.
#pragma once

#include <taskfetch/emulator/options.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// POSIX, and only here: httplib cannot deepen its listen backlog or shut its
// accepted sockets down, so the server finds its own sockets in
// /proc/self/fd and calls listen() and shutdown() on them itself.
#if defined(__linux__)
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace taskfetch::emulation::detail {

/// @brief A cpp-httplib server serving every path of GET, POST, DELETE and
/// PUT through one handler on a background thread. Not thread-safe: start
/// and stop from one thread.
class server {
public:
  using handler = httplib::Server::Handler;

  ~server() { stop(); }

  /// @brief Whether start() succeeded and stop() has not been called since.
  bool started() const noexcept { return server_ != nullptr; }
  /// @brief The bound port (0 before the first start).
  int port() const noexcept { return port_; }
  /// @brief Whether it serves HTTPS.
  bool tls() const noexcept { return tls_; }

  /// @brief Binds as @p o says and serves @p h; an error if the port cannot
  /// be bound or the certificate loaded.
  result<void> start(const options &o, handler h) {
    if (server_) return {};
    tls_ = false;
    if (!o.cert_file.empty() && !o.key_file.empty()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      server_ = std::make_unique<httplib::SSLServer>(o.cert_file.c_str(), o.key_file.c_str());
      tls_ = true;
      if (!server_->is_valid()) {
        server_.reset();
        return error(error_kind::invalid_argument,
                     "emulator: cannot load the TLS certificate or key");
      }
#else
      return error(error_kind::invalid_argument, "emulator: built without OpenSSL");
#endif
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    const std::size_t threads = o.threads ? o.threads : 1;
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_->set_tcp_nodelay(true);
    server_->set_keep_alive_max_count(1000000);
    server_->set_keep_alive_timeout(static_cast<time_t>(o.keep_alive_timeout.count()));
    server_->set_payload_max_length(std::size_t{1} << 30);
    // httplib's default sets SO_REUSEPORT, which lets a second server bind
    // the same port and share its connections; a taken port must fail.
    server_->set_socket_options([](socket_t sock) {
      int yes = 1;
#ifdef _WIN32
      ::setsockopt(sock, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<char *>(&yes),
                   sizeof yes);
#else
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
#endif
    });
    // One catch-all route per method: the handler matches paths
    // case-insensitively, as the real service does.
    server_->Get(".*", h);
    server_->Post(".*", h);
    server_->Delete(".*", h);
    server_->Put(".*", h);
    if (o.port == 0) {
      port_ = server_->bind_to_any_port(o.host);
      if (port_ <= 0) return bind_error(o);
    } else {
      if (!server_->bind_to_port(o.host.c_str(), o.port)) return bind_error(o);
      port_ = o.port;
    }
    deepen_backlog();
    httplib::Server *srv = server_.get();
    thread_ = std::thread([srv] { srv->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
  }

  /// @brief Stops accepting, shuts open connections down and joins the
  /// worker threads.
  void stop() {
    if (!server_) return;
    server_->stop();
    shutdown_connections();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

private:
  error bind_error(const options &o) {
    server_.reset();
    return error(error_kind::transport,
                 "emulator: cannot bind " + o.host + ":" + std::to_string(o.port))
        .with_transport(transport_errc::connect);
  }

  // httplib's workers wait up to keep_alive_timeout on an idle connection
  // before they see the server stopped; shut down the sockets accepted on our
  // port so stop() returns at once. Linux only (it lists /proc/self/fd).
  void shutdown_connections() {
    for (int fd : sockets_on_port(/*accepted=*/true)) ::shutdown(fd, SHUT_RDWR);
  }

  // cpp-httplib 0.11 listens with a backlog of 5 (compiled into Debian's
  // library), so a client pool opening 8+ connections at once sees some
  // dropped and retried by TCP only after a second. Linux lets listen() on a
  // listening socket raise its backlog.
  void deepen_backlog() {
    for (int fd : sockets_on_port(/*accepted=*/false)) ::listen(fd, 1024);
  }

  // The sockets of this process bound to our port: those accepted (they have
  // a peer), or the listener. Empty where /proc/self/fd does not exist.
  std::vector<int> sockets_on_port(bool accepted) const {
    std::vector<int> out;
#if defined(__linux__)
    DIR *d = ::opendir("/proc/self/fd");
    if (!d) return out;
    std::vector<int> fds;
    while (const dirent *e = ::readdir(d))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') fds.push_back(std::atoi(e->d_name));
    ::closedir(d);
    for (int fd : fds) {
      sockaddr_storage a{}, peer{};
      socklen_t n = sizeof a, pn = sizeof peer;
      if (::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &n) != 0) continue;
      int p = -1;
      if (a.ss_family == AF_INET) p = ntohs(reinterpret_cast<sockaddr_in *>(&a)->sin_port);
      if (a.ss_family == AF_INET6) p = ntohs(reinterpret_cast<sockaddr_in6 *>(&a)->sin6_port);
      if (p != port_) continue;
      const bool has_peer = ::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &pn) == 0;
      if (has_peer == accepted) out.push_back(fd);
    }
#else
    (void)accepted;
#endif
    return out;
  }

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
};

} // namespace taskfetch::emulation::detail
