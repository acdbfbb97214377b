// Each retry state seeds its own generator.
// expect: taskfetch random generator: missing member `explicit R(result_type seed)`
#include "minimal_policies.hpp"

struct generator {
  using result_type = std::uint32_t;
  // seed_constructor left out
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return 0xffffffffu; }
  result_type operator()() { return x = x * 1664525u + 1013904223u; }
  result_type x = 1;
};

void use(taskfetch::basic_standard_retry<generator> &r) { (void)r.settings(); }
