// fetch(id, decoder) checks the decoder instead of hiding the overload.
// expect: taskfetch decoder: missing member `void abort() noexcept`
#include "minimal_policies.hpp"
#include <taskfetch/basic_client.hpp>

struct decoder {
  using value_type = int;
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<int> finish() { return 0; }
  // abort left out
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

void use(client &c) {
  decoder d;
  (void)c.fetch<minimal::endpoint>("id", d);
}
