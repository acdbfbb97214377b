/// @file
/// @brief The emulator's settings, with defaults that suit tests on loopback.
///
/// Where it listens, the credentials it accepts, how long tasks take, its
/// limits, its clock and its log.
#pragma once

#include <taskfetch/emulator/processor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace taskfetch::emulation {

/// @brief Emulator time: wall-clock, like the service's token expiry and
/// 24-hour retention, and replaceable through options::now.
using time_point = std::chrono::system_clock::time_point;

/// @brief Status words of OMR answers: the seed's (Ok/Processing/Error/
/// NotFound) or the SDK enum's (Ok/NotReady/Error/TaskNotFound).
enum class omr_words { seed, sdk };

/// @brief How the emulator listens, whom it admits, how its tasks run and
/// what it keeps; the defaults suit tests on loopback.
struct options {
  std::string host = "127.0.0.1";                ///< loopback address to bind
  int port = 0;                                  ///< 0: a free port
  std::string client_id = "demo-client";         ///< accepted credentials
  std::string client_secret = "demo-secret";     ///< accepted credentials
  std::chrono::seconds token_lifetime{3600};     ///< expires_in of tokens
  std::chrono::milliseconds pending_for{300};    ///< time in Pending after submit
  std::chrono::milliseconds processing_for{700}; ///< then in Processing
  /// Above pending_for + processing_for: tasks take varied times, each
  /// drawn log-uniformly between that sum and this from the submit's body
  /// and task_seed (the same input, the same time), split a third Pending,
  /// the rest Processing. 0: every task takes the sum.
  std::chrono::milliseconds task_ms_max{0};
  std::uint64_t task_seed = 1;                            ///< varies the times task_ms_max draws
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

} // namespace taskfetch::emulation
