/// @file
/// @brief The clock policy: all time and all waiting go through it.
#pragma once

#include <taskfetch/cancellation.hpp>
#include <taskfetch/detail/type_traits.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

namespace taskfetch {

/// @brief Duration type used for waits, budgets and deadlines.
using duration = std::chrono::milliseconds;

/// @brief The real clock: steady time for deadlines, wall time for HTTP-dates,
/// and a sleep that a cancel_token interrupts.
struct system_clock {
  /// @brief Monotonic now, for deadlines and backoff.
  std::chrono::steady_clock::time_point now() const { return std::chrono::steady_clock::now(); }
  /// @brief Wall-clock now, for Retry-After HTTP-dates and token expiry logs.
  std::chrono::system_clock::time_point wall_now() const {
    return std::chrono::system_clock::now();
  }
  /// @brief Sleeps @p d unless @p tok fires; false when cancelled.
  bool sleep_for(duration d, const cancel_token &tok) const {
    if (tok.cancelled()) return false;
    if (d <= duration::zero()) return true;
    return tok.wait_for(d);
  }
};

namespace detail {
template <class T> using clock_now_t = decltype(std::declval<const T &>().now());
template <class T> using clock_wall_now_t = decltype(std::declval<const T &>().wall_now());
template <class T>
using clock_sleep_for_t = decltype(std::declval<T &>().sleep_for(
    std::declval<duration>(), std::declval<const cancel_token &>()));

// One trait per row of docs/policies.md's clock table.
template <class T>
inline constexpr bool clock_has_now_v =
    is_detected_convertible_v<std::chrono::steady_clock::time_point, clock_now_t, T>;
template <class T>
inline constexpr bool clock_has_wall_now_v =
    is_detected_convertible_v<std::chrono::system_clock::time_point, clock_wall_now_t, T>;
template <class T>
inline constexpr bool clock_has_sleep_for_v = is_detected_convertible_v<bool, clock_sleep_for_t, T>;
} // namespace detail

/// @brief True when T meets the clock requirements (docs/policies.md).
template <class T>
inline constexpr bool is_clock_v = (detail::clock_has_now_v<T> && detail::clock_has_wall_now_v<T> &&
                                    detail::clock_has_sleep_for_v<T>);

/// @brief Rejects a clock with one static_assert per missing member, each
/// naming it; returns true, so it can stand in a static_assert of its own.
template <class T> constexpr bool check_clock() {
  TASKFETCH_REQUIRE_MEMBER("clock", detail::clock_has_now_v<T>,
                           "std::chrono::steady_clock::time_point now() const");
  TASKFETCH_REQUIRE_MEMBER("clock", detail::clock_has_wall_now_v<T>,
                           "std::chrono::system_clock::time_point wall_now() const");
  TASKFETCH_REQUIRE_MEMBER("clock", detail::clock_has_sleep_for_v<T>,
                           "bool sleep_for(duration, const cancel_token&)");
  return true;
}

} // namespace taskfetch
