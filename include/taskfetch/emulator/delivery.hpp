/// @file
/// @brief How the emulator sends a 200 answer, body faults (drop, truncate, stall, cut) applied.
///
/// A content provider with an exact Content-Length writes `stream_chunk`
/// bytes at a time; stalls end when the emulator stops.
#pragma once

#include <taskfetch/emulator/faults.hpp>
#include <taskfetch/emulator/streamed_body.hpp>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace taskfetch::emulation::detail {

/// @brief Waits @p d, or less once @p stopping is set, so that stop() never
/// waits for an injected stall or delay.
inline void sleep_unless_stopping(const std::atomic<bool> &stopping, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stopping && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

/// @brief Answers 200 with @p body, applying @p f if it is a body fault.
/// @p stopping must outlive the server that sends the answer.
inline void deliver(httplib::Response &res, std::shared_ptr<streamed_body> body,
                    const char *content_type, const std::optional<fault> &f, std::size_t chunk,
                    const std::atomic<bool> &stopping) {
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
  res.status = 200;
  // The provider may outlive a stop()ped server object's handler, never the
  // emulator's state that holds @p stopping: the rest it holds by value or
  // shared pointer.
  const std::atomic<bool> *stop = &stopping;
  res.set_content_provider(static_cast<std::size_t>(total), content_type,
                           [stop, body, limit, close_at_limit, stall_at, stall_for, chunk](
                               std::size_t offset, std::size_t, httplib::DataSink &sink) mutable {
                             if (*stop) return false;
                             if (offset >= stall_at) {
                               stall_at = ~std::uint64_t{0};
                               sleep_unless_stopping(*stop, stall_for);
                               if (*stop) return false;
                             }
                             if (close_at_limit && offset >= limit)
                               return false; // the connection drops
                             std::uint64_t end = std::min<std::uint64_t>(limit, offset + chunk);
                             if (offset < stall_at && end > stall_at) end = stall_at;
                             const std::string part =
                                 body->read(offset, static_cast<std::size_t>(end - offset));
                             return sink.write(part.data(), part.size());
                           });
}

} // namespace taskfetch::emulation::detail
