/// @file
/// @brief completion_model: what the tasks of one endpoint already finished
/// say about when the others will, for learning_schedule
/// (docs/polling.md, "The learning schedule").
///
/// Times are seconds on one steady timeline. A finished task is known only
/// by an interval: it was still pending at its last pending poll `l` and
/// done at the poll `u` that saw it. The model keeps both bounds.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

namespace taskfetch::detail {

/// The model's tunables, in seconds (learning_settings converted).
struct completion_params {
  double min_poll = 1, fraction = 0.25, max_poll = 30; // the lateness bound's waits
  double probe_fraction = 0.2;                         // probes' and held tasks' waits
  std::size_t probes = 8;                              // first tasks polled without a plan
  std::size_t probe_every = 64;                        // later probes, one in this many
  std::size_t explore_every = 8;                       // tasks that narrow the estimate
  std::size_t window = 256;                            // finished tasks remembered
  std::size_t unconfirmed = 32; // planned polls in flight beyond the last plan that hit
  double dense = 0.25;          // first wait after a missed plan
};

/// Counts pending tasks by rank (a Fenwick tree that grows).
class rank_counter {
public:
  void add(std::uint64_t rank, int d) {
    if (rank >= tree_.size()) grow(rank + 1);
    for (std::size_t i = rank + 1; i <= tree_.size(); i += i & (~i + 1)) tree_[i - 1] += d;
  }
  /// Pending tasks of rank below @p rank.
  long long before(std::uint64_t rank) const {
    long long n = 0;
    for (std::size_t i = std::min<std::size_t>(rank, tree_.size()); i > 0; i -= i & (~i + 1))
      n += tree_[i - 1];
    return n;
  }

private:
  void grow(std::size_t need) {
    std::vector<long long> v(tree_.size()); // the plain counts back from the tree
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = before(i + 1) - before(i);
    std::size_t n = std::max<std::size_t>(64, tree_.size());
    while (n < need) n *= 2;
    tree_.assign(n, 0);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i]) add(i, static_cast<int>(v[i]));
  }
  std::vector<long long> tree_;
};

/// The last plan checks (a first poll on a plan), at most `cap`: how many,
/// and how many found the task still pending.
class miss_window {
public:
  explicit miss_window(std::size_t cap) : cap_(cap) {}
  void add(bool missed) {
    checks_.push_back(missed);
    misses_ += missed;
    if (checks_.size() > cap_) {
      misses_ -= checks_.front();
      checks_.pop_front();
    }
  }
  std::size_t size() const noexcept { return checks_.size(); }
  std::size_t misses() const noexcept { return misses_; }

private:
  std::deque<bool> checks_;
  std::size_t misses_ = 0, cap_;
};

/// One endpoint's tasks: pending ones by rank (submit order), finished ones
/// as intervals. Not thread-safe: learning_schedule locks around it.
class completion_model {
public:
  explicit completion_model(completion_params p) : p_(p) {}

  /// A task submitted at @p s: its rank.
  std::uint64_t add(double s) {
    const std::uint64_t r = next_rank_++;
    if (r == 0) first_submit_ = s;
    task t;
    t.s = t.l = s;
    t.probe = r < p_.probes || (p_.probe_every && r % p_.probe_every == 0);
    t.explorer = !t.probe && p_.explore_every && r % p_.explore_every == 1;
    live_.emplace(r, t);
    if (t.probe) {
      probes_.push_back(r);
      ++probes_seq_;
    }
    pending_.add(r, +1);
    return r;
  }

  /// Task @p r answered pending at @p now (@p polled: a poll, not the submit).
  void pending(std::uint64_t r, double now, bool polled) {
    auto it = live_.find(r);
    if (it == live_.end() || !polled) return;
    task &t = it->second;
    answered(r, t);
    t.l = std::max(t.l, now);
    probes_seq_ += t.probe;
    // Only a poll made on a plan can miss it: a probe's, or a held task's
    // fallback poll before any task finished, says nothing about the plans.
    if (t.probe || !t.planned) return;
    if (t.misses == 0 && !t.explorer) first_.add(true);
    if (t.misses == 0 && t.queue_plan)
      note_queue_plan(true);
    else if (t.check != queue_check::none)
      note_queue_plan(true, t.check == queue_check::counts);
    t.check = queue_check::none;
    ++t.misses;
  }

