// error: what a default error says, and the kinds' names.
#include <taskfetch/error.hpp>

#include <doctest/doctest.h>

using namespace taskfetch;

TEST_CASE("a default error is of kind unknown, never transport") {
  const error e;
  CHECK(e.kind() == error_kind::unknown);
  CHECK(e.message() == "unknown error");
  CHECK(to_string(e.kind()) == "unknown");
  CHECK(to_string(error_kind::io) == "io");
  CHECK(e.transport_code() == transport_errc::none);
  CHECK(e.http_status() == 0);
}
