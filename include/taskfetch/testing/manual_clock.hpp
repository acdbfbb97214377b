/// @file
/// @brief A clock for tests: time moves only when code sleeps or the test says.
#pragma once

#include <taskfetch/clock.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace taskfetch::testing {

/// @brief A manual clock; copies share one timeline, so a test can keep a copy
/// and read what the client slept. Thread-safe.
class manual_clock {
  struct state {
    std::mutex m;
    std::chrono::steady_clock::time_point now{};
    std::chrono::system_clock::time_point wall{std::chrono::system_clock::from_time_t(1700000000)};
    std::vector<duration> sleeps;
  };

public:
  manual_clock() : s_(std::make_shared<state>()) {}
  /// @brief Current steady time: the epoch at first, moved only by sleeps and advance().
  std::chrono::steady_clock::time_point now() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->now;
  }
  /// @brief Current wall time (starts at 2023-11-14T22:13:20Z).
  std::chrono::system_clock::time_point wall_now() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->wall;
  }
  /// @brief Records the sleep and advances both clocks; never blocks.
  bool sleep_for(duration d, const cancel_token &tok) {
    if (tok.cancelled()) return false;
    std::lock_guard<std::mutex> lk(s_->m);
    s_->sleeps.push_back(d);
    if (d > duration::zero()) {
      s_->now += d;
      s_->wall += d;
    }
    return !tok.cancelled();
  }
  /// @brief Moves both clocks forward without recording a sleep.
  void advance(duration d) {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->now += d;
    s_->wall += d;
  }
  /// @brief Sets the wall clock (for HTTP-date tests).
  void set_wall(std::chrono::system_clock::time_point t) {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->wall = t;
  }
  /// @brief Every sleep requested so far, in order.
  std::vector<duration> sleeps() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->sleeps;
  }
  /// @brief Steady time since construction: every positive sleep plus every advance().
  duration elapsed() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return std::chrono::duration_cast<duration>(s_->now.time_since_epoch());
  }

private:
  std::shared_ptr<state> s_;
};

} // namespace taskfetch::testing