  /// Task @p r was seen finished at @p now.
  void done(std::uint64_t r, double now) {
    auto it = live_.find(r);
    if (it == live_.end()) return;
    task &t = it->second;
    answered(r, t);
    if (t.planned && t.misses == 0) {
      hit_rank_ = std::max(hit_rank_, r);
      if (!t.probe && !t.explorer) first_.add(false);
      if (t.queue_plan) note_queue_plan(false);
    } else if (t.check != queue_check::none) {
      note_queue_plan(false, t.check == queue_check::counts);
    }
    // Whether the task outlived its first plan from the queue by far
    // (queue_evidence()).
    if (t.queue_plan) queue_far_.add(t.l - t.first_plan > 2 * tenth_of(queue_service()));
    window_.push_back({t.s, t.l, now});
    if (window_.size() > p_.window) window_.pop_front();
    estimate_stale_ = true;
    refresh_estimate();
    // Ran at once: last seen pending within the service time and seen done
    // within a probe's wait after it. Waited (in a queue, or an outlier):
    // seen pending past it. A task seen late by its own polls is neither.
    const double service = own_service();
    const double in_time = service + narrow();
    // Seen done within a probe's wait, but never as late as a second wave
    // ends (2 service times): with 1 s tasks and 1 s waits the two overlap.
    const double at_once =
        std::min(in_time + std::max(narrow(), probe_wait(service)) + 0.1 * p_.min_poll,
                 2 * service - narrow());
    if (t.l - t.s > in_time) {
      waited_below_ += r < slots_seen_;
    } else if (now - t.s <= at_once) {
      slots_seen_ = std::max<std::uint64_t>(slots_seen_, r + 1);
    }
    if (slots_ && r >= slots_)
      if (auto a = seen_.find(r - slots_); a != seen_.end()) {
        // A task seen more than narrow() after its last pending poll ended
        // somewhere in between: its gap counts from narrow() before the poll
        // that saw it (where seen_ below puts it too), so dense polls' late
        // sightings do not stretch every plan behind it.
        gaps_.push_back((t.l > t.s && now - t.l > narrow() ? now - narrow() : now) - a->second);
        if (gaps_.size() > 64) gaps_.pop_front();
      }
    // When its slot freed: within (l, now]. A task whose polls bracket its
    // end counts at most narrow() before `now`, so one seen late does not
    // push the plans of the tasks queued behind it later still.
    seen_[r] = t.l > t.s ? std::max(t.l, now - narrow()) : now;
    if (queue_evidence()) {
      queue_latched_ = ever_queued_ = true;
    } else if (queue_latched_ && queue_far_.size() >= 32 &&
               queue_far_.misses() * 4 > queue_far_.size()) {
      queue_latched_ = false;
    }
    ++done_;
    estimate_stale_ = true;
    forget(r);
  }

  /// Task @p r ended unseen (cancelled, failed request): no longer ahead of anyone.
  void forget(std::uint64_t r) {
    auto it = live_.find(r);
    if (it == live_.end()) return;
    answered(r, it->second);
    unwait(r, it->second);
    live_.erase(it);
    pending_.add(r, -1);
    probes_.erase(std::remove(probes_.begin(), probes_.end(), r), probes_.end());
    ++probes_seq_;
  }

  /// When a task should next be polled, and whether a later look may move
  /// that time (a plan from the model) or not (a wait of the bounded rule).
  struct poll_time {
    double at;
    bool replan;
    bool standard = false; // the retry policy's own wait, unchanged
    double revise = 0;     // look again by then (no poll), if > 0
  };

