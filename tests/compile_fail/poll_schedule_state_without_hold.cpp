// pool_options::schedule checks the state its schedule makes.
// expect: taskfetch poll schedule state: missing member `std::optional<duration> hold(time_point)`
#include "minimal_policies.hpp"
#include <taskfetch/poll_schedule.hpp>

struct state {
  taskfetch::duration on_pending(std::chrono::steady_clock::time_point, taskfetch::duration d) {
    return d;
  }
  void on_done(std::chrono::steady_clock::time_point) {}
};
struct schedule {
  state start(std::string_view, std::chrono::steady_clock::time_point) const { return {}; }
};

taskfetch::poll_schedule make() { return schedule{}; }
