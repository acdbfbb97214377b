/// @file
/// @brief task_pool: thousands of tasks carried at the service's pace by a
/// timer queue and a few worker threads. Waiting is a timer, not a thread.
///
/// Each task is a task_machine. Its waits (between polls, before retries) sit
/// in a timer queue ordered by wake time; a timer thread moves due tasks to
/// the ready queue; worker threads take ready tasks and do their one HTTP
/// request each (cpp-httplib and libcurl's easy interface block, so requests
/// never run on the timer thread). Three bounds hold independently:
/// tasks admitted at once (max_outstanding), requests in flight
/// (max_concurrent_requests, one per worker) and requests per second (a token
/// bucket shared by submits, polls and downloads, cut when the service
/// throttles and raised gradually after).
#pragma once

#include <taskfetch/cancellation.hpp>
#include <taskfetch/clock.hpp>
#include <taskfetch/decoder.hpp>
#include <taskfetch/detail/adaptive_rate.hpp>
#include <taskfetch/detail/fetch_handler.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/events.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/poll_schedule.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/task_handle.hpp>
#include <taskfetch/task_machine.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

namespace taskfetch {

/// @brief Where the tasks of a pool stand, and what it took so far.
struct pool_progress {
  std::size_t queued = 0;     ///< not yet accepted by the service (waiting, or being submitted)
  std::size_t submitted = 0;  ///< accepted (or given by id), not polled yet
  std::size_t pending = 0;    ///< the service says Pending
  std::size_t processing = 0; ///< the service says Processing (or another working word)
  std::size_t done = 0;       ///< ended with a value
  std::size_t failed = 0;     ///< ended with an error (cancelled and past the deadline included)
  std::size_t retries = 0;    ///< failed requests that were tried again
  std::size_t throttled = 0;  ///< answers that asked the pool to slow down (429, 503 + Retry-After)
  std::size_t requests = 0;   ///< HTTP requests sent (token requests included)
  double rate_limit = 0;      ///< requests per second in force now (0: none)

  /// @brief Tasks at the service, not yet ended.
  std::size_t in_progress() const noexcept { return submitted + pending + processing; }
};

/// @brief Settings of a task_pool. The defaults carry 10,000 tasks at the
/// service's pace with nine threads.
struct pool_options {
  /// @brief Requests in flight at once: one worker thread each. Keep it at or
  /// below options::max_connections, so no worker waits for a connection.
  std::size_t max_concurrent_requests = 8;
  /// @brief Tasks admitted at once (submitted or being polled); the rest wait
  /// in the pool, and a run's input is read only when its task is admitted.
  std::size_t max_outstanding = 10000;
  /// @brief Requests per second never exceeded; 0: no cap until the service
  /// throttles (429, or 503 with Retry-After), which slows the whole pool.
  double max_requests_per_second = 0;
  /// @brief A deadline for the whole pool, from its construction: tasks not
  /// finished by then end as deadline_exceeded. Each task also has its own
  /// (call_options::deadline, or the client's), counted from its start.
  std::optional<duration> deadline;
  /// @brief false: no threads; whoever waits (wait_all(), get()) drives the
  /// pool, one request at a time, and waits through the client's clock, so
  /// tests with a manual clock never sleep. Threads wait in real time, so a
  /// pool with threads needs a real clock (system_clock, the default).
  bool own_threads = true;
  /// @brief When to poll the tasks the pool submits (run, run_from): empty
  /// for the retry policy's schedule alone, or a poll schedule such as
  /// learning_schedule (docs/polling.md). Tasks fetched by id always use the
  /// retry policy's.
  poll_schedule schedule;
  /// @brief Fires to cancel every task (checked at least every 50 ms).
  cancel_token cancel;
  /// @brief Called after every change of the counts, one call at a time.
  std::function<void(const pool_progress &)> on_progress;
  /// @brief Called after every HTTP request of every task.
  std::function<void(const request_event &)> on_request;
  /// @brief Called before every wait that follows a failed request.
  std::function<void(const retry_event &)> on_retry;
};

namespace detail {

/// Where a task shows in pool_progress.
enum class pool_label { queued, submitted, pending, processing, done, failed, hidden };

/// One task as the pool sees it; the bookkeeping fields are the pool's,
/// guarded by its lock.
struct pool_node {
  using time_point = std::chrono::steady_clock::time_point;
  /// @p user_cancel: the caller's own token, honoured beside the pool's.
  explicit pool_node(cancel_token user_cancel) : user_cancel(std::move(user_cancel)) {}
  virtual ~pool_node() = default;
  virtual task_step start(std::optional<time_point> pool_deadline) = 0;
  virtual task_step attempt() = 0;
  virtual task_step resume() = 0;
  virtual task_step cancel() = 0;
  /// Hands the outcome to the callback and the handle (outside the lock).
  virtual void complete() = 0;
  virtual pool_label label() const = 0;
  virtual bool succeeded() const = 0;
  virtual std::string id() const = 0;
  virtual int last_http_status() const = 0;
  /// Makes the task id visible through the handle once the submit answered.
  virtual void publish_id() = 0;
  virtual std::optional<duration> last_retry_after() const = 0;
  /// A task that asks the service to cancel this one (DELETE).
  virtual std::shared_ptr<pool_node> service_cancel() = 0;

