// basic_client checks its clock at class level.
// expect: taskfetch clock: missing member `std::chrono::steady_clock::time_point now() const`
#include "minimal_policies.hpp"
#include <taskfetch/basic_client.hpp>

struct user_clock {
  std::chrono::system_clock::time_point now() const { return {}; } // the wrong clock's time
  std::chrono::system_clock::time_point wall_now() const { return {}; }
  bool sleep_for(taskfetch::duration, const taskfetch::cancel_token &) { return true; }
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, user_clock>;

void use(client &c) { (void)c.config(); }
