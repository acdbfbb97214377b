// Per-verb paths come in threes when there is no path.
// expect: taskfetch endpoint: missing member `static constexpr std::string_view submit_path`
#include "minimal_policies.hpp"
#include <taskfetch/endpoint.hpp>

struct endpoint {
  static constexpr std::string_view name = "minimal";
  static constexpr std::string_view fetch_path = "/v5.0/fetch_path";
  static constexpr std::string_view cancel_path = "/v5.0/cancel_path";
  // submit_path left out, and no path
};

static_assert(taskfetch::check_endpoint<endpoint>());
