/// @file
/// @brief The built-in emulator of the task API: a cpp-httplib server on
/// loopback speaking contract.md (tokens, submit/fetch/cancel of the three
/// operations, 24-hour retention), with scripted schedules, a replaceable
/// processor, fault injection and a request log. For offline tests and demos.
#pragma once

#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/retry_after.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/emulator/processor.hpp>
#include <taskfetch/result.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace taskfetch {

/// @brief The emulated service. start() binds and serves on a background
/// thread; stop() (or the destructor) ends it. Thread-safe.
class emulator {
public:
  using submission = emulation::submission; ///< what a task was given
  using processed = emulation::processed;   ///< how a task ends
  using time_point = std::chrono::system_clock::time_point; ///< emulator time

  /// @brief Status words of OMR answers: the seed's or the SDK enum's.
  enum class omr_words { seed, sdk };

  /// @brief Settings.
  struct options {
    std::string host = "127.0.0.1";            ///< loopback address to bind
    int port = 0;                              ///< 0: a free port
    std::string client_id = "demo-client";     ///< accepted credentials
    std::string client_secret = "demo-secret"; ///< accepted credentials
    std::chrono::seconds token_lifetime{3600}; ///< expires_in of tokens
    std::chrono::milliseconds pending_for{300};    ///< time in Pending after submit
    std::chrono::milliseconds processing_for{700}; ///< then in Processing
    std::chrono::hours retention{24};          ///< tasks vanish after this
    omr_words omr_style = omr_words::seed;     ///< OMR status vocabulary
    std::function<time_point()> now;           ///< clock; system_clock by default
    std::string cert_file, key_file;           ///< both set: HTTPS
    std::function<processed(const submission &)> processor; ///< default_processor when empty
    std::size_t threads = 8;                   ///< server worker threads
    std::size_t log_limit = 10000;             ///< request log entries kept
    std::string log_file;                      ///< also append the log here (JSON lines)
    /// Idle keep-alive connections close after this; stop() waits for open
    /// ones, so close clients before stopping.
    std::chrono::seconds keep_alive_timeout{5};
  };

  /// @brief Where a fault applies.
  enum class target { any, token, submit, fetch, cancel };

  /// @brief One injected fault (see docs/emulator.md).
  struct fault {
    /// @brief What goes wrong.
    enum class kind {
      http_status,    ///< answer `status` (with Retry-After if set) instead
      drop_mid_body,  ///< send `after_bytes` of the answer, then close
      truncate_body,  ///< send all but the last `after_bytes`, then close
      stall_body,     ///< send `after_bytes`, stall `stall`, then the rest
      malformed_json, ///< a cut-off JSON document with a correct length
      invalid_base64, ///< a '!' inside results[0].data
      unknown_status, ///< status word "Frobnicating"
      revoke_token,   ///< every issued token stops working (this call: 401)
      delay,          ///< wait `stall` before answering
      wrong_shape,    ///< results is an object, not a list
    };
    kind what = kind::http_status; ///< the fault
    target on = target::fetch;     ///< which requests
    std::string task_id;           ///< only this task ("" any)
    int status = 503;              ///< http_status: the code
    std::string retry_after;       ///< http_status: Retry-After value ("" none)
    std::size_t after_bytes = 64;  ///< body faults: where
    std::chrono::milliseconds stall{2000}; ///< stall_body, delay: how long
    std::size_t times = 1;         ///< how many requests; 0 = every one
  };

  /// @brief A preloaded task (add_task).
  struct task_spec {
    processed outcome = processed::completed("Csv", "0,1\n");  ///< its end
    std::chrono::milliseconds pending_for{0};    ///< Pending this long
    std::chrono::milliseconds processing_for{0}; ///< then Processing this long
    std::string id;                              ///< "" makes a GUID
  };

  /// @brief One logged request.
  struct log_entry {
    std::string method;      ///< GET, POST, DELETE
    std::string path;        ///< path as sent
    std::string kind;        ///< token, submit, fetch, cancel, status, other
    std::string endpoint;    ///< recognize-table, ... or ""
    std::string task_id;     ///< the id asked for, or created
    std::string body_sha256; ///< submits: SHA-256 of the body
    int status = 0;          ///< HTTP status answered
  };

