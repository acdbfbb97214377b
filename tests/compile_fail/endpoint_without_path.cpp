// An endpoint needs a path, or all three per-verb paths.
// expect: taskfetch endpoint: missing member `static constexpr std::string_view path`
#include "minimal_policies.hpp"
#include <taskfetch/endpoint.hpp>

struct endpoint {
  static constexpr std::string_view name = "minimal";
};

static_assert(taskfetch::check_endpoint<endpoint>());
