// All waiting goes through the clock.
// expect: taskfetch clock: missing member `bool sleep_for(duration, const cancel_token&)`
#include "minimal_policies.hpp"

struct user_clock {
  std::chrono::steady_clock::time_point now() const { return {}; }
  std::chrono::system_clock::time_point wall_now() const { return {}; }
  bool sleep_for(taskfetch::duration) { return true; } // no cancel token
};

static_assert(taskfetch::check_clock<user_clock>());
