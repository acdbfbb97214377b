// The task pool's fetch checks its decoder.
// expect: taskfetch decoder: missing member `result<value_type> finish()`
#include "minimal_policies.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/task_pool.hpp>

struct decoder {
  using value_type = int;
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<long> finish() { return 0L; } // not result<value_type>
  void abort() noexcept {}
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

void use(client &c) {
  taskfetch::task_pool<client> pool(c, taskfetch::pool_options{});
  (void)pool.fetch<minimal::endpoint>("id", decoder{});
}
