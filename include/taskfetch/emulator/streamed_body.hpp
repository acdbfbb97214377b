/// @file
/// @brief An emulator answer whose base64 is made as the connection reads it, never whole.
///
/// The body is text pieces and byte strings sent base64-encoded, read by
/// range, so a large result is encoded chunk by chunk.
#pragma once

#include <taskfetch/detail/base64.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace taskfetch::emulation::detail {

/// @brief Text pieces and byte strings whose base64 is encoded on demand.
struct streamed_body {
  struct piece {
    std::string text;
    std::shared_ptr<const std::string> bytes; // encoded on the fly when set
    std::uint64_t size;
  };
  std::vector<piece> pieces;
  std::uint64_t total = 0;
  void add_text(std::string t) {
    const auto n = t.size();
    pieces.push_back({std::move(t), nullptr, n});
    total += n;
  }
  void add_base64(std::shared_ptr<const std::string> b) {
    const std::uint64_t n = (b->size() + 2) / 3 * 4;
    pieces.push_back({std::string(), std::move(b), n});
    total += n;
  }
  std::uint64_t size() const { return total; }
  // Keeps only the first n bytes (a cut-off document).
  void cut_to(std::uint64_t n) {
    std::string all = read(0, static_cast<std::size_t>(std::min(n, total)));
    pieces.clear();
    total = 0;
    add_text(std::move(all));
  }
  std::string read(std::uint64_t off, std::size_t len) const {
    std::string out;
    out.reserve(len);
    std::uint64_t base = 0;
    for (const auto &p : pieces) {
      if (out.size() == len) break;
      const std::uint64_t at = off + out.size();
      if (at < base + p.size) {
        const std::uint64_t from = at - base;
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(p.size - from, len - out.size()));
        if (!p.bytes) {
          out.append(p.text, static_cast<std::size_t>(from), want);
        } else {
          // Encode the 3-byte groups covering [from, from+want) and cut.
          const std::uint64_t g0 = from / 4, g1 = (from + want + 3) / 4;
          const std::size_t s0 = static_cast<std::size_t>(g0 * 3);
          const std::size_t s1 =
              static_cast<std::size_t>(std::min<std::uint64_t>(g1 * 3, p.bytes->size()));
          std::string enc;
          enc.reserve((s1 - s0 + 2) / 3 * 4);
          taskfetch::detail::base64_encode_append(enc, p.bytes->data() + s0, s1 - s0);
          out.append(enc, static_cast<std::size_t>(from - g0 * 4), want);
        }
      }
      base += p.size;
    }
    return out;
  }
};

} // namespace taskfetch::emulation::detail
