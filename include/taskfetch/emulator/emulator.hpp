/// @file
/// @brief The built-in emulator of the task API, for offline tests and demos.
///
/// A cpp-httplib server on loopback speaking docs/service.md (tokens,
/// submit/fetch/cancel of the three operations, 24-hour retention), with
/// scripted schedules, a replaceable processor, fault injection and a request
/// log. Link `taskfetch::emulator` (Meson: `taskfetch_emulator_dep`); the
/// layout of this folder is in docs/emulator.md.
#pragma once

#include <taskfetch/emulator/faults.hpp>
#include <taskfetch/emulator/log.hpp>
#include <taskfetch/emulator/options.hpp>
#include <taskfetch/emulator/processor.hpp>
#include <taskfetch/emulator/server.hpp>
#include <taskfetch/emulator/service.hpp>
#include <taskfetch/emulator/tasks.hpp>
#include <taskfetch/result.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch::emulation {

/// @brief The emulated service. start() binds and serves on a background
/// thread; stop() (or the destructor) ends it. Thread-safe.
class emulator {
public:
  /// @brief An emulator on a free loopback port with the demo credentials.
  emulator() : emulator(options{}) {}
  /// @brief An emulator with @p o (empty `now` and `processor` take the
  /// defaults).
  explicit emulator(options o) : s_(std::make_shared<detail::service>(std::move(o))) {}
  /// @brief Calls stop(), so no server thread outlives the emulator.
  ~emulator() { stop(); }
  emulator(const emulator &) = delete;
  emulator &operator=(const emulator &) = delete;

  /// @brief Binds and starts serving; an error if the port cannot be bound.
  result<void> start() {
    if (server_.started()) return {};
    s_->stopping = false;
    auto st = s_;
    return server_.start(s_->opts, [st](const httplib::Request &req, httplib::Response &res) {
      st->handle(req, res);
    });
  }

  /// @brief Stops serving: stalls and delays end at once, open connections
  /// are shut down, and the worker threads are joined.
  void stop() {
    if (!server_.started()) return;
    s_->stopping = true;
    server_.stop();
  }

  /// @brief "http://127.0.0.1:PORT" (https with a certificate).
  std::string base_url() const {
    const auto &h = s_->opts.host;
    const bool v6 = h.find(':') != std::string::npos;
    return std::string(server_.tls() ? "https" : "http") + "://" + (v6 ? "[" + h + "]" : h) + ":" +
           std::to_string(server_.port());
  }
  /// @brief The port bound (chosen by the system when options::port is 0); 0 before start().
  int port() const noexcept { return server_.port(); }
  /// @brief The options in use, defaults filled in.
  const options &config() const noexcept { return s_->opts; }

  /// @brief Adds a task directly, bypassing submit (tests, benchmarks).
  /// @param endpoint "recognize-table", "recognize-template" or "djvu2pdf".
  /// @return the task id.
  std::string add_task(std::string_view endpoint, task_spec spec) {
    detail::task t;
    t.id = std::move(spec.id);
    t.endpoint = std::string(endpoint);
    t.outcome = std::move(spec.outcome);
    t.pending_for = spec.pending_for;
    t.processing_for = spec.processing_for;
    t.pending_polls = spec.pending_polls;
    t.processing_polls = spec.processing_polls;
    return s_->tasks.add(std::move(t), "", false);
  }
  /// @brief Injects a fault; faults are tried in the order injected.
  void inject(fault f) { s_->faults.arm(std::move(f)); }
  /// @brief Removes every fault, `forever` ones included.
  void clear_faults() { s_->faults.clear(); }
  /// @brief Faults still armed (not yet used up).
  std::size_t armed_faults() const { return s_->faults.armed(); }
  /// @brief The latest requests (up to options::log_limit), oldest first.
  std::vector<log_entry> log() const { return s_->log.entries(); }
  /// @brief Empties the request log (counters are kept).
  void clear_log() { s_->log.clear(); }
  /// @brief Submissions seen per body SHA-256 (duplicates show as > 1).
  std::map<std::string, std::size_t> submissions() const { return s_->tasks.submissions(); }
  /// @brief Accepted submissions per endpoint name ("djvu2pdf" -> 3).
  std::map<std::string, std::size_t> submit_counts() const { return s_->tasks.submit_counts(); }
  /// @brief Requests served so far, counted even when the log keeps none or was cleared.
  std::size_t requests() const noexcept { return s_->log.served(); }
  /// @brief Tasks held, cancelled ones included and expired ones until a later add purges them.
  std::size_t task_count() const { return s_->tasks.count(); }
  /// @brief Drops every issued token (the next API call answers 401).
  void revoke_tokens() { s_->tokens.revoke_all(); }
  /// @brief Issues a valid token without a request (raw tests, benchmarks).
  std::string issue_token() { return s_->tokens.issue(); }

private:
  std::shared_ptr<detail::service> s_;
  detail::server server_;
};

} // namespace taskfetch::emulation