  /// When task @p r should next be polled (seconds, at least @p now), given
  /// the retry policy's own next wait @p standard.
  poll_time next_poll(std::uint64_t r, double now, double standard) {
    auto it = live_.find(r);
    if (it == live_.end()) return {now + standard, false};
    task &t = it->second;
    unwait(r, t);
    // A check planned at the last look, now due (its answer clears it).
    const bool checking = std::exchange(t.check, queue_check::none) != queue_check::none;
    const double age = now - t.s;
    const double bound = lateness_wait(age);
    // Probes, and every task before any has finished: the standard schedule
    // within the lateness bound, unless a probe of this age still works.
    // The first task of an endpoint (a lone task) polls as the standard
    // schedule does, so it costs what it cost before; the other probes keep
    // the lateness bound.
    if (t.probe) {
      double w = r == 0 ? standard : std::min(standard, probe_wait(age));
      // Probes submitted together poll out of step (their first waits an
      // eighth apart, and the steps keep that order), so together they
      // bracket the service time eight times finer than one would.
      if (r != 0 && t.l == t.s) w *= double(r % 8 + 1) / 8;
      t.due = now + w;
      ++probes_seq_;
      return {t.due, false, r == 0};
    }
    if (done_ == 0) {
      // A probe pending at age `a` polls again within its wait; a younger
      // task like it is not done before then either (probes_cover).
      // A tenth of min_poll more, so the probe's poll (due at the same
      // moment, maybe not yet sent) lands first.
      const double cover = probes_cover(now);
      const double stale = t.s + cover + 0.1 * p_.min_poll;
      if (cover < 0 || now >= stale) {
        return {now + std::min(standard, probe_wait(age)), false};
      }
      // Looks at the next probe answer are wakes, not polls.
      return {stale, true, false, next_probe_answer(now)};
    }
    refresh_estimate();
    t.planned = true;
    double target = t.s + service_hi_;
    const bool queue = queued();
    bool from_slot = false; // the plan rests on when the slot ahead frees
    if (queue) {
      // A queue of `slots` tasks at once: this task starts when the one
      // `slots` ahead of it ends, and takes one service time more.
      target = t.s + base_service_;
      // The tasks that ran at once, not queued; it grows while the first
      // ones are still being seen (counting too many only makes plans early).
      slots_ = std::max(slots_, slots_seen_);
      // Ranks just past it may still have run at once (the count is still
      // growing, or the service took submits out of order): they plan as if
      // they did, since an early plan costs a poll and a late one a wave.
      const std::uint64_t unsure = std::max<std::uint64_t>(8, slots_ / 4);
      if (slots_ && r >= slots_ + unsure)
        if (const double f = slot_free(r - slots_); f > 0) {
          target = std::max(target, f + queue_service() + queue_offset_);
          from_slot = true;
        }
    } else if (t.explorer && t.misses == 0 && r <= frontier() &&
               service_hi_ - service_lo_ > narrow()) {
      target = t.s + (service_lo_ + service_hi_) / 2; // halves the interval D is in
    }
    t.plan = std::max(now, target);
    // A plan chained from the plan of the task a slot ahead (not seen yet)
    // is looked at again within a service time: that task is seen by then,
    // or its own plan has moved.
    const double revise = from_slot && !seen_.count(r - slots_) ? now + queue_service() : 0;
    if (t.misses == 0) {
      t.queue_plan = from_slot;
      t.first_plan = t.plan;
      return {t.plan, true, false, revise};
    }
    // Missed a plan made before the queue showed (a batch submitted in a
    // burst): the queue's plan, once its plans are seen to hit. A queue
    // whose tasks' times vary misses them, and keeps the bounded rule.
    if (from_slot && (target - now > p_.dense || checking)) {
      // Not trusted yet (a short batch whose every task missed the plan
      // made before the queue showed has no first plans left to check it):
      // a queue plan within the bound is polled at its time, and checks.
      // Trusted, it steers the queue's plans as first plans do.
      const bool trusted = queue_plans_hit();
      if (trusted || target - now <= bound) {
        t.check = trusted ? queue_check::steers : queue_check::counts;
        return {t.plan, true, false, revise};
      }
    }
    // Missed the plan: poll densely, the waits doubling, never past the bound.
    const double dense = p_.dense * std::pow(2.0, std::min<double>(t.misses - 1, 16));
    return {now + std::min(bound, std::max(dense, target - now)), false};
  }

