/// @file
/// @brief basic_client: transport, retry and clock policies composed into
/// submit / status / wait / fetch / cancel / run calls.
#pragma once

#include <taskfetch/clock.hpp>
#include <taskfetch/decoder.hpp>
#include <taskfetch/detail/envelope_scanner.hpp>
#include <taskfetch/detail/retry_after.hpp>
#include <taskfetch/detail/token_cache.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/envelope.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/retry.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace taskfetch {

namespace detail {

/// A decoder that wants no result: status() and wait() use it, so the data
/// is still validated but never kept.
struct no_result {
  using value_type = std::uint64_t;
  status begin(const fetch_info &) { return {}; }
  bool want(std::size_t) { return false; }
  status write(std::size_t, const char *, std::size_t) { return {}; }
  status end_result(std::size_t, std::string_view) { return {}; }
  result<std::uint64_t> finish() { return std::uint64_t{0}; }
  void abort() noexcept {}
};

/// Builds a person-readable message from an HTTP error answer: the status and
/// the ProblemDetails title/detail or {"error":...} when the body has them.
inline std::string describe_http_error(int status, const std::string &body) {
  std::string msg = "HTTP " + std::to_string(status);
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    for (const char *key : {"title", "detail", "error", "error_description"}) {
      const auto *v = find_member(j, key);
      if (v && v->is_string() && !v->get_ref<const std::string &>().empty())
        msg += std::string(msg.back() == ')' ? " " : ": ") + v->get<std::string>();
    }
  }
  return msg;
}

/// Task ids go into URLs: refuse the empty id and control characters before
/// any request, and percent-encode the rest.
inline result<std::string> id_query(std::string_view id) {
  if (id.empty()) return error(error_kind::invalid_argument, "task id is empty");
  if (has_control_chars(id))
    return error(error_kind::invalid_argument, "task id contains control characters");
  return "?id=" + percent_encode(id);
}

} // namespace detail

/// @brief A client of the task API, composed from policies:
/// @tparam Transport moves one HTTP request (docs/policies.md)
/// @tparam Retry decides whether and how long to wait after a failure or a
///         pending answer
/// @tparam Clock gives time and waits, so tests never sleep
///
/// All calls return result<T>; none throws. One client may be shared
/// between threads when its Transport is thread-safe (the shipped ones are).
template <class Transport, class Retry = standard_retry, class Clock = system_clock>
class basic_client {
  static_assert(check_transport<Transport>());
  static_assert(check_retry_policy<Retry>());
  static_assert(check_clock<Clock>());

public:
  /// @brief A client over an existing transport.
  basic_client(options opts, Transport transport, Retry retry = Retry{}, Clock clock = Clock{})
      : opts_(std::move(opts)), transport_(std::move(transport)), retry_(std::move(retry)),
        clock_(std::move(clock)) {}

  /// @brief The options the client was made with.
  const options &config() const noexcept { return opts_; }
  /// @brief The transport (for statistics or scripted tests).
  Transport &transport() noexcept { return transport_; }
  /// @brief The clock.
  Clock &clock() noexcept { return clock_; }

  /// @brief Sends the input; answers the new task's id.
  template <class E>
  result<std::string> submit(const typename endpoint_traits<E>::input &in,
                             const call_options &co = {}) {
    using T = endpoint_traits<E>;
    request req;
    req.method = http_method::post;
    req.target = std::string(T::submit_path());
    req.body = T::submit_body(in);
    req.content_type = "application/json";
    req.headers.emplace_back("Accept", "text/plain");
    operation op(*this, co);
    string_response resp;
    auto sent = op.send_with_retry(req, resp, /*idempotent=*/false);
    if (!sent) return op.finish_error(std::move(sent.error()), "submit");
    std::string id = trim_id(resp.body);
    if (id.empty() || detail::has_control_chars(id))
      return op.finish_error(
          error(error_kind::malformed_response, "submit answered no usable task id"), "submit");
    return id;
  }

  /// @brief One poll, no waiting: where the task stands now.
  template <class E> result<task_status> status(std::string_view id, const call_options &co = {}) {
    detail::no_result d;
    operation op(*this, co);
    auto polled = op.template poll<E>(id, d);
    if (!polled) return op.finish_error(std::move(polled.error()), ctx(id));
    return std::move(*polled);
  }

