// run_inputs checks its endpoint: its own input needs its own body.
// expect: taskfetch endpoint: missing member `static std::string submit_body(const input&)`
#include "minimal_policies.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/batch/run_inputs.hpp>

struct endpoint {
  static constexpr std::string_view name = "minimal";
  static constexpr std::string_view path = "/v5.0/minimal";
  using input = std::string; // submit_body left out
};

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

void use(client &c, taskfetch::journal &j) {
  (void)taskfetch::run_inputs<endpoint>(
      c, {}, j,
      [](const std::filesystem::path &) -> taskfetch::result<std::string> { return std::string(); },
      [](const taskfetch::input_report &) {});
}
