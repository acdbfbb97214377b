/// @file
/// @brief SHA-256 of bytes and files, through OpenSSL's EVP (already a
/// dependency of the HTTPS transport), as lower-case hex.
#pragma once

#include <taskfetch/result.hpp>

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace taskfetch::detail {

/// @brief Incremental SHA-256.
class sha256 {
public:
  sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (ctx_) EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  /// @brief Adds bytes.
  void update(const char *p, std::size_t n) {
    if (ctx_) EVP_DigestUpdate(ctx_.get(), p, n);
  }
  /// @brief The digest as 64 hex digits ("" if OpenSSL failed).
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

/// @brief SHA-256 of @p s.
inline std::string sha256_hex(std::string_view s) {
  sha256 h;
  h.update(s.data(), s.size());
  return h.hex();
}

/// @brief SHA-256 and size of a file; an error if it cannot be read.
struct file_digest {
  std::uint64_t size = 0; ///< bytes
  std::string sha256;     ///< hex digest
};

/// @brief Hashes the file at @p p.
inline result<file_digest> sha256_file(const std::filesystem::path &p) {
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> f(std::fopen(p.c_str(), "rb"), &std::fclose);
  if (!f) return error(error_kind::invalid_argument, "cannot read " + p.string());
  sha256 h;
  file_digest d;
  std::string buf(1 << 16, '\0');
  for (;;) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n == 0) break;
    h.update(buf.data(), n);
    d.size += n;
  }
  if (std::ferror(f.get())) return error(error_kind::invalid_argument, "cannot read " + p.string());
  d.sha256 = h.hex();
  return d;
}

} // namespace taskfetch::detail