  /// @brief Polls until the task is finished (done, failed or not found).
  /// Done answers task_status; failed/not found answer an error.
  template <class E> result<task_status> wait(std::string_view id, const call_options &co = {}) {
    detail::no_result d;
    auto r = wait_and_decode<E>(id, d, co);
    if (!r) return r.error();
    return std::move(r->status);
  }

  /// @brief Waits for the task and decodes its result with the endpoint's
  /// default decoder.
  template <class E>
  result<typename endpoint_traits<E>::default_decoder::value_type>
  fetch(std::string_view id, const call_options &co = {}) {
    typename endpoint_traits<E>::default_decoder d{};
    return fetch<E>(id, d, co);
  }

  /// @brief Waits for the task and decodes its result with @p decoder.
  template <class E, class Decoder, class = std::enable_if_t<is_decoder_v<std::decay_t<Decoder>>>>
  result<typename std::decay_t<Decoder>::value_type> fetch(std::string_view id, Decoder &&decoder,
                                                           const call_options &co = {}) {
    auto r = wait_and_decode<E>(id, decoder, co);
    if (!r) return r.error();
    return std::move(r->value);
  }

  /// @brief Cancels the task (DELETE).
  template <class E> taskfetch::status cancel(std::string_view id, const call_options &co = {}) {
    auto q = detail::id_query(id);
    if (!q) return q.error();
    request req;
    req.method = http_method::del;
    req.target = std::string(endpoint_traits<E>::cancel_path()) + *q;
    operation op(*this, co);
    string_response resp;
    auto sent = op.send_with_retry(req, resp, /*idempotent=*/true);
    if (!sent) return op.finish_error(std::move(sent.error()), ctx(id));
    return {};
  }

  /// @brief Submits, waits and decodes with the default decoder.
  template <class E>
  result<typename endpoint_traits<E>::default_decoder::value_type>
  run(const typename endpoint_traits<E>::input &in, const call_options &co = {}) {
    typename endpoint_traits<E>::default_decoder d{};
    return run<E>(in, d, co);
  }

  /// @brief Submits, waits and decodes with @p decoder, under one deadline.
  template <class E, class Decoder, class = std::enable_if_t<is_decoder_v<std::decay_t<Decoder>>>>
  result<typename std::decay_t<Decoder>::value_type>
  run(const typename endpoint_traits<E>::input &in, Decoder &&decoder, call_options co = {}) {
    const auto start = clock_.now();
    auto id = submit<E>(in, co);
    if (!id) return id.error();
    // The fetch gets what is left of the one deadline.
    const auto used = std::chrono::duration_cast<duration>(clock_.now() - start);
    co.timeout = std::max(duration::zero(), co.timeout.value_or(opts_.timeout()) - used);
    return fetch<E>(*id, decoder, co);
  }

private:
  template <class V> struct decoded {
    task_status status;
    V value;
  };

  static std::string ctx(std::string_view id) { return "task " + std::string(id); }

