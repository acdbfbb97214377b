// Positive control: the minimal policies build through every entry point the
// failure tests use, so those fail for the member they leave out, not for
// anything else.
// expect: builds
#include "minimal_policies.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/batch/fetch_batch.hpp>
#include <taskfetch/batch/run_inputs.hpp>
#include <taskfetch/task_pool.hpp>

#include <string>
#include <vector>

using client = taskfetch::basic_client<minimal::transport, minimal::retry, minimal::clock>;

static_assert(taskfetch::check_transport<minimal::transport>());
static_assert(taskfetch::check_retry_policy<minimal::retry>());
static_assert(taskfetch::check_clock<minimal::clock>());
static_assert(taskfetch::check_decoder<minimal::decoder>());
static_assert(taskfetch::check_endpoint<minimal::endpoint>());
static_assert(taskfetch::check_random_generator<minimal::random>());
static_assert(taskfetch::check_poll_schedule<minimal::schedule>());

void use(client &c, taskfetch::journal &j) {
  minimal::decoder d;
  (void)c.fetch<minimal::endpoint>("id");
  (void)c.fetch<minimal::endpoint>("id", d);
  (void)c.fetch<minimal::endpoint>("id", taskfetch::call_options{});
  (void)c.run<minimal::endpoint>(taskfetch::image_input{}, d);
  taskfetch::basic_standard_retry<minimal::random> jitter;
  (void)jitter.start();

  taskfetch::task_pool<client> pool(c, taskfetch::pool_options{});
  (void)pool.fetch<minimal::endpoint>("id", minimal::decoder{});
  (void)pool.run<minimal::endpoint>(taskfetch::image_input{}, minimal::decoder{});

  const std::vector<std::string> ids{"id"};
  (void)taskfetch::fetch_batch<minimal::endpoint>(
      c, ids, [](std::size_t, const std::string &) { return minimal::decoder{}; },
      [](std::size_t, const std::string &, taskfetch::result<int> &) {});
  (void)taskfetch::run_inputs<minimal::endpoint>(
      c, {}, j,
      [](const std::filesystem::path &) -> taskfetch::result<taskfetch::image_input> {
        return taskfetch::image_input{};
      },
      [](const taskfetch::input_report &) {});
}