  /// Task @p r's planned poll is due: whether to send it now. A first poll
  /// on a plan that no task of this rank or later has confirmed waits while
  /// `unconfirmed` such polls are unanswered, so that a plan that is wrong
  /// for the whole batch (a queue not yet seen, the submits in a burst)
  /// costs a few misses, not one per task, before the answers correct it.
  bool send(std::uint64_t r) {
    auto it = live_.find(r);
    if (it == live_.end()) return true;
    task &t = it->second;
    if (t.inflight || !t.planned || t.misses || t.probe) return true;
    if (r > hit_rank_) {
      // The lowest ranks first, the order the service runs them in, and
      // within `unconfirmed` of the highest answered: when a batch's plans
      // fall due together, the answers then show where a wave ends before
      // the ranks past it are asked. (Ranks up to hit_rank_ go freely.)
      const long long room =
          static_cast<long long>(p_.unconfirmed) - static_cast<long long>(inflight_);
      const long long ahead = waiting_.before(r) - waiting_.before(hit_rank_ + 1);
      // Always some progress: with nothing in flight, the lowest waiting
      // rank goes (once it waited, so that the others due with it are seen).
      const bool alone = t.waiting && inflight_ == 0 && ahead == 0;
      if (!alone && (room <= ahead || r > frontier())) {
        if (!t.waiting) waiting_.add(r, +1);
        t.waiting = true;
        return false;
      }
    }
    unwait(r, t);
    t.inflight = true;
    ++inflight_;
    return true;
  }

  /// When task @p r, held back by send(), asks again (seconds from now):
  /// within a window's worth of waiting ranks of the front, 2 ms; further
  /// back, one window's turn of 2 ms for each window ahead (up to 32 ms).
  /// Asking every 2 ms, the thousands of tasks due at once behind a busy
  /// line (10,000 x 20 s) woke about 300,000 times a second.
  double send_retry(std::uint64_t r) const {
    const long long ahead = waiting_.before(r) - waiting_.before(hit_rank_ + 1);
    const auto window = static_cast<long long>(p_.unconfirmed);
    if (ahead < window) return 0.002; // ranks up to hit_rank_ count none ahead
    return 0.002 * double(std::min(16LL, ahead / window));
  }

  /// The longest wait that keeps a task that ends right after a poll at age
  /// @p age within the lateness bound.
  double lateness_wait(double age) const { return wait_at(p_.fraction, age); }

  /// A probe's wait at age @p age: below lateness_wait, so that a task seen
  /// through the probes keeps the bound with the pool's queue of requests
  /// in between.
  double probe_wait(double age) const { return wait_at(p_.probe_fraction, age); }

  /// Finished tasks seen so far.
  std::size_t finished() const noexcept { return done_; }
  /// The estimate of the service time (upper end), seconds; 0 before any finished.
  double service_time() {
    refresh_estimate();
    return service_hi_;
  }
  /// Whether the finished tasks show a queue at the service.
  /// Plans that miss, with the tasks that did not wait all first in
  /// submit order, as a FIFO queue of a few slots makes them.
  /// (Mixed durations miss plans too, but their slow tasks wait among the
  /// first ranks as well: those are not all finished.)
  bool queued() const noexcept { return queue_latched_ || queue_evidence(); }

private:
  // The signs of a queue (queued()). Once seen they hold: plans that follow
  // the queue stop missing, which would otherwise hide it again, and plans
  // would swing between the two models. They lapse when one task in four
  // outlives its first plan from the queue by more than a fifth of a
  // service time. A plan missed by less is the offset's (it steers them
  // to miss one time in eight), not a sign that the queue is gone: giving
  // the queue up on those re-planned whole waves from the waits.
  bool queue_evidence() const noexcept {
    return first_.misses() >= 4 && first_.misses() * 4 >= first_.size() &&
           waited_below_ * 10 <= slots_seen_ &&
           static_cast<std::uint64_t>(pending_.before(slots_seen_) - unpolled_probes()) * 4 <=
               slots_seen_;
  }

  // Live probes of rank below slots_seen_ not yet polled past the service
  // time: their staggered polls have not looked, so their pending says
  // nothing of the batch (with a queue of a few slots they would hide it
  // until every first plan had missed).
  long long unpolled_probes() const noexcept {
    long long n = 0;
    for (const auto r : probes_) {
      if (r >= slots_seen_) continue; // most later probes: no lookup
      const auto it = live_.find(r);
      n += it != live_.end() && it->second.l - it->second.s <= service_hi_;
    }
    return n;
  }

  // What a missed task's poll at the queue's plan tells (next_poll): it
  // counts towards trusting the queue's plans, or, once they are trusted,
  // only steers them (note_queue_plan).
  enum class queue_check : unsigned char { none, counts, steers };

