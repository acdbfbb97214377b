/// @file
/// @brief Checking the first bytes of a result ("%PDF-") as soon as they arrive.
#pragma once

#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace taskfetch::detail {

/// @brief Bytes shown in a message: printable ASCII as is, the rest as \xNN.
inline std::string printable_bytes(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '"') {
      out.push_back(ch);
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

/// @brief Compares a result's first bytes with the expected magic while they
/// stream in: fails at the first differing byte, passes once all matched.
/// Keeps the bytes seen so far (at most the magic's length) so a streaming
/// decoder can hold them back until they are verified.
class magic_check {
public:
  /// @brief Starts over expecting @p magic ("" accepts anything); @p what
  /// names the kind in messages ("a PDF").
  void reset(std::string_view magic, std::string_view what) {
    magic_.assign(magic.data(), magic.size());
    what_.assign(what.data(), what.size());
    head_.clear();
  }

  /// @brief Looks at the next bytes; an error_kind::decode error as soon as
  /// they differ from the magic.
  result<void> feed(const char *p, std::size_t n) {
    if (verified()) return {};
    const std::size_t take = std::min(n, magic_.size() - head_.size());
    const std::size_t at = head_.size();
    head_.append(p, take);
    if (magic_.compare(at, take, head_, at, take) != 0) {
      // Show a little more than the magic: "<html>" says more than "<".
      std::string shown = head_.substr(0, at);
      shown.append(p, std::min<std::size_t>(n, 16));
      return mismatch(shown);
    }
    return {};
  }

  /// @brief The result ended: an error if fewer bytes than the magic came.
  result<void> at_end() const {
    if (verified()) return {};
    if (head_.empty())
      return error(error_kind::decode, "the result is not " + what_ +
                                           ": it is empty (expected it to start with " +
                                           printable_bytes(magic_) + ")");
    return error(error_kind::decode, "the result is not " + what_ + ": it ended after " +
                                         std::to_string(head_.size()) + " bytes, before " +
                                         printable_bytes(magic_) + " was complete");
  }

  /// @brief True once the magic matched in full (always when it is "").
  bool verified() const noexcept { return head_.size() == magic_.size(); }
  /// @brief The bytes kept so far (a prefix of the magic).
  const std::string &head() const noexcept { return head_; }
  const std::string &magic() const noexcept { return magic_; }

private:
  error mismatch(const std::string &shown) const {
    return error(error_kind::decode, "the result is not " + what_ + ": its first bytes were not " +
                                         printable_bytes(magic_) + " (they were \"" +
                                         printable_bytes(shown) + "\")");
  }

  std::string magic_;
  std::string what_;
  std::string head_;
};

/// @brief The phrase for messages about an endpoint's result kind: "a valid
/// Pdf result", or "the expected result" when the kind is unknown.
inline std::string result_kind_phrase(std::string_view kind) {
  if (kind.empty()) return "the expected result";
  return "a valid " + std::string(kind) + " result";
}

} // namespace taskfetch::detail
