/// @file
/// @brief task_machine: one task's life (submit → poll → fetch and decode →
/// done / failed / not found) as a state machine that never blocks on time.
///
/// A driver asks start() for the first step and then carries out each step
/// it is given: `send` means "call attempt()" (one HTTP request, on whatever
/// thread may block on the network), `wait` means "call resume() after
/// `delay`" (or cancel() if the wait is cancelled), `finished` means the
/// outcome is ready. The retry policy decides every wait, the client's clock
/// gives every time. basic_client drives one machine on the calling thread
/// (run_here()); task_pool drives thousands from a timer queue and a few
/// worker threads.
#pragma once

#include <taskfetch/decoder.hpp>
#include <taskfetch/detail/fetch_handler.hpp>
#include <taskfetch/detail/http_error.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/envelope.hpp>
#include <taskfetch/events.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/poll_schedule.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/retry.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace taskfetch {

/// @brief What a task machine asks its driver to do next.
struct task_step {
  enum class kind {
    send,    ///< call attempt() (blocks on the network)
    wait,    ///< call resume() after `delay`, or cancel() if cancelled first
    finished ///< the outcome is ready
  };
  kind what = kind::finished; ///< send, wait or finished
  duration delay{0};          ///< for wait: how long
};

/// @brief What a machine is for: the blocking calls of basic_client.
enum class task_goal {
  submit, ///< POST the input; ends with the task id
  status, ///< one poll, whatever the state
  wait,   ///< poll until terminal; on done the result goes to the decoder
  run,    ///< submit, then wait
  cancel  ///< DELETE the task
};

namespace detail {
/// Task ids go into URLs: refuse the empty id and control characters before
/// any request, and percent-encode the rest.
inline result<std::string> id_query(std::string_view id) {
  if (id.empty()) return error(error_kind::invalid_argument, "task id is empty");
  if (has_control_chars(id))
    return error(error_kind::invalid_argument, "task id contains control characters");
  return "?id=" + percent_encode(id);
}

/// The submit answer's id: the body without surrounding white space or the
/// quotes of a JSON string answer.
inline std::string trim_id(std::string s) {
  auto keep = [](unsigned char c) { return !std::isspace(c) && c != '"'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), keep));
  s.erase(std::find_if(s.rbegin(), s.rend(), keep).base(), s.end());
  return s;
}
} // namespace detail

