// libpq's wrapper (detail/pq.hpp): no message ever carries a password, and
// a connection that cannot be made is an io error naming the host. Built
// only with libpq (TASKFETCH_TEST_POSTGRESQL).
#ifdef TASKFETCH_TEST_POSTGRESQL
#include "../common/pg_server.hpp"

#include <taskfetch/detail/pq.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;
namespace pq = taskfetch::detail::pq;

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
  const int port = pg_test::free_port();
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

namespace {
// The server every test below shares; started once.
pg_test::pg_server &server() {
  static pg_test::pg_server s;
  return s;
}
// False (with a loud message) when no server could start; in CI that fails.
bool have_server() {
  if (server().ok()) return true;
  if (pg_test::in_ci()) FAIL("cannot start a PostgreSQL server: " << server().why());
  MESSAGE("SKIPPED: cannot start a PostgreSQL server: " << server().why());
  return false;
}
} // namespace

TEST_CASE("pq: a real server: query, refused login, restart and reconnect") {
  if (!have_server()) return;
  pq::connection c(server().uri());
  REQUIRE(c.open());
  auto r = c.exec("SELECT $1::int + 1", {std::string("41")});
  REQUIRE(r.ok());
  CHECK(r.text(0, 0) == "42");
  CHECK(c.exec("SELECT NULL::text", {}).is_null(0, 0));

  SUBCASE("refused login names the host, not the password") {
    pq::connection bad(server().uri("Wrong-Pass-9"));
    auto o = bad.open();
    REQUIRE_FALSE(o);
    CHECK(o.error().kind() == error_kind::io);
    CHECK(o.error().message().find("127.0.0.1") != std::string::npos);
    CHECK(o.error().message().find("Wrong-Pass-9") == std::string::npos);
    CHECK(o.error().message().find(pg_test::pg_server::password) == std::string::npos);
  }
  SUBCASE("a transaction rolls back unless committed") {
    REQUIRE(c.exec("CREATE TABLE IF NOT EXISTS t_tx (v int)").ok());
    {
      pq::transaction tx(c);
      REQUIRE(tx.began());
      REQUIRE(c.exec("INSERT INTO t_tx VALUES (1)").ok());
    }
    CHECK(c.exec("SELECT count(*) FROM t_tx").text(0, 0) == "0");
    {
      pq::transaction tx(c);
      REQUIRE(c.exec("INSERT INTO t_tx VALUES (2)").ok());
      CHECK(tx.commit());
    }
    CHECK(c.exec("SELECT count(*) FROM t_tx").text(0, 0) == "1");
  }
  SUBCASE("the server goes away and comes back: one reopen reconnects") {
    REQUIRE(server().stop());
    CHECK_FALSE(c.exec("SELECT 1").ok());
    CHECK_FALSE(c.good());
    auto down = c.open();
    REQUIRE_FALSE(down);
    CHECK(down.error().kind() == error_kind::io);
    CHECK(down.error().message().find(pg_test::pg_server::password) == std::string::npos);
    REQUIRE(server().start());
    REQUIRE(c.open());
    CHECK(c.exec("SELECT 1").ok());
  }
}
#endif
