/// @file
/// @brief Carries a fetch answer from the transport through the scanner to the decoder.
///
/// Progress, deadline and cancellation are checked as the answer arrives.
#pragma once

#include <taskfetch/decoder.hpp>
#include <taskfetch/detail/envelope_scanner.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace taskfetch::detail {

/// A decoder that wants no result: status() and wait() use it, so the data
/// is still validated but never kept.
struct no_result {
  using value_type = std::uint64_t;
  result<void> begin(const fetch_info &) { return {}; }
  bool want(std::size_t) { return false; }
  result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  result<void> end_result(std::size_t, std::string_view) { return {}; }
  result<std::uint64_t> finish() { return std::uint64_t{0}; }
  void abort() noexcept {}
};

/// One fetch answer on its way in: a 200 answer's body goes through the
/// scanner into the decoder; any other answer's body is kept (up to 64 KiB)
/// for the error message.
template <class Decoder, class Clock>
class fetch_handler : public response_handler, public envelope_events {
public:
  fetch_handler(Decoder &d, fetch_info info, const call_options &co, const Clock &clock,
                std::chrono::steady_clock::time_point deadline)
      : dec_(d), info_(info), co_(co), clock_(clock), deadline_(deadline), scanner_(*this) {}

  bool on_head(const response_head &h) override {
    head_ = h;
    received_ = 0;
    error_body_.clear();
    decoder_error_.reset();
    stop_reason_.reset();
    if (h.status != 200) return true;
    scanner_.reset();
    fetch_info info = info_;
    info.content_length = h.content_length;
    if (auto s = dec_.begin(info); !s) {
      decoder_error_ = s.error();
      return false;
    }
    began_ = true;
    return true;
  }
  bool on_body(const char *p, std::size_t n) override {
    received_ += n;
    if (head_.status != 200) {
      if (error_body_.size() < 65536)
        error_body_.append(p, std::min(n, 65536 - error_body_.size()));
      return true;
    }
    if (co_.cancel.cancelled()) {
      stop_reason_ = error_kind::cancelled;
      return false;
    }
    if (clock_.now() >= deadline_) {
      stop_reason_ = error_kind::deadline_exceeded;
      return false;
    }
    if (co_.on_progress) co_.on_progress(received_, head_.content_length);
    return scanner_.feed(p, n);
  }
  bool on_result_begin(std::size_t i) override { return dec_.want(i); }
  bool on_result_data(std::size_t i, const char *p, std::size_t n) override {
    if (auto s = dec_.write(i, p, n); !s) {
      decoder_error_ = s.error();
      return false;
    }
    return true;
  }
  bool on_result_end(std::size_t i, std::string_view type) override {
    if (auto s = dec_.end_result(i, type); !s) {
      decoder_error_ = s.error();
      return false;
    }
    return true;
  }

  /// The head of the last answer.
  const response_head &head() const noexcept { return head_; }
  /// The body of a non-200 answer (for its error message).
  const std::string &error_body() const noexcept { return error_body_; }
  /// Whether the decoder was given an answer (begin() called).
  bool began() const noexcept { return began_; }
  /// The scanner, for the answer's small fields after a 200.
  envelope_scanner &scanner() noexcept { return scanner_; }

  /// Why a 200 answer's body was refused, if it was. @p delivered: the
  /// transport reported the whole answer received.
  std::optional<error> body_failure(bool delivered) {
    if (decoder_error_) return *decoder_error_;
    if (stop_reason_)
      return *stop_reason_ == error_kind::cancelled
                 ? error(error_kind::cancelled, "cancelled by the caller")
                 : error(error_kind::deadline_exceeded,
                         "the deadline passed while receiving the answer");
    if (scanner_.error_code() == scan_errc::none) {
      if (!delivered) return std::nullopt; // the transport's error says it
      if (scanner_.finish()) return std::nullopt;
    }
    if (scanner_.error_code() == scan_errc::aborted && decoder_error_) return *decoder_error_;
    const auto kind = scanner_.error_code() == scan_errc::too_large
                          ? error_kind::too_large
                          : error_kind::malformed_response;
    return error(kind, "bad answer at byte " + std::to_string(scanner_.error_offset()) + ": " +
                           scanner_.error_message());
  }

private:
  Decoder &dec_;
  fetch_info info_;
  const call_options &co_;
  const Clock &clock_;
  std::chrono::steady_clock::time_point deadline_;
  envelope_scanner scanner_;
  response_head head_;
  std::uint64_t received_ = 0;
  std::string error_body_;
  std::optional<error> decoder_error_;
  std::optional<error_kind> stop_reason_;
  bool began_ = false;
};

} // namespace taskfetch::detail
