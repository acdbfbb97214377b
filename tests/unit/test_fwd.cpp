// fwd.hpp names the same entities as the full headers: a function declared
// with its names alone is the one defined with the full types below.
#include <taskfetch/fwd.hpp>

#include <string_view>

namespace {
// What a user's own header declares with fwd.hpp alone.
taskfetch::result<taskfetch::table> first_table(taskfetch::client &api, std::string_view id);
} // namespace

#include <taskfetch/taskfetch.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace {
taskfetch::result<taskfetch::table> first_table(taskfetch::client &api, std::string_view id) {
  return api.fetch<taskfetch::endpoints::recognize_table>(id);
}
} // namespace

TEST_CASE("fwd.hpp's client is the client, with basic_client's default policies") {
  static_assert(
      std::is_base_of_v<taskfetch::basic_client<taskfetch::httplib_transport>, taskfetch::client>);
  // A base URL the transport refuses: the call fails before any network I/O.
  taskfetch::client api{taskfetch::options{}.base_url("not a url").credentials("id", "secret")};
  auto r = first_table(api, "task-id");
  REQUIRE(!r);
  CHECK(r.error().kind() == taskfetch::error_kind::invalid_argument);
}
