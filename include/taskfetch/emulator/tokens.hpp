/// @file
/// @brief The emulator's bearer tokens: issued, checked on every API call, revoked at once.
///
/// Lifetimes run on the emulator clock.
#pragma once

#include <taskfetch/emulator/options.hpp>
#include <taskfetch/http.hpp>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>

namespace taskfetch::emulation::detail {

/// @brief Tokens issued and when each expires. Thread-safe.
class token_store {
public:
  /// @p opts (its clock and token_lifetime) must outlive the store.
  explicit token_store(const options &opts) : opts_(opts) {}

  /// @brief A new token, valid for token_lifetime; expired ones are dropped.
  std::string issue() {
    std::lock_guard<std::mutex> lk(m_);
    std::uniform_int_distribution<std::uint64_t> d;
    char buf[48];
    std::snprintf(buf, sizeof buf, "emu.%016llx%016llx", static_cast<unsigned long long>(d(rng_)),
                  static_cast<unsigned long long>(d(rng_)));
    const auto now = opts_.now();
    for (auto it = tokens_.begin(); it != tokens_.end();)
      it = it->second <= now ? tokens_.erase(it) : std::next(it);
    tokens_[buf] = now + opts_.token_lifetime;
    return buf;
  }

  /// @brief Whether @p h, an Authorization header, is "Bearer " and a live token.
  bool admits(const std::string &h) const {
    if (h.size() < 8 || !taskfetch::detail::iequals(h.substr(0, 7), "Bearer ")) return false;
    std::lock_guard<std::mutex> lk(m_);
    auto it = tokens_.find(h.substr(7));
    return it != tokens_.end() && opts_.now() < it->second;
  }

  /// @brief Every issued token stops working.
  void revoke_all() {
    std::lock_guard<std::mutex> lk(m_);
    tokens_.clear();
  }

private:
  const options &opts_;
  mutable std::mutex m_;
  std::unordered_map<std::string, time_point> tokens_; // token -> expiry
  std::mt19937_64 rng_{std::random_device{}()};
};

} // namespace taskfetch::emulation::detail
