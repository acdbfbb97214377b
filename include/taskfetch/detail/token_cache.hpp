/// @file
/// @brief The bearer token, kept in memory (never on disk) until shortly before it expires.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace taskfetch::detail {

/// @brief Thread-safe holder of one token and the time to refresh it.
class token_cache {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// @brief The token if it is still fresh at @p now.
  std::optional<std::string> get(time_point now) const {
    std::lock_guard<std::mutex> lk(m_);
    if (token_.empty() || now >= refresh_at_) return std::nullopt;
    return token_;
  }
  /// @brief Keeps @p token; refreshes a minute (or a tenth of its life, if
  /// shorter) before it expires, so no call races the expiry.
  void put(std::string token, time_point now, std::chrono::seconds expires_in) {
    auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(60), expires_in / 10);
    std::lock_guard<std::mutex> lk(m_);
    token_ = std::move(token);
    refresh_at_ = now + (expires_in - margin);
  }
  /// @brief Drops @p token if it is the one held (a 401 proved it stale);
  /// a newer token fetched by another thread is kept.
  void invalidate(const std::string &token) {
    std::lock_guard<std::mutex> lk(m_);
    if (token_ == token) token_.clear();
  }

private:
  mutable std::mutex m_;
  std::string token_;
  time_point refresh_at_{};
};

} // namespace taskfetch::detail
