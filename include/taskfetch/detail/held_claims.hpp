/// @file
/// @brief The claims one shared-journal handle believes it holds, so renew()
/// can name the ones it lost (the store only knows what it still extends).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <cstdint>

namespace taskfetch::detail {

/// Thread-safe map from input key to the attempt this worker claimed it at.
class held_claims {
public:
  /// The worker claimed @p input at @p attempt.
  void hold(const std::string &input, std::int64_t attempt) {
    std::lock_guard<std::mutex> lk(m_);
    held_[input] = attempt;
  }
  /// The worker let go of @p input at @p attempt (finished, failed for good, released).
  void drop(const std::string &input, std::int64_t attempt) {
    std::lock_guard<std::mutex> lk(m_);
    auto it = held_.find(input);
    if (it != held_.end() && it->second == attempt) held_.erase(it);
  }
  /// Every held claim (input to attempt), for a query that must spare them.
  std::map<std::string, std::int64_t> held() const {
    std::lock_guard<std::mutex> lk(m_);
    return held_;
  }
  /// After a renewal that extended @p kept (input, attempt): forgets and
  /// returns every other held claim, the ones lost.
  std::vector<std::string> keep_only(const std::map<std::string, std::int64_t> &kept) {
    std::lock_guard<std::mutex> lk(m_);
    std::vector<std::string> lost;
    for (auto it = held_.begin(); it != held_.end();) {
      auto k = kept.find(it->first);
      if (k == kept.end() || k->second != it->second) {
        lost.push_back(it->first);
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
    return lost;
  }

private:
  mutable std::mutex m_;
  std::map<std::string, std::int64_t> held_;
};

} // namespace taskfetch::detail
