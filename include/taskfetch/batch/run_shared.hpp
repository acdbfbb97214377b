/// @file
/// @brief run_shared: one batch worked by several processes (on several
/// machines) through one shared_journal. Each worker claims inputs under a
/// lease, records every accepted task id before its first poll, renews its
/// leases, takes over the inputs of workers that died (resuming their tasks,
/// not paying for them again), finishes through the fenced finish(), and
/// keeps to its share of the account's request-rate budget.
#pragma once

#include <taskfetch/batch/replay.hpp>
#include <taskfetch/batch/result_json.hpp>
#include <taskfetch/batch/run_inputs.hpp>
#include <taskfetch/batch/shared_journal.hpp>
#include <taskfetch/decoders/to_file.hpp>
#include <taskfetch/detail/batch_pool_options.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/file_result.hpp>
#include <taskfetch/task_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace taskfetch {

/// @brief Totals of one worker's part in a shared batch (run_summary's
/// counts are this worker's own; skipped stays 0: done inputs are never
/// claimed).
struct shared_summary : run_summary {
  std::size_t lost = 0;      ///< claims lost to another worker, which finishes them
  std::size_t left_open = 0; ///< given back after a failure here, for another worker or run
  shared_counts batch;       ///< the whole batch's counts when this worker stopped
};

namespace detail {

/// How often a worker renews its leases (a third of the lease, so two
/// renewals may fail before it lapses), looks for work when it has none
/// (a quarter of the lease, at most a second), and re-shares the rate.
struct shared_ticks {
  duration renew;
  duration idle;
  duration share = std::chrono::seconds(1);
};

/// The ticks for a lease of @p lease (at least a second).
inline shared_ticks shared_ticks_of(std::chrono::seconds lease) {
  const duration l = std::max<duration>(lease, std::chrono::seconds(1));
  return shared_ticks{l / 3, std::min<duration>(l / 4, std::chrono::seconds(1))};
}

} // namespace detail