  struct task {
    double s = 0, l = 0, plan = 0, due = 0; // due: a probe's next poll
    double first_plan = 0;                  // the plan of the first planned poll
    unsigned misses = 0;
    bool probe = false, explorer = false, planned = false;
    bool queue_plan = false;               // the first plan came from the queue
    bool inflight = false;                 // a first planned poll sent (send()), not answered
    bool waiting = false;                  // due, held back by send()
    queue_check check = queue_check::none; // the poll in flight is at a queue plan
  };
  struct finished_task {
    double s, l, u;
  };

  // The ranks whose first planned polls may be in flight: up to
  // `unconfirmed` past the highest answered (or seen running at once).
  std::uint64_t frontier() const noexcept {
    return std::max({hit_rank_, answered_rank_, slots_seen_}) + p_.unconfirmed;
  }

  void unwait(std::uint64_t r, task &t) {
    if (!t.waiting) return;
    t.waiting = false;
    waiting_.add(r, -1);
  }

  void answered(std::uint64_t r, task &t) {
    if (!t.inflight) return;
    answered_rank_ = std::max(answered_rank_, r);
    t.inflight = false;
    --inflight_;
  }

  // A first poll planned from the queue (or a missed task's check of it):
  // whether it found the task pending. @p counts: towards trusting the
  // queue's plans (queue_plans_hit); steering always.
  void note_queue_plan(bool missed, bool counts = true) {
    if (counts) queue_first_.add(missed);
    // Steer the queue's plans to miss one time in eight: earlier after each
    // hit, later after a miss. Ends seen at a plan that hit are later than
    // the true ends; without this, that error is carried from each task to
    // the one queued behind it and grows.
    // On the queue's own scale (service_hi_ grows with the time tasks
    // waited), and never more than that early: hits come a wave at a time,
    // and would otherwise pull a whole wave's plans before its end.
    const double q = tenth_of(queue_service()), step = q / 4;
    queue_offset_ = std::clamp(queue_offset_ + (missed ? step * 7 / 8 : -step / 8), -q, 0.0);
  }

  // The queue's plans are trusted: of the last 64 first polls planned
  // from it (at least 8), at most one in eight found the task pending.
  bool queue_plans_hit() const noexcept {
    return queue_first_.size() >= 8 && queue_first_.misses() * 8 <= queue_first_.size();
  }

  // @p fraction of @p age, within [min_poll, max_poll].
  double wait_at(double fraction, double age) const {
    return std::clamp(fraction * age, p_.min_poll, std::max(p_.min_poll, p_.max_poll));
  }

  // The age up to which the live probes show a task like them pending: a
  // probe pending at age `a` polls again within the bounded wait w(a), so a
  // younger task is not done before a + w(a) either. A probe whose poll is
  // due but not answered yet waits in the pool's line of requests (behind a
  // batch's submits, say), as the others' polls would: it covers for as
  // long, up to max_poll, then no longer (lost).
  double probes_cover(double now) const {
    // Held tasks wake together (at a probe's answer): one scan serves them.
    if (cover_seq_ == probes_seq_ && std::abs(now - cover_now_) <= 0.001) return cover_;
    double c = -1;
    for (const auto r : probes_) {
      const task &t = live_.at(r);
      const double a = t.l - t.s, w = probe_wait(a);
      const double over = now - t.due;
      const double late = t.due <= t.l + w + 1e-9 && over > 0 && over < p_.max_poll ? over : 0.0;
      c = std::max(c, a + w + late);
    }
    cover_seq_ = probes_seq_;
    cover_now_ = now;
    cover_ = c;
    return c;
  }

  // When a held task looks again (no request): soon after the next poll of
  // one of the first probes, whose answer may be the batch's first finished
  // task. A held task may have ended before every probe did: it is then
  // polled as soon as a task is seen finished, not when the probes' cover
  // lapses (the probes' own wait later, past a 1 s bound).
  double next_probe_answer(double now) const {
    double at = now + p_.max_poll;
    for (const auto r : probes_) {
      if (r >= p_.probes) break; // probes_ is in rank order
      const double look = live_.at(r).due + 0.1 * p_.min_poll;
      if (look > now) at = std::min(at, look);
    }
    return at;
  }

