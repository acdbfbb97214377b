/// @file
/// @brief Cancellation: a source that fires, tokens that see it and wake waits.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace taskfetch {

namespace detail {
struct cancel_state {
  std::atomic<bool> cancelled{false};
  std::mutex m;
  std::condition_variable cv;
};
} // namespace detail

/// @brief A read-only view of a cancel_source; default-constructed never fires.
class cancel_token {
public:
  cancel_token() = default;
  /// @brief True once the source has been cancelled.
  bool cancelled() const noexcept {
    return state_ && state_->cancelled.load(std::memory_order_acquire);
  }
  /// @brief Whether a source stands behind this token (a default token never fires).
  bool can_fire() const noexcept { return state_ != nullptr; }
  /// @brief Waits up to @p d; returns false if cancelled (before or during).
  template <class Rep, class Period> bool wait_for(std::chrono::duration<Rep, Period> d) const {
    if (!state_) {
      std::mutex m;
      std::condition_variable cv;
      std::unique_lock<std::mutex> lk(m);
      cv.wait_for(lk, d, [] { return false; });
      return true;
    }
    std::unique_lock<std::mutex> lk(state_->m);
    return !state_->cv.wait_for(
        lk, d, [this] { return state_->cancelled.load(std::memory_order_acquire); });
  }

private:
  friend class cancel_source;
  explicit cancel_token(std::shared_ptr<detail::cancel_state> s) : state_(std::move(s)) {}
  std::shared_ptr<detail::cancel_state> state_;
};

/// @brief Owns a cancellation flag; cancel() wakes every waiting token.
class cancel_source {
public:
  cancel_source() : state_(std::make_shared<detail::cancel_state>()) {}
  /// @brief A token sharing this source's flag: cheap to copy, and still valid
  /// (reporting the last state) after the source is destroyed.
  cancel_token token() const { return cancel_token(state_); }
  /// @brief Fires: tokens report cancelled and waits return at once.
  void cancel() {
    {
      std::lock_guard<std::mutex> lk(state_->m);
      state_->cancelled.store(true, std::memory_order_release);
    }
    state_->cv.notify_all();
  }
  /// @brief True once cancel() was called.
  bool cancelled() const noexcept { return state_->cancelled.load(std::memory_order_acquire); }

private:
  std::shared_ptr<detail::cancel_state> state_;
};

} // namespace taskfetch
