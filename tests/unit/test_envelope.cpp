// read_envelope: the answer's error messages and warnings, and the member
// types it refuses (malformed_response).
#include <taskfetch/endpoints.hpp>
#include <taskfetch/envelope.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace taskfetch;
using nlohmann::json;

TEST_CASE("error messages and warnings are read; wrong shapes are malformed") {
  auto e =
      read_envelope({{"taskStatus", "Error"},
                     {"error", {{"messages", {"bad image", "try again"}}, {"warnings", nullptr}}}},
                    true, 0);
  REQUIRE(e);
  CHECK(e->messages == std::vector<std::string>{"bad image", "try again"});
  CHECK(e->warnings.empty());
  auto st = endpoint_traits<endpoints::djvu2pdf>::state_of(*e);
  CHECK(st.messages.size() == 2);

  auto none = read_envelope({{"taskStatus", "Error"}, {"error", {{"messages", nullptr}}}}, true, 0);
  REQUIRE(none);
  CHECK(none->messages.empty());

  CHECK_FALSE(read_envelope(json::array(), true, 0));
  CHECK_FALSE(read_envelope({{"taskStatus", 3}}, true, 0));
  CHECK_FALSE(read_envelope({{"error", 42}}, true, 0));
  CHECK_FALSE(read_envelope({{"error", {{"messages", "one"}}}}, true, 0));
  auto bad = read_envelope({{"responseStatusCode", json::array()}}, true, 0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == error_kind::malformed_response);
}