  enum class where { queued, ready, flight, timer, ended };
  where at = where::queued;
  pool_label shown = pool_label::queued;
  std::uint64_t gen = 0;
  bool admitted = false;
  bool at_service = false;
  std::atomic<bool> cancel_requested{false};
  cancel_source stop;
  cancel_token user_cancel;
};

} // namespace detail

/// @brief Carries many tasks of one client at once (see the file comment).
/// @tparam Client a basic_client; its transport must be thread-safe when the
///         pool has threads (the shipped ones are).
///
/// Submitting or fetching answers a task_handle (get() waits and answers
/// result<T>) and may also call a completion callback. Any decoder works,
/// to_file and user decoders included; each task's decoder lives in the
/// pool until the task ends. Destroying the pool cancels what has not ended.
template <class Client> class task_pool {
  using clock_type = typename Client::clock_type;
  using time_point = std::chrono::steady_clock::time_point;
  using node_ptr = std::shared_ptr<detail::pool_node>;

public:
  /// @brief A pool over @p client (which must outlive it).
  explicit task_pool(Client &client, pool_options o = {})
      : c_(client), o_(std::move(o)), rate_(o_.max_requests_per_second) {
    if (o_.max_outstanding == 0) o_.max_outstanding = 1;
    if (o_.max_concurrent_requests == 0) o_.max_concurrent_requests = 1;
    if (o_.deadline) deadline_ = c_.clock().now() + *o_.deadline;
    if (o_.own_threads) {
      timer_ = std::thread([this] { timer_loop(); });
      for (std::size_t i = 0; i < o_.max_concurrent_requests; ++i)
        workers_.emplace_back([this] { worker_loop(); });
    }
  }
  /// @brief Cancels the tasks that have not ended, waits for them, stops.
  ~task_pool() {
    cancel_all();
    wait_idle();
    {
      std::lock_guard<std::mutex> lk(m_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    timer_cv_.notify_all();
    for (auto &t : workers_) t.join();
    if (timer_.joinable()) timer_.join();
  }
  task_pool(const task_pool &) = delete;
  task_pool &operator=(const task_pool &) = delete;

  /// @brief The completion callback of a task with value type T: called once,
  /// before the handle is ready, on the thread that ended the task; it may
  /// move the value out (get() then answers what is left).
  template <class T> using completion = std::function<void(result<T> &)>;

  /// @brief Waits for task @p id and decodes its result with @p dec.
  template <class E, class Decoder = typename endpoint_traits<E>::default_decoder>
  task_handle<detail::decoder_value_t<Decoder>>
  fetch(std::string id, Decoder dec = Decoder{}, call_options co = {},
        completion<detail::decoder_value_t<Decoder>> on_done = {}) {
    static_assert(check_decoder<Decoder>());
    auto n = std::make_shared<task<E, Decoder>>(*this, task_goal::wait, std::move(co),
                                                std::move(dec), std::move(on_done));
    n->machine.with_id(std::move(id));
    n->publish_id();
    return add(std::move(n));
  }

  /// @brief Submits @p in, waits and decodes with @p dec.
  template <class E, class Decoder = typename endpoint_traits<E>::default_decoder>
  task_handle<detail::decoder_value_t<Decoder>>
  run(typename endpoint_traits<E>::input in, Decoder dec = Decoder{}, call_options co = {},
      completion<detail::decoder_value_t<Decoder>> on_done = {}) {
    static_assert(check_decoder<Decoder>());
    using input = typename endpoint_traits<E>::input;
    return run_from<E>([in = std::move(in)]() mutable -> result<input> { return std::move(in); },
                       std::move(dec), std::move(co), std::move(on_done));
  }

  /// @brief Like run(), but the input is made by @p make_input (returning
  /// result<input>) on a worker when the task is admitted, so inputs waiting
  /// in the pool cost no memory.
  template <class E, class Decoder, class MakeInput>
  task_handle<detail::decoder_value_t<Decoder>>
  run_from(MakeInput make_input, Decoder dec, call_options co = {},
           completion<detail::decoder_value_t<Decoder>> on_done = {}) {
    static_assert(check_decoder<Decoder>());
    auto n = std::make_shared<task<E, Decoder>>(*this, task_goal::run, std::move(co),
                                                std::move(dec), std::move(on_done));
    n->machine.delay_first_poll(true);
    if ((n->plan = o_.schedule.plan(endpoint_traits<E>::name())))
      n->machine.plan_with(n->plan.get());
    n->make_input = [f = std::move(make_input)]() mutable -> result<std::string> {
      auto in = f();
      if (!in) return std::move(in.error());
      return endpoint_traits<E>::submit_body(*in);
    };
    return add(std::move(n));
  }

  /// @brief Blocks until every task has ended, those added meanwhile too
  /// (a pool without threads is driven on this thread). Rethrows, once, the
  /// first exception that user code threw on the pool's behalf (a
  /// completion callback, an input maker, a decoder, a hook, on_progress):
  /// that exception cancelled every task, and tasks added after it, until
  /// this call rethrows it, end cancelled as well.
  void wait_all() {
    wait_idle();
    std::exception_ptr e;
    {
      std::lock_guard<std::mutex> lk(m_);
      e = std::exchange(fault_, nullptr);
      if (e) fault_seen_.store(false, std::memory_order_release); // the pool takes new tasks again
    }
    if (e) std::rethrow_exception(e);
  }

  /// @brief Whether user code threw on the pool's behalf since wait_all()
  /// last rethrew (wait_all()): batches stop making tasks then.
  bool faulted() const noexcept { return fault_seen_.load(std::memory_order_acquire); }

  /// @brief Cancels every task that has not ended (and, with @p at_service,
  /// asks the service to cancel those it has).
  void cancel_all(bool at_service = false) {
    std::vector<node_ptr> all;
    {
      std::lock_guard<std::mutex> lk(m_);
      all.assign(nodes_.begin(), nodes_.end());
    }
    for (auto &n : all) cancel_node(n, at_service);
  }

  /// @brief Changes the request-rate cap of a running pool (as
  /// pool_options::max_requests_per_second; 0: none until throttled): the
  /// hook through which workers sharing one account apply their share of its
  /// budget (run_shared.hpp). The rate a 429 cut the bucket to shows in
  /// progress().rate_limit, beside progress().throttled.
  void set_rate_cap(double cap) {
    {
      std::lock_guard<std::mutex> lk(m_);
      rate_.set_cap(cap);
    }
    work_cv_.notify_all();
  }

  /// @brief A pool without threads: drives it on this thread until @p stop
  /// answers true, the client's clock reaches @p until, or no task is left;
  /// a pool with threads returns at once. For callers that interleave work
  /// of their own (run_shared's lease renewals) with the pool's.
  void drive_until(time_point until, const std::function<bool()> &stop) {
    if (!o_.own_threads) drive(stop, until);
  }

  /// @brief The counts now, taken together under the pool's lock.
  pool_progress progress() const {
    std::lock_guard<std::mutex> lk(m_);
    return snapshot_locked();
  }

  /// @brief The client the pool works with.
  Client &client() noexcept { return c_; }
  /// @brief The settings the pool was made with.
  const pool_options &config() const noexcept { return o_; }

private:
  template <class E, class Decoder> struct task final : detail::pool_node {
    using value_type = detail::decoder_value_t<Decoder>;
    task(task_pool &p, task_goal goal, call_options user, Decoder d, completion<value_type> done)
        : detail::pool_node(user.cancel), pool(p),
          co(p.machine_options(std::move(user), stop.token())), dec(std::move(d)),
          machine(p.c_, goal, co, dec),
          state(std::make_shared<detail::task_result_state<value_type>>()),
          on_done(std::move(done)) {}

    task_step start(std::optional<time_point> limit) override {
      if (limit) machine.limit_deadline(*limit);
      if (make_input) return {task_step::kind::send, duration(0)}; // started on a worker
      return machine.start();
    }
    task_step attempt() override {
      if (make_input) { // the input is read here, on a worker, when admitted
        auto body = make_input();
        make_input = nullptr;
        if (!body) return machine.fail(std::move(body.error()));
        machine.with_body(std::move(*body));
        auto s = machine.start();
        if (s.what != task_step::kind::send) return s;
      }
      return machine.attempt();
    }
    task_step resume() override { return machine.resume(); }
    task_step cancel() override { return machine.cancel(); }
    void complete() override {
      // The handle is made ready whatever user code throws here (the
      // decoder's finish, on_done); wait_all() rethrows it (fault()).
      std::exception_ptr thrown;
      std::optional<result<value_type>> r;
      try {
        r.emplace(machine.take_value());
        publish_id();
        if (on_done) on_done(*r);
      } catch (...) {
        thrown = std::current_exception();
        if (!r) r.emplace(error(error_kind::cancelled, "stopped: user code threw"));
      }
      state->set(std::move(*r));
      if (thrown) pool.fault(std::move(thrown)); // at once: the batches stop adding
    }
    detail::pool_label label() const override {
      if (goal_hidden) return detail::pool_label::hidden;
      using ph = typename task_machine<Client, E, Decoder>::phase;
      if (machine.current_phase() == ph::submit) return detail::pool_label::queued;
      const auto &st = machine.last_status();
      if (st.state != task_state::pending) return detail::pool_label::submitted;
      return taskfetch::detail::iequals(st.word, "Pending") ? detail::pool_label::pending
                                                            : detail::pool_label::processing;
    }
    bool succeeded() const override { return machine.succeeded(); }
    std::string id() const override { return machine.id(); }
    int last_http_status() const override { return machine.last_http_status(); }
    void publish_id() override {
      if (!id_published && !machine.id().empty()) {
        state->set_id(machine.id());
        id_published = true;
      }
    }
    std::optional<duration> last_retry_after() const override { return machine.last_retry_after(); }
    std::shared_ptr<detail::pool_node> service_cancel() override {
      auto n = std::make_shared<task<E, taskfetch::detail::no_result>>(
          pool, task_goal::cancel, call_options{}, taskfetch::detail::no_result{},
          completion<std::uint64_t>{});
      n->goal_hidden = true;
      n->machine.with_id(machine.id());
      return n;
    }

    task_pool &pool;
    call_options co;
    Decoder dec;
    task_machine<Client, E, Decoder> machine;
    std::shared_ptr<detail::task_result_state<value_type>> state;
    completion<value_type> on_done;
    std::function<result<std::string>()> make_input;
    std::unique_ptr<detail::poll_plan> plan; // the schedule of this task (machine points at it)
    bool goal_hidden = false;
    bool id_published = false;
  };

  // The machine's options: the caller's, with the pool's cancel token (the
  // handle cancels through it) and the pool's hooks added to the caller's.
  call_options machine_options(call_options co, cancel_token stop) {
    co.cancel = std::move(stop);
    auto user_request = std::move(co.on_request);
    co.on_request = [this, user_request](const request_event &ev) {
      requests_.fetch_add(1, std::memory_order_relaxed);
      if (o_.on_request) o_.on_request(ev);
      if (user_request) user_request(ev);
    };
    auto user_retry = std::move(co.on_retry);
    co.on_retry = [this, user_retry](const retry_event &ev) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      if (o_.on_retry) o_.on_retry(ev);
      if (user_retry) user_retry(ev);
    };
    return co;
  }

  template <class N> task_handle<typename N::value_type> add(std::shared_ptr<N> n) {
    task_handle<typename N::value_type> h(n->state);
    std::weak_ptr<detail::pool_node> weak = n;
    n->state->cancel = [this, weak](bool at_service) {
      if (auto sp = weak.lock()) cancel_node(sp, at_service);
    };
    if (!o_.own_threads)
      n->state->drive = [this](const std::function<bool()> &until) { drive(until); };
    enqueue(std::move(n));
    return h;
  }

  void enqueue(node_ptr n) {
    std::vector<node_ptr> ended;
    {
      std::lock_guard<std::mutex> lk(m_);
      ++live_;
      nodes_.insert(n);
      n->shown = n->label();
      count(n->shown, +1);
      queued_.push_back(std::move(n));
      admit_locked(ended);
    }
    work_cv_.notify_all();
    deliver(ended);
    report();
  }

  // --- under m_ -------------------------------------------------------------

  void admit_locked(std::vector<node_ptr> &ended) {
    while (!queued_.empty() && admitted_ < o_.max_outstanding) {
      node_ptr n = std::move(queued_.front());
      queued_.pop_front();
      n->admitted = true;
      ++admitted_;
      route_locked(n, n->start(deadline_), c_.clock().now(), ended);
    }
  }

  // Puts a task where its next step says; a task cancelled (through its
  // handle, the pool or the caller's own token) ends here instead.
  void route_locked(const node_ptr &n, task_step s, time_point now, std::vector<node_ptr> &ended) {
    if (s.what != task_step::kind::finished && (n->cancel_requested || n->user_cancel.cancelled() ||
                                                fault_seen_.load(std::memory_order_relaxed)))
      s = n->cancel();
    switch (s.what) {
    case task_step::kind::send:
      n->at = detail::pool_node::where::ready;
      ready_.push_back(n);
      break;
    case task_step::kind::wait: {
      n->at = detail::pool_node::where::timer;
      const time_point when = now + s.delay;
      const bool earliest = timers_.empty() || when < timers_.top().when;
      timers_.push(timer_entry{when, seq_++, n, ++n->gen});
      if (earliest) timer_cv_.notify_one();
      break;
    }
    case task_step::kind::finished:
      n->at = detail::pool_node::where::ended;
      if (n->admitted) --admitted_;
      ended.push_back(n);
      break;
    }
    relabel_locked(*n);
  }

  void relabel_locked(detail::pool_node &n) {
    detail::pool_label l = n.label();
    if (n.at == detail::pool_node::where::ended && l != detail::pool_label::hidden)
      l = n.succeeded() ? detail::pool_label::done : detail::pool_label::failed;
    if (l == n.shown) return;
    count(n.shown, -1);
    count(l, +1);
    n.shown = l;
    changed_ = true;
  }

  void count(detail::pool_label l, int d) {
    if (l == detail::pool_label::hidden) return;
    counts_[static_cast<std::size_t>(l)] += static_cast<std::size_t>(d);
  }

  // Moves the tasks whose wait is over to the ready queue.
  bool due_locked(time_point now, std::vector<node_ptr> &ended) {
    bool moved = false;
    while (!timers_.empty() && timers_.top().when <= now) {
      timer_entry t = timers_.top();
      timers_.pop();
      if (t.gen != t.node->gen || t.node->at != detail::pool_node::where::timer) continue;
      route_locked(t.node, t.node->resume(), now, ended);
      moved = true;
    }
    return moved;
  }

  // Takes one ready task if the rate allows; else says when it will.
  node_ptr take_locked(time_point now, std::optional<time_point> &wake) {
    if (ready_.empty()) return nullptr;
    const time_point at = rate_.ready_at(now);
    if (at > now) {
      wake = at;
      return nullptr;
    }
    rate_.take(now);
    node_ptr n = std::move(ready_.front());
    ready_.pop_front();
    n->at = detail::pool_node::where::flight;
    return n;
  }

  // After a request: tell the rate what the service said, route the next step.
  void finish_attempt_locked(const node_ptr &n, task_step s, time_point now,
                             std::vector<node_ptr> &ended) {
    n->publish_id();
    const int st = n->last_http_status();
    if (st != 0) {
      const auto ra = n->last_retry_after();
      rate_.on_answer(now, st == 429 || (st == 503 && ra), ra);
    }
    route_locked(n, s, now, ended);
    admit_locked(ended);
  }

  pool_progress snapshot_locked() const {
    pool_progress p;
    p.queued = counts_[0];
    p.submitted = counts_[1];
    p.pending = counts_[2];
    p.processing = counts_[3];
    p.done = counts_[4];
    p.failed = counts_[5];
    p.retries = retries_.load(std::memory_order_relaxed);
    p.requests = requests_.load(std::memory_order_relaxed);
    p.throttled = rate_.throttled();
    p.rate_limit = rate_.rate();
    return p;
  }

  // --- outside m_ -----------------------------------------------------------

  // Ended tasks: their callbacks and handles, then the DELETEs asked for.
  void deliver(std::vector<node_ptr> &ended) {
    for (auto &n : ended) {
      try {
        n->complete();
      } catch (...) {
        fault(std::current_exception());
      }
      node_ptr cancel_at_service;
      if (n->at_service && !n->succeeded() && !n->id().empty())
        cancel_at_service = n->service_cancel();
      {
        std::lock_guard<std::mutex> lk(m_);
        nodes_.erase(n);
        if (--live_ == 0) done_cv_.notify_all();
      }
      if (cancel_at_service) enqueue(std::move(cancel_at_service));
    }
    ended.clear();
  }

  void report() {
    if (!o_.on_progress) return;
    pool_progress p;
    {
      std::lock_guard<std::mutex> lk(m_);
      if (!changed_) return;
      changed_ = false;
      p = snapshot_locked();
    }
    std::exception_ptr thrown;
    {
      std::lock_guard<std::mutex> lk(report_m_);
      try {
        o_.on_progress(p);
      } catch (...) {
        thrown = std::current_exception();
      }
    }
    if (thrown) fault(std::move(thrown));
  }

  // User code threw on the pool's behalf: the first exception is kept for
  // wait_all(), and every task is cancelled (those added later too), as a
  // blocking call would have stopped. Never thrown on a worker, where it
  // would end the process.
  void fault(std::exception_ptr e) {
    {
      std::lock_guard<std::mutex> lk(m_);
      if (fault_seen_.load(std::memory_order_relaxed))
        return; // a later one (a cancelled task's callback, say)
      fault_seen_.store(true, std::memory_order_release);
      fault_ = std::move(e);
    }
    cancel_all();
  }

  // wait_all() without the rethrow (the destructor's).
  void wait_idle() {
    if (!o_.own_threads) drive([] { return false; });
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [&] { return live_ == 0; });
  }

  void cancel_node(const node_ptr &n, bool at_service) {
    std::vector<node_ptr> ended;
    {
      std::lock_guard<std::mutex> lk(m_);
      if (n->at == detail::pool_node::where::ended) return;
      n->at_service = n->at_service || at_service;
      n->cancel_requested = true;
      n->stop.cancel(); // stops a transfer in progress
      using w = detail::pool_node::where;
      if (n->at == w::queued) queued_.erase(std::find(queued_.begin(), queued_.end(), n));
      if (n->at == w::ready) ready_.erase(std::find(ready_.begin(), ready_.end(), n));
      if (n->at == w::timer) ++n->gen; // its timer entry goes stale
      // In flight, the worker ends it when the request returns.
      if (n->at != w::flight) route_locked(n, n->cancel(), c_.clock().now(), ended);
      admit_locked(ended);
    }
    work_cv_.notify_all();
    deliver(ended);
    report();
  }

  // One request of one ready task, on this thread; false when none may start.
  bool step_one(std::unique_lock<std::mutex> &lk, std::optional<time_point> &wake) {
    node_ptr n = take_locked(c_.clock().now(), wake);
    if (!n) return false;
    lk.unlock();
    task_step s;
    try {
      s = n->cancel_requested ? n->cancel() : n->attempt();
    } catch (...) { // the input maker's, a decoder's, a hook's
      s = n->cancel();
      // Before this task's end admits the next one.
      fault(std::current_exception());
    }
    std::vector<node_ptr> ended;
    lk.lock();
    finish_attempt_locked(n, s, c_.clock().now(), ended);
    changed_ = true;
    const bool more = !ready_.empty();
    lk.unlock();
    if (more) work_cv_.notify_one();
    deliver(ended);
    report();
    lk.lock();
    return true;
  }

  void worker_loop() {
    std::unique_lock<std::mutex> lk(m_);
    while (!stopping_) {
      std::optional<time_point> wake;
      if (step_one(lk, wake)) continue;
      if (wake)
        work_cv_.wait_until(lk, *wake);
      else
        work_cv_.wait(lk);
    }
  }

  // The timer's part, shared by the timer thread and a caller driving a
  // pool without threads: a fired cancel token, and the tasks whose wait is
  // over (@p moved). True when tasks ended (the lock was let go meanwhile).
  bool tend_locked(std::unique_lock<std::mutex> &lk, bool &moved) {
    if (o_.cancel.cancelled() && live_ > 0) {
      lk.unlock();
      cancel_all();
      lk.lock();
    }
    std::vector<node_ptr> ended;
    moved = due_locked(c_.clock().now(), ended);
    if (ended.empty()) return false;
    lk.unlock();
    deliver(ended);
    report();
    lk.lock();
    return true;
  }

  void timer_loop() {
    std::unique_lock<std::mutex> lk(m_);
    while (!stopping_) {
      bool moved = false;
      if (tend_locked(lk, moved)) continue;
      if (moved) work_cv_.notify_all();
      // A cancel token is only polled; nothing else wakes us for it.
      std::optional<time_point> until;
      if (!timers_.empty()) until = timers_.top().when;
      if (o_.cancel.can_fire()) {
        const auto poll = c_.clock().now() + std::chrono::milliseconds(50);
        until = until ? std::min(*until, poll) : poll;
      }
      if (until)
        timer_cv_.wait_until(lk, *until);
      else
        timer_cv_.wait(lk);
    }
  }

  // The pool without threads: this thread does the requests and the waits.
  void drive(const std::function<bool()> &until, std::optional<time_point> limit = {}) {
    std::lock_guard<std::mutex> one_driver(drive_m_);
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (until() || live_ == 0 || (limit && c_.clock().now() >= *limit)) return;
      bool moved = false;
      if (tend_locked(lk, moved)) continue;
      std::optional<time_point> wake;
      if (step_one(lk, wake) || moved) continue;
      if (!timers_.empty()) wake = wake ? std::min(*wake, timers_.top().when) : timers_.top().when;
      if (!wake) return; // nothing runnable and nothing to wait for
      if (limit) wake = std::min(*wake, *limit);
      const auto now = c_.clock().now();
      lk.unlock();
      c_.clock().sleep_for(std::max(duration(1), std::chrono::ceil<duration>(*wake - now)),
                           cancel_token{});
      lk.lock();
    }
  }

