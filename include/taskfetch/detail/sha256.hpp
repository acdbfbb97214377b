/// @file
/// @brief SHA-256 of bytes and files as lower-case hex, through OpenSSL's EVP.
///
/// OpenSSL is already a dependency of the HTTPS transport.
#pragma once

#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/result.hpp>

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace taskfetch::detail {

/// @brief SHA-256 of bytes fed in any number of update() calls, then read once with hex().
class sha256 {
public:
  sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (ctx_) EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void update(const char *p, std::size_t n) {
    if (ctx_) EVP_DigestUpdate(ctx_.get(), p, n);
  }
  /// @brief The digest as 64 hex digits ("" if OpenSSL failed); finalizes, so call it once.
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ctx_ || EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) return {};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out.push_back(digits[md[i] >> 4]);
      out.push_back(digits[md[i] & 15]);
    }
    return out;
  }

private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

/// @brief The SHA-256 of @p s as 64 lower-case hex digits.
inline std::string sha256_hex(std::string_view s) {
  sha256 h;
  h.update(s.data(), s.size());
  return h.hex();
}

/// @brief What sha256_file() reports about a file.
struct file_digest {
  std::uint64_t size = 0; ///< bytes
  std::string sha256;     ///< hex digest
};

/// @brief Hashes the file at @p p; an io error naming it when it cannot be read.
inline result<file_digest> sha256_file(const std::filesystem::path &p) {
  sha256 h;
  file_digest d;
  if (const int e = read_chunks(p, [&](const char *data, std::size_t n) {
        h.update(data, n);
        d.size += n;
      }))
    return io_error("cannot read " + p.string(), e);
  d.sha256 = h.hex();
  return d;
}

} // namespace taskfetch::detail
