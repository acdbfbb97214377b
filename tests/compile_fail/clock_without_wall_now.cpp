// A clock needs wall time for Retry-After dates.
// expect: taskfetch clock: missing member `std::chrono::system_clock::time_point wall_now() const`
#include "minimal_policies.hpp"

struct user_clock {
  std::chrono::steady_clock::time_point now() const { return {}; }
  // wall_now() left out
  bool sleep_for(taskfetch::duration, const taskfetch::cancel_token &) { return true; }
};

static_assert(taskfetch::check_clock<user_clock>());
