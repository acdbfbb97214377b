/// @file
/// @brief Strict RFC 4648 base64: one-shot encode/decode and a decoder fed in chunks.
#pragma once

#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// x86-64 builds decode 32 characters per step with AVX2 when the CPU has it
// (checked once at run time, so no -mavx2 is needed); TASKFETCH_NO_SIMD
// keeps the portable loop only.
#if !defined(TASKFETCH_NO_SIMD) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TASKFETCH_BASE64_AVX2 1
#include <immintrin.h>
#else
#define TASKFETCH_BASE64_AVX2 0
#endif

namespace taskfetch::detail {

inline constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Sextet of each byte; 0xFF for bytes outside the alphabet, 0xFE for '='.
inline constexpr std::array<std::uint8_t, 256> base64_sextets = [] {
  std::array<std::uint8_t, 256> t{};
  for (auto &v : t) v = 0xFF;
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(base64_alphabet[i])] = i;
  t['='] = 0xFE;
  return t;
}();

/// @brief Appends the base64 of [p, p+n) to @p out. Call with whole 3-byte
/// groups when more input follows; the last call may end with 1 or 2 bytes.
inline void base64_encode_append(std::string &out, const char *p, std::size_t n) {
  const auto *s = reinterpret_cast<const unsigned char *>(p);
  const std::size_t at = out.size();
  out.resize(at + (n + 2) / 3 * 4);
  char *o = &out[at];
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{s[i]} << 16) | (std::uint32_t{s[i + 1]} << 8) | s[i + 2];
    *o++ = base64_alphabet[v >> 18];
    *o++ = base64_alphabet[(v >> 12) & 63];
    *o++ = base64_alphabet[(v >> 6) & 63];
    *o++ = base64_alphabet[v & 63];
  }
  if (i < n) {
    std::uint32_t v = std::uint32_t{s[i]} << 16;
    if (i + 1 < n) v |= std::uint32_t{s[i + 1]} << 8;
    *o++ = base64_alphabet[v >> 18];
    *o++ = base64_alphabet[(v >> 12) & 63];
    *o++ = i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
}

/// @brief The base64 text of @p bytes.
inline std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_encode_append(out, bytes.data(), bytes.size());
  return out;
}

#if TASKFETCH_BASE64_AVX2
/// True when this CPU runs AVX2 (asked once).
inline bool base64_has_avx2() noexcept {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

/// Decodes @p blocks blocks of 32 characters, stopping before the first block
/// that holds a character outside the alphabet ('=' included). Method of
/// Muła and Lemire: classify each byte by its nibbles (two table lookups
/// whose AND is non-zero for a bad byte), add a per-range offset to get the
/// sextet, then pack four sextets into three bytes with multiply-adds.
/// Writes 24 bytes per block plus 8 bytes of slack. Returns blocks decoded.
__attribute__((target("avx2"))) inline std::size_t
base64_decode_avx2(const unsigned char *in, std::size_t blocks, char *out) noexcept {
  // Bit set in bad_by_lo[lo] for each high-nibble class in which lo is not
  // in the alphabet; classes: 0x01 "+/" row, 0x02 digits, 0x04 "@A-O"/"`a-o",
  // 0x08 "P-Z"/"p-z", 0x10 rows with no valid byte.
  const __m256i bad_by_lo =
      _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B,
                       0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                       0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i class_by_hi =
      _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  // Offset from character to sextet by high nibble; '/' (0x2F) uses row 1.
  const __m256i offset_by_hi =
      _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4, -65,
                       -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i slash = _mm256_set1_epi8(0x2F);
  const __m256i pack_pairs = _mm256_set1_epi32(0x01400140); // a*64 + b, c*64 + d
  const __m256i pack_quads = _mm256_set1_epi32(0x00011000); // ab*4096 + cd
  const __m256i bytes_order =
      _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10,
                       9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lanes_order = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  std::size_t b = 0;
  for (; b < blocks; ++b) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(in + 32 * b));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nibble);
    const __m256i lo = _mm256_and_si256(v, nibble);
    const __m256i bad =
        _mm256_and_si256(_mm256_shuffle_epi8(bad_by_lo, lo), _mm256_shuffle_epi8(class_by_hi, hi));
    if (!_mm256_testz_si256(bad, bad)) break;
    const __m256i row = _mm256_add_epi8(hi, _mm256_cmpeq_epi8(v, slash));
    const __m256i sextets = _mm256_add_epi8(v, _mm256_shuffle_epi8(offset_by_hi, row));
    const __m256i words = _mm256_madd_epi16(_mm256_maddubs_epi16(sextets, pack_pairs), pack_quads);
    const __m256i packed =
        _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, bytes_order), lanes_order);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + 24 * b), packed);
  }
  return b;
}
#endif

