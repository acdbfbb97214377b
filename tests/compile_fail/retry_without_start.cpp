// basic_client checks its retry policy at class level.
// expect: taskfetch retry policy: missing member `state start() const`
#include "minimal_policies.hpp"
#include <taskfetch/basic_client.hpp>

struct retry {
  minimal::retry_state start() { return {}; } // not const
};

using client = taskfetch::basic_client<minimal::transport, retry, minimal::clock>;

void use(client &c) { (void)c.config(); }
