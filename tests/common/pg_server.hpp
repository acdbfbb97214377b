// A throwaway PostgreSQL server for tests: initdb + pg_ctl into a temporary
// folder, listening on 127.0.0.1 at a free port and on a socket in that
// folder. As root the server runs as user postgres (or nobody) through
// runuser, since postgres refuses to run as root. Stopped and removed in the
// destructor.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace pg_test {

/// A loopback port nobody listens on now (bound, then closed).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

/// The server; ok() says whether it started, why() why not.
class pg_server {
public:
  /// The role tests log in as, and its password.
  static constexpr const char *user = "taskfetch";
  static constexpr const char *password = "pg-test-Secret-7";

  pg_server() {
    bin_ = find_bin();
    if (bin_.empty()) {
      why_ = "no initdb in /usr/lib/postgresql/*/bin or PATH (Debian: postgresql)";
      return;
    }
    if (::geteuid() == 0) {
      for (const char *u : {"postgres", "nobody"})
        if (passwd *pw = ::getpwnam(u)) {
          run_as_ = u;
          uid_ = pw->pw_uid;
          gid_ = pw->pw_gid;
          break;
        }
      if (run_as_.empty()) {
        why_ = "running as root and neither user postgres nor nobody exists";
        return;
      }
    }
    char tmpl[] = "/tmp/taskfetch-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      why_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    if (!run_as_.empty() && ::chown(dir_.c_str(), uid_, gid_) != 0) {
      why_ = "cannot chown " + dir_ + " to " + run_as_;
      return;
    }
    port_ = free_port();
    {
      std::ofstream pw(dir_ + "/pw");
      pw << "super-" << password << "\n";
    }
    if (!run_as_.empty() && ::chown((dir_ + "/pw").c_str(), uid_, gid_) != 0) return;
    if (!sh(as() + q(bin_ + "/initdb") + " -D " + q(dir_ + "/data") + " -U postgres --pwfile=" +
            q(dir_ + "/pw") + " --auth-local=trust --auth-host=scram-sha-256 -E UTF8 > " +
            q(dir_ + "/initdb.log") + " 2>&1")) {
      why_ = "initdb failed (see " + dir_ + "/initdb.log)";
      return;
    }
    if (!start()) return;
    if (!sh(as() + q(bin_ + "/psql") + " -h " + q(dir_) + " -p " + std::to_string(port_) +
            " -U postgres -d postgres -qAt -c " +
            q(std::string("CREATE ROLE ") + user + " LOGIN PASSWORD '" + password + "'") + " -c " +
            q(std::string("CREATE DATABASE jobs OWNER ") + user) + " > " + q(dir_ + "/psql.log") +
            " 2>&1")) {
      // The folder goes with the destructor: say what psql said now.
      std::ifstream log(dir_ + "/psql.log");
      why_ = "creating the test role failed: " +
             std::string(std::istreambuf_iterator<char>(log), std::istreambuf_iterator<char>());
      return;
    }
    ok_ = true;
  }
  ~pg_server() {
    if (running_) stop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  pg_server(const pg_server &) = delete;
  pg_server &operator=(const pg_server &) = delete;

  bool ok() const { return ok_; }
  const std::string &why() const { return why_; }
  int port() const { return port_; }
  /// A URI for the test role over TCP on 127.0.0.1.
  std::string uri(const std::string &pass = password) const {
    return std::string("postgresql://") + user + ":" + pass +
           "@127.0.0.1:" + std::to_string(port_) + "/jobs?connect_timeout=5";
  }

  /// Starts (or restarts) the server, waiting until it accepts connections.
  bool start() {
    const std::string opts = "-p " + std::to_string(port_) + " -k " + dir_ +
                             " -c listen_addresses=127.0.0.1 -c fsync=off";
    running_ = sh(as() + q(bin_ + "/pg_ctl") + " -D " + q(dir_ + "/data") + " -l " +
                  q(dir_ + "/server.log") + " -w -t 60 -o " + q(opts) + " start > /dev/null 2>&1");
    if (!running_) why_ = "pg_ctl start failed (see " + dir_ + "/server.log)";
    return running_;
  }
  /// Stops the server at once (as a crash would).
  bool stop() {
    running_ = false;
    return sh(as() + q(bin_ + "/pg_ctl") + " -D " + q(dir_ + "/data") +
              " -m immediate -w stop > /dev/null 2>&1");
  }

private:
  static bool sh(const std::string &cmd) { return std::system(cmd.c_str()) == 0; }
  static std::string q(const std::string &s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
  }
  std::string as() const { return run_as_.empty() ? "" : "runuser -u " + run_as_ + " -- "; }
  static std::string find_bin() {
    glob_t g{};
    std::string found;
    if (::glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) == 0 && g.gl_pathc > 0)
      found = std::filesystem::path(g.gl_pathv[g.gl_pathc - 1]).parent_path().string();
    ::globfree(&g);
    if (!found.empty()) return found;
    if (std::system("command -v initdb > /dev/null 2>&1") == 0) {
      if (FILE *p = ::popen("dirname \"$(command -v initdb)\"", "r")) {
        char buf[4096] = {};
        if (std::fgets(buf, sizeof buf, p)) found = buf;
        ::pclose(p);
        while (!found.empty() && found.back() == '\n') found.pop_back();
      }
    }
    return found;
  }
  std::string bin_, dir_, run_as_, why_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  bool ok_ = false, running_ = false;
};

/// Whether tests run in CI, where a server that cannot start fails them.
inline bool in_ci() {
  const char *ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

/// Whether @p s is running; false with a loud message when it could not
/// start, which fails the calling test in CI instead of skipping it.
inline bool usable(const pg_server &s) {
  if (s.ok()) return true;
  if (in_ci()) FAIL("cannot start a PostgreSQL server: " << s.why());
  MESSAGE("SKIPPED: cannot start a PostgreSQL server: " << s.why());
  return false;
}

} // namespace pg_test