/// @brief One task's life over @p Client (a basic_client) for endpoint
/// @p E, decoding into @p Decoder, which the machine borrows.
///
/// Not thread-safe: one driver at a time (the pool hands a machine to one
/// worker or the timer queue, never both).
template <class Client, class E, class Decoder> class task_machine {
  static_assert(check_decoder<std::remove_const_t<Decoder>>());
  // A decoder that failed its check is never called below. GCC stops at the
  // static_assert; clang instantiates on, and each call to a missing member
  // would add an error after the one that names it.
  static constexpr bool decoder_ok = is_decoder_v<std::remove_const_t<Decoder>>;
  using traits = endpoint_traits<E>;
  using clock_type = std::decay_t<decltype(std::declval<Client &>().clock())>;
  using retry_state = std::decay_t<decltype(std::declval<Client &>().retry_policy().start())>;
  using time_point = std::chrono::steady_clock::time_point;

public:
  /// @brief Where the task is in its life.
  enum class phase { submit, poll, cancel, finished };

  /// @brief A machine for @p goal; @p co and @p dec must outlive it. Its
  /// deadline is co.deadline (or the client's) from now.
  task_machine(Client &c, task_goal goal, const call_options &co, Decoder &dec)
      : c_(c), goal_(goal), co_(co), dec_(dec), retry_(c.retry_policy().start()),
        time_allowed_(co.deadline.value_or(c.config().deadline())), phase_start_(c.clock().now()),
        deadline_(phase_start_ + time_allowed_),
        phase_(goal == task_goal::submit || goal == task_goal::run ? phase::submit
               : goal == task_goal::cancel                         ? phase::cancel
                                                                   : phase::poll) {}

  /// @brief The task to poll or cancel (goals status, wait, cancel).
  task_machine &with_id(std::string id) {
    id_ = std::move(id);
    return *this;
  }
  /// @brief The submit body (goals submit, run).
  task_machine &with_body(std::string body) {
    body_ = std::move(body);
    return *this;
  }
  /// @brief After a submit, wait the polling schedule's first interval
  /// before the first poll (a task is never done the moment it is accepted).
  /// The pool does this; the blocking run() polls at once, as it always has.
  task_machine &delay_first_poll(bool on) {
    delay_first_poll_ = on;
    return *this;
  }
  /// @brief Lets @p plan (a pool's poll schedule for this task, which must
  /// outlive the machine) move the pending polls after the submit; the retry
  /// policy still decides whether to go on.
  task_machine &plan_with(detail::poll_plan *plan) {
    plan_ = plan;
    return *this;
  }
  /// @brief Brings the deadline forward to @p t (a pool's own deadline).
  void limit_deadline(time_point t) {
    limit_ = t;
    deadline_ = std::min(deadline_, t);
  }

  /// @brief The first step. The deadline counts from here.
  task_step start() {
    phase_start_ = c_.clock().now();
    deadline_ = phase_start_ + time_allowed_;
    if (limit_) deadline_ = std::min(deadline_, *limit_);
    switch (goal_) {
    case task_goal::submit:
    case task_goal::run: return enter_submit();
    case task_goal::cancel: return enter_cancel();
    default: return enter_poll();
    }
  }

  /// @brief Sends one request (blocking) and decides what follows it.
  task_step attempt() {
    auto tok = c_.tokens().get(c_.transport(), c_.clock(), c_.config(), refreshed_, time_left(),
                               attempts_, co_.on_request);
    if (!tok) return after_failure(std::move(tok.error()));
    token_ = std::move(*tok);
    req_.headers[auth_index_].second = "Bearer " + token_;
    req_.time_left = time_left();
    if constexpr (decoder_ok) { // attempt_poll() feeds the decoder
      if (phase_ == phase::poll) return attempt_poll();
    }
    return attempt_plain();
  }

  /// @brief A wait ended: checks cancellation and the deadline, then sends.
  task_step resume() {
    if (co_.cancel.cancelled()) return finish(cancelled());
    const auto now = c_.clock().now();
    if (now >= deadline_) return finish(deadline_exceeded());
    // A planned poll the schedule now expects later waits on, without a
    // request, but never past the deadline.
    if (plan_ && pending_wait_)
      if (auto more = plan_->hold(now); more && now + *more < deadline_)
        return {task_step::kind::wait, *more};
    pending_wait_ = false;
    return {task_step::kind::send, duration(0)};
  }

  /// @brief The driver's wait was cancelled: the task ends as cancelled.
  task_step cancel() { return finish(cancelled()); }

  /// @brief Ends the task with @p e (the driver could not go on).
  task_step fail(error e) { return finish(std::move(e)); }

  /// @brief Drives the machine to its end on this thread, waiting with the
  /// client's clock: what the blocking calls do.
  void run_here() {
    for (task_step s = start(); s.what != task_step::kind::finished;)
      s = s.what == task_step::kind::send             ? attempt()
          : c_.clock().sleep_for(s.delay, co_.cancel) ? resume()
                                                      : cancel();
  }

  /// @brief Whether the outcome is ready.
  bool finished() const noexcept { return phase_ == phase::finished; }
  /// @brief Submitting, polling, cancelling or finished.
  phase current_phase() const noexcept { return phase_; }
  /// @brief The task id (known after submit, or given).
  const std::string &id() const noexcept { return id_; }
  /// @brief The status the last poll answered (default before any poll).
  const task_status &last_status() const noexcept { return status_; }
  /// @brief Why the task ended badly, with context and attempts; empty on success.
  const std::optional<error> &failure() const noexcept { return failure_; }
  /// @brief Requests made in the current phase (token requests included).
  std::size_t attempts() const noexcept { return attempts_; }
  /// @brief The HTTP status of the last answer (0: none).
  int last_http_status() const noexcept { return last_http_status_; }
  /// @brief The Retry-After of the last answer, if it had one.
  const std::optional<duration> &last_retry_after() const noexcept { return last_retry_after_; }
  /// @brief When the operation gives up: its deadline from start(),
  /// or a pool's, whichever comes first.
  time_point deadline() const noexcept { return deadline_; }
  /// @brief Whether the machine has a value to take (it finished without failure).
  bool succeeded() const noexcept { return phase_ == phase::finished && !failure_; }

  /// @brief The decoded value once finished: the failure, or the decoder's
  /// finish() (its own failure with the task's context).
  result<detail::decoder_value_t<Decoder>> take_value() {
    if (failure_) return *failure_;
    if constexpr (decoder_ok) {
      auto v = dec_.finish();
      if (!v) {
        dec_.abort();
        return contextualize(std::move(v.error()));
      }
      return v;
    } else { // not compiled into any program: check_decoder refused Decoder
      return error(error_kind::invalid_argument, "not a decoder");
    }
  }

private:
  task_step enter_submit() {
    phase_ = phase::submit;
    make_request(http_method::post, std::string(traits::submit_path()));
    req_.body = std::move(body_);
    req_.content_type = "application/json";
    req_.headers.emplace_back("Accept", "text/plain");
    return with_auth();
  }
  task_step enter_poll() {
    phase_ = phase::poll;
    auto q = detail::id_query(id_);
    if (!q) return finish(std::move(q.error()));
    make_request(http_method::get, std::string(traits::fetch_path()) + *q);
    req_.headers.emplace_back("Accept", "application/json");
    return with_auth();
  }
  task_step enter_cancel() {
    phase_ = phase::cancel;
    auto q = detail::id_query(id_);
    if (!q) { // refused before any request: no context to add
      failure_ = std::move(q.error());
      phase_ = phase::finished;
      return {};
    }
    make_request(http_method::del, std::string(traits::cancel_path()) + *q);
    return with_auth();
  }
  void make_request(http_method m, std::string target) {
    req_ = request{};
    req_.method = m;
    req_.target = std::move(target);
  }
  task_step with_auth() {
    auth_index_ = req_.headers.size();
    req_.headers.emplace_back("Authorization", "");
    return resume();
  }

  // One GET of the fetch path: the answer streams through the scanner into
  // the decoder; its small fields say where the task stands.
  task_step attempt_poll() {
    fetch_info info;
    info.result_kind = traits::result_kind();
    info.magic = traits::magic();
    detail::fetch_handler<Decoder, clock_type> h(dec_, info, co_, c_.clock(), deadline_);
    auto sent = send_once(h);
    began_ = began_ || h.began();
    if (!sent) return after_error(std::move(sent.error()));
    succeeded();
    auto &sc = h.scanner();
    auto env = read_envelope(sc.take_fields(), sc.results_null(), sc.result_count());
    if (!env) return finish(std::move(env.error()));
    status_ = traits::state_of(*env);
    if (co_.on_status) co_.on_status(status_);
    if (plan_ && (status_.state == task_state::done || status_.state == task_state::failed))
      plan_->on_done(c_.clock().now());
    if (status_.state != task_state::done) abort_decoder();
    if (goal_ == task_goal::status) return finish_ok();
    switch (status_.state) {
    case task_state::done:
      if (status_.result_count == 0)
        return finish(error(error_kind::malformed_response,
                            "the service reported \"" + status_.word + "\" but sent no results"));
      return finish_ok();
    case task_state::pending: {
      const auto elapsed = std::chrono::duration_cast<duration>(c_.clock().now() - phase_start_);
      auto delay = retry_.on_pending(elapsed);
      if (!delay) return finish(deadline_exceeded());
      return pending_wait(*delay);
    }
    case task_state::failed:
      return finish(error(error_kind::task_failed,
                          status_.messages.empty() ? "the task failed (" + status_.word + ")"
                                                   : "the task failed: " + join(status_.messages))
                        .with_service_messages(status_.messages));
    case task_state::not_found:
      return finish(error(error_kind::not_found,
                          "no such task (unknown id, cancelled, or older than 24 hours; the "
                          "service said \"" +
                              status_.word + "\")")
                        .with_service_messages(status_.messages));
    case task_state::unknown: break;
    }
    return finish(error(error_kind::malformed_response,
                        status_.word.empty() ? std::string("the answer has no status")
                                             : "unknown status word \"" + status_.word + "\""));
  }

  // One POST (submit) or DELETE (cancel); the answer is small.
  task_step attempt_plain() {
    string_response resp;
    if (plan_ && phase_ == phase::submit) plan_->on_sending(c_.clock().now());
    auto sent = send_once(resp);
    if (!sent) return after_error(std::move(sent.error()));
    succeeded();
    if (phase_ == phase::cancel) return finish_ok();
    std::string id = detail::trim_id(std::move(resp.body));
    if (id.empty() || detail::has_control_chars(id))
      return finish(error(error_kind::malformed_response, "submit answered no usable task id"));
    id_ = std::move(id);
    req_.body = std::string(); // the input may be large: not kept past its use
    if (co_.on_submitted)
      if (auto s = co_.on_submitted(id_); !s) return finish(std::move(s.error()));
    if (goal_ != task_goal::run) return finish_ok();
    // Polling starts now, with a fresh retry budget and schedule; the
    // deadline stays the whole run's.
    retry_ = c_.retry_policy().start();
    attempts_ = 0;
    phase_start_ = c_.clock().now();
    task_step first = enter_poll();
    if (!delay_first_poll_ || first.what != task_step::kind::send) return first;
    auto delay = retry_.on_pending(duration(0));
    if (!delay) return finish(deadline_exceeded());
    return pending_wait(*delay);
  }

  // The wait before the next poll of a pending task: the retry policy's,
  // moved by the pool's schedule when there is one.
  task_step pending_wait(duration standard) {
    pending_wait_ = plan_ != nullptr;
    return wait_for(plan_ ? plan_->on_pending(c_.clock().now(), standard) : standard, nullptr);
  }

  template <class Handler> result<void> send_once(Handler &h) {
    ++attempts_;
    const auto t0 = c_.clock().now();
    auto sent = c_.transport().send(req_, h);
    const response_head &head = head_of(h);
    std::optional<error> e;
    if constexpr (!std::is_same_v<Handler, string_response>) {
      if (head.status == 200)
        if (auto bf = h.body_failure(sent.has_value()))
          e = bf->kind() == error_kind::deadline_exceeded ? deadline_exceeded()
              : bf->kind() == error_kind::cancelled       ? cancelled()
                                                          : std::move(*bf);
    }
    if (!e && !sent) e = std::move(sent.error());
    if (!e && (head.status < 200 || head.status > 299))
      e = detail::http_status_error(head, body_of(h), c_.clock().wall_now());
    last_http_status_ = sent || head.status ? head.status : 0;
    last_retry_after_ = e ? e->retry_after() : std::nullopt;
    if (co_.on_request)
      co_.on_request(request_event{req_.method, req_.target, last_http_status_,
                                   std::chrono::duration_cast<duration>(c_.clock().now() - t0),
                                   e ? &*e : nullptr});
    if (e) return std::move(*e);
    return {};
  }

  void succeeded() {
    retry_.on_success();
    refreshed_ = false;
  }

  // A request failed: refresh the token once on 401, never resend a POST the
  // service may have acted on, otherwise ask the retry policy.
  task_step after_error(error e) {
    if (e.kind() == error_kind::http_status && e.http_status() == 401) {
      if (refreshed_ || !c_.config().bearer_token().empty())
        return finish(error(error_kind::auth, "the service refused the token: " + e.message())
                          .with_http_status(401));
      c_.tokens().invalidate(token_);
      refreshed_ = true;
      return resume();
    }
    if (phase_ == phase::submit && !safe_to_resend(e)) return finish(std::move(e));
    return after_failure(std::move(e));
  }

  task_step after_failure(error e) {
    pending_wait_ = false; // a retry is not a planned poll: no holding it back
    auto delay = retry_.on_failure(e);
    if (!delay) return finish(std::move(e));
    duration d = *delay;
    if (auto ra = e.retry_after()) d = std::max(d, *ra);
    task_step s = wait_for(d, &e);
    if (s.what == task_step::kind::wait && co_.on_retry) co_.on_retry(retry_event{e, d});
    return s;
  }

  // A wait clamped to the deadline: sleeping past it is pointless, so give
  // up now with the failure that made us wait (a 503 with a huge
  // Retry-After, say).
  task_step wait_for(duration d, const error *cause) {
    const auto now = c_.clock().now();
    if (now >= deadline_) return finish(deadline_exceeded());
    if (now + d > deadline_) return finish(cause ? *cause : deadline_exceeded());
    return {task_step::kind::wait, d};
  }

  task_step finish_ok() {
    phase_ = phase::finished;
    return {};
  }
  task_step finish(error e) {
    abort_decoder();
    failure_ = contextualize(std::move(e));
    phase_ = phase::finished;
    return {};
  }
  error contextualize(error e) const {
    e.with_attempts(attempts_);
    e.prefix(phase_ == phase::submit ? std::string("submit") : "task " + id_);
    return e;
  }
  void abort_decoder() noexcept {
    if constexpr (decoder_ok)
      if (began_) dec_.abort();
    began_ = false;
  }

  error deadline_exceeded() const {
    return error(error_kind::deadline_exceeded,
                 "not finished within " +
                     std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline_ - phase_start_)
                                        .count()) +
                     " ms");
  }
  static error cancelled() { return error(error_kind::cancelled, "cancelled by the caller"); }
  duration time_left() const {
    return std::max(duration(1),
                    std::chrono::duration_cast<duration>(deadline_ - c_.clock().now()));
  }

  // A POST the server may have acted on is not sent again (it would
  // submit, and bill, twice): only refused connections and answers that
  // say "not processed" are safe.
  static bool safe_to_resend(const error &e) {
    if (e.kind() == error_kind::transport) return e.transport_code() == transport_errc::connect;
    if (e.kind() == error_kind::http_status)
      return e.http_status() == 408 || e.http_status() == 429 || e.http_status() == 503;
    return false;
  }
  static std::string join(const std::vector<std::string> &v) {
    std::string s;
    for (const auto &m : v) s += (s.empty() ? "" : "; ") + m;
    return s;
  }
  static const response_head &head_of(const string_response &r) { return r.head; }
  template <class H> static const response_head &head_of(const H &h) { return h.head(); }
  static const std::string &body_of(const string_response &r) { return r.body; }
  template <class H> static const std::string &body_of(const H &h) { return h.error_body(); }

  Client &c_;
  task_goal goal_;
  const call_options &co_;
  Decoder &dec_;
  retry_state retry_;
  duration time_allowed_;
  std::optional<time_point> limit_;
  time_point phase_start_;
  time_point deadline_;
  phase phase_;
  request req_;
  std::size_t auth_index_ = 0;
  std::string id_;
  std::string body_;
  std::string token_;
  task_status status_;
  std::optional<error> failure_;
  std::size_t attempts_ = 0;
  int last_http_status_ = 0;
  std::optional<duration> last_retry_after_;
  bool refreshed_ = false;
  bool began_ = false;
  bool delay_first_poll_ = false;
  detail::poll_plan *plan_ = nullptr;
  bool pending_wait_ = false; // the current wait is a planned poll's
};

} // namespace taskfetch
