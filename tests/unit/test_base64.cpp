// Base64: round trips, every chunking, and each class of bad input with its offset.
#include <taskfetch/detail/base64.hpp>

#include <doctest/doctest.h>

#include <random>
#include <string>

using namespace taskfetch::detail;

namespace {
// The decoder fed in pieces of @p step bytes.
std::string decode_chunked(const std::string &text, std::size_t step, base64_decoder &d, bool &ok) {
  std::string out;
  auto sink = [&](const char *p, std::size_t n) {
    out.append(p, n);
    return true;
  };
  ok = true;
  for (std::size_t i = 0; i < text.size() && ok; i += step)
    ok = d.feed(text.data() + i, std::min(step, text.size() - i), sink);
  if (ok) ok = d.finish();
  return out;
}
} // namespace

TEST_CASE("base64 encodes the RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 decodes what it encodes, whatever the chunk size") {
  std::mt19937 rng(7);
  for (std::size_t len : {0u, 1u, 2u, 3u, 4u, 5u, 63u, 64u, 65u, 1000u, 70000u}) {
    std::string bytes(len, '\0');
    for (auto &c : bytes) c = static_cast<char>(rng());
    const std::string text = base64_encode(bytes);
    for (std::size_t step : {1u, 2u, 3u, 5u, 7u, 64u, 4096u, 100000u}) {
      base64_decoder d;
      bool ok = false;
      CHECK(decode_chunked(text, step, d, ok) == bytes);
      CHECK(ok);
      CHECK(d.decoded() == len);
    }
    auto one = base64_decode(text);
    REQUIRE(one);
    CHECK(*one == bytes);
  }
}

TEST_CASE("base64 rejects bad characters with the offset of the first one") {
  for (std::size_t step : {1u, 3u, 1000u}) {
    base64_decoder d;
    bool ok = true;
    decode_chunked("Zm9vYmFy!m9v", step, d, ok);
    CHECK_FALSE(ok);
    CHECK(d.error() == base64_decoder::errc::bad_character);
    CHECK(d.error_offset() == 8);
  }
  CHECK_FALSE(base64_decode("Zm9v YmFy")); // whitespace is not base64
  CHECK_FALSE(base64_decode("Zm9v\nYmFy"));
  CHECK_FALSE(base64_decode("Zm9-YmFy")); // the URL-safe alphabet is not accepted
}

TEST_CASE("base64 rejects bad length and bad padding") {
  base64_decoder d;
  bool ok = true;
  decode_chunked("Zm9vY", 2, d, ok);
  CHECK_FALSE(ok);
  CHECK(d.error() == base64_decoder::errc::bad_length);
  CHECK_FALSE(base64_decode("Zg="));  // padding cut short
  CHECK_FALSE(base64_decode("Z===")); // too much padding
  CHECK_FALSE(base64_decode("===="));
  CHECK_FALSE(base64_decode("Zg==Zg==")); // data after padding
  CHECK_FALSE(base64_decode("Zh=="));     // non-zero bits in the padding
  CHECK_FALSE(base64_decode("Zm9="));     // 'Zm9=' leaves bits set
  CHECK(base64_decode("Zm8=").value() == "fo");
  auto e = base64_decode("Zg=x");
  REQUIRE_FALSE(e);
  CHECK(e.error().kind() == taskfetch::error_kind::malformed_response);
}

TEST_CASE("base64 decoder stops when the sink refuses") {
  base64_decoder d;
  auto sink = [](const char *, std::size_t) { return false; };
  const std::string t = base64_encode("hello world");
  CHECK_FALSE(d.feed(t.data(), t.size(), sink));
  CHECK(d.error() == base64_decoder::errc::aborted);
}

namespace {
// The one-character-at-a-time reference: sextet or -1.
int reference_sextet(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
} // namespace

TEST_CASE("the group decoder (vector path included) agrees with the reference on every byte") {
  // 256 characters: eight 32-character blocks, so the AVX2 path (when the
  // CPU has it) and the scalar tail both run; one byte value is planted at
  // each position in turn.
  std::mt19937 rng(11);
  std::string text(256, 'A');
  for (auto &c : text) c = base64_alphabet[rng() % 64];
  for (int value = 0; value < 256; ++value) {
    const auto ch = static_cast<unsigned char>(value);
    for (std::size_t pos : {0u, 1u, 5u, 31u, 32u, 100u, 223u, 224u, 255u}) {
      std::string t = text;
      t[pos] = static_cast<char>(ch);
      char out[256 / 4 * 3 + 8];
      const std::size_t got =
          base64_decode_groups(reinterpret_cast<const unsigned char *>(t.data()), 64, out);
      const bool valid = reference_sextet(ch) >= 0;
      CAPTURE(value);
      CAPTURE(pos);
      REQUIRE(got == (valid ? 64 : pos / 4));
      char portable[256 / 4 * 3];
      REQUIRE(base64_decode_groups_portable(reinterpret_cast<const unsigned char *>(t.data()), 64,
                                            portable) == got);
      REQUIRE(std::string(portable, 3 * got) == std::string(out, 3 * got));
      for (std::size_t g = 0; g < got; ++g) {
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k)
          v = (v << 6) | static_cast<std::uint32_t>(
                             reference_sextet(static_cast<unsigned char>(t[4 * g + k])));
        REQUIRE(static_cast<unsigned char>(out[3 * g]) == (v >> 16));
        REQUIRE(static_cast<unsigned char>(out[3 * g + 1]) == ((v >> 8) & 0xFF));
        REQUIRE(static_cast<unsigned char>(out[3 * g + 2]) == (v & 0xFF));
      }
      // Through the streaming decoder: the same verdict and the offset of the byte.
      auto r = base64_decode(t);
      CHECK(static_cast<bool>(r) == valid);
    }
  }
}

TEST_CASE("base64 reports the first bad character of a long text wherever it is") {
  std::mt19937 rng(5);
  std::string bytes(3000, '\0');
  for (auto &c : bytes) c = static_cast<char>(rng());
  const std::string good = base64_encode(bytes);
  for (std::size_t pos : {0u, 31u, 32u, 33u, 1000u, 2047u, 3999u}) {
    for (char bad : {'!', '=', '\n', '-', '\x80'}) {
      if (bad == '=' && pos % 4 >= 2) continue; // there it may be valid padding
      std::string t = good;
      t[pos] = bad;
      for (std::size_t step : {7u, 64u, 100000u}) {
        base64_decoder d;
        bool ok = true;
        const std::string out = decode_chunked(t, step, d, ok);
        CAPTURE(pos);
        CAPTURE(step);
        CHECK_FALSE(ok);
        CHECK(d.error_offset() == pos);
        CHECK(out == bytes.substr(0, pos / 4 * 3)); // every group before the bad one
      }
    }
  }
}
