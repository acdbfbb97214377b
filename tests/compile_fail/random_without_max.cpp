// check_random_generator names each missing member.
// expect: taskfetch random generator: missing member `static constexpr result_type max()`
#include "minimal_policies.hpp"

struct generator {
  using result_type = std::uint32_t;
  explicit generator(result_type seed) : x(seed) {}
  static constexpr result_type min() { return 0; }
  // max left out
  result_type operator()() { return x = x * 1664525u + 1013904223u; }
  result_type x = 1;
};

static_assert(taskfetch::check_random_generator<generator>());