  /// @brief An emulator with default options.
  emulator() : emulator(options{}) {}
  /// @brief An emulator with @p o.
  explicit emulator(options o) : s_(std::make_shared<state>()) {
    s_->opts = std::move(o);
    if (!s_->opts.now) s_->opts.now = [] { return std::chrono::system_clock::now(); };
    if (!s_->opts.processor) s_->opts.processor = emulation::default_processor;
  }
  ~emulator() { stop(); }
  emulator(const emulator &) = delete;
  emulator &operator=(const emulator &) = delete;

  /// @brief Binds and starts serving; an error if the port cannot be bound.
  status start() {
    if (server_) return {};
    const auto &o = s_->opts;
    if (!o.cert_file.empty() && !o.key_file.empty()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      server_ = std::make_unique<httplib::SSLServer>(o.cert_file.c_str(), o.key_file.c_str());
      tls_ = true;
      if (!server_->is_valid())
        return error(error_kind::invalid_argument, "emulator: cannot load the TLS certificate or key");
#else
      return error(error_kind::invalid_argument, "emulator: built without OpenSSL");
#endif
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    const std::size_t threads = o.threads ? o.threads : 1;
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_->set_tcp_nodelay(true);
    server_->set_keep_alive_max_count(1000000);
    server_->set_keep_alive_timeout(static_cast<time_t>(o.keep_alive_timeout.count()));
    server_->set_payload_max_length(std::size_t{1} << 30);
    auto st = s_;
    auto handler = [st](const httplib::Request &req, httplib::Response &res) { st->handle(req, res); };
    server_->Get(".*", handler);
    server_->Post(".*", handler);
    server_->Delete(".*", handler);
    if (o.port == 0) {
      port_ = server_->bind_to_any_port(o.host);
      if (port_ <= 0) return bind_error();
    } else {
      if (!server_->bind_to_port(o.host.c_str(), o.port)) return bind_error();
      port_ = o.port;
    }
    s_->stopping = false;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
  }

  /// @brief Stops serving; in-flight stalls end at once.
  void stop() {
    if (!server_) return;
    s_->stopping = true;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  /// @brief "http://127.0.0.1:PORT" (https with a certificate).
  std::string base_url() const {
    const auto &h = s_->opts.host;
    const bool v6 = h.find(':') != std::string::npos;
    return std::string(tls_ ? "https" : "http") + "://" + (v6 ? "[" + h + "]" : h) + ":" +
           std::to_string(port_);
  }
  /// @brief The bound port.
  int port() const noexcept { return port_; }
  /// @brief The options in use.
  const options &config() const noexcept { return s_->opts; }

  /// @brief Adds a task directly, bypassing submit (tests, benchmarks).
  std::string add_task(std::string_view endpoint, task_spec spec) {
    return s_->add(std::string(endpoint), std::move(spec.outcome), spec.pending_for,
                   spec.processing_for, std::move(spec.id), "");
  }
  /// @brief Injects a fault.
  void inject(fault f) {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->faults.push_back({std::move(f), 0});
  }
  /// @brief Removes all faults.
  void clear_faults() {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->faults.clear();
  }
  /// @brief The latest requests (up to options::log_limit).
  std::vector<log_entry> log() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return {s_->log.begin(), s_->log.end()};
  }
  /// @brief Submissions seen per body SHA-256 (duplicates show as > 1).
  std::map<std::string, std::size_t> submissions() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->submits;
  }
  /// @brief Requests served so far.
  std::size_t requests() const noexcept { return s_->served.load(); }
  /// @brief Tasks currently held.
  std::size_t task_count() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->tasks.size();
  }
  /// @brief Drops every issued token (the next call answers 401).
  void revoke_tokens() {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->tokens.clear();
  }

