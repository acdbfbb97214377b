/// @file
/// @brief callback: the first result's bytes handed to a function as they arrive.
///
/// For a socket, a hash or a pipe, in constant memory.
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
  /// @brief The bytes delivered in the attempt that succeeded.
  using value_type = std::uint64_t;
  /// @brief Receives a chunk; false stops the transfer.
  using chunk_fn = std::function<bool(const char *, std::size_t)>;

  /// @brief Delivers chunks to @p fn; @p on_restart is called when an
  /// attempt is abandoned and the data will come again.
  explicit callback(chunk_fn fn, std::function<void()> on_restart = {})
      : fn_(std::move(fn)), restart_(std::move(on_restart)) {}

  /// @brief A new attempt: calls on_restart first if an earlier one delivered bytes.
  result<void> begin(const fetch_info &) {
    if (delivered_ && restart_) restart_();
    delivered_ = 0;
    seen_ = false;
    return {};
  }
  /// @brief Only the first result is delivered; later ones are skipped.
  bool want(std::size_t i) { return i == 0; }
  /// @brief Passes bytes to the function; its false is a decode error that
  /// stops the transfer.
  result<void> write(std::size_t, const char *p, std::size_t n) {
    delivered_ += n;
    if (!fn_(p, n)) return error(error_kind::decode, "the receiver stopped the result");
    return {};
  }
  /// @brief Notes that the first result arrived whole (finish() needs it).
  result<void> end_result(std::size_t i, std::string_view) {
    if (i == 0) seen_ = true;
    return {};
  }
  /// @brief The bytes delivered; a decode error if the answer carried no result.
  result<std::uint64_t> finish() {
    if (!seen_) return error(error_kind::decode, "the answer carried no result");
    return delivered_;
  }
  /// @brief Calls on_restart if bytes were delivered, so the receiver drops them.
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
