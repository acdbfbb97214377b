// A throwing abort() would end the program from noexcept code: refused.
// expect: taskfetch decoder: missing member `void abort() noexcept`
#include "minimal_policies.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/task_pool.hpp>

struct decoder {
  using value_type = int;
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<int> finish() { return 0; }
  void abort() {} // may throw
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

void use(client &c) {
  taskfetch::task_pool<client> pool(c, taskfetch::pool_options{});
  (void)pool.run<minimal::endpoint>(taskfetch::image_input{}, decoder{});
}
