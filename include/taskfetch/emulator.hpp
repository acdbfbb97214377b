/// @file
/// @brief The built-in emulator of the task API: a cpp-httplib server on
/// loopback speaking docs/service.md (tokens, submit/fetch/cancel of the three
/// operations, 24-hour retention), with scripted schedules, a replaceable
/// processor, fault injection and a request log. For offline tests and demos.
/// See docs/emulator.md.
#pragma once

#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/retry_after.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/emulator/processor.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/result.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#if defined(__linux__)
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace taskfetch {

/// @brief The emulated service. start() binds and serves on a background
/// thread; stop() (or the destructor) ends it. Thread-safe.
class emulator {
public:
  using submission = emulation::submission;                 ///< what a task was given
  using processed = emulation::processed;                   ///< how a task ends
  using time_point = std::chrono::system_clock::time_point; ///< emulator time

  /// @brief Status words of OMR answers: the seed's (Ok/Processing/Error/
  /// NotFound) or the SDK enum's (Ok/NotReady/Error/TaskNotFound).
  enum class omr_words { seed, sdk };

  /// @brief Settings.
  struct options {
    std::string host = "127.0.0.1";                         ///< loopback address to bind
    int port = 0;                                           ///< 0: a free port
    std::string client_id = "demo-client";                  ///< accepted credentials
    std::string client_secret = "demo-secret";              ///< accepted credentials
    std::chrono::seconds token_lifetime{3600};              ///< expires_in of tokens
    std::chrono::milliseconds pending_for{300};             ///< time in Pending after submit
    std::chrono::milliseconds processing_for{700};          ///< then in Processing
    std::chrono::hours retention{24};                       ///< tasks vanish after this
    omr_words omr_style = omr_words::seed;                  ///< OMR status vocabulary
    std::function<time_point()> now;                        ///< clock; system_clock by default
    std::string cert_file, key_file;                        ///< both set: HTTPS
    std::function<processed(const submission &)> processor; ///< default_processor when empty
    /// Server worker threads. Each open keep-alive connection holds one
    /// while it is open, so this bounds the clients served at once: 64 serves
    /// a client pool of 32 connections with room for other clients.
    std::size_t threads = 64;
    /// Tasks processed at once (0: unlimited). Submits beyond it queue FIFO
    /// and stay Pending; their pending_for/processing_for start when a slot
    /// frees. A slot is held for pending_for + processing_for; cancelling a
    /// task does not free it early. add_task() tasks bypass the limit.
    std::size_t max_running = 0;
    /// Requests admitted per second (0: unlimited), every kind counted
    /// (tokens and unknown paths too): a token bucket of this many tokens
    /// refilled at this rate on the emulator clock. A request finding it
    /// empty gets 429, a ProblemDetails body and `Retry-After: 1`.
    std::size_t max_requests_per_second = 0;
    std::size_t log_limit = 10000; ///< request log entries kept (0: no log)
    std::string log_file;          ///< also append the log here (JSON lines)
    /// Idle keep-alive connections close after this. stop() does not wait for
    /// them on Linux (it shuts their sockets down); elsewhere it may.
    std::chrono::seconds keep_alive_timeout{5};
    std::size_t stream_chunk = std::size_t{1} << 16; ///< bytes per write of an answer
  };

  /// @brief Which requests a fault applies to.
  enum class target { any, token, submit, fetch, cancel };

  /// @brief One injected fault (see docs/emulator.md).
  struct fault {
    /// @brief What goes wrong.
    enum class kind {
      http_status,    ///< answer `status` (with Retry-After if set) instead
      drop_mid_body,  ///< send `after_bytes` of the answer (at most all but one), then close
      truncate_body,  ///< send all but the last `after_bytes` (at least 1), then close
      stall_body,     ///< send `after_bytes`, stall `stall`, then the rest
      malformed_json, ///< a cut-off JSON document with a correct length
      invalid_base64, ///< a '!' inside results[0].data
      unknown_status, ///< status word "Frobnicating"
      revoke_token,   ///< every issued token stops working (this call: 401)
      delay,          ///< wait `stall` before answering
      wrong_shape,    ///< results is an object, not a list
      raw_answer,     ///< answer 200 with exactly `body` (any shape the test needs)
    };
    /// @brief `times` value: the fault never wears off.
    static constexpr std::size_t forever = 0;
    kind what = kind::http_status;         ///< the fault
    target on = target::fetch;             ///< which requests (fetch includes GetTaskStatus)
    std::string task_id;                   ///< only this task ("" any)
    std::string endpoint;                  ///< only this operation, e.g. "djvu2pdf" ("" any)
    int status = 503;                      ///< http_status: the code
    std::string retry_after;               ///< http_status: Retry-After value ("" none)
    std::size_t after_bytes = 64;          ///< body faults: where
    std::chrono::milliseconds stall{2000}; ///< stall_body, delay: how long
    std::size_t times = 1;                 ///< how many requests; 0 (forever) = every one
    std::string body;                      ///< raw_answer: the answer's body

    /// @brief An HTTP-date for retry_after: "Sun, 06 Nov 1994 08:49:37 GMT".
    static std::string http_date(time_point t) { return taskfetch::detail::format_http_date(t); }
  };

  /// @brief A preloaded task (add_task). It is Pending while either its
  /// Pending time or its Pending polls remain, then Processing likewise.
  struct task_spec {
    processed outcome = processed::completed("Csv", "0,1\n"); ///< its end
    std::chrono::milliseconds pending_for{0};                 ///< Pending this long
    std::chrono::milliseconds processing_for{0};              ///< then Processing this long
    std::size_t pending_polls = 0;    ///< answer Pending to this many fetches
    std::size_t processing_polls = 0; ///< then Processing to this many
    std::string id;                   ///< "" makes a GUID
  };

  /// @brief One logged request.
  struct log_entry {
    std::string method;      ///< GET, POST, DELETE
    std::string path;        ///< path as sent
    std::string kind;        ///< token, submit, fetch, cancel, status, other
    std::string endpoint;    ///< recognize-table, recognize-template, djvu2pdf or ""
    std::string task_id;     ///< the id asked for, or created
    std::string body_sha256; ///< submits: SHA-256 of the body
    std::string fault;       ///< the injected fault applied ("" none)
    int status = 0;          ///< HTTP status answered
    time_point time;         ///< emulator clock when it arrived
  };

  /// @brief An emulator with default options.
  emulator() : emulator(options{}) {}
  /// @brief An emulator with @p o.
  explicit emulator(options o) : s_(std::make_shared<state>()) {
    s_->opts = std::move(o);
    if (!s_->opts.now) s_->opts.now = [] { return std::chrono::system_clock::now(); };
    if (!s_->opts.processor) s_->opts.processor = emulation::default_processor;
    if (s_->opts.stream_chunk < 4) s_->opts.stream_chunk = 4;
  }
  /// @brief Stops serving.
  ~emulator() { stop(); }
  emulator(const emulator &) = delete;
  emulator &operator=(const emulator &) = delete;

  /// @brief Binds and starts serving; an error if the port cannot be bound.
  result<void> start() {
    if (server_) return {};
    const auto &o = s_->opts;
    tls_ = false;
    if (!o.cert_file.empty() && !o.key_file.empty()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      server_ = std::make_unique<httplib::SSLServer>(o.cert_file.c_str(), o.key_file.c_str());
      tls_ = true;
      if (!server_->is_valid()) {
        server_.reset();
        return error(error_kind::invalid_argument,
                     "emulator: cannot load the TLS certificate or key");
      }
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
    // httplib's default sets SO_REUSEPORT, which lets a second server bind
    // the same port and share its connections; a taken port must fail.
    server_->set_socket_options([](socket_t sock) {
      int yes = 1;
#ifdef _WIN32
      ::setsockopt(sock, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<char *>(&yes),
                   sizeof yes);
#else
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
#endif
    });
    auto st = s_;
    auto handler = [st](const httplib::Request &req, httplib::Response &res) {
      st->handle(req, res);
    };
    // One catch-all route per method: paths are matched case-insensitively
    // by handle(), as the real service does.
    server_->Get(".*", handler);
    server_->Post(".*", handler);
    server_->Delete(".*", handler);
    server_->Put(".*", handler);
    if (o.port == 0) {
      port_ = server_->bind_to_any_port(o.host);
      if (port_ <= 0) return bind_error();
    } else {
      if (!server_->bind_to_port(o.host.c_str(), o.port)) return bind_error();
      port_ = o.port;
    }
    deepen_backlog();
    s_->stopping = false;
    httplib::Server *srv = server_.get();
    thread_ = std::thread([srv] { srv->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
  }

  /// @brief Stops serving: stalls and delays end at once, open connections
  /// are shut down, and the worker threads are joined.
  void stop() {
    if (!server_) return;
    s_->stopping = true;
    server_->stop();
    shutdown_connections();
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
  /// @param endpoint "recognize-table", "recognize-template" or "djvu2pdf".
  /// @return the task id.
  std::string add_task(std::string_view endpoint, task_spec spec) {
    state::task t;
    t.id = std::move(spec.id);
    t.endpoint = std::string(endpoint);
    t.outcome = std::move(spec.outcome);
    t.pending_for = spec.pending_for;
    t.processing_for = spec.processing_for;
    t.pending_polls = spec.pending_polls;
    t.processing_polls = spec.processing_polls;
    return s_->add(std::move(t), "", false);
  }
  /// @brief Injects a fault; faults are tried in the order injected.
  void inject(fault f) {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->faults.push_back({std::move(f), 0});
  }
  /// @brief Removes all faults.
  void clear_faults() {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->faults.clear();
  }
  /// @brief Faults still armed (not yet used up).
  std::size_t armed_faults() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->faults.size();
  }
  /// @brief The latest requests (up to options::log_limit), oldest first.
  std::vector<log_entry> log() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return {s_->log.begin(), s_->log.end()};
  }
  /// @brief Empties the request log (counters are kept).
  void clear_log() {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->log.clear();
  }
  /// @brief Submissions seen per body SHA-256 (duplicates show as > 1).
  std::map<std::string, std::size_t> submissions() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->submits;
  }
  /// @brief Accepted submissions per endpoint name ("djvu2pdf" -> 3).
  std::map<std::string, std::size_t> submit_counts() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->submits_per_endpoint;
  }
  /// @brief Requests served so far.
  std::size_t requests() const noexcept { return s_->served.load(); }
  /// @brief Tasks currently held.
  std::size_t task_count() const {
    std::lock_guard<std::mutex> lk(s_->m);
    return s_->tasks.size();
  }
  /// @brief Drops every issued token (the next API call answers 401).
  void revoke_tokens() {
    std::lock_guard<std::mutex> lk(s_->m);
    s_->tokens.clear();
  }
  /// @brief Issues a valid token without a request (raw tests, benchmarks).
  std::string issue_token() { return s_->new_token(); }

private:
  error bind_error() {
    server_.reset();
    return error(error_kind::transport,
                 "emulator: cannot bind " + s_->opts.host + ":" + std::to_string(s_->opts.port))
        .with_transport(transport_errc::connect);
  }

  // httplib's workers wait up to keep_alive_timeout on an idle connection
  // before they see the server stopped; shut down the sockets accepted on our
  // port so stop() returns at once. Linux only (it lists /proc/self/fd).
  void shutdown_connections() {
    for (int fd : sockets_on_port(/*accepted=*/true)) ::shutdown(fd, SHUT_RDWR);
  }

  // cpp-httplib 0.11 listens with a backlog of 5 (compiled into Debian's
  // library), so a client pool opening 8+ connections at once sees some
  // dropped and retried by TCP only after a second. Linux lets listen() on a
  // listening socket raise its backlog.
  void deepen_backlog() {
    for (int fd : sockets_on_port(/*accepted=*/false)) ::listen(fd, 1024);
  }

  // The sockets of this process bound to our port: those accepted (they have
  // a peer), or the listener. Empty where /proc/self/fd does not exist.
  std::vector<int> sockets_on_port(bool accepted) const {
    std::vector<int> out;
#if defined(__linux__)
    DIR *d = ::opendir("/proc/self/fd");
    if (!d) return out;
    std::vector<int> fds;
    while (const dirent *e = ::readdir(d))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') fds.push_back(std::atoi(e->d_name));
    ::closedir(d);
    for (int fd : fds) {
      sockaddr_storage a{}, peer{};
      socklen_t n = sizeof a, pn = sizeof peer;
      if (::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &n) != 0) continue;
      int p = -1;
      if (a.ss_family == AF_INET) p = ntohs(reinterpret_cast<sockaddr_in *>(&a)->sin_port);
      if (a.ss_family == AF_INET6) p = ntohs(reinterpret_cast<sockaddr_in6 *>(&a)->sin6_port);
      if (p != port_) continue;
      const bool has_peer = ::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &pn) == 0;
      if (has_peer == accepted) out.push_back(fd);
    }
#else
    (void)accepted;
#endif
    return out;
  }

  // An answer as text pieces and base64-encoded byte strings, read by range:
  // the base64 of a large result is produced chunk by chunk, never whole.
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
        const std::uint64_t at = off + out.size();
        if (at < base + p.size) {
          const std::uint64_t from = at - base;
          const std::size_t want =
              static_cast<std::size_t>(std::min<std::uint64_t>(p.size - from, len - out.size()));
          if (!p.bytes) {
            out.append(p.text, static_cast<std::size_t>(from), want);
          } else {
            // Encode the 3-byte groups covering [from, from+want) and cut.
            const std::uint64_t g0 = from / 4, g1 = (from + want + 3) / 4;
            const std::size_t s0 = static_cast<std::size_t>(g0 * 3);
            const std::size_t s1 =
                static_cast<std::size_t>(std::min<std::uint64_t>(g1 * 3, p.bytes->size()));
            std::string enc;
            enc.reserve((s1 - s0 + 2) / 3 * 4);
            taskfetch::detail::base64_encode_append(enc, p.bytes->data() + s0, s1 - s0);
            out.append(enc, static_cast<std::size_t>(from - g0 * 4), want);
          }
        }
        base += p.size;
      }
      return out;
    }
  };

  struct armed_fault {
    fault f;
    std::size_t used;
  };

  static const char *fault_name(fault::kind k) {
    switch (k) {
    case fault::kind::http_status: return "http_status";
    case fault::kind::drop_mid_body: return "drop_mid_body";
    case fault::kind::truncate_body: return "truncate_body";
    case fault::kind::stall_body: return "stall_body";
    case fault::kind::malformed_json: return "malformed_json";
    case fault::kind::invalid_base64: return "invalid_base64";
    case fault::kind::unknown_status: return "unknown_status";
    case fault::kind::revoke_token: return "revoke_token";
    case fault::kind::delay: return "delay";
    case fault::kind::wrong_shape: return "wrong_shape";
    case fault::kind::raw_answer: return "raw_answer";
    }
    return "?";
  }

  struct state {
    struct task {
      std::string id, endpoint;
      time_point submitted;
      time_point started; // its schedule runs from here (later when queued)
      std::chrono::milliseconds pending_for{0}, processing_for{0};
      std::size_t pending_polls = 0, processing_polls = 0, polls = 0;
      processed outcome;
      bool cancelled = false;
    };

    options opts;
    mutable std::mutex m;
    std::unordered_map<std::string, task> tasks;
    std::unordered_map<std::string, time_point> tokens; // token -> expiry
    std::vector<armed_fault> faults;
    std::deque<log_entry> log;
    std::map<std::string, std::size_t> submits;
    std::map<std::string, std::size_t> submits_per_endpoint;
    std::atomic<std::size_t> served{0};
    std::atomic<bool> stopping{false};
    // max_running: when each slot frees, earliest first (at most max_running).
    std::priority_queue<time_point, std::vector<time_point>, std::greater<time_point>> slot_free;
    // max_requests_per_second: the token bucket's level and when it was set.
    double bucket = 0;
    std::optional<time_point> bucket_at;
    std::mt19937_64 rng{std::random_device{}()};

    std::string guid() { // under m
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

    // @p queued: a submit, subject to max_running.
    std::string add(task t, const std::string &body_hash, bool queued) {
      std::lock_guard<std::mutex> lk(m);
      if (t.id.empty()) t.id = guid();
      const auto now = opts.now();
      // Forget tasks past retention so a long run stays in bounded memory.
      if (tasks.size() % 1024 == 0)
        for (auto it = tasks.begin(); it != tasks.end();)
          it = now - it->second.submitted > opts.retention ? tasks.erase(it) : std::next(it);
      t.submitted = now;
      t.started = queued ? take_slot(now, t.pending_for + t.processing_for) : now;
      if (!body_hash.empty()) {
        ++submits[body_hash];
        ++submits_per_endpoint[t.endpoint];
      }
      std::string id = t.id;
      tasks[id] = std::move(t);
      return id;
    }

    // The start of a task submitted at @p now that runs for @p run: at once
    // while a slot is free, else when the earliest one frees. Starts never
    // decrease, so the queue is FIFO; O(log max_running). Under m.
    time_point take_slot(time_point now, std::chrono::milliseconds run) {
      if (opts.max_running == 0) return now;
      time_point start = now;
      if (slot_free.size() >= opts.max_running) {
        start = std::max(now, slot_free.top());
        slot_free.pop();
      }
      slot_free.push(start + run);
      return start;
    }

    // max_requests_per_second as a token bucket of that size, refilled at
    // that rate on the emulator clock; false: answer 429.
    bool admit(time_point now) {
      if (opts.max_requests_per_second == 0) return true;
      const double rate = static_cast<double>(opts.max_requests_per_second);
      std::lock_guard<std::mutex> lk(m);
      if (!bucket_at) {
        bucket = rate;
      } else if (now > *bucket_at) {
        const double s = std::chrono::duration<double>(now - *bucket_at).count();
        bucket = std::min(rate, bucket + s * rate);
      }
      if (!bucket_at || now > *bucket_at) bucket_at = now;
      if (bucket < 1) return false;
      bucket -= 1;
      return true;
    }

    std::string new_token() {
      std::lock_guard<std::mutex> lk(m);
      std::uniform_int_distribution<std::uint64_t> d;
      char buf[48];
      std::snprintf(buf, sizeof buf, "emu.%016llx%016llx", static_cast<unsigned long long>(d(rng)),
                    static_cast<unsigned long long>(d(rng)));
      const auto now = opts.now();
      for (auto it = tokens.begin(); it != tokens.end();)
        it = it->second <= now ? tokens.erase(it) : std::next(it);
      tokens[buf] = now + opts.token_lifetime;
      return buf;
    }

    // Consumes one use of the first fault matching; nullopt if none.
    std::optional<fault> take_fault(target t, const std::string &ep, const std::string &id) {
      std::lock_guard<std::mutex> lk(m);
      for (auto it = faults.begin(); it != faults.end(); ++it) {
        const fault &f = it->f;
        if (f.on != target::any && f.on != t) continue;
        if (!f.task_id.empty() && f.task_id != id) continue;
        if (!f.endpoint.empty() && f.endpoint != ep) continue;
        fault copy = f;
        if (f.times != fault::forever && ++it->used >= f.times) faults.erase(it);
        return copy;
      }
      return std::nullopt;
    }

    void record(log_entry e) {
      ++served;
      std::lock_guard<std::mutex> lk(m);
      if (!opts.log_file.empty()) {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch())
                .count();
        nlohmann::json j{{"time_ms", ms},
                         {"method", e.method},
                         {"path", e.path},
                         {"kind", e.kind},
                         {"endpoint", e.endpoint},
                         {"task", e.task_id},
                         {"body_sha256", e.body_sha256},
                         {"fault", e.fault},
                         {"status", e.status}};
        if (FILE *f = std::fopen(opts.log_file.c_str(), "a")) {
          const std::string line = j.dump() + "\n";
          std::fwrite(line.data(), 1, line.size(), f);
          std::fclose(f);
        }
      }
      if (opts.log_limit == 0) return;
      log.push_back(std::move(e));
      while (log.size() > opts.log_limit) log.pop_front();
    }

    static void problem(httplib::Response &res, int status, const std::string &title,
                        const std::string &detail, const std::string &instance = {}) {
      res.status = status;
      nlohmann::json j{
          {"type", "https://httpstatuses.io/" + std::to_string(status)},
          {"title", title},
          {"status", status},
          {"detail", detail},
          {"instance", instance.empty() ? nlohmann::json(nullptr) : nlohmann::json(instance)}};
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

    // Which operation a lower-cased path names: with or without the /ocr
    // (or /omr) segment, which self-hosted deployments drop.
    static void route(const std::string &p, const std::string &method, std::string &kind,
                      std::string &ep) {
      auto is = [&](const char *tail) {
        return p == std::string("/v5.0/ocr/") + tail || p == std::string("/v5.0/") + tail;
      };
      auto is_omr = [&](const char *tail) {
        return p == std::string("/v5.0/omr/") + tail || p == std::string("/v5.0/") + tail;
      };
      const bool get = method == "GET", post = method == "POST", del = method == "DELETE";
      if (p == "/connect/token") {
        if (post) kind = "token";
        return;
      }
      if (is("utilities/gettaskstatus")) {
        if (get) kind = "status";
        return;
      }
      if (is("recognizetable"))
        ep = "recognize-table";
      else if (is("djvu2pdf"))
        ep = "djvu2pdf";
      else if ((is_omr("recognizetemplate/postrecognizetemplate") && post) ||
               (is_omr("recognizetemplate/getrecognizetemplate") && get) ||
               (is_omr("recognizetemplate") && del) ||
               (is_omr("recognizetemplate/cancelrecognizetemplate") && del))
        ep = "recognize-template";
      if (ep.empty()) return;
      if (post)
        kind = "submit";
      else if (get)
        kind = "fetch";
      else if (del)
        kind = "cancel";
      else
        ep.clear();
    }

    void handle(const httplib::Request &req, httplib::Response &res) {
      log_entry e;
      e.method = req.method;
      e.path = req.path;
      e.time = opts.now();
      std::string p = lower(req.path);
      while (p.size() > 1 && p.back() == '/') p.pop_back();
      route(p, req.method, e.kind, e.endpoint);
      e.task_id = req.get_param_value("id");
      if (!admit(e.time)) { // before anything else: a gateway in front of the service
        problem(res, 429, "Too Many Requests",
                "more than " + std::to_string(opts.max_requests_per_second) +
                    " requests per second",
                req.path);
        res.set_header("Retry-After", "1");
        if (e.kind.empty()) e.kind = "other";
        e.status = res.status;
        record(std::move(e));
        return;
      }
      if (e.kind.empty()) {
        e.kind = "other";
        problem(res, 404, "Not Found", "no such operation: " + req.method + " " + req.path,
                req.path);
        e.status = res.status;
        record(std::move(e));
        return;
      }
      const target t = e.kind == "token"    ? target::token
                       : e.kind == "submit" ? target::submit
                       : e.kind == "cancel" ? target::cancel
                                            : target::fetch;
      std::optional<fault> f = take_fault(t, e.endpoint, e.task_id);
      if (f) e.fault = fault_name(f->what);
      if (f && f->what == fault::kind::delay) {
        sleep(f->stall);
        f.reset();
      }
      if (f && f->what == fault::kind::http_status) {
        problem(res, f->status, f->status == 429 ? "Too Many Requests" : "Injected fault",
                "the emulator was told to fail this request", req.path);
        if (!f->retry_after.empty()) res.set_header("Retry-After", f->retry_after);
        e.status = res.status;
        record(std::move(e));
        return;
      }
      if (f && f->what == fault::kind::revoke_token) {
        std::lock_guard<std::mutex> lk(m);
        tokens.clear();
      }
      if (t == target::token)
        token(req, res, f);
      else if (!authorized(req))
        problem(res, 401, "Unauthorized", "missing, expired or revoked bearer token", req.path);
      else if (t == target::submit)
        submit(req, res, e, f);
      else if (t == target::cancel)
        cancel(res, e.endpoint, e.task_id);
      else
        answer(res, e.endpoint, e.task_id, e.kind == "status", f);
      e.status = res.status;
      record(std::move(e));
    }

    void sleep(std::chrono::milliseconds d) {
      const auto until = std::chrono::steady_clock::now() + d;
      while (!stopping && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }

    // POST /connect/token: form-urlencoded, multipart, or HTTP Basic.
    void token(const httplib::Request &req, httplib::Response &res, const std::optional<fault> &f) {
      auto param = [&](const char *k) {
        if (req.has_param(k)) return req.get_param_value(k);
        if (req.has_file(k)) return req.get_file_value(k).content;
        return std::string();
      };
      const std::string grant = param("grant_type");
      std::string id = param("client_id"), secret = param("client_secret");
      const auto auth = req.get_header_value("Authorization");
      if (auth.size() > 6 && taskfetch::detail::iequals(auth.substr(0, 6), "Basic ")) {
        // RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
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
      nlohmann::json j{{"access_token", new_token()},
                       {"expires_in", opts.token_lifetime.count()},
                       {"token_type", "Bearer"}};
      auto body = std::make_shared<streamed_body>();
      body->add_text(j.dump());
      deliver(res, std::move(body), "application/json", f);
    }

    static const nlohmann::json *member(const nlohmann::json &j, const char *key) {
      if (!j.is_object()) return nullptr;
      for (auto it = j.begin(); it != j.end(); ++it)
        if (taskfetch::detail::iequals(it.key(), key)) return &it.value();
      return nullptr;
    }

    void submit(const httplib::Request &req, httplib::Response &res, log_entry &e,
                const std::optional<fault> &f) {
      const std::string &ep = e.endpoint;
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      auto bad = [&](const std::string &why) { problem(res, 400, "Bad Request", why, req.path); };
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
        if (!images || !images->is_array() || images->empty())
          return bad("images must be a non-empty list");
        if (!b64(&(*images)[0], s.image, "images[0]") ||
            !b64(member(j, "omrFile"), s.omr_file, "omrFile"))
          return;
        s.output_format = "Csv";
        if (!word(j, "outputFormat", {"Csv", "Json", "Xml"}, s.output_format, bad)) return;
        if (const auto *th = member(j, "recognitionThreshold"); th && !th->is_null()) {
          if (!th->is_number()) return bad("recognitionThreshold must be a number");
          const double v = th->get<double>();
          if (v < 0 || v > 100) return bad("recognitionThreshold must be within 0..100");
        }
      } else {
        if (!b64(member(j, "image"), s.image, "image")) return;
        if (const auto *st = member(j, "settings"); st && !st->is_null()) {
          if (!st->is_object()) return bad("settings must be an object");
          if (!word(*st, "resultTypeTable", {"Text", "Excel", "Csv", "CsvAndExcel"}, s.result_type,
                    bad))
            return;
          // The OCR SDK's settings beyond the contract: checked, not acted on.
          std::string ignored;
          if (!word(*st, "resultType", ocr_result_types, ignored, bad)) return;
          if (const auto *cc = member(*st, "makeContrastCorrection");
              cc && !cc->is_null() && !cc->is_boolean())
            return bad("makeContrastCorrection must be true or false");
        }
      }
      task t;
      t.endpoint = ep;
      t.outcome = opts.processor(s);
      t.pending_for = opts.pending_for;
      t.processing_for = opts.processing_for;
      e.task_id = add(std::move(t), s.body_sha256, true);
      // The SDKs ask for JSON (a JSON string) or text (the bare id).
      const char *type = id_content_type(req.get_header_value("Accept"));
      auto body = std::make_shared<streamed_body>();
      body->add_text(std::strcmp(type, "text/plain") == 0 ? e.task_id
                                                          : nlohmann::json(e.task_id).dump());
      deliver(res, std::move(body), type, f);
    }

    // The OCR SDK's ResultType enum (aspose-ocr-cloud, models/result_type).
    static constexpr const char *ocr_result_types[] = {
        "Text",     "Pdf", "TextAndPdf", "Hocr", "TextAndHocr", "PdfAndHocr", "TextAndPdfAndHocr",
        "ImagePNG", "JSON"};

    // Reads member @p key of @p j (any case, null or absent: @p out kept) as
    // one of @p words in any case, canonical spelling into @p out; false
    // after bad() when it is something else.
    template <std::size_t N, class Bad>
    static bool word(const nlohmann::json &j, const char *key, const char *const (&words)[N],
                     std::string &out, Bad &bad) {
      const auto *v = member(j, key);
      if (!v || v->is_null()) return true;
      if (v->is_string())
        for (const char *w : words)
          if (taskfetch::detail::iequals(v->get_ref<const std::string &>(), w)) {
            out = w;
            return true;
          }
      std::string list;
      for (const char *w : words) list += (list.empty() ? "" : ", ") + std::string(w);
      bad(std::string(key) + " must be one of " + list);
      return false;
    }

    // The best of the media ranges in @p accept matching @p type: its q and
    // how specific the range is (2 exact, 1 "major/*", 0 "*/*"); q -1: none.
    static std::pair<double, int> accept_match(const std::string &accept, std::string_view type) {
      std::pair<double, int> best{-1.0, -1};
      std::size_t at = 0;
      while (at <= accept.size()) {
        std::size_t end = accept.find(',', at);
        if (end == std::string::npos) end = accept.size();
        const std::string range = lower(accept.substr(at, end - at));
        at = end + 1;
        auto trim = [](std::string x) {
          const auto b = x.find_first_not_of(" \t");
          return b == std::string::npos ? std::string()
                                        : x.substr(b, x.find_last_not_of(" \t") - b + 1);
        };
        const auto semi = range.find(';');
        const std::string media = trim(range.substr(0, semi));
        double q = 1.0;
        if (semi != std::string::npos) {
          const auto qp = range.find("q=", semi);
          if (qp != std::string::npos) q = std::strtod(range.c_str() + qp + 2, nullptr);
        }
        const auto slash = type.find('/');
        int spec = -1;
        if (media == type)
          spec = 2;
        else if (media.size() == slash + 2 &&
                 media.compare(0, slash + 1, type.substr(0, slash + 1)) == 0 && media.back() == '*')
          spec = 1;
        else if (media == "*/*")
          spec = 0;
        if (spec > best.second || (spec == best.second && spec >= 0 && q > best.first))
          best = {q, spec};
      }
      return best;
    }

    // The submit answer's type for @p accept: JSON (application/json or
    // text/json) when a JSON type is preferred to text/plain by q, or named
    // more specifically at the same q; text/plain otherwise (ties, "*/*",
    // no Accept, nothing acceptable).
    static const char *id_content_type(const std::string &accept) {
      const auto text = accept_match(accept, "text/plain");
      const auto app_json = accept_match(accept, "application/json");
      const auto text_json = accept_match(accept, "text/json");
      const bool app = app_json >= text_json;
      const auto json = app ? app_json : text_json;
      if (json.first > 0 && json > text) return app ? "application/json" : "text/json";
      return "text/plain";
    }

    void cancel(httplib::Response &res, const std::string &ep, const std::string &id) {
      std::lock_guard<std::mutex> lk(m);
      auto it = tasks.find(id);
      if (it == tasks.end() || it->second.cancelled || it->second.endpoint != ep ||
          opts.now() - it->second.submitted > opts.retention) {
        problem(res, 404, "Not Found", "no such task: " + id);
        return;
      }
      it->second.cancelled = true;
      res.status = 200; // httplib fills it in only after the log has read it
      res.set_content("", "text/plain");
    }

    // The fetch answer, streamed so large results never sit in memory twice.
    void answer(httplib::Response &res, const std::string &ep, const std::string &id,
                bool status_only, const std::optional<fault> &f) {
      enum { pending, processing, done, failed, gone } phase = gone;
      processed outcome;
      std::string endpoint = ep;
      {
        std::lock_guard<std::mutex> lk(m);
        auto it = tasks.find(id);
        const auto now = opts.now();
        if (it != tasks.end() && (ep.empty() || it->second.endpoint == ep)) {
          task &tk = it->second;
          const auto ran = now - tk.started; // negative while queued
          const std::size_t seen = tk.polls++;
          if (tk.cancelled || now - tk.submitted > opts.retention)
            phase = gone;
          else if (ran < tk.pending_for || seen < tk.pending_polls)
            phase = pending;
          else if (ran < tk.pending_for + tk.processing_for ||
                   seen < tk.pending_polls + tk.processing_polls)
            phase = processing;
          else
            phase = tk.outcome.ok ? done : failed;
          if (phase == done || phase == failed) outcome = tk.outcome; // shares the bytes
          endpoint = tk.endpoint;
        }
      }
      // The OMR shape and words, except on GetTaskStatus: an OCR endpoint,
      // whose clients (the OCR SDKs) parse only the OCR vocabulary.
      const bool omr = endpoint == "recognize-template" && !status_only;
      const bool sdk = opts.omr_style == omr_words::sdk;
      std::string word, code;
      switch (phase) {
      case pending: word = "Pending", code = omr ? (sdk ? "NotReady" : "Processing") : "Ok"; break;
      case processing:
        word = "Processing", code = omr ? (sdk ? "NotReady" : "Processing") : "Ok";
        break;
      case done: word = "Completed", code = "Ok"; break;
      case failed: word = "Error", code = "Error"; break;
      case gone:
        word = "NotExist", code = omr ? (sdk ? "TaskNotFound" : "NotFound") : "TaskNotFound";
        break;
      }
      if (f && f->what == fault::kind::unknown_status) word = code = "Frobnicating";
      nlohmann::json head{{"id", id}};
      if (!omr) head["taskStatus"] = word;
      head["responseStatusCode"] = code;
      std::string err = "null";
      if (phase == failed) {
        nlohmann::json ej{{"messages", outcome.messages},
                          {"warnings", outcome.warnings.empty()
                                           ? nlohmann::json(nullptr)
                                           : nlohmann::json(outcome.warnings)}};
        err = ej.dump();
      }
      std::string prefix = head.dump();
      prefix.pop_back(); // reopen the object: results follow
      auto body = std::make_shared<streamed_body>();
      if (f && f->what == fault::kind::raw_answer) {
        body->add_text(f->body);
      } else if (phase == done && !status_only) {
        if (f && f->what == fault::kind::wrong_shape) {
          body->add_text(prefix + ",\"results\":{\"type\":\"Csv\",\"data\":\"\"},\"error\":null}");
        } else {
          body->add_text(prefix + ",\"results\":[");
          for (std::size_t i = 0; i < outcome.results.size(); ++i) {
            const auto &r = outcome.results[i];
            body->add_text(std::string(i ? "," : "") +
                           "{\"type\":" + nlohmann::json(r.type).dump() + ",\"data\":\"");
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
      deliver(res, std::move(body), "application/json", f);
    }

    // Sends a 200 answer through a content provider with an exact
    // Content-Length, applying the body faults (drop, truncate, stall, cut).
    void deliver(httplib::Response &res, std::shared_ptr<streamed_body> body,
                 const char *content_type, const std::optional<fault> &f) {
      if (f && f->what == fault::kind::malformed_json) body->cut_to(body->size() * 2 / 3);
      const std::uint64_t total = body->size();
      std::uint64_t limit = total;
      bool close_at_limit = false;
      if (f && f->what == fault::kind::drop_mid_body) {
        // Always drop something, so the fault is seen however small the answer.
        limit = std::min<std::uint64_t>(f->after_bytes, total ? total - 1 : 0);
        close_at_limit = true;
      }
      if (f && f->what == fault::kind::truncate_body) {
        const std::uint64_t missing = f->after_bytes ? f->after_bytes : 1;
        limit = total > missing ? total - missing : 0;
        close_at_limit = true;
      }
      std::uint64_t stall_at =
          f && f->what == fault::kind::stall_body ? f->after_bytes : ~std::uint64_t{0};
      const auto stall_for = f ? f->stall : std::chrono::milliseconds(0);
      const std::size_t chunk = opts.stream_chunk;
      res.status = 200;
      // The provider may outlive a stop()ped server object's handler, never
      // the state: it holds what it reads by value or shared pointer.
      res.set_content_provider(
          static_cast<std::size_t>(total), content_type,
          [this, body, limit, close_at_limit, stall_at, stall_for,
           chunk](std::size_t offset, std::size_t, httplib::DataSink &sink) mutable {
            if (stopping) return false;
            if (offset >= stall_at) {
              stall_at = ~std::uint64_t{0};
              sleep(stall_for);
              if (stopping) return false;
            }
            if (close_at_limit && offset >= limit) return false; // the connection drops
            std::uint64_t end = std::min<std::uint64_t>(limit, offset + chunk);
            if (offset < stall_at && end > stall_at) end = stall_at;
            const std::string part = body->read(offset, static_cast<std::size_t>(end - offset));
            return sink.write(part.data(), part.size());
          });
    }
  };
  using task = state::task;

  std::shared_ptr<state> s_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
};

} // namespace taskfetch
