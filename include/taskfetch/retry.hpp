/// @file
/// @brief The retry/backoff policy, in three roles (as google-cloud-cpp):
/// may I try again (error class + failure budget), how long to wait (capped
/// exponential backoff with full jitter), and when to poll a task that is
/// still working (the pending schedule). The client applies Retry-After and
/// the deadline on top.
#pragma once

#include <taskfetch/clock.hpp>
#include <taskfetch/detail/splitmix.hpp>
#include <taskfetch/detail/type_traits.hpp>
#include <taskfetch/error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <type_traits>
#include <utility>

namespace taskfetch {

/// @brief Whether a failed request is worth repeating: network failures
/// (except TLS and our own aborts), 408, 429 and 5xx. Everything else (other
/// 4xx, auth, malformed answers, decode errors) would fail the same way again.
inline bool is_retryable(const error &e) noexcept {
  switch (e.kind()) {
  case error_kind::transport:
    return e.transport_code() != transport_errc::tls &&
           e.transport_code() != transport_errc::aborted;
  case error_kind::http_status: {
    const int s = e.http_status();
    return s == 408 || s == 429 || (s >= 500 && s <= 599);
  }
  default: return false;
  }
}

/// @brief Settings of standard_retry.
struct retry_settings {
  std::size_t max_failures = 8;  ///< consecutive failed requests retried
  duration initial_backoff{200}; ///< backoff ceiling after the first failure
  duration max_backoff{30000};   ///< backoff ceiling never exceeds this
  duration min_poll{1000};       ///< first wait while a task is pending
  std::size_t ramp_polls = 4;    ///< polls whose wait grows by min_poll each
  double poll_fraction = 0.25;   ///< later waits: this fraction of the time elapsed
  duration max_poll{30000};      ///< longest wait between polls
  std::size_t max_polls =
      100000; ///< pending polls before giving up (the deadline usually ends it first)
  std::optional<std::uint64_t> seed; ///< jitter seed; random when unset (tests set it)
};

namespace detail {
template <class R> using random_result_type_t = typename R::result_type;
// An integral_constant, so that a min() or max() that is not constexpr is
// not detected.
template <class R> using random_min_t = std::integral_constant<typename R::result_type, R::min()>;
template <class R> using random_max_t = std::integral_constant<typename R::result_type, R::max()>;
template <class R> using random_call_t = decltype(std::declval<R &>()());
template <class R> using random_seed_ctor_t = decltype(R(std::declval<typename R::result_type>()));

// One trait per row of docs/policies.md's random generator table. Without
// result_type the others cannot be asked, and only result_type is reported.
template <class R>
inline constexpr bool random_has_result_type_v =
    std::is_unsigned_v<detected_or_t<float, random_result_type_t, R>>;
template <class R> inline constexpr bool random_has_min_v = is_detected_v<random_min_t, R>;
template <class R> inline constexpr bool random_has_max_v = is_detected_v<random_max_t, R>;
template <class R>
inline constexpr bool random_has_call_v =
    is_detected_convertible_v<detected_or_t<void, random_result_type_t, R>, random_call_t, R>;
template <class R>
inline constexpr bool random_has_seed_ctor_v = is_detected_v<random_seed_ctor_t, R>;
} // namespace detail

/// @brief True when R can be basic_standard_retry's generator: a
/// UniformRandomBitGenerator made from a seed (docs/policies.md).
template <class R>
inline constexpr bool
    is_random_generator_v = (detail::random_has_result_type_v<R> && detail::random_has_min_v<R> &&
                             detail::random_has_max_v<R> && detail::random_has_call_v<R> &&
                             detail::random_has_seed_ctor_v<R>);

/// @brief Rejects a random generator with one static_assert per missing
/// member, each naming it; returns true, so it can stand in a static_assert
/// of its own.
template <class R> constexpr bool check_random_generator() {
  constexpr bool no_type = !detail::random_has_result_type_v<R>; // only result_type is reported
  TASKFETCH_REQUIRE_MEMBER("random generator", detail::random_has_result_type_v<R>,
                           "using result_type = <an unsigned integer type>");
  TASKFETCH_REQUIRE_MEMBER("random generator", no_type || detail::random_has_min_v<R>,
                           "static constexpr result_type min()");
  TASKFETCH_REQUIRE_MEMBER("random generator", no_type || detail::random_has_max_v<R>,
                           "static constexpr result_type max()");
  TASKFETCH_REQUIRE_MEMBER("random generator", no_type || detail::random_has_call_v<R>,
                           "result_type operator()()");
  TASKFETCH_REQUIRE_MEMBER("random generator", no_type || detail::random_has_seed_ctor_v<R>,
                           "explicit R(result_type seed)");
  return true;
}

/// @brief The default policy.
///
/// Failures: wait uniform(0, min(max_backoff, initial_backoff * 2^(n-1)))
/// after the n-th consecutive failure ("full jitter"), give up after
/// max_failures. Pending: waits of 1, 2, 3, 4 s (polls at 1, 3, 6, 10 s),
/// then a quarter of the time elapsed, at most 30 s: a task is noticed
/// within 25% of its duration once it runs past 10 s, with fewer requests
/// than a fixed 2 s poll (docs/polling.md has the table).
///
/// @tparam Random a UniformRandomBitGenerator constructible from a seed;
/// each operation gets its own, so one policy serves many threads.
template <class Random = std::minstd_rand> class basic_standard_retry {
  static_assert(check_random_generator<Random>());

public:
  /// @brief The retry state of one operation.
  class state {
  public:
    /// @brief After a failed request: how long to wait, or nullopt to give up.
    std::optional<duration> on_failure(const error &e) {
      if (!is_retryable(e) || ++failures_ > s_.max_failures) return std::nullopt;
      const auto shift = std::min<std::size_t>(failures_ - 1, 30);
      const auto ceiling = std::min<std::int64_t>(
          s_.max_backoff.count(), s_.initial_backoff.count() * (std::int64_t{1} << shift));
      std::uniform_int_distribution<std::int64_t> dist(0, std::max<std::int64_t>(ceiling, 0));
      return duration(dist(rng_));
    }
    /// @brief The task is still working @p elapsed after the operation
    /// started: how long until the next poll, or nullopt to stop polling.
    std::optional<duration> on_pending(duration elapsed) {
      if (++polls_ > s_.max_polls) return std::nullopt;
      duration wait = std::chrono::duration_cast<duration>(elapsed * s_.poll_fraction);
      if (polls_ <= s_.ramp_polls)
        wait = std::max(wait, s_.min_poll * static_cast<std::int64_t>(polls_));
      return std::clamp(wait, s_.min_poll, std::max(s_.min_poll, s_.max_poll));
    }
    /// @brief A request succeeded: the failure budget starts over.
    void on_success() noexcept { failures_ = 0; }

    /// @brief Consecutive failures so far.
    std::size_t failures() const noexcept { return failures_; }

  private:
    friend class basic_standard_retry;
    state(const retry_settings &s, std::uint64_t seed)
        : s_(s), rng_(static_cast<typename Random::result_type>(seed ? seed : 1)) {}
    retry_settings s_;
    Random rng_;
    std::size_t failures_ = 0;
    std::size_t polls_ = 0;
  };

  /// @brief The policy with default settings.
  basic_standard_retry() : basic_standard_retry(retry_settings{}) {}
  /// @brief The policy with @p s.
  explicit basic_standard_retry(retry_settings s)
      : s_(s), counter_(std::make_shared<std::atomic<std::uint64_t>>(0)) {
    base_seed_ = s_.seed ? *s_.seed : std::random_device{}() * 0x9E3779B97F4A7C15ull;
  }

  /// @brief A fresh state for one operation. Thread-safe.
  state start() const {
    const std::uint64_t n = counter_->fetch_add(1, std::memory_order_relaxed);
    return state(s_, detail::splitmix64(base_seed_ + n));
  }
  /// @brief The settings the policy was made with.
  const retry_settings &settings() const noexcept { return s_; }

private:
  retry_settings s_;
  std::uint64_t base_seed_ = 0;
  std::shared_ptr<std::atomic<std::uint64_t>> counter_;
};

/// @brief The default policy with std::minstd_rand jitter.
using standard_retry = basic_standard_retry<>;

/// @brief Never retries a failed request; polls a pending task every
/// poll_interval (1 s unless given: `no_retry{std::chrono::seconds(5)}`).
struct no_retry {
  duration poll_interval{1000}; ///< the wait between polls of a pending task
  /// @brief Its state: the interval, nothing to count.
  struct state {
    duration poll_interval; ///< the wait between polls
    /// @brief Always gives up.
    std::optional<duration> on_failure(const error &) { return std::nullopt; }
    /// @brief poll_interval, however long the task has taken.
    std::optional<duration> on_pending(duration) { return poll_interval; }
    /// @brief Nothing to reset.
    void on_success() noexcept {}
  };
  /// @brief A state that polls every poll_interval.
  state start() const { return state{poll_interval}; }
};

/// @brief Fixed waits, as the tutorials do: the same interval after a
/// failure (up to max_failures) and between polls. A baseline, not advice.
struct fixed_interval {
  duration interval{2000};      ///< the wait
  std::size_t max_failures = 8; ///< consecutive failures retried
  /// @brief Its state.
  struct state {
    duration interval;
    std::size_t max_failures;
    std::size_t failures = 0;
    /// @brief interval, while the budget lasts and the error is retryable.
    std::optional<duration> on_failure(const error &e) {
      if (!is_retryable(e) || ++failures > max_failures) return std::nullopt;
      return interval;
    }
    /// @brief interval.
    std::optional<duration> on_pending(duration) { return interval; }
    /// @brief Resets the failure count.
    void on_success() noexcept { failures = 0; }
  };
  /// @brief A state.
  state start() const { return state{interval, max_failures}; }
};

namespace detail {
template <class P> using retry_start_t = decltype(std::declval<const P &>().start());
/// The state start() makes (nonesuch when there is no start()).
template <class P> using retry_state_t = std::decay_t<detected_t<retry_start_t, P>>;
template <class S>
using retry_on_failure_t = decltype(std::declval<S &>().on_failure(std::declval<const error &>()));
template <class S>
using retry_on_pending_t = decltype(std::declval<S &>().on_pending(std::declval<duration>()));
template <class S> using retry_on_success_t = decltype(std::declval<S &>().on_success());

// One trait per row of docs/policies.md's retry tables (P the policy, S its state).
template <class P> inline constexpr bool retry_has_start_v = is_detected_v<retry_start_t, P>;
template <class S>
inline constexpr bool retry_state_has_on_failure_v =
    is_detected_convertible_v<std::optional<duration>, retry_on_failure_t, S>;
template <class S>
inline constexpr bool retry_state_has_on_pending_v =
    is_detected_convertible_v<std::optional<duration>, retry_on_pending_t, S>;
template <class S>
inline constexpr bool retry_state_has_on_success_v = is_detected_v<retry_on_success_t, S>;
} // namespace detail

/// @brief True when P meets the retry policy requirements (docs/policies.md).
template <class P>
inline constexpr bool
    is_retry_policy_v = (detail::retry_has_start_v<P> &&
                         detail::retry_state_has_on_failure_v<detail::retry_state_t<P>> &&
                         detail::retry_state_has_on_pending_v<detail::retry_state_t<P>> &&
                         detail::retry_state_has_on_success_v<detail::retry_state_t<P>>);

/// @brief Rejects a retry policy with one static_assert per missing member
/// (of the policy or of the state its start() makes), each naming it; returns
/// true, so it can stand in a static_assert of its own.
template <class P> constexpr bool check_retry_policy() {
  using S = detail::retry_state_t<P>;
  constexpr bool no_state = !detail::retry_has_start_v<P>; // only start() is reported then
  TASKFETCH_REQUIRE_MEMBER("retry policy", detail::retry_has_start_v<P>, "state start() const");
  TASKFETCH_REQUIRE_MEMBER("retry state", no_state || detail::retry_state_has_on_failure_v<S>,
                           "std::optional<duration> on_failure(const error&)");
  TASKFETCH_REQUIRE_MEMBER("retry state", no_state || detail::retry_state_has_on_pending_v<S>,
                           "std::optional<duration> on_pending(duration)");
  TASKFETCH_REQUIRE_MEMBER("retry state", no_state || detail::retry_state_has_on_success_v<S>,
                           "void on_success()");
  return true;
}

} // namespace taskfetch