private:
  error bind_error() {
    server_.reset();
    return error(error_kind::transport, "emulator: cannot bind " + s_->opts.host + ":" +
                                            std::to_string(s_->opts.port))
        .with_transport(transport_errc::connect);
  }

  // An answer as text pieces and base64-encoded byte strings, read by range.
  struct streamed_body {
    struct piece {
      std::string text;
      std::shared_ptr<const std::string> bytes; // encoded on the fly when set
      std::uint64_t size;
    };
    std::vector<piece> pieces;
    std::uint64_t total = 0;
    void add_text(std::string t) {
      const auto n = t.size();
      pieces.push_back({std::move(t), nullptr, n});
      total += n;
    }
    void add_base64(std::shared_ptr<const std::string> b) {
      const std::uint64_t n = (b->size() + 2) / 3 * 4;
      pieces.push_back({std::string(), std::move(b), n});
      total += n;
    }
    std::uint64_t size() const { return total; }
    // Keeps only the first n bytes (a cut-off document).
    void cut_to(std::uint64_t n) {
      std::string all = read(0, static_cast<std::size_t>(std::min(n, total)));
      pieces.clear();
      total = 0;
      add_text(std::move(all));
    }
    std::string read(std::uint64_t off, std::size_t len) const {
      std::string out;
      out.reserve(len);
      std::uint64_t base = 0;
      for (const auto &p : pieces) {
        if (out.size() == len) break;
        if (off < base + p.size) {
          const std::uint64_t from = off + out.size() - base;
          const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(p.size - from, len - out.size()));
          if (!p.bytes) {
            out.append(p.text, static_cast<std::size_t>(from), want);
          } else {
            // Encode the 3-byte groups covering [from, from+want) and cut.
            const std::uint64_t g0 = from / 4, g1 = (from + want + 3) / 4;
            const std::size_t s0 = static_cast<std::size_t>(g0 * 3);
            const std::size_t s1 = static_cast<std::size_t>(std::min<std::uint64_t>(g1 * 3, p.bytes->size()));
            std::string enc;
            taskfetch::detail::base64_encode_append(enc, p.bytes->data() + s0, s1 - s0);
            out.append(enc, static_cast<std::size_t>(from - g0 * 4), want);
          }
        }
        base += p.size;
      }
      return out;
    }
  };

  struct task {
    std::string id, endpoint;
    time_point submitted;
    std::chrono::milliseconds pending_for{0}, processing_for{0};
    processed outcome;
    bool cancelled = false;
  };
  struct armed_fault {
    fault f;
    std::size_t used;
  };

  struct state {
    options opts;
    mutable std::mutex m;
    std::unordered_map<std::string, task> tasks;
    std::unordered_map<std::string, time_point> tokens; // token -> expiry
    std::vector<armed_fault> faults;
    std::deque<log_entry> log;
    std::map<std::string, std::size_t> submits;
    std::atomic<std::size_t> served{0};
    std::atomic<bool> stopping{false};
    std::mt19937_64 rng{std::random_device{}()};

    std::string guid() {
      std::uniform_int_distribution<std::uint64_t> d;
      const std::uint64_t a = d(rng), b = d(rng);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-%04llx-%012llx",
                    static_cast<unsigned long long>(a >> 32),
                    static_cast<unsigned long long>((a >> 16) & 0xFFFF),
                    static_cast<unsigned long long>(a & 0xFFF),
                    static_cast<unsigned long long>(0x8000 | ((b >> 48) & 0x3FFF)),
                    static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
      return buf;
    }

    std::string add(std::string endpoint, processed outcome, std::chrono::milliseconds pending,
                    std::chrono::milliseconds processing, std::string id, const std::string &body_hash) {
      std::lock_guard<std::mutex> lk(m);
      if (id.empty()) id = guid();
      const auto now = opts.now();
      // Forget tasks past retention so a long run stays in bounded memory.
      if (tasks.size() % 1024 == 0)
        for (auto it = tasks.begin(); it != tasks.end();)
          it = now - it->second.submitted > opts.retention ? tasks.erase(it) : std::next(it);
      tasks[id] = task{id, std::move(endpoint), now, pending, processing, std::move(outcome), false};
      if (!body_hash.empty()) ++submits[body_hash];
      return id;
    }

    // Consumes the first fault matching (target, id); nullopt if none.
    std::optional<fault> take_fault(target t, const std::string &id) {
      std::lock_guard<std::mutex> lk(m);
      for (auto it = faults.begin(); it != faults.end(); ++it) {
        const fault &f = it->f;
        if (f.on != target::any && f.on != t) continue;
        if (!f.task_id.empty() && f.task_id != id) continue;
        fault copy = f;
        if (f.times != 0 && ++it->used >= f.times) faults.erase(it);
        return copy;
      }
      return std::nullopt;
    }

    void record(log_entry e) {
      ++served;
      std::lock_guard<std::mutex> lk(m);
      if (!opts.log_file.empty()) {
        nlohmann::json j{{"method", e.method}, {"path", e.path}, {"kind", e.kind},
                         {"endpoint", e.endpoint}, {"task", e.task_id}, {"body_sha256", e.body_sha256},
                         {"status", e.status}};
        if (FILE *f = std::fopen(opts.log_file.c_str(), "a")) {
          const std::string line = j.dump() + "\n";
          std::fwrite(line.data(), 1, line.size(), f);
          std::fclose(f);
        }
      }
      log.push_back(std::move(e));
      while (log.size() > opts.log_limit) log.pop_front();
    }

    static void problem(httplib::Response &res, int status, const std::string &title,
                        const std::string &detail) {
      res.status = status;
      nlohmann::json j{{"type", "https://httpstatuses.io/" + std::to_string(status)},
                       {"title", title}, {"status", status}, {"detail", detail}, {"instance", nullptr}};
      res.set_content(j.dump(), "application/problem+json");
    }

    bool authorized(const httplib::Request &req) {
      const auto h = req.get_header_value("Authorization");
      if (h.size() < 8 || !taskfetch::detail::iequals(h.substr(0, 7), "Bearer ")) return false;
      std::lock_guard<std::mutex> lk(m);
      auto it = tokens.find(h.substr(7));
      return it != tokens.end() && opts.now() < it->second;
    }

    static std::string lower(std::string s) {
      for (auto &c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      return s;
    }

    void handle(const httplib::Request &req, httplib::Response &res) {
      log_entry e;
      e.method = req.method;
      e.path = req.path;
      std::string p = lower(req.path);
      while (p.size() > 1 && p.back() == '/') p.pop_back();
      const bool get = req.method == "GET", post = req.method == "POST", del = req.method == "DELETE";
      target t = target::any;
      std::string ep;
      if (p == "/connect/token" && post) {
        e.kind = "token";
        t = target::token;
      } else if (p == "/v5.0/ocr/utilities/gettaskstatus" && get) {
        e.kind = "status";
        t = target::fetch;
      } else if (p == "/v5.0/ocr/recognizetable" || p == "/v5.0/recognizetable") {
        ep = "recognize-table";
      } else if (p == "/v5.0/ocr/djvu2pdf" || p == "/v5.0/djvu2pdf") {
        ep = "djvu2pdf";
      } else if ((p == "/v5.0/omr/recognizetemplate/postrecognizetemplate" && post) ||
                 (p == "/v5.0/omr/recognizetemplate/getrecognizetemplate" && get) ||
                 (p == "/v5.0/omr/recognizetemplate" && del)) {
        ep = "recognize-template";
      }
      if (!ep.empty()) {
        if (post) e.kind = "submit", t = target::submit;
        else if (get) e.kind = "fetch", t = target::fetch;
        else if (del) e.kind = "cancel", t = target::cancel;
      }
      e.endpoint = ep;
      e.task_id = req.get_param_value("id");
      if (e.kind.empty()) {
        e.kind = "other";
        problem(res, 404, "Not Found", "no such operation: " + req.method + " " + req.path);
        e.status = res.status;
        record(std::move(e));
        return;
      }
      std::optional<fault> f = take_fault(t, e.task_id);
      if (f && f->what == fault::kind::delay) {
        sleep(f->stall);
        f.reset();
      }
      if (f && f->what == fault::kind::http_status) {
        problem(res, f->status, "Injected fault", "the emulator was told to fail this request");
        if (!f->retry_after.empty()) res.set_header("Retry-After", f->retry_after);
        e.status = res.status;
        record(std::move(e));
        return;
      }
      if (f && f->what == fault::kind::revoke_token) {
        std::lock_guard<std::mutex> lk(m);
        tokens.clear();
      }
      if (t == target::token) token(req, res);
      else if (!authorized(req))
        problem(res, 401, "Unauthorized", "missing, expired or revoked bearer token");
      else if (t == target::submit) submit(req, res, ep, e);
      else if (t == target::cancel) cancel(res, e.task_id);
      else answer(res, ep, e.task_id, e.kind == "status", f);
      e.status = res.status;
      record(std::move(e));
    }

    void sleep(std::chrono::milliseconds d) {
      const auto until = std::chrono::steady_clock::now() + d;
      while (!stopping && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }

    // POST /connect/token: form-urlencoded, multipart, or HTTP Basic.
    void token(const httplib::Request &req, httplib::Response &res) {
      std::string id, secret, grant;
      auto param = [&](const char *k) {
        if (req.has_param(k)) return req.get_param_value(k);
        if (req.has_file(k)) return req.get_file_value(k).content;
        return std::string();
      };
      grant = param("grant_type");
      id = param("client_id");
      secret = param("client_secret");
      const auto auth = req.get_header_value("Authorization");
      if (auth.size() > 6 && taskfetch::detail::iequals(auth.substr(0, 6), "Basic ")) {
        auto dec = taskfetch::detail::base64_decode(auth.substr(6));
        if (dec) {
          const auto colon = dec->find(':');
          if (colon != std::string::npos) {
            id = httplib::detail::decode_url(dec->substr(0, colon), true);
            secret = httplib::detail::decode_url(dec->substr(colon + 1), true);
          }
        }
      }
      if (grant != "client_credentials") {
        res.status = 400;
        res.set_content(R"({"error":"unsupported_grant_type"})", "application/json");
        return;
      }
      if (id != opts.client_id || secret != opts.client_secret) {
        res.status = 400;
        res.set_content(R"({"error":"invalid_client"})", "application/json");
        return;
      }
      std::string tok;
      {
        std::lock_guard<std::mutex> lk(m);
        std::uniform_int_distribution<std::uint64_t> d;
        tok = "emu." + std::to_string(d(rng)) + "." + std::to_string(d(rng));
        const auto now = opts.now();
        for (auto it = tokens.begin(); it != tokens.end();)
          it = it->second <= now ? tokens.erase(it) : std::next(it);
        tokens[tok] = now + opts.token_lifetime;
      }
      nlohmann::json j{{"access_token", tok},
                       {"expires_in", opts.token_lifetime.count()},
                       {"token_type", "Bearer"}};
      res.set_content(j.dump(), "application/json");
    }

    static const nlohmann::json *member(const nlohmann::json &j, const char *key) {
      if (!j.is_object()) return nullptr;
      for (auto it = j.begin(); it != j.end(); ++it)
        if (taskfetch::detail::iequals(it.key(), key)) return &it.value();
      return nullptr;
    }

    void submit(const httplib::Request &req, httplib::Response &res, const std::string &ep,
                log_entry &e) {
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      auto bad = [&](const std::string &why) { problem(res, 400, "Bad Request", why); };
      if (!j.is_object()) return bad("the body is not a JSON object");
      submission s;
      s.endpoint = ep;
      s.body_sha256 = taskfetch::detail::sha256_hex(req.body);
      e.body_sha256 = s.body_sha256;
      auto b64 = [&](const nlohmann::json *v, std::string &out, const char *what) {
        if (!v || !v->is_string()) {
          bad(std::string(what) + " is missing or not a string");
          return false;
        }
        auto d = taskfetch::detail::base64_decode(v->get_ref<const std::string &>());
        if (!d) {
          bad(std::string(what) + " is not valid base64");
          return false;
        }
        out = std::move(*d);
        return true;
      };
      if (ep == "recognize-template") {
        const auto *images = member(j, "images");
        if (!images || !images->is_array() || images->empty()) return bad("images must be a non-empty list");
        if (!b64(&(*images)[0], s.image, "images[0]") || !b64(member(j, "omrFile"), s.omr_file, "omrFile"))
          return;
        std::string fmt = "Csv";
        if (const auto *f = member(j, "outputFormat"); f && f->is_string()) fmt = lower(f->get<std::string>());
        if (fmt == "csv") s.output_format = "Csv";
        else if (fmt == "json") s.output_format = "Json";
        else if (fmt == "xml") s.output_format = "Xml";
        else return bad("outputFormat must be Csv, Json or Xml");
      } else {
        if (!b64(member(j, "image"), s.image, "image")) return;
        if (const auto *st = member(j, "settings"); st && st->is_object())
          if (const auto *rt = member(*st, "resultTypeTable"); rt && rt->is_string()) s.result_type = rt->get<std::string>();
      }
      processed out = opts.processor(s);
      e.task_id = add(ep, std::move(out), opts.pending_for, opts.processing_for, "", s.body_sha256);
      res.set_content(e.task_id, "text/plain");
    }

    void cancel(httplib::Response &res, const std::string &id) {
      std::lock_guard<std::mutex> lk(m);
      auto it = tasks.find(id);
      if (it == tasks.end() || it->second.cancelled) {
        problem(res, 404, "Not Found", "no such task");
        return;
      }
      it->second.cancelled = true;
      res.set_content("", "text/plain");
    }

    // The fetch answer, streamed so large results never sit in memory twice.
    void answer(httplib::Response &res, const std::string &ep, const std::string &id, bool status_only,
                const std::optional<fault> &f) {
      enum { pending, processing, done, failed, gone } phase = gone;
      processed outcome;
      std::string endpoint = ep;
      {
        std::lock_guard<std::mutex> lk(m);
        auto it = tasks.find(id);
        const auto now = opts.now();
        if (it != tasks.end() && (ep.empty() || it->second.endpoint == ep)) {
          task &tk = it->second;
          const auto age = now - tk.submitted;
          if (tk.cancelled || age > opts.retention) phase = gone;
          else if (age < tk.pending_for) phase = pending;
          else if (age < tk.pending_for + tk.processing_for) phase = processing;
          else phase = tk.outcome.ok ? done : failed;
          if (phase == done || phase == failed) outcome = tk.outcome;
          endpoint = tk.endpoint;
        }
      }
      const bool omr = endpoint == "recognize-template";
      const bool sdk = opts.omr_style == omr_words::sdk;
      std::string word, code;
      switch (phase) {
      case pending: word = "Pending", code = omr ? (sdk ? "NotReady" : "Processing") : "Ok"; break;
      case processing: word = "Processing", code = omr ? (sdk ? "NotReady" : "Processing") : "Ok"; break;
      case done: word = "Completed", code = "Ok"; break;
      case failed: word = "Error", code = "Error"; break;
      case gone: word = "NotExist", code = omr ? (sdk ? "TaskNotFound" : "NotFound") : "TaskNotFound"; break;
      }
      if (f && f->what == fault::kind::unknown_status) word = code = "Frobnicating";
      nlohmann::json head{{"id", id}};
      if (!omr || status_only) head["taskStatus"] = word;
      head["responseStatusCode"] = code;
      std::string err = "null";
      if (phase == failed) {
        nlohmann::json ej{{"messages", outcome.messages},
                          {"warnings", outcome.warnings.empty() ? nlohmann::json(nullptr) : nlohmann::json(outcome.warnings)}};
        err = ej.dump();
      }
      std::string prefix = head.dump();
      prefix.pop_back(); // reopen the object: results follow
      auto body = std::make_shared<streamed_body>();
      if (phase == done && !status_only) {
        if (f && f->what == fault::kind::wrong_shape) {
          body->add_text(prefix + ",\"results\":{\"type\":\"Csv\",\"data\":\"\"},\"error\":null}");
        } else {
          body->add_text(prefix + ",\"results\":[");
          for (std::size_t i = 0; i < outcome.results.size(); ++i) {
            const auto &r = outcome.results[i];
            body->add_text(std::string(i ? "," : "") + "{\"type\":" + nlohmann::json(r.type).dump() + ",\"data\":\"");
            if (f && f->what == fault::kind::invalid_base64 && i == 0) {
              std::string b = taskfetch::detail::base64_encode(*r.data);
              b.insert(b.size() / 2, "!");
              body->add_text(std::move(b));
            } else {
              body->add_base64(r.data);
            }
            body->add_text("\"}");
          }
          body->add_text("],\"error\":" + err + "}");
        }
      } else {
        body->add_text(prefix + ",\"results\":null,\"error\":" + err + "}");
      }
      if (f && f->what == fault::kind::malformed_json) body->cut_to(body->size() * 2 / 3);
      const std::uint64_t total = body->size();
      std::uint64_t limit = total;
      bool close_at_limit = false;
      if (f && f->what == fault::kind::drop_mid_body) limit = std::min<std::uint64_t>(f->after_bytes, total), close_at_limit = true;
      if (f && f->what == fault::kind::truncate_body)
        limit = total > f->after_bytes ? total - f->after_bytes : 0, close_at_limit = true;
      std::uint64_t stall_at = f && f->what == fault::kind::stall_body ? f->after_bytes : total + 1;
      const auto stall_for = f ? f->stall : std::chrono::milliseconds(0);
      res.status = 200;
      res.set_content_provider(
          static_cast<std::size_t>(total), "application/json",
          [this, body, limit, close_at_limit, stall_at, stall_for](std::size_t offset, std::size_t,
                                                                    httplib::DataSink &sink) mutable {
            if (stopping) return false;
            if (offset >= stall_at) {
              stall_at = ~std::uint64_t{0};
              sleep(stall_for);
              if (stopping) return false;
            }
            if (offset >= limit && close_at_limit) return false; // the connection drops
            std::uint64_t end = std::min<std::uint64_t>(limit, offset + (std::size_t{1} << 16));
            if (offset < stall_at && end > stall_at) end = stall_at;
            std::string chunk = body->read(offset, static_cast<std::size_t>(end - offset));
            return sink.write(chunk.data(), chunk.size());
          });
    }
  };

  std::shared_ptr<state> s_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
};

} // namespace taskfetch
