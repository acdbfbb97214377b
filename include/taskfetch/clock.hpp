/// @file
/// @brief The clock policy: all time and all waiting go through it.
#pragma once

#include <taskfetch/cancellation.hpp>

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
template <class...> using clock_void_t = void;
template <class T, class = void> struct has_now : std::false_type {};
template <class T>
struct has_now<T, clock_void_t<decltype(std::declval<const T &>().now())>> : std::true_type {};
template <class T, class = void> struct has_wall_now : std::false_type {};
template <class T>
struct has_wall_now<T, clock_void_t<decltype(std::declval<const T &>().wall_now())>>
    : std::true_type {};
template <class T, class = void> struct has_sleep_for : std::false_type {};
template <class T>
struct has_sleep_for<T, clock_void_t<decltype(std::declval<T &>().sleep_for(
                            std::declval<duration>(), std::declval<const cancel_token &>()))>>
    : std::true_type {};
} // namespace detail

/// @brief True when T meets the clock requirements (docs/policies.md).
template <class T>
inline constexpr bool is_clock_v =
    detail::has_now<T>::value &&detail::has_wall_now<T>::value &&detail::has_sleep_for<T>::value;

/// @brief Fails compilation naming the clock member that is missing.
template <class T> constexpr bool check_clock() {
  static_assert(detail::has_now<T>::value,
                "taskfetch: a clock needs `time_point now() const` (steady)");
  static_assert(detail::has_wall_now<T>::value,
                "taskfetch: a clock needs `std::chrono::system_clock::"
                "time_point wall_now() const`");
  static_assert(detail::has_sleep_for<T>::value,
                "taskfetch: a clock needs `bool sleep_for(taskfetch::duration, "
                "const taskfetch::cancel_token&)`");
  return true;
}

} // namespace taskfetch
