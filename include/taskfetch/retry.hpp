/// @file
/// @brief The retry/backoff policy, in three roles (as google-cloud-cpp):
/// may I try again (error class + failure budget), how long to wait (capped
/// exponential backoff with full jitter), and when to poll a task that is
/// still working (the pending schedule). The client applies Retry-After and
/// the deadline on top.
#pragma once

#include <taskfetch/clock.hpp>
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
    return state(s_, mix(base_seed_ + n));
  }
  /// @brief The settings.
  const retry_settings &settings() const noexcept { return s_; }

private:
  static std::uint64_t mix(std::uint64_t x) noexcept { // splitmix64
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
  retry_settings s_;
  std::uint64_t base_seed_ = 0;
  std::shared_ptr<std::atomic<std::uint64_t>> counter_;
};

/// @brief The default policy with std::minstd_rand jitter.
using standard_retry = basic_standard_retry<>;

/// @brief Never repeats a failed request; polls a pending task every second.
struct no_retry {
  /// @brief The (stateless) state.
  struct state {
    /// @brief Always gives up.
    std::optional<duration> on_failure(const error &) { return std::nullopt; }
    /// @brief One second.
    std::optional<duration> on_pending(duration) { return duration(1000); }
    /// @brief Nothing to reset.
    void on_success() noexcept {}
  };
  /// @brief A state.
  state start() const { return {}; }
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
template <class...> using retry_void_t = void;
template <class P, class = void> struct has_start : std::false_type {};
template <class P>
struct has_start<P, retry_void_t<decltype(std::declval<const P &>().start())>> : std::true_type {};
template <class S, class = void> struct has_on_failure : std::false_type {};
template <class S>
struct has_on_failure<
    S, retry_void_t<decltype(std::declval<S &>().on_failure(std::declval<const error &>()))>>
    : std::is_convertible<decltype(std::declval<S &>().on_failure(std::declval<const error &>())),
                          std::optional<duration>> {};
template <class S, class = void> struct has_on_pending : std::false_type {};
template <class S>
struct has_on_pending<
    S, retry_void_t<decltype(std::declval<S &>().on_pending(std::declval<duration>()))>>
    : std::is_convertible<decltype(std::declval<S &>().on_pending(std::declval<duration>())),
                          std::optional<duration>> {};
template <class S, class = void> struct has_on_success : std::false_type {};
template <class S>
struct has_on_success<S, retry_void_t<decltype(std::declval<S &>().on_success())>>
    : std::true_type {};
template <class P, bool = has_start<P>::value> struct retry_state_of { using type = void; };
template <class P> struct retry_state_of<P, true> {
  using type = std::decay_t<decltype(std::declval<const P &>().start())>;
};
} // namespace detail

/// @brief True when P meets the retry policy requirements (docs/policies.md).
template <class P>
inline constexpr bool is_retry_policy_v = [] {
  if constexpr (!detail::has_start<P>::value)
    return false;
  else {
    using S = typename detail::retry_state_of<P>::type;
    return detail::has_on_failure<S>::value && detail::has_on_pending<S>::value &&
           detail::has_on_success<S>::value;
  }
}();

/// @brief Fails compilation naming the retry policy member that is missing.
template <class P> constexpr bool check_retry_policy() {
  static_assert(detail::has_start<P>::value,
                "taskfetch: a retry policy needs `state start() const` (one state per operation)");
  if constexpr (detail::has_start<P>::value) {
    using S = typename detail::retry_state_of<P>::type;
    static_assert(detail::has_on_failure<S>::value,
                  "taskfetch: a retry policy's state needs `std::optional<taskfetch::duration> "
                  "on_failure(const taskfetch::error&)`");
    static_assert(detail::has_on_pending<S>::value,
                  "taskfetch: a retry policy's state needs `std::optional<taskfetch::duration> "
                  "on_pending(taskfetch::duration elapsed)`");
    static_assert(detail::has_on_success<S>::value,
                  "taskfetch: a retry policy's state needs `void on_success()`");
  }
  return true;
}

} // namespace taskfetch
