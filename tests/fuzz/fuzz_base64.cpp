// libFuzzer target: the streaming base64 decoder against a plain reference
// decoder, with random chunking.
#include <taskfetch/detail/base64.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace {
// Strict RFC 4648, one character at a time: the obviously-correct version.
std::optional<std::string> reference(const std::string &t) {
  if (t.size() % 4) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < t.size(); i += 4) {
    unsigned v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = t[i + k];
      const char *a = taskfetch::detail::base64_alphabet;
      const char *p = c ? std::strchr(a, c) : nullptr;
      if (c == '=') {
        if (i + 4 != t.size() || k < 2) return std::nullopt;
        ++pad;
        v[k] = 0;
      } else {
        if (!p || pad) return std::nullopt;
        v[k] = static_cast<unsigned>(p - a);
      }
    }
    const unsigned x = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
    if ((pad == 1 && (x & 0xFF)) || (pad == 2 && (x & 0xFFFF))) return std::nullopt;
    out.push_back(static_cast<char>(x >> 16));
    if (pad < 2) out.push_back(static_cast<char>(x >> 8));
    if (pad < 1) out.push_back(static_cast<char>(x));
  }
  return out;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t step = data[0] % 13 + 1;
  const std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
  taskfetch::detail::base64_decoder d;
  std::string out;
  auto sink = [&](const char *p, std::size_t n) {
    out.append(p, n);
    return true;
  };
  bool ok = true;
  for (std::size_t at = 0; ok && at < text.size(); at += step)
    ok = d.feed(text.data() + at, std::min(step, text.size() - at), sink);
  if (ok) ok = d.finish();
  const auto ref = reference(text);
  if (ok != ref.has_value()) std::abort();
  if (ok && out != *ref) std::abort();
  if (ok && taskfetch::detail::base64_encode(out) != text) std::abort();
  return 0;
}
