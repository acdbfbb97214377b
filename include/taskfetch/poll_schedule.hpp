/// @file
/// @brief The poll schedule policy of a task_pool: when to poll a task the
/// pool submitted, given what the batch has taught so far. The retry policy
/// still decides whether to go on and how long to back off after a failure;
/// a schedule only moves pending polls (docs/policies.md, "Poll schedule").
#pragma once

#include <taskfetch/clock.hpp>
#include <taskfetch/detail/type_traits.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace taskfetch {

namespace detail {
/// What a task_machine asks of a pool's schedule for one task; the pool
/// makes one per task it submits (poll_schedule::plan()).
class poll_plan {
public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~poll_plan() = default;
  /// The submit is sent at @p now (again after a failed attempt): the
  /// task's plan starts, in the order the service takes the submits.
  virtual void on_sending(time_point now) = 0;
  /// After the submit and after each pending answer: the wait before the
  /// next poll, given the one the retry policy asked for.
  virtual duration on_pending(time_point now, duration standard) = 0;
  /// A planned wait ended: a further wait (no request), or nullopt to poll.
  virtual std::optional<duration> hold(time_point now) = 0;
  /// A poll at @p now found the task finished (done or failed).
  virtual void on_done(time_point now) = 0;
};

template <class S>
using schedule_start_t = decltype(std::declval<const S &>().start(
    std::declval<std::string_view>(), std::declval<std::chrono::steady_clock::time_point>()));
template <class S> using schedule_state_t = std::decay_t<detected_t<schedule_start_t, S>>;
template <class T>
using schedule_on_pending_t = decltype(std::declval<T &>().on_pending(
    std::declval<std::chrono::steady_clock::time_point>(), std::declval<duration>()));
template <class T>
using schedule_hold_t =
    decltype(std::declval<T &>().hold(std::declval<std::chrono::steady_clock::time_point>()));
template <class T>
using schedule_on_done_t =
    decltype(std::declval<T &>().on_done(std::declval<std::chrono::steady_clock::time_point>()));

// One trait per row of docs/policies.md's poll schedule tables (S the
// schedule, T its state).
template <class S> inline constexpr bool schedule_has_start_v = is_detected_v<schedule_start_t, S>;
template <class T>
inline constexpr bool schedule_state_has_on_pending_v =
    is_detected_convertible_v<duration, schedule_on_pending_t, T>;
template <class T>
inline constexpr bool schedule_state_has_hold_v =
    is_detected_convertible_v<std::optional<duration>, schedule_hold_t, T>;
template <class T>
inline constexpr bool schedule_state_has_on_done_v = is_detected_v<schedule_on_done_t, T>;
} // namespace detail

/// @brief True when S meets the poll schedule requirements (docs/policies.md).
template <class S>
inline constexpr bool
    is_poll_schedule_v = (detail::schedule_has_start_v<S> &&
                          detail::schedule_state_has_on_pending_v<detail::schedule_state_t<S>> &&
                          detail::schedule_state_has_hold_v<detail::schedule_state_t<S>> &&
                          detail::schedule_state_has_on_done_v<detail::schedule_state_t<S>>);

/// @brief Rejects a poll schedule with one static_assert per missing member
/// (of the schedule or of the state its start() makes), each naming it;
/// returns true, so it can stand in a static_assert of its own.
template <class S> constexpr bool check_poll_schedule() {
  using T = detail::schedule_state_t<S>;
  constexpr bool no_state = !detail::schedule_has_start_v<S>; // only start() is reported then
  TASKFETCH_REQUIRE_MEMBER("poll schedule", detail::schedule_has_start_v<S>,
                           "state start(std::string_view, time_point) const");
  TASKFETCH_REQUIRE_MEMBER("poll schedule state",
                           no_state || detail::schedule_state_has_on_pending_v<T>,
                           "duration on_pending(time_point, duration)");
  TASKFETCH_REQUIRE_MEMBER("poll schedule state", no_state || detail::schedule_state_has_hold_v<T>,
                           "std::optional<duration> hold(time_point)");
  TASKFETCH_REQUIRE_MEMBER("poll schedule state",
                           no_state || detail::schedule_state_has_on_done_v<T>,
                           "void on_done(time_point)");
  return true;
}

/// @brief A pool's poll schedule, chosen at run time
/// (pool_options::schedule): any type meeting the requirements, or empty for
/// the retry policy's schedule alone (what every task did before).
class poll_schedule {
public:
  /// @brief Empty: the retry policy's pending schedule alone.
  poll_schedule() = default;
  /// @brief Schedules with @p s (copied; copies of a learning schedule share
  /// what they learn).
  template <class S, class = std::enable_if_t<!std::is_same_v<std::decay_t<S>, poll_schedule>>>
  poll_schedule(S s) // NOLINT: converting, as std::function
      : impl_(std::make_shared<model<S>>(std::move(s))) {}

  /// @brief Whether a schedule is set.
  explicit operator bool() const noexcept { return impl_ != nullptr; }

  /// @brief A plan for one task of endpoint @p endpoint (its state is made
  /// when its submit is sent); nullptr when empty.
  std::unique_ptr<detail::poll_plan> plan(std::string_view endpoint) const {
    return impl_ ? impl_->plan(impl_, endpoint) : nullptr;
  }

private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual std::unique_ptr<detail::poll_plan> plan(std::shared_ptr<const concept_t> self,
                                                    std::string_view endpoint) const = 0;
  };
  template <class S> struct model final : concept_t {
    static_assert(check_poll_schedule<S>()); // first, so its message comes first
    using state = detail::schedule_state_t<S>;
    explicit model(S s) : s_(std::move(s)) {}
    // Tasks fetched by id (never submitted here) get no state: the retry
    // policy's schedule alone, since their start is unknown.
    struct plan_of final : detail::poll_plan {
      plan_of(std::shared_ptr<const model> m, std::string_view ep) : m_(std::move(m)), ep_(ep) {}
      // The state starts when the submit is sent: several submits in
      // flight are answered in any order, while the service queues them in
      // the order they were sent, and a schedule that follows a queue needs
      // that order. A failed attempt's state goes; the next one starts anew.
      void on_sending(time_point now) override {
        st_.reset();
        st_.emplace(m_->s_.start(ep_, now));
      }
      duration on_pending(time_point now, duration standard) override {
        return st_ ? duration(st_->on_pending(now, standard)) : standard;
      }
      std::optional<duration> hold(time_point now) override {
        if (!st_) return std::nullopt;
        return st_->hold(now);
      }
      void on_done(time_point now) override {
        if (st_) st_->on_done(now);
      }
      std::shared_ptr<const model> m_; // the schedule outlives its plans
      std::string ep_;
      std::optional<state> st_;
    };
    std::unique_ptr<detail::poll_plan> plan(std::shared_ptr<const concept_t> self,
                                            std::string_view ep) const override {
      if constexpr (is_poll_schedule_v<S>) {
        return std::make_unique<plan_of>(std::static_pointer_cast<const model>(std::move(self)),
                                         ep);
      } else { // not compiled into any program: check_poll_schedule refused S
        return nullptr;
      }
    }
    S s_;
  };
  std::shared_ptr<const concept_t> impl_;
};

} // namespace taskfetch
