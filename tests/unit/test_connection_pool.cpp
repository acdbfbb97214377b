// The connection pool both transports borrow from: reuse (newest first), the
// cap (a caller beyond it waits for a connection to come back), and emptied
// connections (broken, or never made) not kept. Connections are numbered ints;
// the waiting caller is released through waiting(), never a sleep.
#include <taskfetch/detail/connection_pool.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>

using taskfetch::detail::connection_pool;

namespace {

using conn = std::unique_ptr<int>;
using pool = connection_pool<conn>;

// Makes connections 1, 2, 3... and counts them.
struct maker {
  int made = 0;
  conn operator()() { return std::make_unique<int>(++made); }
};

} // namespace

TEST_CASE("connection pool: a connection given back is lent again, not made again") {
  pool p(4);
  maker make;
  for (int i = 0; i < 3; ++i) {
    pool::lease l(p, [&] { return make(); });
    REQUIRE(l.get());
    CHECK(*l.get() == 1);
  }
  CHECK(make.made == 1);
  CHECK(p.opened() == 1);
  CHECK(p.idle() == 1);
}

TEST_CASE("connection pool: the newest idle connection is lent first") {
  pool p(4);
  maker make;
  {
    pool::lease a(p, [&] { return make(); });
    pool::lease b(p, [&] { return make(); });
    CHECK(*a.get() == 1);
    CHECK(*b.get() == 2);
  } // b goes back first, then a
  CHECK(p.idle() == 2);
  pool::lease c(p, [&] { return make(); });
  CHECK(*c.get() == 1);
  CHECK(p.idle() == 1);
  CHECK(p.opened() == 2);
}

TEST_CASE("connection pool: beyond the cap a caller waits, then gets the connection given back") {
  pool p(2);
  maker make;
  auto a = std::make_unique<pool::lease>(p, [&] { return make(); });
  pool::lease b(p, [&] { return make(); });
  std::atomic<int> got{0};
  std::thread third([&] {
    pool::lease c(p, [&] { return make(); });
    got = *c.get();
  });
  // Until it waits (the cap holds) or it is lent one (a broken cap: fail, not hang).
  while (p.waiting() == 0 && got == 0) std::this_thread::yield();
  CHECK(got == 0);
  a.reset(); // connection 1 goes back
  third.join();
  CHECK(got == 1);
  CHECK(make.made == 2);
  CHECK(p.opened() == 2);
  CHECK(p.waiting() == 0);
}

TEST_CASE("connection pool: a cap of 0 counts as 1") {
  pool p(0);
  maker make;
  auto a = std::make_unique<pool::lease>(p, [&] { return make(); });
  std::atomic<bool> lent{false};
  std::thread second([&] {
    pool::lease b(p, [&] { return make(); });
    lent = true;
  });
  while (p.waiting() == 0 && !lent) std::this_thread::yield();
  CHECK_FALSE(lent); // the second caller waits
  a.reset();
  second.join();
  CHECK(make.made == 1);
}

TEST_CASE("connection pool: an emptied (broken) connection is not kept and frees its slot") {
  pool p(1);
  maker make;
  {
    pool::lease l(p, [&] { return make(); });
    l.get().reset(); // the transport found it unusable
  }
  CHECK(p.idle() == 0);
  pool::lease again(p, [&] { return make(); }); // a cap of 1: would wait if the slot were lost
  CHECK(*again.get() == 2);
  CHECK(p.opened() == 2);
}

TEST_CASE("connection pool: a connection that could not be made frees its slot") {
  pool p(1);
  {
    pool::lease l(p, [] { return conn(); }); // the library returned nothing
    CHECK_FALSE(l.get());
  }
  CHECK(p.idle() == 0);
  CHECK_THROWS_AS(pool::lease(p, []() -> conn { throw std::runtime_error("no memory"); }),
                  std::runtime_error);
  CHECK(p.opened() == 0); // neither attempt made a connection
  maker make;
  pool::lease l(p, [&] {
    CHECK(p.opened() == 0); // not counted before it exists
    return make();
  });
  CHECK(*l.get() == 1);
  CHECK(p.opened() == 1);
}
