// The state a retry policy's start() makes is checked too.
// expect: taskfetch retry state: missing member `std::optional<duration> on_failure(const error&)`
#include "minimal_policies.hpp"

struct state {
  std::optional<taskfetch::duration> on_pending(taskfetch::duration) { return {}; }
  void on_success() {}
  // on_failure() left out
};
struct retry {
  state start() const { return {}; }
};

static_assert(taskfetch::check_retry_policy<retry>());
