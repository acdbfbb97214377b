// The smallest complete set of user policies, one of each kind in
// docs/policies.md. The positive control builds them through every entry
// point; each compile-failure test copies one, leaves out one member, and
// must fail with the static_assert that names it.
#pragma once

#include <taskfetch/clock.hpp>
#include <taskfetch/decoder.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/poll_schedule.hpp>
#include <taskfetch/retry.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace minimal {

struct transport {
  taskfetch::send_result send(const taskfetch::request &, taskfetch::response_handler &) {
    return {};
  }
};

struct retry_state {
  std::optional<taskfetch::duration> on_failure(const taskfetch::error &) { return {}; }
  std::optional<taskfetch::duration> on_pending(taskfetch::duration) { return {}; }
  void on_success() {}
};
struct retry {
  retry_state start() const { return {}; }
};

struct schedule_state {
  taskfetch::duration on_pending(std::chrono::steady_clock::time_point, taskfetch::duration d) {
    return d;
  }
  std::optional<taskfetch::duration> hold(std::chrono::steady_clock::time_point) { return {}; }
  void on_done(std::chrono::steady_clock::time_point) {}
};
struct schedule {
  schedule_state start(std::string_view, std::chrono::steady_clock::time_point) const { return {}; }
};

struct clock {
  std::chrono::steady_clock::time_point now() const { return {}; }
  std::chrono::system_clock::time_point wall_now() const { return {}; }
  bool sleep_for(taskfetch::duration, const taskfetch::cancel_token &) { return true; }
};

struct decoder {
  using value_type = int;
  taskfetch::result<void> begin(const taskfetch::fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  taskfetch::result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  taskfetch::result<void> end_result(std::size_t, std::string_view) { return {}; }
  taskfetch::result<int> finish() { return 0; }
  void abort() noexcept {}
};

struct endpoint {
  static constexpr std::string_view name = "minimal";
  static constexpr std::string_view path = "/v5.0/minimal";
};

struct random {
  using result_type = std::uint32_t;
  explicit random(result_type seed) : x(seed) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return 0xffffffffu; }
  result_type operator()() { return x = x * 1664525u + 1013904223u; }
  result_type x;
};

} // namespace minimal
