/// @file
/// @brief Bearer tokens from POST /connect/token: cached, and fetched by one caller at a time.
#pragma once

#include <taskfetch/detail/http_error.hpp>
#include <taskfetch/detail/token_cache.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/events.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

namespace taskfetch::detail {

/// Where every request of one client gets its bearer token. Thread-safe.
class token_source {
public:
  /// The token to send: the fixed bearer token, the cached one, or a new one
  /// fetched through @p transport (counted in @p attempts). With
  /// @p force_refresh the cache is skipped (a 401 proved it stale).
  template <class Transport, class Clock>
  result<std::string> get(Transport &transport, const Clock &clock, const options &opts,
                          bool force_refresh, duration time_left, std::size_t &attempts,
                          const std::function<void(const request_event &)> &on_request = {}) {
    if (!opts.bearer_token().empty()) return opts.bearer_token();
    if (!force_refresh)
      if (auto t = cache_.get(clock.now())) return *t;
    std::lock_guard<std::mutex> lk(refresh_m_);
    if (auto t = cache_.get(clock.now())) return *t; // another thread did it
    return fetch(transport, clock, opts, time_left, attempts, on_request);
  }
  /// Drops @p token if it is still the cached one.
  void invalidate(const std::string &token) { cache_.invalidate(token); }

private:
  /// POST /connect/token; 400/401/403 are wrong credentials (auth, never
  /// retried); transport errors and 5xx go back to the retry loop.
  template <class Transport, class Clock>
  result<std::string> fetch(Transport &transport, const Clock &clock, const options &opts,
                            duration time_left, std::size_t &attempts,
                            const std::function<void(const request_event &)> &on_request) {
    if (opts.client_id().empty())
      return error(error_kind::auth, "no credentials: set options::credentials() or "
                                     "options::bearer_token()");
    request req;
    req.method = http_method::post;
    req.target = opts.token_path();
    req.content_type = "application/x-www-form-urlencoded";
    req.headers.emplace_back("Accept", "application/json");
    req.body = "grant_type=client_credentials&client_id=" + form_urlencode(opts.client_id()) +
               "&client_secret=" + form_urlencode(opts.client_secret());
    req.time_left = time_left;
    string_response resp(1u << 20);
    ++attempts;
    const auto t0 = clock.now();
    auto sent = transport.send(req, resp);
    if (on_request)
      on_request(request_event{req.method, req.target, sent ? resp.head.status : 0,
                               std::chrono::duration_cast<duration>(clock.now() - t0),
                               sent ? nullptr : &sent.error()});
    if (!sent) return std::move(sent.error());
    const int st = resp.head.status;
    if (st == 400 || st == 401 || st == 403)
      return error(error_kind::auth, "the token endpoint refused the credentials (" +
                                         describe_http_error(st, resp.body) + ")")
          .with_http_status(st);
    if (st != 200)
      return http_status_error(resp.head, resp.body, clock.wall_now(), "token endpoint: ");
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    const auto *tok = find_member(j, "access_token");
    if (!tok || !tok->is_string() || tok->get_ref<const std::string &>().empty())
      return error(error_kind::auth, "the token endpoint sent no access_token")
          .with_http_status(st);
    std::chrono::seconds life(3600);
    if (const auto *ex = find_member(j, "expires_in");
        ex && ex->is_number() && ex->get<double>() > 0)
      life = std::chrono::seconds(
          static_cast<long long>(std::min(ex->get<double>(), 365.0 * 24 * 3600)));
    std::string t = tok->get<std::string>();
    cache_.put(t, clock.now(), life);
    return t;
  }

  token_cache cache_;
  std::mutex refresh_m_;
};

} // namespace taskfetch::detail
