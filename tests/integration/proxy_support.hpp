// Proxies for the proxy tests, on loopback only: Debian's tinyproxy started
// in the foreground with a generated config, and a stub that answers every
// request with 407 (tinyproxy 1.11 answers wrong credentials with 401).
#pragma once

#include "support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace it {

/// A loopback port nothing listens on (yet).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// The port of an emulator's base URL.
inline int port_of(const emulator &emu) { return detail::parse_url(emu.base_url())->port; }

/// tinyproxy's path, or "" when it is not installed.
inline std::string tinyproxy_path() {
  for (const char *p : {"/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

/// True when the proxy tests can run. Without tinyproxy they fail in CI
/// (CI=true), so a missing package never passes silently, and skip locally.
inline bool need_tinyproxy() {
  if (!tinyproxy_path().empty()) return true;
  const char *ci = std::getenv("CI");
  if (ci && std::string(ci) == "true")
    FAIL("tinyproxy is not installed: the proxy tests need it (run .ci/setup)");
  MESSAGE("tinyproxy is not installed: proxy tests skipped (apt-get install tinyproxy)");
  return false;
}

/// tinyproxy on 127.0.0.1, foreground, allowing CONNECT to @p connect_ports
/// only; with Basic auth when @p user is not empty. Killed when destroyed.
class tiny_proxy {
public:
  explicit tiny_proxy(std::vector<int> connect_ports, std::string user = "",
                      std::string password = "")
      : user_(std::move(user)), password_(std::move(password)) {
    port_ = free_port();
    std::string conf = "Port " + std::to_string(port_) +
                       "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\n"
                       "LogFile \"" +
                       (dir_.path / "tinyproxy.log").string() +
                       "\"\nLogLevel Info\nAllow 127.0.0.1\nDisableViaHeader Yes\n";
    for (int p : connect_ports) conf += "ConnectPort " + std::to_string(p) + "\n";
    if (!user_.empty()) conf += "BasicAuth " + user_ + " " + password_ + "\n";
    std::ofstream(dir_.path / "tinyproxy.conf") << conf;
    const std::string exe = tinyproxy_path(), conf_path = (dir_.path / "tinyproxy.conf").string();
    std::vector<std::string> args{exe, "-d", "-c", conf_path};
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    const std::string out = (dir_.path / "stdout").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    REQUIRE(posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 200 && !port_open(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    const std::string said = "tinyproxy did not start: " + slurp(dir_.path / "stdout");
    REQUIRE_MESSAGE(port_open(port_), said);
  }
  ~tiny_proxy() { stop(); }
  tiny_proxy(const tiny_proxy &) = delete;
  tiny_proxy &operator=(const tiny_proxy &) = delete;

  /// Stops it: from now on nothing listens on its port.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  int port() const { return port_; }
  /// "http://[user:password@]127.0.0.1:PORT".
  std::string url() const {
    return "http://" + (user_.empty() ? "" : user_ + ":" + password_ + "@") +
           "127.0.0.1:" + std::to_string(port_);
  }
  /// What it logged: one "Request" line per request it took.
  std::string log() const { return slurp(dir_.path / "tinyproxy.log"); }

private:
  temp_dir dir_;
  std::string user_, password_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// A proxy that answers every request, CONNECT included, with 407.
class proxy_407 {
public:
  proxy_407() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~proxy_407() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int answered() const { return answered_; }

private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        const auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      static const std::string answer =
          "HTTP/1.1 407 Proxy Authentication Required\r\n"
          "Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n"
          "Connection: close\r\n\r\n";
      // Counted before it is sent: the client may act on the answer (and
      // the test read the count) before this thread runs again.
      ++answered_;
      ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

} // namespace it
