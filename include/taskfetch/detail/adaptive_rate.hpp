/// @file
/// @brief The pool's request rate: a token bucket that slows down when the service throttles.
///
/// One bucket for every request, cut on a 429 (or a 503 with Retry-After) and
/// raised again gradually, as AWS's adaptive retry mode does.
#pragma once

#include <taskfetch/clock.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>

namespace taskfetch::detail {

/// A token bucket whose rate reacts to throttling. Not thread-safe (the
/// pool holds its lock). Time is passed in, so tests drive it with any clock.
class adaptive_rate {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// @p cap: requests per second never exceeded (0: no cap until the
  /// service throttles).
  explicit adaptive_rate(double cap = 0) : cap_(cap > 0 ? cap : 0), rate_(cap_) {
    tokens_ = burst();
  }

  /// The earliest time a request may start (now when it may start now).
  time_point ready_at(time_point now) {
    refill(now);
    if (now < paused_until_) return paused_until_;
    if (rate_ <= 0 || tokens_ >= 1) return now;
    return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::chrono::duration<double>((1 - tokens_) / rate_));
  }
  /// A request starts now (ready_at(now) <= now).
  void take(time_point now) {
    refill(now);
    if (rate_ > 0) tokens_ -= 1;
  }

  /// An answer came: @p throttled says the service asked us to slow down,
  /// @p retry_after how long it asked for.
  void on_answer(time_point now, bool throttled, std::optional<duration> retry_after) {
    refill(now);
    while (!accepted_.empty() && now - accepted_.front() >= std::chrono::seconds(1))
      accepted_.pop_front();
    if (!throttled) {
      accepted_.push_back(now);
      return;
    }
    ++throttled_;
    // Every request waits out the service's Retry-After (or a second).
    paused_until_ = std::max(paused_until_, now + retry_after.value_or(std::chrono::seconds(1)));
    // The answers in flight when the first 429 came are one episode: cut once.
    if (cut_ && now - *cut_ < std::chrono::seconds(1)) return;
    cut_ = now;
    // What the service accepted in the last second is what it allows.
    const double accepted = static_cast<double>(accepted_.size());
    double next = accepted > 0 ? accepted * cut_factor : (rate_ > 0 ? rate_ / 2 : min_rate);
    if (rate_ > 0) next = std::min(next, rate_ * cut_factor);
    rate_ = std::max(min_rate, next);
    tokens_ = std::min(tokens_, burst());
    next_raise_ = paused_until_ + std::chrono::seconds(1);
  }

  /// A new cap (0: none until throttled), e.g. this worker's share of a
  /// budget several workers share. A rate above it drops to it at once;
  /// without a cut being recovered from, the rate is the cap; while
  /// recovering, the rate keeps rising gradually, now up to this cap.
  void set_cap(double cap) {
    cap_ = cap > 0 ? cap : 0;
    if (!cut_ || (cap_ > 0 && rate_ > cap_)) {
      rate_ = cap_;
      cut_.reset();
    }
    tokens_ = std::min(tokens_, burst());
  }

  /// The rate in force (requests per second; 0: unlimited).
  double rate() const noexcept { return rate_; }
  /// Throttling answers seen.
  std::size_t throttled() const noexcept { return throttled_; }
  /// Until when every request waits.
  time_point paused_until() const noexcept { return paused_until_; }

  /// Rate kept after a throttle: this share of what the service accepted.
  static constexpr double cut_factor = 0.9;
  /// Recovery: the rate grows by this factor each quiet second.
  static constexpr double raise_factor = 1.05;
  /// The rate never drops below this.
  static constexpr double min_rate = 1;

private:
  // Small bursts: a twentieth of a second's worth, so a service counting
  // requests per second sees at most rate + burst in any second.
  double burst() const { return rate_ > 0 ? std::max(1.0, rate_ / 20) : 1; }

  void refill(time_point now) {
    if (cut_ && now >= next_raise_) { // gradual recovery after a throttle
      while (now >= next_raise_) {
        rate_ = rate_ * raise_factor + 1;
        next_raise_ += std::chrono::seconds(1);
      }
      if (cap_ > 0 && rate_ >= cap_) {
        rate_ = cap_;
        cut_.reset();
      } else if (cap_ == 0 && rate_ > 1e6) {
        rate_ = 0; // back to unlimited
        cut_.reset();
      }
    }
    if (rate_ > 0 && now > last_) {
      tokens_ =
          std::min(burst(), tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    }
    if (now > last_) last_ = now;
  }

  double cap_;
  double rate_;
  double tokens_ = 1;
  time_point last_{};
  time_point paused_until_{};
  time_point next_raise_{};
  std::optional<time_point> cut_;
  std::deque<time_point> accepted_;
  std::size_t throttled_ = 0;
};

} // namespace taskfetch::detail