  struct timer_entry {
    time_point when;
    std::uint64_t seq; // equal times: first armed, first due
    node_ptr node;
    std::uint64_t gen;
    bool operator>(const timer_entry &o) const {
      return when != o.when ? when > o.when : seq > o.seq;
    }
  };

  Client &c_;
  pool_options o_;
  std::optional<time_point> deadline_;
  mutable std::mutex m_;
  std::mutex report_m_;
  std::mutex drive_m_;
  std::condition_variable work_cv_, timer_cv_, done_cv_;
  std::deque<node_ptr> queued_;
  std::deque<node_ptr> ready_;
  std::priority_queue<timer_entry, std::vector<timer_entry>, std::greater<>> timers_;
  std::unordered_set<node_ptr> nodes_;
  detail::adaptive_rate rate_;
  std::size_t counts_[6] = {};
  std::size_t admitted_ = 0;
  std::size_t live_ = 0;
  std::uint64_t seq_ = 0;
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> retries_{0};
  bool changed_ = false;
  bool stopping_ = false;
  // User code threw (fault()): written under m_, read without it by
  // faulted(), which batches call once per task.
  std::atomic<bool> fault_seen_{false};
  std::exception_ptr fault_; // ... and what, until wait_all() rethrows it
  std::thread timer_;
  std::vector<std::thread> workers_;
};

} // namespace taskfetch
