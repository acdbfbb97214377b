/// @file
/// @brief memory_shared_journal: the shared journal kept in memory, with
/// the PostgreSQL journal's rules (claims, leases, fences, the shared rate
/// budget), so tests run several "workers" in one process without a
/// database and lapse leases by moving a clock instead of sleeping.
#pragma once

#include <taskfetch/batch/shared_journal.hpp>
#include <taskfetch/detail/held_claims.hpp>
#include <taskfetch/detail/shared_budget.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace taskfetch {

/// @brief The clock every worker of a shared journal agrees on (the
/// database's in PostgreSQL); tests pass a manual clock's wall_now.
using shared_clock = std::function<std::chrono::system_clock::time_point()>;

/// @brief One input's stored row, as the PostgreSQL `taskfetch_inputs` table
/// holds it (for tests and inspection).
struct shared_input_row {
  std::string input;                 ///< the input's key
  std::string state;                 ///< "open", "claimed", "done" or "failed"
  std::string owner;                 ///< the worker that holds (or last held) it
  std::int64_t attempt = 0;          ///< claims so far
  double lease_until = 0;            ///< unix seconds the claim lasts until (0: none)
  input_history history;             ///< task id, submissions, errors, output
  std::optional<std::string> result; ///< the result JSON (done, when not only a file)
  std::string error_kind;            ///< the last failure's kind
  std::vector<std::string> messages; ///< the last failure's service messages
  double finished_at = 0;            ///< unix seconds it became done or failed (0: not yet)
};

/// @brief What several memory_shared_journal handles share: the batch's
/// rows, the workers' heartbeats, the rate budget and the clock.
class memory_shared_state {
public:
  /// @brief A batch with no inputs; @p clock is the time every worker sees
  /// (default: the system clock).
  explicit memory_shared_state(shared_clock clock = {}) : clock_(std::move(clock)) {
    if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
  }
  /// @brief A copy of @p input's row, if it is enrolled.
  std::optional<shared_input_row> row(const std::string &input) const {
    std::lock_guard<std::mutex> lk(m_);
    for (const auto &r : rows_)
      if (r.input == input) return r;
    return std::nullopt;
  }
  /// @brief Every row, in enrolment order.
  std::vector<shared_input_row> rows() const {
    std::lock_guard<std::mutex> lk(m_);
    return rows_;
  }

private:
  friend class memory_shared_journal;

  double now() const { return std::chrono::duration<double>(clock_().time_since_epoch()).count(); }
  shared_input_row *find(const std::string &input) {
    for (auto &r : rows_)
      if (r.input == input) return &r;
    return nullptr;
  }

  mutable std::mutex m_;
  shared_clock clock_;
  std::vector<shared_input_row> rows_;
  std::map<std::string, double> seen_; // worker -> last heartbeat (unix seconds)
  detail::shared_budget budget_;
};

/// @brief One worker's handle on a memory_shared_state. Thread-safe.
class memory_shared_journal : public shared_journal {
public:
  /// @brief Worker @p owner on @p state; claims last @p lease without renewal.
  memory_shared_journal(std::shared_ptr<memory_shared_state> state, std::string owner,
                        std::chrono::seconds lease = std::chrono::seconds(30))
      : s_(std::move(state)), owner_(std::move(owner)), lease_(lease) {}

  /// @brief Adds the inputs not enrolled yet, in the order given.
  result<void> enroll(const std::vector<std::string> &inputs) override {
    std::lock_guard<std::mutex> lk(s_->m_);
    for (const auto &in : inputs) {
      if (s_->find(in)) continue;
      shared_input_row r;
      r.input = in;
      r.state = "open";
      s_->rows_.push_back(std::move(r));
    }
    return {};
  }

  /// @brief Claims up to @p n inputs, oldest first, that are open or whose lease lapsed.
  result<std::vector<input_claim>> claim(std::size_t n) override {
    std::lock_guard<std::mutex> lk(s_->m_);
    const double now = s_->now();
    s_->seen_[owner_] = now;
    std::vector<input_claim> out;
    for (auto &r : s_->rows_) {
      if (out.size() >= n) break;
      const bool lapsed = r.state == "claimed" && r.lease_until <= now;
      if (r.state != "open" && !lapsed) continue;
      r.state = "claimed";
      r.owner = owner_;
      ++r.attempt;
      r.lease_until = now + static_cast<double>(lease_.count());
      held_.hold(r.input, r.attempt);
      out.push_back(input_claim{r.input, r.attempt, r.history});
    }
    return out;
  }

