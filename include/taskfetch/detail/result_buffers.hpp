/// @file
/// @brief Results held in memory: sizing from Content-Length and a buffer per result.
///
/// The buffers are per index, for decoders that choose a result by its type
/// at the end.
#pragma once

#include <taskfetch/decoder.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskfetch::detail {

/// @brief Most bytes reserved up front from a Content-Length (4 GiB).
inline constexpr std::uint64_t max_reservation = std::uint64_t{4} << 30;

/// @brief An upper bound of a result's decoded size from the answer's
/// Content-Length (base64 makes 3 bytes of every 4), capped; 0 when unknown.
inline std::size_t reservation_for(std::optional<std::uint64_t> content_length) noexcept {
  if (!content_length) return 0;
  std::uint64_t n = *content_length / 4 * 3 + 3;
  n = std::min(n, max_reservation);
  n = std::min<std::uint64_t>(n, std::numeric_limits<std::size_t>::max() / 2);
  return static_cast<std::size_t>(n);
}

/// @brief Reserves @p n in @p c when that is more than it has; a failed
/// reservation only costs reallocations later, so it is ignored.
template <class Container> void reserve_quietly(Container &c, std::size_t n) noexcept {
  if (n <= c.capacity()) return;
  try {
    c.reserve(n);
  } catch (...) {
  }
}

/// @brief One result held in memory.
struct buffered_result {
  std::string data;      ///< decoded bytes
  std::string type;      ///< the service's type word (set at end_result)
  bool wanted = false;   ///< want() said yes
  bool complete = false; ///< end_result() came
};

/// @brief The results of one answer, by index; reset at each begin().
class result_buffers {
public:
  /// @brief Forgets everything (a new attempt).
  void reset() noexcept { items_.clear(); }
  /// @brief Marks result @p i as kept.
  void want(std::size_t i) { at(i).wanted = true; }
  /// @brief Appends bytes of result @p i (ignored unless wanted).
  void write(std::size_t i, const char *p, std::size_t n) {
    auto &r = at(i);
    if (r.wanted) r.data.append(p, n);
  }
  /// @brief Result @p i is complete with type @p type.
  buffered_result &end(std::size_t i, std::string_view type) {
    auto &r = at(i);
    r.type.assign(type.data(), type.size());
    r.complete = true;
    return r;
  }
  /// @brief Every result seen so far, by index, wanted or not.
  std::vector<buffered_result> &items() noexcept { return items_; }
  /// @brief The first complete, wanted result satisfying @p pred, or null.
  template <class Pred> buffered_result *find(Pred pred) {
    for (auto &r : items_)
      if (r.complete && r.wanted && pred(r)) return &r;
    return nullptr;
  }
  /// @brief The first complete, wanted result, or null.
  buffered_result *first() {
    return find([](const buffered_result &) { return true; });
  }
  /// @brief The types of all complete results, for messages: "Csv, Excel".
  std::string type_list() const {
    std::string s;
    for (const auto &r : items_) {
      if (!r.complete) continue;
      if (!s.empty()) s += ", ";
      s += r.type.empty() ? std::string("(no type)") : r.type;
    }
    return s.empty() ? std::string("none") : s;
  }

private:
  buffered_result &at(std::size_t i) {
    if (i >= items_.size()) items_.resize(i + 1);
    return items_[i];
  }
  std::vector<buffered_result> items_;
};

/// @brief The error for a finished answer without the result a decoder needs.
inline error no_result_error() { return error(error_kind::decode, "the answer carried no result"); }

} // namespace taskfetch::detail
