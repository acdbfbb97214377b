/// @file
/// @brief The emulator's request log: one entry per request answered.
///
/// The latest are kept in memory and, optionally, every one appended to a
/// file as a JSON line.
#pragma once

#include <taskfetch/emulator/options.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace taskfetch::emulation {

/// @brief One answered request; log_file gets it as a JSON line ("task", "time_ms").
struct log_entry {
  std::string method;      ///< GET, POST, DELETE
  std::string path;        ///< path as sent
  std::string kind;        ///< token, submit, fetch, cancel, status, other
  std::string endpoint;    ///< recognize-table, recognize-template, djvu2pdf or ""
  std::string task_id;     ///< the id asked for, or created
  std::string body_sha256; ///< submits: SHA-256 of the body
  std::string fault;       ///< the injected fault applied ("" none)
  int status = 0;          ///< HTTP status answered
  long long task_ms = 0;   ///< submits: the time the task takes once started (ms)
  time_point time;         ///< emulator clock when it arrived
  /// submits: when the task ends (after its wait for a slot, with
  /// --max-running), logged as "done_ms" so a reader need not replay the queue
  std::optional<time_point> done;
};

namespace detail {

/// @brief The latest @p limit entries (0: none kept) and a count of every
/// request; with a file name, each entry is also appended there. Thread-safe.
class request_log {
public:
  request_log(std::size_t limit, std::string file) : limit_(limit), file_(std::move(file)) {}

  void record(log_entry e) {
    ++served_;
    std::lock_guard<std::mutex> lk(m_);
    if (!file_.empty()) {
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count();
      nlohmann::json j{{"time_ms", ms},
                       {"method", e.method},
                       {"path", e.path},
                       {"kind", e.kind},
                       {"endpoint", e.endpoint},
                       {"task", e.task_id},
                       {"body_sha256", e.body_sha256},
                       {"fault", e.fault},
                       {"status", e.status}};
      if (e.task_ms) j["task_ms"] = e.task_ms;
      if (e.done)
        j["done_ms"] =
            std::chrono::duration_cast<std::chrono::milliseconds>(e.done->time_since_epoch())
                .count();
      if (FILE *f = std::fopen(file_.c_str(), "a")) {
        const std::string line = j.dump() + "\n";
        std::fwrite(line.data(), 1, line.size(), f);
        std::fclose(f);
      }
    }
    if (limit_ == 0) return;
    entries_.push_back(std::move(e));
    while (entries_.size() > limit_) entries_.pop_front();
  }
  /// @brief A copy of the entries kept, oldest first.
  std::vector<log_entry> entries() const {
    std::lock_guard<std::mutex> lk(m_);
    return {entries_.begin(), entries_.end()};
  }
  /// @brief Empties the entries; the count is kept.
  void clear() {
    std::lock_guard<std::mutex> lk(m_);
    entries_.clear();
  }
  /// @brief Requests recorded so far, cleared or not.
  std::size_t served() const noexcept { return served_.load(); }

private:
  const std::size_t limit_;
  const std::string file_;
  mutable std::mutex m_;
  std::deque<log_entry> entries_;
  std::atomic<std::size_t> served_{0};
};

} // namespace detail
} // namespace taskfetch::emulation
