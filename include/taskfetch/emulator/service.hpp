/// @file
/// @brief The emulated service itself: one emulator's state and what each request does to it.
///
/// The state is tasks, tokens, faults, log and rate limit; a request goes
/// from the rate limit and fault matching to the answer.
#pragma once

#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/detail/splitmix.hpp>
#include <taskfetch/emulator/delivery.hpp>
#include <taskfetch/emulator/faults.hpp>
#include <taskfetch/emulator/log.hpp>
#include <taskfetch/emulator/options.hpp>
#include <taskfetch/emulator/processor.hpp>
#include <taskfetch/emulator/rate_limit.hpp>
#include <taskfetch/emulator/routes.hpp>
#include <taskfetch/emulator/streamed_body.hpp>
#include <taskfetch/emulator/tasks.hpp>
#include <taskfetch/emulator/tokens.hpp>
#include <taskfetch/emulator/vocabulary.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace taskfetch::emulation::detail {

/// The time a task of body hash @p sha takes when options::task_ms_max
/// asks for varied times (0 ms when it does not): log-uniform between the
/// options' pending + processing time and task_ms_max, from the hash and
/// task_seed, so a rerun of the same inputs sees the same times.
inline std::chrono::milliseconds varied_task_ms(const options &o, const std::string &sha) {
  const long long lo = std::max<long long>(1, (o.pending_for + o.processing_for).count());
  const long long hi = o.task_ms_max.count();
  if (hi <= lo) return std::chrono::milliseconds(0);
  // The hash's first 64 bits, mixed with the seed: another seed, other times.
  const std::uint64_t x = taskfetch::detail::splitmix64(
      std::strtoull(sha.substr(0, 16).c_str(), nullptr, 16) ^ o.task_seed * 0x9E3779B97F4A7C15ULL);
  const double u = double(x >> 11) / double(1ULL << 53);
  const double ms =
      std::exp(std::log(double(lo)) + u * (std::log(double(hi)) - std::log(double(lo))));
  return std::chrono::milliseconds(std::clamp(static_cast<long long>(ms), lo, hi));
}

/// @brief One emulator's state and request handling, shared by the facade
/// and the server's handlers. Thread-safe.
class service {
public:
  /// @brief Fills in what @p o leaves empty: the system clock, the default
  /// processor, a chunk of at least 4 bytes.
  explicit service(options o) : opts(std::move(o)) {
    if (!opts.now) opts.now = [] { return std::chrono::system_clock::now(); };
    if (!opts.processor) opts.processor = default_processor;
    if (opts.stream_chunk < 4) opts.stream_chunk = 4;
  }
  service(const service &) = delete;
  service &operator=(const service &) = delete;

  options opts; // first: the stores below keep a reference to it
  task_store tasks{opts};
  token_store tokens{opts};
  fault_registry faults;
  request_log log{opts.log_limit, opts.log_file};
  rate_limit rate{opts.max_requests_per_second};
  std::atomic<bool> stopping{false}; // ends stalls and delays at once

