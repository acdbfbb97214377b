/// @file
/// @brief learning_schedule: a task_pool poll schedule that learns, per
/// endpoint, from the batch's finished tasks when the others will finish,
/// and plans each task's first poll for then (docs/polling.md, "The learning
/// schedule"). Every call costs money; a batch of similar tasks then costs
/// little more than a submit and one poll each.
#pragma once

#include <taskfetch/clock.hpp>
#include <taskfetch/detail/completion_model.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace taskfetch {

/// @brief Settings of learning_schedule.
struct learning_settings {
  duration min_poll{1000};       ///< shortest wait of the bounded rule
  double poll_fraction = 0.25;   ///< the bounded rule's waits: this fraction of the age
  double probe_fraction = 0.2;   ///< probes' waits (below poll_fraction: room for queued requests)
  duration max_poll{30000};      ///< longest wait of the bounded rule
  std::size_t probes = 8;        ///< first tasks of an endpoint polled by the probe rule
  std::size_t probe_every = 64;  ///< later tasks polled so, one in this many (0: none)
  std::size_t explore_every = 8; ///< tasks that poll early to narrow the estimate (0: none)
  std::size_t window = 256;      ///< finished tasks the estimate is made from
  duration dense{250};           ///< first wait after a plan that missed; doubles after each
  /// First polls on a plan that no later-submitted task has confirmed yet,
  /// unanswered at once, and how far past the highest answered rank they
  /// reach; the others wait for their answers (no request), lowest rank first.
  std::size_t unconfirmed = 32;
};

/// @brief The learning poll schedule (pool_options::schedule).
///
/// The first task of an endpoint polls exactly as the standard schedule
/// does (a lone task costs what it did). Probes (the next tasks, and one in
/// probe_every) poll as the standard schedule does, each wait capped to
/// probe_fraction of the task's age (at least min_poll), out of step with
/// each other. The others wait behind the probes (also while a probe's poll
/// waits in the pool's queue) until one
/// finishes, then poll first when the model expects them done: own submit +
/// the service time learned, or, when the service shows a queue, when its
/// completion rate reaches the tasks ahead of them. A plan that misses
/// polls densely, then backs off to the bounded rule. Copies share what
/// they learn; thread-safe.
class learning_schedule {
  struct shared {
    explicit shared(const learning_settings &s) : s(s) {}
    learning_settings s;
    std::mutex m;
    std::map<std::string, detail::completion_model, std::less<>> by_endpoint;
  };

public:
  using time_point = std::chrono::steady_clock::time_point;

  /// @brief One task's schedule.
  class state {
  public:
    state(state &&o) noexcept
        : sh_(std::move(o.sh_)), m_(o.m_), rank_(o.rank_), started_(o.started_), replan_(o.replan_),
          standard_(o.standard_) {
      o.m_ = nullptr;
    }
    state &operator=(state &&) = delete;
    state(const state &) = delete;
    ~state() {
      if (!m_) return;
      std::lock_guard<std::mutex> lk(sh_->m);
      m_->forget(rank_);
    }

    /// @brief The wait before the next poll: after the submit, then after
    /// each pending answer; @p standard is the retry policy's.
    duration on_pending(time_point now, duration standard) {
      if (!m_) return standard;
      const double t = seconds(now), std_s = std::chrono::duration<double>(standard).count();
      std::lock_guard<std::mutex> lk(sh_->m);
      m_->pending(rank_, t, started_);
      started_ = true;
      standard_ = std_s;
      const auto p = m_->next_poll(rank_, t, std_s);
      replan_ = p.replan;
      return p.standard ? standard : wait_until(p, t);
    }

    /// @brief A planned wait ended: wait more (no request) when the model
    /// now expects the task later, else nullopt (poll now).
    std::optional<duration> hold(time_point now) {
      if (!m_ || !replan_) return std::nullopt;
      const double t = seconds(now);
      std::lock_guard<std::mutex> lk(sh_->m);
      const auto p = m_->next_poll(rank_, t, standard_);
      if (!p.replan) return std::nullopt;
      if (p.at - t < 0.001) {
        if (m_->send(rank_)) return std::nullopt;
        // The line is full of unconfirmed plans: ask again on its turn.
        return duration(static_cast<duration::rep>(std::lround(m_->send_retry(rank_) * 1000)));
      }
      return wait_until(p, t);
    }

    /// @brief A poll at @p now found the task finished.
    void on_done(time_point now) {
      if (!m_) return;
      std::lock_guard<std::mutex> lk(sh_->m);
      m_->done(rank_, seconds(now));
      m_ = nullptr;
    }

  private:
    friend class learning_schedule;
    state(std::shared_ptr<shared> sh, detail::completion_model &m, std::uint64_t rank)
        : sh_(std::move(sh)), m_(&m), rank_(rank) {}
    // A plan may be revised at a wake no later than the bounded rule's wait,
    // so what the batch learns meanwhile reaches it.
    duration wait_until(const detail::completion_model::poll_time &p, double t) const {
      double w = p.at - t;
      if (p.replan) {
        w = std::min(w, m_->lateness_wait(t - submitted_));
        if (p.revise > t) w = std::min(w, p.revise - t);
      }
      return duration(static_cast<duration::rep>(std::ceil(std::max(0.0, w) * 1000)));
    }
    std::shared_ptr<shared> sh_;
    detail::completion_model *m_ = nullptr;
    std::uint64_t rank_ = 0;
    bool started_ = false, replan_ = false;
    double standard_ = 1, submitted_ = 0;
  };

  /// @brief The schedule with default settings.
  learning_schedule() : learning_schedule(learning_settings{}) {}
  /// @brief The schedule with @p s.
  explicit learning_schedule(learning_settings s) : sh_(std::make_shared<shared>(s)) {}

  /// @brief A task of @p endpoint whose submit was sent at @p submitted (the
  /// pool calls this in the order it sends submits, the service's order).
  state start(std::string_view endpoint, time_point submitted) const {
    std::lock_guard<std::mutex> lk(sh_->m);
    auto it = sh_->by_endpoint.find(endpoint);
    if (it == sh_->by_endpoint.end())
      it =
          sh_->by_endpoint.emplace(std::string(endpoint), detail::completion_model(params())).first;
    const double t = seconds(submitted);
    state st(sh_, it->second, it->second.add(t));
    st.submitted_ = t;
    return st;
  }

  /// @brief Tasks of @p endpoint seen finished so far.
  std::size_t finished(std::string_view endpoint) const {
    std::lock_guard<std::mutex> lk(sh_->m);
    auto it = sh_->by_endpoint.find(endpoint);
    return it == sh_->by_endpoint.end() ? 0 : it->second.finished();
  }

  /// @brief The settings the schedule was made with.
  const learning_settings &settings() const noexcept { return sh_->s; }

private:
  static double seconds(time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
  }
  detail::completion_params params() const {
    const auto sec = [](duration d) { return std::chrono::duration<double>(d).count(); };
    detail::completion_params p;
    p.min_poll = sec(sh_->s.min_poll);
    p.fraction = sh_->s.poll_fraction;
    p.probe_fraction = sh_->s.probe_fraction;
    p.max_poll = sec(sh_->s.max_poll);
    p.probes = sh_->s.probes;
    p.probe_every = sh_->s.probe_every;
    p.explore_every = sh_->s.explore_every;
    p.window = sh_->s.window;
    p.dense = sec(sh_->s.dense);
    p.unconfirmed = std::max<std::size_t>(1, sh_->s.unconfirmed);
    return p;
  }
  std::shared_ptr<shared> sh_;
};

} // namespace taskfetch
