// fetch<E>(id) checks the endpoint (through endpoint_traits).
// expect: taskfetch endpoint: missing member `static constexpr std::string_view name`
#include "minimal_policies.hpp"
#include <taskfetch/basic_client.hpp>

struct endpoint {
  // name left out
  static constexpr std::string_view path = "/v5.0/minimal";
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

void use(client &c) { (void)c.fetch<endpoint>("id"); }
