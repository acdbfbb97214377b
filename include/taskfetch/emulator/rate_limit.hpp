/// @file
/// @brief options::max_requests_per_second: a gateway's rate limit in front of the emulator.
///
/// A token bucket on the emulator clock.
#pragma once

#include <taskfetch/emulator/options.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>

namespace taskfetch::emulation::detail {

/// @brief A bucket of @p per_second tokens refilled at that rate (0:
/// unlimited). Thread-safe.
class rate_limit {
public:
  explicit rate_limit(std::size_t per_second) : per_second_(per_second) {}

  /// @brief Takes a token for a request arriving at @p now; false: answer 429.
  bool admit(time_point now) {
    if (per_second_ == 0) return true;
    const double rate = static_cast<double>(per_second_);
    std::lock_guard<std::mutex> lk(m_);
    if (!at_) {
      level_ = rate;
    } else if (now > *at_) {
      const double s = std::chrono::duration<double>(now - *at_).count();
      level_ = std::min(rate, level_ + s * rate);
    }
    if (!at_ || now > *at_) at_ = now;
    if (level_ < 1) return false;
    level_ -= 1;
    return true;
  }

private:
  const std::size_t per_second_;
  std::mutex m_;
  double level_ = 0;             // tokens in the bucket...
  std::optional<time_point> at_; // ...when last set
};

} // namespace taskfetch::emulation::detail