  static std::string trim_id(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c) && c != '"'; };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
  }

  /// Bridges the transport's bytes to the envelope scanner and the scanner's
  /// result data to the decoder, with progress, deadline and cancellation.
  template <class Decoder>
  class fetch_handler : public response_handler, public detail::envelope_events {
  public:
    fetch_handler(Decoder &d, fetch_info info, const call_options &co, Clock &clock,
                  std::chrono::steady_clock::time_point deadline)
        : dec_(d), info_(info), co_(co), clock_(clock), deadline_(deadline), scanner_(*this) {}

    bool on_head(const response_head &h) override {
      head_ = h;
      received_ = 0;
      error_body_.clear();
      decoder_error_.reset();
      stop_reason_.reset();
      if (h.status != 200) return true;
      scanner_.reset();
      fetch_info info = info_;
      info.content_length = h.content_length;
      if (auto s = dec_.begin(info); !s) {
        decoder_error_ = s.error();
        return false;
      }
      began_ = true;
      return true;
    }
    bool on_body(const char *p, std::size_t n) override {
      received_ += n;
      if (head_.status != 200) {
        if (error_body_.size() < 65536)
          error_body_.append(p, std::min(n, 65536 - error_body_.size()));
        return true;
      }
      if (co_.cancel.cancelled()) {
        stop_reason_ = error_kind::cancelled;
        return false;
      }
      if (clock_.now() >= deadline_) {
        stop_reason_ = error_kind::timed_out;
        return false;
      }
      if (co_.on_progress) co_.on_progress(received_, head_.content_length);
      return scanner_.feed(p, n);
    }
    bool on_result_begin(std::size_t i) override { return dec_.want(i); }
    bool on_result_data(std::size_t i, const char *p, std::size_t n) override {
      if (auto s = dec_.write(i, p, n); !s) {
        decoder_error_ = s.error();
        return false;
      }
      return true;
    }
    bool on_result_end(std::size_t i, std::string_view type) override {
      if (auto s = dec_.end_result(i, type); !s) {
        decoder_error_ = s.error();
        return false;
      }
      return true;
    }
    /// The attempt failed or the task is not done: drop partial output.
    void discard() noexcept {
      if (began_) dec_.abort();
      began_ = false;
    }

    response_head head_;
    std::uint64_t received_ = 0;
    std::string error_body_;
    std::optional<error> decoder_error_;
    std::optional<error_kind> stop_reason_;
    Decoder &dec_;
    fetch_info info_;
    const call_options &co_;
    Clock &clock_;
    std::chrono::steady_clock::time_point deadline_;
    detail::envelope_scanner scanner_;
    bool began_ = false;
  };

  /// One operation: its deadline, retry state, attempt count and the
  /// once-per-operation token refresh.
  class operation {
  public:
    operation(basic_client &c, const call_options &co)
        : c_(c), co_(co), retry_(c.retry_.start()), start_(c.clock_.now()),
          deadline_(start_ + co.timeout.value_or(c.opts_.timeout())) {}

    std::size_t attempts() const noexcept { return attempts_; }
    std::chrono::steady_clock::time_point deadline() const { return deadline_; }

    error finish_error(error e, const std::string &context) {
      e.with_attempts(attempts_);
      if (!context.empty()) e.prefix(context);
      return e;
    }

    /// Waits @p d, clamped to the deadline; an error when the wait cannot
    /// finish before it or the caller cancels.
    taskfetch::status wait(duration d, const error *cause) {
      const auto now = c_.clock_.now();
      if (now >= deadline_) return timed_out();
      if (now + d > deadline_) {
        // Sleeping past the deadline is pointless: give up now, with the
        // failure that made us wait (a 503 with a huge Retry-After, say).
        if (cause) return *cause;
        return timed_out();
      }
      if (!c_.clock_.sleep_for(d, co_.cancel)) return cancelled();
      return {};
    }
    error timed_out() const {
      return error(error_kind::timed_out,
                   "not finished within " +
                       std::to_string(
                           std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - start_)
                               .count()) +
                       " ms");
    }
    duration time_left() const {
      return std::max(duration(1),
                      std::chrono::duration_cast<duration>(deadline_ - c_.clock_.now()));
    }
    static error cancelled() { return error(error_kind::cancelled, "cancelled by the caller"); }

    /// Sends one request with authentication, refreshing the token once on
    /// 401, and retries failures the policy allows. Non-idempotent requests
    /// (submit) are retried only when the server surely did not act on them.
    template <class Handler>
    taskfetch::status send_with_retry(request req, Handler &handler, bool idempotent) {
      const std::size_t auth_index = req.headers.size();
      req.headers.emplace_back("Authorization", "");
      bool refreshed = false;
      for (;;) {
        if (co_.cancel.cancelled()) return cancelled();
        if (c_.clock_.now() >= deadline_) return timed_out();
        auto tok = token(refreshed);
        if (!tok) {
          if (auto w = retry_after_failure(tok.error()); !w) return w;
          continue;
        }
        req.headers[auth_index].second = "Bearer " + *tok;
        req.time_left = time_left();
        auto outcome = send_once(req, handler);
        if (outcome) {
          retry_.on_success();
          return {};
        }
        error &e = outcome.error();
        if (e.kind() == error_kind::http_status && e.http_status() == 401) {
          if (refreshed || !c_.opts_.bearer_token().empty()) {
            return error(error_kind::auth, "the service refused the token: " + e.message())
                .with_http_status(401);
          }
          c_.tokens_.invalidate(*tok);
          refreshed = true;
          continue;
        }
        if (!idempotent && !safe_to_resend(e)) return e;
        if (auto w = retry_after_failure(e); !w) return w;
      }
    }

    /// One poll of the fetch path into @p dec.
    template <class E, class Decoder> result<task_status> poll(std::string_view id, Decoder &dec) {
      using T = endpoint_traits<E>;
      auto q = detail::id_query(id);
      if (!q) return q.error();
      request req;
      req.method = http_method::get;
      req.target = std::string(T::fetch_path()) + *q;
      req.headers.emplace_back("Accept", "application/json");
      fetch_info info;
      info.result_kind = T::result_kind();
      info.magic = T::magic();
      fetch_handler<Decoder> h(dec, info, co_, c_.clock_, deadline_);
      auto sent = send_with_retry(req, h, /*idempotent=*/true);
      if (!sent) {
        h.discard();
        return sent.error();
      }
      auto env = read_envelope(h.scanner_.take_fields(), h.scanner_.results_null(),
                               h.scanner_.result_count());
      if (!env) {
        h.discard();
        return env.error();
      }
      task_status st = T::state_of(*env);
      if (co_.on_status) co_.on_status(st);
      if (st.state != task_state::done) h.discard();
      return st;
    }

    /// Polls until terminal; on done the same answer's data went to @p dec.
    template <class E, class Decoder>
    result<task_status> wait_terminal(std::string_view id, Decoder &dec) {
      for (;;) {
        auto pr = poll<E>(id, dec);
        if (!pr) return pr.error();
        task_status &st = *pr;
        switch (st.state) {
        case task_state::done:
          if (st.result_count == 0) {
            dec.abort();
            return error(error_kind::malformed_response,
                         "the service reported \"" + st.word + "\" but sent no results");
          }
          return std::move(st);
        case task_state::pending: {
          auto elapsed = std::chrono::duration_cast<duration>(c_.clock_.now() - start_);
          auto delay = retry_.on_pending(elapsed);
          if (!delay) return timed_out();
          if (auto w = wait(*delay, nullptr); !w) return w.error();
          continue;
        }
        case task_state::failed:
          return error(error_kind::task_failed, st.messages.empty()
                                                    ? "the task failed (" + st.word + ")"
                                                    : "the task failed: " + join(st.messages))
              .with_service_messages(st.messages);
        case task_state::not_found:
          return error(error_kind::not_found,
                       "no such task (unknown id, cancelled, or older than 24 "
                       "hours; the service said \"" +
                           st.word + "\")")
              .with_service_messages(st.messages);
        case task_state::unknown:
          return error(error_kind::malformed_response,
                       st.word.empty() ? std::string("the answer has no status")
                                       : "unknown status word \"" + st.word + "\"");
        }
      }
    }

  private:
    static std::string join(const std::vector<std::string> &v) {
      std::string s;
      for (const auto &m : v) s += (s.empty() ? "" : "; ") + m;
      return s;
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

    taskfetch::status retry_after_failure(const error &e) {
      auto delay = retry_.on_failure(e);
      if (!delay) return e;
      duration d = *delay;
      if (auto ra = e.retry_after()) d = std::max(d, *ra);
      return wait(d, &e);
    }

    static const response_head &head_of(const string_response &r) { return r.head; }
    template <class D> static const response_head &head_of(const fetch_handler<D> &h) {
      return h.head_;
    }
    static const std::string &body_of(const string_response &r) { return r.body; }
    template <class D> static const std::string &body_of(const fetch_handler<D> &h) {
      return h.error_body_;
    }

    /// Why a 200 answer's body was refused, if it was.
    template <class D> std::optional<error> body_failure(fetch_handler<D> &h, bool delivered) {
      if (h.decoder_error_) return *h.decoder_error_;
      if (h.stop_reason_)
        return *h.stop_reason_ == error_kind::cancelled ? cancelled() : timed_out();
      auto &sc = h.scanner_;
      if (sc.error_code() == detail::scan_errc::none) {
        if (!delivered) return std::nullopt; // the transport's error says it
        if (sc.finish()) return std::nullopt;
      }
      if (sc.error_code() == detail::scan_errc::aborted && h.decoder_error_)
        return *h.decoder_error_;
      const auto kind = sc.error_code() == detail::scan_errc::too_large
                            ? error_kind::too_large
                            : error_kind::malformed_response;
      return error(kind, "bad answer at byte " + std::to_string(sc.error_offset()) + ": " +
                             sc.error_message());
    }

    /// One request and its classification into success or an error value.
    template <class Handler> taskfetch::status send_once(const request &req, Handler &handler) {
      ++attempts_;
      auto sent = c_.transport_.send(req, handler);
      const response_head &head = head_of(handler);
      if constexpr (!std::is_same_v<Handler, string_response>) {
        if (head.status == 200 || handler.decoder_error_)
          if (auto e = body_failure(handler, sent.has_value())) return *e;
      }
      if (!sent) return sent.error();
      const int st = head.status;
      if (st >= 200 && st < 300) return {};
      error e(error_kind::http_status, detail::describe_http_error(st, body_of(handler)));
      e.with_http_status(st);
      if (auto h = find_header(head.headers, "Retry-After"))
        e.with_retry_after(detail::parse_retry_after(*h, c_.clock_.wall_now()));
      return e;
    }

    result<std::string> token(bool force_refresh) {
      if (!c_.opts_.bearer_token().empty()) return c_.opts_.bearer_token();
      if (!force_refresh)
        if (auto t = c_.tokens_.get(c_.clock_.now())) return *t;
      std::lock_guard<std::mutex> lk(c_.refresh_m_);
      if (auto t = c_.tokens_.get(c_.clock_.now())) return *t; // another thread did it
      return c_.fetch_token(*this);
    }

    basic_client &c_;
    const call_options &co_;
    decltype(std::declval<const Retry &>().start()) retry_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point deadline_;
    std::size_t attempts_ = 0;

    friend class basic_client;
  };

  template <class E, class Decoder>
  result<decoded<typename std::decay_t<Decoder>::value_type>>
  wait_and_decode(std::string_view id, Decoder &dec, const call_options &co) {
    operation op(*this, co);
    auto st = op.template wait_terminal<E>(id, dec);
    if (!st) return op.finish_error(std::move(st.error()), ctx(id));
    auto v = dec.finish();
    if (!v) {
      dec.abort();
      return op.finish_error(std::move(v.error()), ctx(id));
    }
    return decoded<typename std::decay_t<Decoder>::value_type>{std::move(*st), std::move(*v)};
  }

  /// POST /connect/token; 400/401 are wrong credentials (auth, never
  /// retried); transport errors and 5xx go back to the retry loop.
  result<std::string> fetch_token(operation &op) {
    if (opts_.client_id().empty())
      return error(error_kind::auth, "no credentials: set options::credentials() or "
                                     "options::bearer_token()");
    request req;
    req.method = http_method::post;
    req.target = opts_.token_path();
    req.content_type = "application/x-www-form-urlencoded";
    req.headers.emplace_back("Accept", "application/json");
    req.body =
        "grant_type=client_credentials&client_id=" + detail::form_urlencode(opts_.client_id()) +
        "&client_secret=" + detail::form_urlencode(opts_.client_secret());
    string_response resp(1u << 20);
    req.time_left = op.time_left();
    ++op.attempts_;
    auto sent = transport_.send(req, resp);
    if (!sent) return std::move(sent.error());
    const int st = resp.head.status;
    if (st == 400 || st == 401 || st == 403)
      return error(error_kind::auth, "the token endpoint refused the credentials (" +
                                         detail::describe_http_error(st, resp.body) + ")")
          .with_http_status(st);
    if (st != 200) {
      error e(error_kind::http_status,
              "token endpoint: " + detail::describe_http_error(st, resp.body));
      e.with_http_status(st);
      if (auto h = find_header(resp.head.headers, "Retry-After"))
        e.with_retry_after(detail::parse_retry_after(*h, clock_.wall_now()));
      return e;
    }
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    const auto *tok = detail::find_member(j, "access_token");
    if (!tok || !tok->is_string() || tok->get_ref<const std::string &>().empty())
      return error(error_kind::auth, "the token endpoint sent no access_token")
          .with_http_status(st);
    std::chrono::seconds life(3600);
    if (const auto *ex = detail::find_member(j, "expires_in");
        ex && ex->is_number() && ex->get<double>() > 0)
      life = std::chrono::seconds(
          static_cast<long long>(std::min(ex->get<double>(), 365.0 * 24 * 3600)));
    std::string t = tok->get<std::string>();
    tokens_.put(t, clock_.now(), life);
    return t;
  }

  options opts_;
  Transport transport_;
  Retry retry_;
  Clock clock_;
  detail::token_cache tokens_;
  std::mutex refresh_m_;
};

} // namespace taskfetch
