// submit_body and input come both or neither.
// expect: taskfetch endpoint: missing member `using input = ...`
#include "minimal_policies.hpp"
#include <taskfetch/endpoint.hpp>

struct endpoint {
  static constexpr std::string_view name = "minimal";
  static constexpr std::string_view path = "/v5.0/minimal";
  static std::string submit_body(const std::string &in) { return in; } // no `using input`
};

static_assert(taskfetch::check_endpoint<endpoint>());