/// Decodes up to @p groups unpadded groups of four characters, stopping
/// before the first group holding a character outside the alphabet ('='
/// included), one group per step on any CPU. Writes 3 bytes per group.
/// Returns the groups decoded.
inline std::size_t base64_decode_groups_portable(const unsigned char *in, std::size_t groups,
                                                 char *out) noexcept {
  std::size_t g = 0;
  for (; g < groups; ++g) {
    const unsigned char *q = in + 4 * g;
    const std::uint32_t a = base64_sextets[q[0]], b = base64_sextets[q[1]],
                        c = base64_sextets[q[2]], d = base64_sextets[q[3]];
    if ((a | b | c | d) & 0xC0) break; // a bad character or '='
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[3 * g] = static_cast<char>(v >> 16);
    out[3 * g + 1] = static_cast<char>(v >> 8);
    out[3 * g + 2] = static_cast<char>(v);
  }
  return g;
}

/// As base64_decode_groups_portable, 32 characters per step where the CPU
/// allows; @p out needs 8 bytes of slack.
inline std::size_t base64_decode_groups(const unsigned char *in, std::size_t groups,
                                        char *out) noexcept {
  std::size_t g = 0;
#if TASKFETCH_BASE64_AVX2
  if (groups >= 8 && base64_has_avx2()) g = 8 * base64_decode_avx2(in, groups / 8, out);
#endif
  return g + base64_decode_groups_portable(in + 4 * g, groups - g, out + 3 * g);
}

/// @brief Decodes base64 arriving in chunks. Strict: only the standard
/// alphabet, padding only at the end, no whitespace, no leftover bits.
/// Errors carry the offset of the first bad character within the whole text.
///
/// Decoded bytes go to a sink `bool(const char*, std::size_t)`; a false
/// return stops decoding (error "aborted").
class base64_decoder {
public:
  /// @brief Why decoding stopped; `aborted` means the sink refused the bytes.
  enum class errc { none, bad_character, bad_padding, bad_length, aborted };

  /// @brief Back to a fresh decoder.
  void reset() noexcept { *this = base64_decoder{}; }

  /// @brief Decodes the next chunk; false on a bad character or when the
  /// sink refused (see error()).
  template <class Sink> bool feed(const char *p, std::size_t n, Sink &&sink) {
    if (err_ != errc::none) return false;
    const auto *s = reinterpret_cast<const unsigned char *>(p);
    std::size_t i = 0;
    char buf[buf_size];
    std::size_t used = 0;
    // Finish a group left open by the previous chunk, one character at a time.
    while (i < n && (pending_ != 0 || pad_ != 0)) {
      if (!take(s[i], i, buf, used)) return fail_flush(buf, used, sink);
      ++i;
    }
    // Fast path: whole groups of four, no padding, straight into buf.
    while (i + 4 <= n) {
      if (buf_size - used < slack + 3) {
        if (!sink(static_cast<const char *>(buf), used)) return abort_at(i);
        used = 0;
      }
      const std::size_t want = std::min((n - i) / 4, (buf_size - used - slack) / 3);
      const std::size_t got = base64_decode_groups(s + i, want, buf + used);
      i += 4 * got;
      used += 3 * got;
      decoded_ += 3 * got;
      if (got < want) break; // a bad character or '=': the slow path says which
    }
    for (; i < n; ++i)
      if (!take(s[i], i, buf, used)) return fail_flush(buf, used, sink);
    offset_ += n;
    if (used && !sink(static_cast<const char *>(buf), used)) return abort_at(n);
    return true;
  }

  /// @brief The text ended: checks that it ended on a whole group.
  bool finish() {
    if (err_ != errc::none) return false;
    if (pending_ != 0) {
      err_ = errc::bad_length;
      err_offset_ = offset_;
      return false;
    }
    return true;
  }