  /// @brief Extends this worker's live claims; answers the ones it lost.
  result<std::vector<std::string>> renew() override {
    std::lock_guard<std::mutex> lk(s_->m_);
    const double now = s_->now();
    s_->seen_[owner_] = now;
    std::map<std::string, std::int64_t> kept;
    for (auto &r : s_->rows_) {
      if (r.state != "claimed" || r.owner != owner_ || r.lease_until <= now) continue;
      r.lease_until = now + static_cast<double>(lease_.count());
      kept[r.input] = r.attempt;
    }
    return held_.keep_only(kept);
  }

  /// @brief Records the accepted task (fenced).
  result<bool> submitted(const input_claim &c, const std::string &task_id,
                         std::int64_t time) override {
    std::lock_guard<std::mutex> lk(s_->m_);
    auto *r = fenced(c);
    if (!r) return false;
    r->history.task_id = task_id;
    r->history.submitted_at = time;
    r->history.expired = false;
    r->history.final_failure = false;
    ++r->history.submissions;
    return true;
  }

  /// @brief Stores the result and marks the input done (fenced).
  result<bool> finish(const input_claim &c, const journal_entry &done,
                      const std::string &result_json) override {
    if (!result_json.empty() && !nlohmann::json::accept(result_json))
      return error(error_kind::invalid_argument,
                   "shared journal: the result of " + c.input + " is not JSON");
    std::lock_guard<std::mutex> lk(s_->m_);
    auto *r = fenced(c);
    if (!r) return false;
    r->state = "done";
    if (!done.task_id.empty()) r->history.task_id = done.task_id;
    r->history.done = true;
    r->history.output = done.output;
    r->history.size = done.size;
    r->history.sha256 = done.sha256;
    if (result_json.empty())
      r->result.reset();
    else
      r->result = result_json;
    r->finished_at = s_->now();
    r->lease_until = 0;
    held_.drop(c.input, c.attempt);
    return true;
  }

  /// @brief Records a failed or expired task (fenced); a final failure ends the input.
  result<bool> fail(const input_claim &c, const journal_entry &e) override {
    std::lock_guard<std::mutex> lk(s_->m_);
    auto *r = fenced(c);
    if (!r) return false;
    if (e.what == journal_entry::event::expired) {
      r->history.expired = true;
      return true;
    }
    if (e.kind == "task_failed") ++r->history.task_errors;
    r->error_kind = e.kind;
    r->messages = e.messages;
    if (e.final) {
      r->history.final_failure = true;
      r->state = "failed";
      r->finished_at = s_->now();
      r->lease_until = 0;
      held_.drop(c.input, c.attempt);
    }
    return true;
  }

  /// @brief Gives the input back, its task id kept (fenced).
  result<bool> release(const input_claim &c) override {
    std::lock_guard<std::mutex> lk(s_->m_);
    auto *r = fenced(c);
    if (!r) return false;
    r->state = "open";
    r->lease_until = 0;
    held_.drop(c.input, c.attempt);
    return true;
  }

  /// @brief The batch's counts; a lapsed claim counts as open.
  result<shared_counts> counts() override {
    std::lock_guard<std::mutex> lk(s_->m_);
    const double now = s_->now();
    shared_counts k;
    for (const auto &r : s_->rows_) {
      if (r.state == "done")
        ++k.done;
      else if (r.state == "failed")
        ++k.failed;
      else if (r.state == "claimed" && r.lease_until > now)
        ++k.claimed;
      else
        ++k.open;
    }
    return k;
  }

  /// @brief This worker's share of the budget (detail::step_shared_budget);
  /// live workers are those seen within a lease.
  result<double> share_rate(double cap, double cut_to) override {
    std::lock_guard<std::mutex> lk(s_->m_);
    const double now = s_->now();
    s_->seen_[owner_] = now;
    std::size_t live = 0;
    for (const auto &w : s_->seen_)
      if (w.second > now - static_cast<double>(lease_.count())) ++live;
    auto step = detail::step_shared_budget(s_->budget_, live, cap, cut_to, now);
    s_->budget_ = step.stored;
    return step.share;
  }

  /// @brief The lease a claim lasts without renewal.
  std::chrono::seconds lease() const override { return lease_; }
  /// @brief This worker's name in the rows it claims.
  const std::string &owner() const noexcept { return owner_; }

private:
  // The row, if @p c is still this worker's live claim at its attempt.
  shared_input_row *fenced(const input_claim &c) {
    auto *r = s_->find(c.input);
    if (!r || r->state != "claimed" || r->owner != owner_ || r->attempt != c.attempt ||
        r->lease_until <= s_->now())
      return nullptr;
    return r;
  }

  std::shared_ptr<memory_shared_state> s_;
  std::string owner_;
  std::chrono::seconds lease_;
  detail::held_claims held_;
};

} // namespace taskfetch
