/// @file
/// @brief A transport that answers from an in-memory script, for unit tests of any client code.
///
/// For taskfetch's own tests and the user's; pair it with manual_clock.
#pragma once

#include <taskfetch/http.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch::testing {

/// @brief One scripted answer, or a transport failure.
struct scripted_reply {
  int status = 200;             ///< HTTP status
  header_list headers;          ///< response headers
  std::string body;             ///< response body
  std::optional<error> failure; ///< fail with this instead of answering
  /// Deliver only this many body bytes, then fail as a dropped connection.
  std::size_t cut_after = std::numeric_limits<std::size_t>::max();
  std::size_t chunk_size = 0;      ///< deliver the body in chunks of this size (0: whole)
  bool send_content_length = true; ///< put the body's size in the head

  /// @brief A JSON answer with status @p st.
  static scripted_reply json(int st, std::string body) {
    scripted_reply r;
    r.status = st;
    r.body = std::move(body);
    r.headers.emplace_back("Content-Type", "application/json");
    return r;
  }
  /// @brief A text/plain answer (submit's task id).
  static scripted_reply text(int st, std::string body) {
    scripted_reply r;
    r.status = st;
    r.body = std::move(body);
    r.headers.emplace_back("Content-Type", "text/plain");
    return r;
  }
  /// @brief A transport failure of class @p code.
  static scripted_reply fail(transport_errc code, std::string what = "scripted failure") {
    scripted_reply r;
    r.failure = error(error_kind::transport, std::move(what)).with_transport(code);
    return r;
  }
  /// @brief Adds a header; returns *this.
  scripted_reply &header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

/// @brief Answers requests from rules matched in order by method and target
/// prefix. Copies share one script, so a test keeps a copy after handing one
/// to a client. Serves /connect/token by itself unless told otherwise.
/// Thread-safe.
class scripted_transport {
public:
  /// @brief A rule used this many times is used up; `forever` never is.
  static constexpr std::size_t forever = 0;
  /// @brief Makes the answer from the request.
  using responder = std::function<scripted_reply(const request &)>;

  scripted_transport() : s_(std::make_shared<state>()) {}

  /// @brief Answers @p times requests of @p m whose target starts with
  /// @p prefix with @p r.
  scripted_transport &on(http_method m, std::string prefix, scripted_reply r,
                         std::size_t times = 1) {
    return on(
        m, std::move(prefix), [r](const request &) { return r; }, times);
  }
  /// @brief Answers with whatever @p fn makes of the request.
  scripted_transport &on(http_method m, std::string prefix, responder fn, std::size_t times = 1) {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->rules.push_back(rule{m, std::move(prefix), std::move(fn), times, 0});
    return *this;
  }
  /// @brief Whether /connect/token is answered automatically ("token-N",
  /// lifetime @p expires_in seconds); on by default.
  scripted_transport &serve_tokens(bool on, long expires_in = 3600) {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->tokens = on;
    s_->token_life = expires_in;
    return *this;
  }
  /// @brief Every request sent, in order.
  std::vector<request> requests() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->log;
  }
  /// @brief Requests whose target starts with @p prefix.
  std::size_t count(std::string_view prefix) const {
    std::lock_guard<std::mutex> lk(s_->m);
    return static_cast<std::size_t>(
        std::count_if(s_->log.begin(), s_->log.end(), [&](const request &r) {
          return std::string_view(r.target).substr(0, prefix.size()) == prefix;
        }));
  }
  /// @brief Tokens handed out so far.
  std::size_t tokens_issued() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->issued;
  }
  /// @brief Requests no rule matched (answered 599 "unscripted").
  std::size_t unmatched() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->unmatched;
  }

  /// @brief The transport requirement: answers from the script.
  send_result send(const request &req, response_handler &h) {
    scripted_reply r;
    {
      std::unique_lock<std::mutex> lk(s_->m);
      s_->log.push_back(req);
      rule *hit = nullptr;
      for (auto &ru : s_->rules)
        if (ru.method == req.method &&
            std::string_view(req.target).substr(0, ru.prefix.size()) == ru.prefix &&
            (ru.times == forever || ru.used < ru.times)) {
          hit = &ru;
          break;
        }
      if (hit) {
        ++hit->used;
        auto fn = hit->fn;
        lk.unlock();
        r = fn(req);
      } else if (s_->tokens && req.method == http_method::post &&
                 req.target.find("/connect/token") != std::string::npos) {
        r = scripted_reply::json(200, "{\"access_token\":\"token-" + std::to_string(++s_->issued) +
                                          "\",\"expires_in\":" + std::to_string(s_->token_life) +
                                          ",\"token_type\":\"Bearer\"}");
      } else {
        ++s_->unmatched;
        r = scripted_reply::json(599, "{\"title\":\"unscripted request " +
                                          std::string(to_string(req.method)) + " " + req.target +
                                          "\"}");
      }
    }
    if (r.failure && r.cut_after == std::numeric_limits<std::size_t>::max()) return *r.failure;
    response_head head;
    head.status = r.status;
    head.headers = r.headers;
    if (r.send_content_length) head.content_length = r.body.size();
    if (!h.on_head(head))
      return error(error_kind::transport, "transfer stopped by the receiver")
          .with_transport(transport_errc::aborted);
    const std::size_t total = std::min(r.body.size(), r.cut_after);
    const std::size_t step = r.chunk_size ? r.chunk_size : std::max<std::size_t>(total, 1);
    for (std::size_t at = 0; at < total; at += step) {
      if (!h.on_body(r.body.data() + at, std::min(step, total - at)))
        return error(error_kind::transport, "transfer stopped by the receiver")
            .with_transport(transport_errc::aborted);
    }
    if (total < r.body.size())
      return r.failure ? *r.failure
                       : error(error_kind::transport, "connection closed mid-body")
                             .with_transport(transport_errc::closed);
    return {};
  }

private:
  struct rule {
    http_method method;
    std::string prefix;
    responder fn;
    std::size_t times;
    std::size_t used;
  };
  struct state {
    std::mutex m;
    std::vector<rule> rules;
    std::vector<request> log;
    bool tokens = true;
    long token_life = 3600;
    std::size_t issued = 0;
    std::size_t unmatched = 0;
  };
  std::shared_ptr<state> s_;
};

} // namespace taskfetch::testing
