// check_decoder names each missing member.
// expect: taskfetch decoder: missing member `result<void> begin(const fetch_info&)`
#include "minimal_policies.hpp"

struct decoder {
  using value_type = int;
  // begin left out
  bool want(std::size_t) { return true; }
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<int> finish() { return 0; }
  void abort() noexcept {}
};

static_assert(taskfetch::check_decoder<decoder>());
