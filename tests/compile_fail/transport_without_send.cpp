// basic_client checks its transport at class level.
// expect: taskfetch transport: missing member `send_result send(const request&, response_handler&)`
#include "minimal_policies.hpp"
#include <taskfetch/basic_client.hpp>

struct transport {}; // send() left out

using client = taskfetch::basic_client<transport, minimal::retry, minimal::clock>;

void use(client &c) { (void)c.config(); }
