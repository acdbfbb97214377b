// The state a retry policy's start() makes is checked too.
// expect: taskfetch retry state: missing member `std::optional<duration> on_pending(duration)`
#include "minimal_policies.hpp"

struct state {
  std::optional<taskfetch::duration> on_failure(const taskfetch::error &) { return {}; }
  void on_success() {}
  // on_pending() left out
};
struct retry {
  state start() const { return {}; }
};

static_assert(taskfetch::check_retry_policy<retry>());
