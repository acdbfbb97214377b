/// @file
/// @brief The emulator's tasks: schedules, the max_running queue, retention, cancellation.
///
/// Schedules run by time and by polls; the store also counts submissions.
#pragma once

#include <taskfetch/emulator/options.hpp>
#include <taskfetch/emulator/processor.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace taskfetch::emulation {

/// @brief A preloaded task (add_task). It is Pending while either its
/// Pending time or its Pending polls remain, then Processing likewise.
struct task_spec {
  processed outcome = processed::completed("Csv", "0,1\n"); ///< its end
  std::chrono::milliseconds pending_for{0};                 ///< Pending this long
  std::chrono::milliseconds processing_for{0};              ///< then Processing this long
  std::size_t pending_polls = 0;                            ///< answer Pending to this many fetches
  std::size_t processing_polls = 0;                         ///< then Processing to this many
  std::string id;                                           ///< "" makes a GUID
};

namespace detail {

/// @brief Where a task is in its life when it is asked about.
enum class phase { pending, processing, done, failed, gone };

struct task {
  std::string id, endpoint;
  time_point submitted;
  time_point started; // its schedule runs from here (later when queued)
  std::chrono::milliseconds pending_for{0}, processing_for{0};
  std::size_t pending_polls = 0, processing_polls = 0, polls = 0;
  processed outcome;
  bool cancelled = false;
};

/// @brief What a fetch learns of a task.
struct polled {
  detail::phase phase = phase::gone;
  processed outcome;    // done or failed: shares the result bytes
  std::string endpoint; // the task's, or the one asked for when there is none
};

/// @brief The tasks held, on the emulator clock. Thread-safe.
class task_store {
public:
  /// @p opts (its clock, retention and max_running) must outlive the store.
  explicit task_store(const options &opts) : opts_(opts) {}

  /// @brief Holds @p t and returns its id (a new GUID when empty). A
  /// non-empty @p body_hash counts it as a submission; @p queued subjects
  /// it to max_running. @p started, when given, gets when its schedule
  /// starts (later than now when it waits for a slot).
  std::string add(task t, const std::string &body_hash, bool queued,
                  time_point *started = nullptr) {
    std::lock_guard<std::mutex> lk(m_);
    if (t.id.empty()) t.id = guid();
    const auto now = opts_.now();
    // Forget tasks past retention so a long run stays in bounded memory.
    if (tasks_.size() % 1024 == 0)
      for (auto it = tasks_.begin(); it != tasks_.end();)
        it = now - it->second.submitted > opts_.retention ? tasks_.erase(it) : std::next(it);
    t.submitted = now;
    t.started = queued ? take_slot(now, t.pending_for + t.processing_for) : now;
    if (started) *started = t.started;
    if (!body_hash.empty()) {
      ++submits_[body_hash];
      ++submits_per_endpoint_[t.endpoint];
    }
    std::string id = t.id;
    tasks_[id] = std::move(t);
    return id;
  }

  /// @brief Cancels task @p id of operation @p ep; false when there is no
  /// such live task (unknown, cancelled, another operation's, expired).
  bool cancel(const std::string &ep, const std::string &id) {
    std::lock_guard<std::mutex> lk(m_);
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second.cancelled || it->second.endpoint != ep ||
        opts_.now() - it->second.submitted > opts_.retention)
      return false;
    it->second.cancelled = true;
    return true;
  }

  /// @brief Task @p id's phase now, counting this as one of its polls.
  /// @param ep the operation asked through ("" any: GetTaskStatus).
  polled poll(const std::string &ep, const std::string &id) {
    polled out;
    out.endpoint = ep;
    std::lock_guard<std::mutex> lk(m_);
    auto it = tasks_.find(id);
    const auto now = opts_.now();
    if (it != tasks_.end() && (ep.empty() || it->second.endpoint == ep)) {
      task &tk = it->second;
      const auto ran = now - tk.started; // negative while queued
      const std::size_t seen = tk.polls++;
      if (tk.cancelled || now - tk.submitted > opts_.retention)
        out.phase = phase::gone;
      else if (ran < tk.pending_for || seen < tk.pending_polls)
        out.phase = phase::pending;
      else if (ran < tk.pending_for + tk.processing_for ||
               seen < tk.pending_polls + tk.processing_polls)
        out.phase = phase::processing;
      else
        out.phase = tk.outcome.ok ? phase::done : phase::failed;
      if (out.phase == phase::done || out.phase == phase::failed) out.outcome = tk.outcome;
      out.endpoint = tk.endpoint;
    }
    return out;
  }

  std::size_t count() const {
    std::lock_guard<std::mutex> lk(m_);
    return tasks_.size();
  }
  /// @brief Submissions per body SHA-256.
  std::map<std::string, std::size_t> submissions() const {
    std::lock_guard<std::mutex> lk(m_);
    return submits_;
  }
  /// @brief Submissions per endpoint name; add_task() tasks are not counted.
  std::map<std::string, std::size_t> submit_counts() const {
    std::lock_guard<std::mutex> lk(m_);
    return submits_per_endpoint_;
  }

private:
  std::string guid() { // under m_
    std::uniform_int_distribution<std::uint64_t> d;
    const std::uint64_t a = d(rng_), b = d(rng_);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-%04llx-%012llx",
                  static_cast<unsigned long long>(a >> 32),
                  static_cast<unsigned long long>((a >> 16) & 0xFFFF),
                  static_cast<unsigned long long>(a & 0xFFF),
                  static_cast<unsigned long long>(0x8000 | ((b >> 48) & 0x3FFF)),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
    return buf;
  }

  // The start of a task submitted at @p now that runs for @p run: at once
  // while a slot is free, else when the earliest one frees. Starts never
  // decrease, so the queue is FIFO; O(log max_running). Under m_.
  time_point take_slot(time_point now, std::chrono::milliseconds run) {
    if (opts_.max_running == 0) return now;
    time_point start = now;
    if (slot_free_.size() >= opts_.max_running) {
      start = std::max(now, slot_free_.top());
      slot_free_.pop();
    }
    slot_free_.push(start + run);
    return start;
  }

  const options &opts_;
  mutable std::mutex m_;
  std::unordered_map<std::string, task> tasks_;
  std::map<std::string, std::size_t> submits_;
  std::map<std::string, std::size_t> submits_per_endpoint_;
  // max_running: when each slot frees, earliest first (at most max_running).
  std::priority_queue<time_point, std::vector<time_point>, std::greater<time_point>> slot_free_;
  std::mt19937_64 rng_{std::random_device{}()};
};

} // namespace detail
} // namespace taskfetch::emulation
