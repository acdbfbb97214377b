/// @file
/// @brief callback: hands the first result's bytes to a function as they
/// arrive (a socket, a hash, a pipe), in constant memory.
#pragma once

#include <taskfetch/decoder.hpp>

#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

namespace taskfetch::decoders {

/// @brief Calls a function with each chunk of the first result. The
/// function answers false to stop (a decode error). Because a retry starts
/// the answer again, @p on_restart (if set) is called before each new
/// attempt so the receiver can drop what it got. finish() answers the bytes
/// delivered in the successful attempt.
class callback {
public:
  /// @brief Bytes delivered.
  using value_type = std::uint64_t;
  /// @brief Receives a chunk; false stops the transfer.
  using chunk_fn = std::function<bool(const char *, std::size_t)>;

  /// @brief Delivers chunks to @p fn; @p on_restart is called when an
  /// attempt is abandoned and the data will come again.
  explicit callback(chunk_fn fn, std::function<void()> on_restart = {})
      : fn_(std::move(fn)), restart_(std::move(on_restart)) {}

  /// @brief A new answer.
  result<void> begin(const fetch_info &) {
    if (delivered_ && restart_) restart_();
    delivered_ = 0;
    seen_ = false;
    return {};
  }
  /// @brief Only the first result.
  bool want(std::size_t i) { return i == 0; }
  /// @brief Passes bytes on.
  result<void> write(std::size_t, const char *p, std::size_t n) {
    delivered_ += n;
    if (!fn_(p, n)) return error(error_kind::decode, "the receiver stopped the result");
    return {};
  }
  /// @brief Marks the result complete.
  result<void> end_result(std::size_t i, std::string_view) {
    if (i == 0) seen_ = true;
    return {};
  }
  /// @brief The byte count.
  result<std::uint64_t> finish() {
    if (!seen_) return error(error_kind::decode, "the answer carried no result");
    return delivered_;
  }
  /// @brief The attempt was abandoned.
  void abort() noexcept {
    if (delivered_ && restart_) restart_();
    delivered_ = 0;
  }

private:
  chunk_fn fn_;
  std::function<void()> restart_;
  std::uint64_t delivered_ = 0;
  bool seen_ = false;
};

} // namespace taskfetch::decoders