/// @brief One worker of a shared batch, driven round by round by step();
/// run_shared() is `while (w.step()) {}`. Tests step several workers on one
/// thread and one manual clock (run_options::own_threads = false).
///
/// Per input: claim; submit, or poll the task its history names when that
/// is within retention; submitted() before the first poll (false: the claim
/// was lost, the task is abandoned here); the result file, then finish()
/// with its JSON (false: dropped, not reported done by this worker); a task
/// Error is fail()ed (final after run_options::resubmit resubmissions), a
/// task gone (NotExist) is recorded and submitted again once; anything else
/// (deadline, network, auth, cancelled) release()s the input for any worker.
/// A journal error ends the run with that error, after the tasks in flight
/// were cancelled and given back where the journal still answers.
template <class E, class Client, class MakeInput, class OnReport> class shared_worker {
  using time_point = std::chrono::steady_clock::time_point;

public:
  /// @brief A worker on @p inputs (their keys must be the same in every
  /// worker); see run_shared for the parameters.
  shared_worker(Client &client, const std::vector<batch_input> &inputs, shared_journal &j,
                MakeInput make_input, OnReport on_report, const run_options &opts = {})
      : c_(client), j_(j), make_input_(std::move(make_input)), on_report_(std::move(on_report)),
        opts_(opts), ticks_(detail::shared_ticks_of(j.lease())), pool_(client, pool_opts()) {
    static_assert(check_endpoint<E>());
    for (const auto &in : inputs) inputs_.emplace(in.key, &in);
  }
  shared_worker(const shared_worker &) = delete;
  shared_worker &operator=(const shared_worker &) = delete;

  /// @brief One round: renews and re-shares when due, claims what capacity
  /// allows, then lets the pool work until the next thing is due (a pool
  /// without threads is driven on this thread, through the client's clock).
  /// @return false when this worker's part is over: no input is open or
  /// claimed (but those it gave back), or it was cancelled, or the journal failed
  bool step() {
    if (over_) return false;
    const time_point now = c_.clock().now();
    if (!started_) start(now);
    if (!failed() && now >= next_renew_) renew(now);
    if (!failed() && (now >= next_share_ || throttled_.exchange(false))) share(now);
    if (failed() || opts_.per_task.cancel.cancelled() || pool_.faulted()) stop_all();
    bool idle = false;
    bool want_more = false;
    if (!stopping_ && now >= next_claim_) claim(now, idle, want_more);
    if (reap() == 0) {
      if (stopping_ && !failed()) (void)batch_over(); // the summary's counts as they are now
      if (stopping_ || (idle && batch_over())) {
        over_ = true;
        return false;
      }
    }
    time_point until = std::min(next_renew_, next_share_);
    if (want_more) until = std::min(until, next_claim_);
    if (stopping_) until = std::min(until, now + ticks_.idle);
    wait_until(until);
    return true;
  }

  /// @brief Rethrows what user code (on_report, make_input) threw in the
  /// pool, once every input this worker held is given back (step() stops).
  void rethrow_fault() { pool_.wait_all(); }

  /// @brief The worker's totals, or the journal error that ended its run.
  result<shared_summary> outcome() const {
    std::lock_guard<std::mutex> rk(report_m_);
    std::lock_guard<std::mutex> lk(m_);
    if (fatal_) return *fatal_;
    shared_summary s = sum_;
    s.lost = lost_;
    s.left_open = left_open_;
    s.requests = pool_.progress().requests;
    return s;
  }

private:
  struct job {
    const batch_input *in = nullptr;
    input_claim claim; // under m_: the fence every journal call names
    input_report rep;
    unsigned errors = 0;
    unsigned expiries = 0;
    task_ref handle;     // under m_
    bool has_id = false; // under m_: accepted or resumed (no longer waiting to submit)
    bool lost = false;   // under m_: the claim is someone else's now
    bool over = false;   // under m_: nothing more will happen to it
  };

  pool_options pool_opts() {
    pool_options p = detail::pool_options_of(opts_);
    p.schedule = opts_.schedule;
    p.on_request = [this](const request_event &ev) {
      if (ev.http_status == 429 || ev.http_status == 503) { // share the cut at once
        throttled_ = true;
        wake();
      }
    };
    return p;
  }

  std::int64_t unix_now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(opts_.now().time_since_epoch()).count();
  }
  journal_entry record(journal_entry::event what, const job &jb) const {
    journal_entry e;
    e.what = what;
    e.input = jb.in->key;
    e.task_id = jb.rep.task_id;
    e.time = unix_now();
    return e;
  }

  bool failed() const {
    std::lock_guard<std::mutex> lk(m_);
    return fatal_.has_value();
  }
  void set_fatal(const error &e) {
    {
      std::lock_guard<std::mutex> lk(m_);
      if (!fatal_) fatal_ = e;
    }
    wake();
  }

  void start(time_point now) {
    started_ = true;
    std::vector<std::string> keys;
    keys.reserve(inputs_.size());
    for (const auto &kv : inputs_) keys.push_back(kv.first);
    if (auto s = j_.enroll(keys); !s) return set_fatal(s.error());
    next_renew_ = now + ticks_.renew;
    share(now); // a worker joining keeps to its share from its first request
    next_claim_ = now;
  }

  void renew(time_point now) {
    next_renew_ = now + ticks_.renew;
    auto lost = j_.renew();
    if (!lost) return set_fatal(lost.error());
    for (const auto &key : *lost) {
      task_ref ref;
      {
        std::lock_guard<std::mutex> lk(m_);
        auto it = jobs_.find(key);
        if (it == jobs_.end() || it->second->over || it->second->lost) continue;
        it->second->lost = true;
        ++lost_;
        ref = it->second->handle;
      }
      ref.cancel(); // locally: the task is the new holder's now
    }
  }

  void share(time_point now) {
    next_share_ = now + ticks_.share;
    const pool_progress p = pool_.progress();
    double cut_to = 0;
    if (p.throttled > seen_throttled_) { // a 429 since the last call: tell the others
      seen_throttled_ = p.throttled;
      cut_to = p.rate_limit;
    }
    auto r = j_.share_rate(opts_.max_requests_per_second, cut_to);
    if (!r) return set_fatal(r.error());
    pool_.set_rate_cap(*r);
  }

  void claim(time_point now, bool &idle, bool &want_more) {
    std::size_t in_flight = 0, waiting = 0;
    {
      std::lock_guard<std::mutex> lk(m_);
      for (const auto &kv : jobs_) {
        if (kv.second->over) continue;
        ++in_flight;
        if (!kv.second->has_id && !kv.second->lost) ++waiting;
      }
    }
    // Claims in bites of about two rounds of submissions, when this worker
    // has fewer than a round waiting: workers then share new inputs by how
    // fast each submits, instead of the first one claiming the whole batch.
    const std::size_t round = std::max<std::size_t>(opts_.jobs, 1);
    const std::size_t cap = std::max<std::size_t>(opts_.max_outstanding, 1);
    const std::size_t room = cap - std::min(in_flight, cap);
    if (room == 0 || waiting >= round) return;
    want_more = true;
    const std::size_t want = std::min(room, 2 * round - waiting);
    auto got = j_.claim(want);
    if (!got) return set_fatal(got.error());
    std::size_t fresh = 0;
    for (auto &c : *got)
      if (take(std::move(c))) ++fresh;
    if (fresh < want) next_claim_ = now + ticks_.idle; // nothing more open for now
    idle = fresh == 0 && in_flight == 0;
  }

  // A claim this worker starts (true), adopts for a task it still runs, or
  // gives back (not its input, or one it gave back after a failure).
  bool take(input_claim c) {
    auto in = inputs_.find(c.input);
    job *jb = nullptr;
    bool give_back = in == inputs_.end();
    {
      std::lock_guard<std::mutex> lk(m_);
      // Not among this worker's inputs (another input list on the same
      // batch name): given back, and not waited for by batch_over().
      if (give_back) released_.insert(c.input);
      if (!give_back && released_.count(c.input)) give_back = true;
      auto it = jobs_.find(c.input);
      if (!give_back && it != jobs_.end()) {
        job &old = *it->second;
        // Its lease lapsed unnoticed and came back to us: the running task
        // continues under the new attempt; one being abandoned goes back.
        if (old.over || old.lost) {
          give_back = true;
        } else {
          old.claim = std::move(c);
          return false;
        }
      }
      if (!give_back) {
        auto nj = std::make_unique<job>();
        jb = nj.get();
        jb->in = in->second;
        jb->claim = c;
        jb->rep.key = c.input;
        jb->rep.output = in->second->output;
        jb->errors = c.history.task_errors;
        jobs_[c.input] = std::move(nj);
      }
    }
    if (give_back) {
      if (auto r = j_.release(c); !r) set_fatal(r.error());
      return false;
    }
    const input_history &h = c.history;
    switch (rerun_action_of(h, unix_now(), opts_.retention, [] { return false; })) {
    case rerun_action::poll: launch(*jb, h.task_id); break;
    case rerun_action::fail: { // an input failed for good that came back open
      jb->rep.task_id = h.task_id;
      error e(error_kind::task_failed, "failed earlier after " + std::to_string(h.task_errors) +
                                           " task error(s); not resubmitted");
      fail_for_good(*jb, c, e);
      break;
    }
    case rerun_action::skip:
    case rerun_action::submit: launch(*jb, std::string()); break;
    }
    return true;
  }

  void launch(job &jb, std::string task) {
    auto done = [this, &jb](result<file_result> &r) { ended(jb, r); };
    task_ref ref;
    if (!task.empty()) {
      jb.rep.task_id = task;
      {
        std::lock_guard<std::mutex> lk(m_);
        jb.has_id = true;
      }
      ref = pool_.template fetch<E>(std::move(task), decoders::to_file{jb.in->output},
                                    opts_.per_task, done);
    } else {
      call_options co = opts_.per_task;
      co.on_submitted = [this, &jb](const std::string &id) { return submitted(jb, id); };
      const batch_input *in = jb.in;
      ref = pool_.template run_from<E>([this, in] { return make_input_(in->path); },
                                       decoders::to_file{in->output}, std::move(co), done);
    }
    std::lock_guard<std::mutex> lk(m_);
    jb.handle = ref;
  }

  result<void> submitted(job &jb, const std::string &id) {
    input_claim c;
    {
      std::lock_guard<std::mutex> lk(m_);
      if (jb.lost) return lost_error(jb);
      c = jb.claim;
    }
    jb.rep.task_id = id;
    ++jb.rep.submissions;
    if (c.history.submissions + jb.rep.submissions > 1) jb.rep.resubmitted = true;
    auto ok = j_.submitted(c, id, unix_now());
    if (!ok) {
      set_fatal(ok.error());
      return ok.error(); // without the record a crash would lose the id: stop here
    }
    std::lock_guard<std::mutex> lk(m_);
    if (!*ok) {
      if (!jb.lost) ++lost_;
      jb.lost = true;
      return lost_error(jb);
    }
    jb.has_id = true;
    wake_locked();
    return {};
  }

  static error lost_error(const job &jb) {
    return error(error_kind::cancelled,
                 "the claim on " + jb.in->key + " lapsed: another worker holds it now");
  }

  // Every ending of a task: finish, resubmit, fail for good or give back.
  void ended(job &jb, result<file_result> &r) {
    input_claim c;
    {
      std::lock_guard<std::mutex> lk(m_);
      if (jb.lost) return over(jb);
      c = jb.claim;
    }
    if (r) {
      auto d = detail::sha256_file(r->path);
      if (!d) return give_back(jb, c, d.error());
      auto json = result_json_of<E>(r->path);
      if (!json) return fail_for_good(jb, c, json.error()); // passing it on would not help
      journal_entry e = record(journal_entry::event::done, jb);
      e.output = r->path.string();
      e.size = d->size;
      e.sha256 = d->sha256;
      auto ok = j_.finish(c, e, *json);
      if (!ok) {
        set_fatal(ok.error());
        jb.rep.failure = ok.error();
        return report(jb);
      }
      if (!*ok) return lose(jb); // lapsed: the holder's result counts, not ours
      jb.rep.outcome = input_outcome::done;
      jb.rep.size = d->size;
      return report(jb);
    }
    const error &err = r.error();
    if (failed()) return give_back(jb, c, err);
    if (err.kind() == error_kind::not_found && jb.expiries++ == 0) {
      // Gone (expired, or lost by the service): submit again, once per run.
      auto ok = j_.fail(c, record(journal_entry::event::expired, jb));
      if (!ok) return fatal_report(jb, ok.error());
      if (!*ok) return lose(jb);
      return relaunch(jb);
    }
    if (err.kind() == error_kind::task_failed) {
      ++jb.errors;
      if (jb.errors > opts_.resubmit) return fail_for_good(jb, c, err);
      journal_entry e = failed_record(jb, err, false);
      auto ok = j_.fail(c, e);
      if (!ok) return fatal_report(jb, ok.error());
      if (!*ok) return lose(jb);
      return relaunch(jb);
    }
    give_back(jb, c, err);
  }

  journal_entry failed_record(const job &jb, const error &err, bool final) const {
    journal_entry e = record(journal_entry::event::failed, jb);
    e.kind = std::string(to_string(err.kind()));
    e.messages = err.service_messages();
    if (e.messages.empty()) e.messages.push_back(err.message());
    e.final = final;
    return e;
  }

  void relaunch(job &jb) {
    {
      std::lock_guard<std::mutex> lk(m_);
      jb.has_id = false;
    }
    launch(jb, std::string());
  }

  void fail_for_good(job &jb, const input_claim &c, const error &err) {
    auto ok = j_.fail(c, failed_record(jb, err, true));
    if (!ok) return fatal_report(jb, ok.error());
    if (!*ok) return lose(jb);
    jb.rep.failure = err;
    report(jb);
  }

  // Not this worker's to finish (deadline, network, auth, cancelled, a
  // local file): the input goes back for any worker, its task id kept.
  void give_back(job &jb, const input_claim &c, const error &err) {
    auto ok = j_.release(c);
    if (!ok && !failed()) set_fatal(ok.error());
    if (err.kind() != error_kind::cancelled) {
      std::lock_guard<std::mutex> lk(m_);
      if (released_.insert(jb.in->key).second) ++left_open_;
    }
    jb.rep.failure = err;
    report(jb);
  }

  void fatal_report(job &jb, const error &e) {
    set_fatal(e);
    jb.rep.failure = e;
    report(jb);
  }

  void report(job &jb) {
    // Over even when on_report throws (the pool then stops the run): else
    // the stepping loop would wait for this job forever.
    struct mark_over {
      shared_worker &w;
      job &jb;
      ~mark_over() { w.over(jb); }
    } when_done{*this, jb};
    std::lock_guard<std::mutex> lk(report_m_);
    sum_.count(jb.rep);
    on_report_(jb.rep);
  }

  void lose(job &jb) {
    {
      std::lock_guard<std::mutex> lk(m_);
      if (!jb.lost) ++lost_;
      jb.lost = true;
    }
    over(jb);
  }

  void over(job &jb) {
    std::lock_guard<std::mutex> lk(m_);
    jb.over = true;
    wake_locked();
  }

  // Forgets the jobs that are over; answers how many are still in flight.
  std::size_t reap() {
    std::lock_guard<std::mutex> lk(m_);
    for (auto it = jobs_.begin(); it != jobs_.end();)
      it = it->second->over ? jobs_.erase(it) : std::next(it);
    return jobs_.size();
  }

  // No input open (but those this worker gave back) and none claimed.
  bool batch_over() {
    auto n = j_.counts();
    if (!n) {
      set_fatal(n.error());
      return false;
    }
    std::lock_guard<std::mutex> lk(m_);
    sum_.batch = *n;
    return n->claimed == 0 && n->open <= released_.size();
  }

  // Stops claiming and cancels what runs here (each then gives its input
  // back while the journal answers).
  void stop_all() {
    if (stopping_) return;
    stopping_ = true;
    std::vector<task_ref> refs;
    {
      std::lock_guard<std::mutex> lk(m_);
      for (const auto &kv : jobs_)
        if (!kv.second->over) refs.push_back(kv.second->handle);
    }
    for (auto &r : refs) r.cancel();
  }

  void wake() {
    std::lock_guard<std::mutex> lk(m_);
    wake_locked();
  }
  void wake_locked() {
    woken_ = true;
    cv_.notify_all();
  }

  void wait_until(time_point until) {
    if (opts_.own_threads) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait_until(lk, until, [&] { return woken_.load(); });
      woken_ = false;
      return;
    }
    // The pool's driver reads the flag under the pool's lock: an atomic, so
    // no lock of ours is taken inside the pool's.
    pool_.drive_until(until, [&] { return woken_.load(); });
    const time_point now = c_.clock().now();
    if (!woken_ && now < until)
      c_.clock().sleep_for(std::chrono::ceil<duration>(until - now), cancel_token{});
    woken_ = false;
  }

  Client &c_;
  shared_journal &j_;
  MakeInput make_input_;
  OnReport on_report_;
  run_options opts_;
  detail::shared_ticks ticks_;
  std::map<std::string, const batch_input *> inputs_;

  mutable std::mutex m_; // jobs_, their flagged fields, fatal_, counts
  std::condition_variable cv_;
  mutable std::mutex report_m_;
  std::map<std::string, std::unique_ptr<job>> jobs_;
  std::set<std::string> released_;
  std::optional<error> fatal_;
  shared_summary sum_;
  std::size_t lost_ = 0;
  std::size_t left_open_ = 0;
  std::atomic<bool> woken_{false};
  std::atomic<bool> throttled_{false};
  std::size_t seen_throttled_ = 0;

  // The stepping thread's own.
  bool started_ = false;
  bool stopping_ = false;
  bool over_ = false;
  time_point next_renew_{};
  time_point next_share_{};
  time_point next_claim_{};

  // Last, so it is gone (its tasks ended, their callbacks run) before the
  // state they use.
  task_pool<Client> pool_;
};

