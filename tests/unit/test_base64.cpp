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
