/// @file
/// @brief task_handle: what submitting or fetching through a task_pool gives
/// back, std::future-like: get() waits and answers result<T>.
#pragma once

#include <taskfetch/result.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace taskfetch {

namespace detail {

/// What a handle and its pool share about one task.
class task_ref_state {
public:
  virtual ~task_ref_state() = default;
  /// The task id, once the service gave it (or it was given).
  std::string id() const {
    std::lock_guard<std::mutex> lk(m_);
    return id_;
  }
  /// Whether the task has ended.
  bool ready() const {
    std::lock_guard<std::mutex> lk(m_);
    return ready_;
  }
  void set_id(std::string id) {
    std::lock_guard<std::mutex> lk(m_);
    id_ = std::move(id);
  }
  /// Blocks until ready or @p until; true when ready.
  template <class TimePoint> bool wait_until(TimePoint until) const {
    std::unique_lock<std::mutex> lk(m_);
    return cv_.wait_until(lk, until, [&] { return ready_; });
  }
  void wait() const {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [&] { return ready_; });
  }

  /// How the pool is reached from a handle: drive (a pool without threads
  /// runs on the waiting thread) and cancel.
  std::function<void(const std::function<bool()> &)> drive;
  std::function<void(bool at_service)> cancel;

protected:
  void mark_ready() {
    {
      std::lock_guard<std::mutex> lk(m_);
      ready_ = true;
    }
    cv_.notify_all();
  }
  mutable std::mutex m_;
  mutable std::condition_variable cv_;
  std::string id_;
  bool ready_ = false;
};

/// task_ref_state plus the task's value, set once when the task ends.
template <class T> class task_result_state : public task_ref_state {
public:
  void set(result<T> r) {
    {
      std::lock_guard<std::mutex> lk(m_);
      value_.emplace(std::move(r));
    }
    mark_ready();
  }
  result<T> take() {
    std::lock_guard<std::mutex> lk(m_);
    result<T> r = std::move(*value_);
    return r;
  }

private:
  std::optional<result<T>> value_;
};

} // namespace detail

/// @brief A task in a pool, without its value: its id, whether it ended,
/// waiting, cancelling. Copies refer to the same task.
class task_ref {
public:
  task_ref() = default;
  /// @brief Whether this refers to a task.
  bool valid() const noexcept { return s_ != nullptr; }
  /// @brief The service's task id; "" until the submit was answered.
  std::string task_id() const { return s_ ? s_->id() : std::string(); }
  /// @brief Whether the task has ended (its result is ready).
  bool ready() const { return s_ && s_->ready(); }
  /// @brief Blocks until the task has ended (a pool without threads is
  /// driven on this thread meanwhile).
  void wait() const {
    if (!s_) return;
    // Every task has ended before its pool is gone, so drive is only
    // called while the pool lives.
    if (s_->drive && !s_->ready()) s_->drive([s = s_.get()] { return s->ready(); });
    s_->wait();
  }
  /// @brief Blocks until the task has ended or @p d has passed (real time;
  /// with a pool that has threads); true when it has ended.
  template <class Rep, class Period> bool wait_for(std::chrono::duration<Rep, Period> d) const {
    return s_ && s_->wait_until(std::chrono::steady_clock::now() + d);
  }
  /// @brief Stops waiting for the task: it ends as cancelled unless it
  /// already ended. With @p at_service the pool also asks the service to
  /// cancel it (DELETE), once its id is known.
  void cancel(bool at_service = false) const {
    if (s_ && s_->cancel && !s_->ready()) s_->cancel(at_service);
  }

protected:
  explicit task_ref(std::shared_ptr<detail::task_ref_state> s) : s_(std::move(s)) {}
  std::shared_ptr<detail::task_ref_state> s_;
};

/// @brief A task in a pool and its future value.
template <class T> class task_handle : public task_ref {
public:
  task_handle() = default;
  /// @brief Waits for the task and answers its result. Call it once: the
  /// value is moved out.
  result<T> get() {
    wait();
    return static_cast<detail::task_result_state<T> &>(*s_).take();
  }

  /// @brief A handle on @p s (the pool makes them).
  explicit task_handle(std::shared_ptr<detail::task_result_state<T>> s) : task_ref(std::move(s)) {}
};

} // namespace taskfetch
