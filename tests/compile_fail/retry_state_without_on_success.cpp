// The state a retry policy's start() makes is checked too.
// expect: taskfetch retry state: missing member `void on_success()`
#include "minimal_policies.hpp"

struct state {
  std::optional<taskfetch::duration> on_failure(const taskfetch::error &) { return {}; }
  std::optional<taskfetch::duration> on_pending(taskfetch::duration) { return {}; }
  // on_success() left out
};
struct retry {
  state start() const { return {}; }
};

static_assert(taskfetch::check_retry_policy<retry>());
