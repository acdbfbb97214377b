// fetch_batch checks the decoders its callback makes.
// expect: taskfetch decoder: missing member `result<void> write(std::size_t, const char*, std::size_t)`
#include "minimal_policies.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/batch/fetch_batch.hpp>

struct decoder {
  using value_type = int;
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  // write left out
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<int> finish() { return 0; }
  void abort() noexcept {}
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

void use(client &c, const std::vector<std::string> &ids) {
  (void)taskfetch::fetch_batch<minimal::endpoint>(
      c, ids, [](std::size_t, const std::string &) { return decoder{}; },
      [](std::size_t, const std::string &, auto &) {});
}
