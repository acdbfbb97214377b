// check_decoder names each missing member.
// expect: taskfetch decoder: missing member `result<void> end_result(std::size_t, std::string_view)`
#include "minimal_policies.hpp"

struct decoder {
  using value_type = int;
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  // end_result left out
  taskfetch::result<int> finish() { return 0; }
  void abort() noexcept {}
};

static_assert(taskfetch::check_decoder<decoder>());