  void handle(const httplib::Request &req, httplib::Response &res) {
    log_entry e;
    e.method = req.method;
    e.path = req.path;
    e.time = opts.now();
    std::string p = taskfetch::detail::ascii_lower(req.path);
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    route(p, req.method, e.kind, e.endpoint);
    e.task_id = req.get_param_value("id");
    if (!rate.admit(e.time)) { // before anything else: a gateway in front of the service
      problem(res, 429, "Too Many Requests",
              "more than " + std::to_string(opts.max_requests_per_second) + " requests per second",
              req.path);
      res.set_header("Retry-After", "1");
      if (e.kind.empty()) e.kind = "other";
      e.status = res.status;
      log.record(std::move(e));
      return;
    }
    if (e.kind.empty()) {
      e.kind = "other";
      problem(res, 404, "Not Found", "no such operation: " + req.method + " " + req.path, req.path);
      e.status = res.status;
      log.record(std::move(e));
      return;
    }
    const target t = e.kind == "token"    ? target::token
                     : e.kind == "submit" ? target::submit
                     : e.kind == "cancel" ? target::cancel
                                          : target::fetch;
    std::optional<fault> f = faults.take(t, e.endpoint, e.task_id);
    if (f) e.fault = fault_name(f->what);
    if (f && f->what == fault::kind::delay) {
      sleep_unless_stopping(stopping, f->stall);
      f.reset();
    }
    if (f && f->what == fault::kind::http_status) {
      problem(res, f->status, f->status == 429 ? "Too Many Requests" : "Injected fault",
              "the emulator was told to fail this request", req.path);
      if (!f->retry_after.empty()) res.set_header("Retry-After", f->retry_after);
      e.status = res.status;
      log.record(std::move(e));
      return;
    }
    if (f && f->what == fault::kind::revoke_token) tokens.revoke_all();
    if (t == target::token)
      token(req, res, f);
    else if (!tokens.admits(req.get_header_value("Authorization")))
      problem(res, 401, "Unauthorized", "missing, expired or revoked bearer token", req.path);
    else if (t == target::submit)
      submit(req, res, e, f);
    else if (t == target::cancel)
      cancel(res, e.endpoint, e.task_id);
    else
      answer(res, e.endpoint, e.task_id, e.kind == "status", f);
    e.status = res.status;
    log.record(std::move(e));
  }

private:
  void send(httplib::Response &res, std::string text, const char *content_type,
            const std::optional<fault> &f) {
    auto body = std::make_shared<streamed_body>();
    body->add_text(std::move(text));
    deliver(res, std::move(body), content_type, f, opts.stream_chunk, stopping);
  }

  // POST /connect/token: form-urlencoded, multipart, or HTTP Basic.
  void token(const httplib::Request &req, httplib::Response &res, const std::optional<fault> &f) {
    const token_request t = read_token_request(req);
    if (t.grant != "client_credentials") {
      res.status = 400;
      res.set_content(R"({"error":"unsupported_grant_type"})", "application/json");
      return;
    }
    if (t.id != opts.client_id || t.secret != opts.client_secret) {
      res.status = 400;
      res.set_content(R"({"error":"invalid_client"})", "application/json");
      return;
    }
    send(res, token_answer(tokens.issue(), opts.token_lifetime), "application/json", f);
  }

  void submit(const httplib::Request &req, httplib::Response &res, log_entry &e,
              const std::optional<fault> &f) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    auto bad = [&](const std::string &why) { problem(res, 400, "Bad Request", why, req.path); };
    if (!j.is_object()) return bad("the body is not a JSON object");
    submission s;
    s.endpoint = e.endpoint;
    s.body_sha256 = taskfetch::detail::sha256_hex(req.body);
    e.body_sha256 = s.body_sha256;
    if (!read_submission(j, s, bad)) return;
    task t;
    t.endpoint = e.endpoint;
    t.outcome = opts.processor(s);
    t.pending_for = opts.pending_for;
    t.processing_for = opts.processing_for;
    if (const auto ms = varied_task_ms(opts, s.body_sha256); ms.count()) {
      t.pending_for = ms / 3;
      t.processing_for = ms - ms / 3;
    }
    const auto run = t.pending_for + t.processing_for;
    e.task_ms = run.count();
    time_point started;
    e.task_id = tasks.add(std::move(t), s.body_sha256, true, &started);
    e.done = started + run;
    // The SDKs ask for JSON (a JSON string) or text (the bare id).
    const char *type = id_content_type(req.get_header_value("Accept"));
    send(res, std::strcmp(type, "text/plain") == 0 ? e.task_id : nlohmann::json(e.task_id).dump(),
         type, f);
  }

  void cancel(httplib::Response &res, const std::string &ep, const std::string &id) {
    if (!tasks.cancel(ep, id)) {
      problem(res, 404, "Not Found", "no such task: " + id);
      return;
    }
    res.status = 200; // httplib fills it in only after the log has read it
    res.set_content("", "text/plain");
  }

  // The fetch answer, streamed so large results never sit in memory twice.
  void answer(httplib::Response &res, const std::string &ep, const std::string &id,
              bool status_only, const std::optional<fault> &f) {
    deliver(res, fetch_answer(id, tasks.poll(ep, id), opts.omr_style, status_only, f),
            "application/json", f, opts.stream_chunk, stopping);
  }
};

} // namespace taskfetch::emulation::detail
