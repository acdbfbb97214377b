// A nearly-a-decoder as run()'s second argument reaches the check, not "no matching function".
// expect: taskfetch decoder: missing member `using value_type = ...`
#include "minimal_policies.hpp"
#include <taskfetch/basic_client.hpp>

struct decoder {
  // value_type left out
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<int> finish() { return 0; }
  void abort() noexcept {}
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

void use(client &c) {
  decoder d;
  (void)c.run<minimal::endpoint>(taskfetch::image_input{}, d);
}
