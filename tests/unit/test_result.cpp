// result<T>: every accessor defined on both sides (value and error), and
// value_or. What an error itself holds is in test_error.cpp.
#include <taskfetch/result.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>

using namespace taskfetch;

TEST_CASE("result<T>: error() on a value is a kind-unknown error, never undefined") {
  result<int> r = 7;
  const result<int> &cr = r;
  CHECK(cr.error().kind() == error_kind::unknown);
  CHECK(cr.error().message() == "no error: the result holds a value");
  CHECK(&cr.error() == &result<std::string>("x").error()); // one shared immutable error

  // The mutable overload hands out the thread's own copy: changing or moving
  // from it never alters what the next caller sees.
  error &mine = r.error();
  mine.prefix("changed");
  error moved = std::move(mine);
  CHECK(moved.message() == "changed: no error: the result holds a value");
  CHECK(moved.kind() == error_kind::unknown);
  CHECK(r.error().message() == "no error: the result holds a value");
  CHECK(cr.error().message() == "no error: the result holds a value");
  CHECK(r.value() == 7); // the value is untouched

  std::string other_thread;
  std::thread([&] {
    result<int> mine = 1;
    mine.error().prefix("theirs");
    other_thread = mine.error().message();
  }).join();
  CHECK(other_thread == "no error: the result holds a value");
}

TEST_CASE("result<T>: value() on an error throws fetch_error carrying the error") {
  result<std::string> r = error(error_kind::io, "cannot write /x: No space left on device");
  CHECK_FALSE(r);
  try {
    (void)r.value();
    FAIL("value() on an error returned");
  } catch (const fetch_error &e) {
    CHECK(e.error().kind() == error_kind::io);
    CHECK(std::string(e.what()) == "cannot write /x: No space left on device");
  }
  const auto &cr = r;
  CHECK_THROWS_AS((void)cr.value(), fetch_error);
  CHECK_THROWS_AS((void)std::move(r).value(), fetch_error);
  CHECK(r.error().kind() == error_kind::io); // still held after the throws
}

TEST_CASE("result<T>: value_or") {
  result<std::string> ok = std::string("abc");
  result<std::string> bad = error(error_kind::decode, "x");
  CHECK(ok.value_or("fallback") == "abc");
  CHECK(bad.value_or("fallback") == "fallback");
  CHECK(ok.value() == "abc"); // const& leaves the value

  // && moves the value out, so a move-only T works.
  result<std::unique_ptr<int>> p = std::make_unique<int>(5);
  auto got = std::move(p).value_or(nullptr);
  REQUIRE(got);
  CHECK(*got == 5);
  result<std::unique_ptr<int>> none = error(error_kind::not_found, "gone");
  CHECK(std::move(none).value_or(nullptr) == nullptr);

  result<long> n = error(error_kind::auth, "x");
  CHECK(n.value_or(3) == 3L); // converted to T
}

TEST_CASE("result<void>: error() on success, value() on failure") {
  result<void> ok;
  CHECK(ok);
  CHECK_NOTHROW(ok.value());
  const result<void> &cok = ok;
  CHECK(cok.error().kind() == error_kind::unknown);
  CHECK(cok.error().message() == "no error: the result holds a value");
  ok.error().prefix("changed");
  CHECK(ok); // still a success
  CHECK(ok.error().message() == "no error: the result holds a value");

  result<void> bad = error(error_kind::io, "cannot sync /x: Input/output error");
  CHECK_FALSE(bad);
  CHECK(bad.error().kind() == error_kind::io);
  try {
    bad.value();
    FAIL("value() on a failure returned");
  } catch (const fetch_error &e) {
    CHECK(e.error().message() == "cannot sync /x: Input/output error");
  }
  error taken = std::move(bad.error());
  CHECK(taken.kind() == error_kind::io);
}
