// The polling schedule, computed with the manual clock through the real
// client: for tasks that take T seconds, how many requests each policy makes
// and how long after completion it notices. Prints the table in
// docs/polling.md (expected/poll_schedule.regex checks it is that table).
// No network, no sleeping.
#include <taskfetch/basic_client.hpp>
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <cstdio>

using namespace taskfetch;
using namespace std::chrono_literals;

struct outcome {
  std::size_t requests;
  double notice_s;
};

// A task that is Processing until the manual clock reaches T, then Completed.
template <class Retry> outcome simulate(Retry policy, std::chrono::seconds task) {
  testing::scripted_transport net;
  testing::manual_clock clock;
  const std::string done = R"({"taskStatus":"Completed","results":[{"type":"Csv","data":")" +
                           detail::base64_encode("0\n") + R"("}]})";
  net.on(
      http_method::get, "/v5.0/ocr/RecognizeTable",
      [&](const request &) {
        return testing::scripted_reply::json(
            200, clock.elapsed() >= task ? done : R"({"taskStatus":"Processing","results":null})");
      },
      testing::scripted_transport::forever);
  basic_client<testing::scripted_transport, Retry, testing::manual_clock> api(
      options{}.bearer_token("t").deadline(std::chrono::hours(1)), net, policy, clock);
  auto r = api.template fetch<endpoints::recognize_table>("id");
  if (!r) std::fprintf(stderr, "unexpected: %s\n", r.error().message().c_str());
  return {net.count("/v5.0/ocr/RecognizeTable"),
          std::chrono::duration<double>(clock.elapsed() - task).count()};
}

int main() {
  std::printf("| task takes | default: requests | default: noticed after | fixed 2 s: requests | "
              "fixed 2 s: noticed after | fixed 5 s: requests | fixed 5 s: noticed after |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (int t : {1, 5, 10, 11, 30, 60, 120, 300}) {
    const auto T = std::chrono::seconds(t);
    const auto d = simulate(standard_retry{}, T);
    const auto f2 = simulate(fixed_interval{2s}, T);
    const auto f5 = simulate(fixed_interval{5s}, T);
    auto cell = [&](outcome o) {
      std::printf(" %zu | %.2f s (%.0f%%) |", o.requests, o.notice_s, 100.0 * o.notice_s / t);
    };
    std::printf("| %d s |", t);
    cell(d);
    cell(f2);
    cell(f5);
    std::printf("\n");
  }
  return 0;
}
