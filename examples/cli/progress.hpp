// Progress on stderr: the task's state while polling, and a bar with bytes
// and rate for large answers when stderr is a terminal. Never prints secrets.
#pragma once

#include <taskfetch/options.hpp>
#include <taskfetch/task_pool.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace taskfetch::cli {

/// How much a command prints on stderr: --quiet, default, --verbose.
enum class verbosity { quiet, normal, verbose };

/// Everything a command prints on stderr about its progress, serialised so
/// pool workers can report at once.
class progress {
public:
  explicit progress(verbosity v);

  verbosity level() const { return v_; }

  /// A line on stderr unless --quiet.
  void note(const std::string &line);
  /// A line on stderr only with --verbose.
  void debug(const std::string &line);

  /// Hooks for one task: the state while polling, the bar while receiving.
  call_options hooks(const std::string &label, call_options co = {});

  /// With --verbose, one line per HTTP request: method, path (never a
  /// secret), status and time; nothing otherwise.
  std::function<void(const request_event &)> request_log();

  /// A batch's live line on a terminal: done / failed / in progress, rate
  /// and ETA, redrawn at most ten times a second (and at the end).
  std::function<void(const pool_progress &)> batch_line(std::size_t total);

  /// Erases the live batch line, so a report line written to stdout on the
  /// same terminal starts on a clean line; the next update redraws it.
  void erase_line();

  /// Ends a bar line, if one is showing.
  void done();

private:
  void bar(std::uint64_t got, std::optional<std::uint64_t> total, double secs);
  void clear_bar();

  verbosity v_;
  bool tty_;
  bool bar_shown_ = false;
  std::mutex m_;
};

} // namespace taskfetch::cli