  // When the task of rank @p a ended or, not seen yet, when its plan expects.
  double slot_free(std::uint64_t a, int depth = 0) const {
    if (auto it = seen_.find(a); it != seen_.end()) return it->second;
    if (auto it = live_.find(a); it != live_.end() && it->second.plan > it->second.l)
      return it->second.plan;
    // Pending past its plan (planned before the queue showed, or an outlier
    // holding its slot): where the chain of slots puts it.
    if (slots_ && a >= slots_ && depth < 64)
      if (const double f = slot_free(a - slots_, depth + 1); f > 0) return f + queue_service();
    return 0;
  }

  // A queued task's service time: the median gap between a task's end and
  // the end of the task `slots` before it, once seen; the learned one before.
  double queue_service() const {
    if (gaps_.size() < 8) return base_service_;
    std::vector<double> g(gaps_.begin(), gaps_.end());
    std::nth_element(g.begin(), g.begin() + g.size() / 2, g.end());
    return g[g.size() / 2];
  }

  // Service time: a low order statistic of the upper bounds (u - s), so one
  // fast outlier does not pull every plan early; and the largest lower bound
  // (l - s) below it, so explorers know the interval D lies in.
  void refresh_estimate() {
    if (!estimate_stale_) return;
    estimate_stale_ = false;
    std::vector<double> hi;
    hi.reserve(window_.size());
    for (const auto &f : window_) hi.push_back(f.u - f.s);
    const std::size_t k = hi.size() / 100;
    std::nth_element(hi.begin(), hi.begin() + k, hi.end());
    service_hi_ = hi[k];
    service_lo_ = 0;
    for (const auto &f : window_)
      if (f.l - f.s < service_hi_) service_lo_ = std::max(service_lo_, f.l - f.s);
    // Once a queue showed, service_hi_ includes the waits even while the
    // queue is given up: the time learnt before it stays.
    if ((!queued() && !ever_queued_) || base_service_ == 0) base_service_ = service_hi_;
  }

  // A task's own service time: once a queue shows, the one learnt before
  // it (service_hi_ then grows with the time tasks waited).
  double own_service() const { return queued() && base_service_ > 0 ? base_service_ : service_hi_; }

  // A tenth of @p d, at least a quarter of min_poll.
  double tenth_of(double d) const { return std::max(0.1 * d, 0.25 * p_.min_poll); }

  double narrow() const { return tenth_of(own_service()); }

  completion_params p_;
  std::uint64_t next_rank_ = 0;
  double first_submit_ = 0;
  std::unordered_map<std::uint64_t, task> live_;
  rank_counter pending_;
  std::vector<std::uint64_t> probes_; // live probes (few)
  std::uint64_t probes_seq_ = 0;      // bumped when a probe's polls or the set change
  mutable std::uint64_t cover_seq_ = ~std::uint64_t(0); // probes_cover's last scan
  mutable double cover_now_ = 0, cover_ = -1;
  std::deque<finished_task> window_;
  miss_window first_{32}; // first planned polls of non-probes, non-explorers
  bool queue_latched_ = false;
  bool ever_queued_ = false;        // base_service_ holds the time learnt before the queue
  std::size_t inflight_ = 0;        // send()'s polls not answered
  rank_counter waiting_;            // ranks held back by send()
  std::uint64_t hit_rank_ = 0;      // the highest rank seen done at its first planned poll
  std::uint64_t answered_rank_ = 0; // the highest rank whose first planned poll was answered
  miss_window queue_first_{64};     // first polls planned from the queue
  miss_window queue_far_{64};       // ... and whether the task outlived it by far
  double queue_offset_ = 0;         // added to the queue's plans (note_queue_plan)
  std::size_t done_ = 0;
  bool estimate_stale_ = false;
  double service_hi_ = 0, service_lo_ = 0, base_service_ = 0;
  std::uint64_t slots_seen_ = 0, slots_ = 0;       // tasks the service ran at once
  std::uint64_t waited_below_ = 0;                 // waited among the ranks that ran at once
  std::unordered_map<std::uint64_t, double> seen_; // rank -> when seen finished
  std::deque<double> gaps_;
};

} // namespace taskfetch::detail