/// @brief Works one batch cooperatively with every other worker on journal
/// @p j: the shared counterpart of run_inputs (same parameters and options).
/// @param make_input reads a file into the endpoint's input (result<input>)
/// @param on_report called once per input this worker ended, one call at a time
/// @return this worker's totals, or the journal's error (error_kind::io)
///
/// What make_input or on_report throws stops this worker, gives its
/// inputs back, and is rethrown here.
///
/// The lease is j.lease(): renewed every third of it; a worker that has
/// nothing to do looks for open inputs (lapsed claims included) every
/// quarter of it (at most a second) until no input is open or claimed, so
/// the survivors take over a dead worker's inputs within a lease. The rate
/// budget (run_options::max_requests_per_second, and the cut after a 429)
/// is shared through j.share_rate() about once a second.
template <class E, class Client, class MakeInput, class OnReport>
result<shared_summary> run_shared(Client &client, const std::vector<batch_input> &inputs,
                                  shared_journal &j, MakeInput make_input, OnReport on_report,
                                  const run_options &opts = {}) {
  shared_worker<E, Client, MakeInput, OnReport> w(client, inputs, j, std::move(make_input),
                                                  std::move(on_report), opts);
  while (w.step()) {
  }
  w.rethrow_fault();
  return w.outcome();
}

/// @brief run_inputs over a shared journal: run_shared.
template <class E, class Client, class MakeInput, class OnReport>
result<shared_summary> run_inputs(Client &client, const std::vector<batch_input> &inputs,
                                  shared_journal &j, MakeInput make_input, OnReport on_report,
                                  const run_options &opts = {}) {
  return run_shared<E>(client, inputs, j, std::move(make_input), std::move(on_report), opts);
}

} // namespace taskfetch
