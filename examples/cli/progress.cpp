#include "progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace taskfetch::cli {

progress::progress(verbosity v) : v_(v), tty_(::isatty(STDERR_FILENO) == 1) {}

void progress::note(const std::string &line) {
  if (v_ == verbosity::quiet) return;
  std::lock_guard<std::mutex> lk(m_);
  clear_bar();
  std::fprintf(stderr, "%s\n", line.c_str());
}

void progress::debug(const std::string &line) {
  if (v_ == verbosity::verbose) note(line);
}

call_options progress::hooks(const std::string &label, call_options co) {
  if (v_ == verbosity::quiet) return co;
  co.on_request = request_log();
  co.on_status = [this, label, last = std::string()](const task_status &st) mutable {
    if (st.word == last) return;
    last = st.word;
    note(label + ": " + (st.word.empty() ? std::string(to_string(st.state)) : st.word));
  };
  if (tty_) {
    co.on_progress = [this, start = std::chrono::steady_clock::now(),
                      shown = std::chrono::steady_clock::time_point()](
                         std::uint64_t got, std::optional<std::uint64_t> total) mutable {
      auto now = std::chrono::steady_clock::now();
      bool last = total && got >= *total;
      if (!last && now - shown < std::chrono::milliseconds(100)) return;
      if (total && *total < (1u << 20)) return; // small answers: no bar
      shown = now;
      bar(got, total, std::chrono::duration<double>(now - start).count());
    };
  }
  return co;
}

std::function<void(const request_event &)> progress::request_log() {
  if (v_ != verbosity::verbose) return {};
  return [this](const request_event &ev) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%lld ms", static_cast<long long>(ev.elapsed.count()));
    note(std::string(to_string(ev.method)) + " " + std::string(ev.path) + " -> " +
         (ev.http_status ? std::to_string(ev.http_status) : std::string("no answer")) + " in " +
         ms + (ev.failure && !ev.http_status ? " (" + ev.failure->message() + ")" : ""));
  };
}

std::function<void(const pool_progress &)> progress::batch_line(std::size_t total) {
  if (v_ == verbosity::quiet || !tty_) return {};
  return [this, total, start = std::chrono::steady_clock::now(),
          shown = std::chrono::steady_clock::time_point()](const pool_progress &p) mutable {
    const auto now = std::chrono::steady_clock::now();
    const std::size_t ended = p.done + p.failed;
    if (ended < total && now - shown < std::chrono::milliseconds(100)) return;
    shown = now;
    const double secs = std::chrono::duration<double>(now - start).count();
    const double rate = secs > 0 ? ended / secs : 0;
    char eta[32] = "";
    if (ended < total && rate > 0)
      std::snprintf(eta, sizeof eta, "  ETA %.0fs", (total - ended) / rate);
    // What the batch costs so far: requests per task that reached the service.
    const std::size_t tasks = ended + p.in_progress();
    char cost[48] = "";
    if (tasks > 0)
      std::snprintf(cost, sizeof cost, "  %.2f req/task", double(p.requests) / double(tasks));
    char line[240];
    std::snprintf(line, sizeof line,
                  "\r%zu/%zu done, %zu failed, %zu in progress, %zu queued  %.1f/s%s%s%s\033[K",
                  p.done, total, p.failed, p.in_progress(), p.queued, rate, eta, cost,
                  p.throttled ? "  (throttled)" : "");
    std::lock_guard<std::mutex> lk(m_);
    std::fputs(line, stderr);
    bar_shown_ = true;
  };
}

void progress::erase_line() {
  std::lock_guard<std::mutex> lk(m_);
  if (bar_shown_ && tty_) std::fputs("\r\033[K", stderr);
  bar_shown_ = false;
}

void progress::done() {
  std::lock_guard<std::mutex> lk(m_);
  clear_bar();
}

void progress::bar(std::uint64_t got, std::optional<std::uint64_t> total, double secs) {
  std::lock_guard<std::mutex> lk(m_);
  const double mib = 1024.0 * 1024.0;
  const double rate = secs > 0 ? got / mib / secs : 0;
  char line[160];
  if (total && *total > 0) {
    const int width = 30;
    int filled = static_cast<int>(width * (static_cast<double>(got) / *total));
    if (filled > width) filled = width;
    std::string b(filled, '#');
    b.append(width - filled, ' ');
    std::snprintf(line, sizeof line, "\r[%s] %7.1f / %.1f MiB  %6.1f MiB/s", b.c_str(), got / mib,
                  *total / mib, rate);
  } else {
    std::snprintf(line, sizeof line, "\r%7.1f MiB  %6.1f MiB/s", got / mib, rate);
  }
  std::fputs(line, stderr);
  bar_shown_ = true;
}

void progress::clear_bar() {
  if (bar_shown_) std::fputs("\n", stderr);
  bar_shown_ = false;
}

} // namespace taskfetch::cli
