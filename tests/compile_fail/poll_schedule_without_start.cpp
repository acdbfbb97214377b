// pool_options::schedule checks the schedule it is given.
// expect: taskfetch poll schedule: missing member `state start(std::string_view, time_point) const`
#include "minimal_policies.hpp"
#include <taskfetch/poll_schedule.hpp>

struct schedule {
  minimal::schedule_state start(std::string_view) const { return {}; } // no submit time
};

taskfetch::poll_schedule make() { return schedule{}; }