  /// @brief Why decoding stopped (none while all is well).
  errc error() const noexcept { return err_; }
  /// @brief Offset of the first bad character in the whole text.
  std::uint64_t error_offset() const noexcept { return err_offset_; }
  /// @brief Characters consumed so far.
  std::uint64_t consumed() const noexcept { return offset_; }
  /// @brief Bytes decoded so far.
  std::uint64_t decoded() const noexcept { return decoded_; }
  /// @brief The error in words, with its offset ("no error" when none).
  std::string error_message() const {
    switch (err_) {
    case errc::none: return "no error";
    case errc::bad_character:
      return "invalid base64 character at offset " + std::to_string(err_offset_);
    case errc::bad_padding:
      return "misplaced base64 padding at offset " + std::to_string(err_offset_);
    case errc::bad_length:
      return "base64 text ends inside a group (length " + std::to_string(err_offset_) +
             " is not a multiple of 4)";
    case errc::aborted: return "decoding stopped by the receiver";
    }
    return "base64 error";
  }

private:
  static constexpr std::size_t buf_size = 48 * 1024;
  static constexpr std::size_t slack = 8; // base64_decode_groups may write past its output

  // One character on the slow path (group boundaries, padding, errors).
  bool take(unsigned char ch, std::size_t i, char *buf, std::size_t &used) {
    if (done_) return set(errc::bad_padding, i); // nothing may follow the padding
    const std::uint8_t v = base64_sextets[ch];
    if (v == 0xFF) return set(errc::bad_character, i);
    if (v == 0xFE) { // '='
      // Allowed only as the 3rd or 4th character of the last group.
      if (pending_ < 2 && pad_ == 0) return set(errc::bad_padding, i);
      if (pad_ == 0) {
        // "xy=" must have no bits left in the unused part of y.
        if (pending_ == 2 && (acc_ & 0x0F) != 0) return set(errc::bad_padding, i);
        if (pending_ == 3 && (acc_ & 0x03) != 0) return set(errc::bad_padding, i);
        if (pending_ == 2)
          buf[used++] = static_cast<char>(acc_ >> 4);
        else {
          buf[used++] = static_cast<char>(acc_ >> 10);
          buf[used++] = static_cast<char>(acc_ >> 2);
        }
        decoded_ += pending_ - 1;
      }
      ++pad_;
      if (++pending_ == 4) {
        pending_ = 0;
        done_ = true; // padding ends the text
      }
      return true;
    }
    if (pad_ != 0 || done_) return set(errc::bad_padding, i);
    acc_ = (acc_ << 6) | v;
    if (++pending_ == 4) {
      buf[used++] = static_cast<char>(acc_ >> 16);
      buf[used++] = static_cast<char>(acc_ >> 8);
      buf[used++] = static_cast<char>(acc_);
      decoded_ += 3;
      pending_ = 0;
      acc_ = 0;
    }
    return true;
  }
  bool set(errc e, std::size_t i) {
    err_ = e;
    err_offset_ = offset_ + i;
    return false;
  }
  template <class Sink> bool fail_flush(const char *buf, std::size_t used, Sink &sink) {
    // Bytes decoded before the bad character still reach the sink, so a
    // caller sees the same data however the text was chunked.
    if (used) sink(buf, used);
    return false;
  }
  bool abort_at(std::size_t i) {
    err_ = errc::aborted;
    err_offset_ = offset_ + i;
    return false;
  }

  std::uint32_t acc_ = 0;
  unsigned pending_ = 0; // characters of the open group
  unsigned pad_ = 0;     // '=' seen
  bool done_ = false;    // a padded group ended the text
  errc err_ = errc::none;
  std::uint64_t offset_ = 0;
  std::uint64_t err_offset_ = 0;
  std::uint64_t decoded_ = 0;
};

/// @brief Decodes a whole base64 text; errors are malformed_response.
inline result<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  base64_decoder d;
  auto sink = [&](const char *p, std::size_t n) {
    out.append(p, n);
    return true;
  };
  if (!d.feed(text.data(), text.size(), sink) || !d.finish())
    return error(error_kind::malformed_response, d.error_message());
  return out;
}

} // namespace taskfetch::detail
