// basic_standard_retry checks its random generator at class level.
// expect: taskfetch random generator: missing member `using result_type = <an unsigned integer
// type>`
#include "minimal_policies.hpp"

struct generator {
  using result_type = int; // signed
  explicit generator(result_type seed) : x(seed) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return 0x7fffffff; }
  result_type operator()() { return x = x / 2 + 1; }
  result_type x = 1;
};

void use(taskfetch::basic_standard_retry<generator> &r) { (void)r.settings(); }
