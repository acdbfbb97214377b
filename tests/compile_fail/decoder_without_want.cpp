// check_decoder names each missing member.
// expect: taskfetch decoder: missing member `bool want(std::size_t)`
#include "minimal_policies.hpp"

struct decoder {
  using value_type = int;
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  // want left out
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<int> finish() { return 0; }
  void abort() noexcept {}
};

static_assert(taskfetch::check_decoder<decoder>());
