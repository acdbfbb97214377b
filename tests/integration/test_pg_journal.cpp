// libpq's wrapper (detail/pq.hpp): no message ever carries a password, and
// a connection that cannot be made is an io error naming the host. Built
// only with libpq (TASKFETCH_TEST_POSTGRESQL).
#ifdef TASKFETCH_TEST_POSTGRESQL
#include <taskfetch/detail/pq.hpp>

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace taskfetch;
namespace pq = taskfetch::detail::pq;

namespace {
// A loopback port nobody listens on: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}
} // namespace

TEST_CASE("pq: passwords are stripped from URIs, key/value strings and libpq's text") {
  CHECK(pq::strip_password("postgresql://bob:s3cret@db.example:5432/x") ==
        "postgresql://bob:***@db.example:5432/x");
  CHECK(pq::strip_password("postgres://bob@h/x?password=s3cret&sslmode=disable") ==
        "postgres://bob@h/x?password=***&sslmode=disable");
  CHECK(pq::strip_password("host=h password='a b' dbname=x") == "host=h password=*** dbname=x");
  CHECK(pq::strip_password("auth failed for s3cret here", "s3cret") == "auth failed for *** here");
  CHECK(pq::strip_password("postgresql://h:5432/x") == "postgresql://h:5432/x");
}

TEST_CASE("pq: an unreachable server is an io error naming the host, never the password") {
  const int port = closed_port();
  pq::connection c("postgresql://bob:s3cret@127.0.0.1:" + std::to_string(port) +
                   "/jobs?connect_timeout=2");
  auto r = c.open();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::io);
  const auto &m = r.error().message();
  CHECK(m.find("127.0.0.1:" + std::to_string(port) + "/jobs") != std::string::npos);
  CHECK(m.find("s3cret") == std::string::npos);
  CHECK_FALSE(c.good());
}

TEST_CASE("pq: a malformed connection string is an io error without the password") {
  pq::connection c("postgresql://bob:s3cret@[::1/x"); // unterminated IPv6 literal
  auto r = c.open();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == error_kind::io);
  CHECK(r.error().message().find("s3cret") == std::string::npos);
}
#endif
