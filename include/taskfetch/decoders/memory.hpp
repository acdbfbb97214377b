/// @file
/// @brief in_memory: the skeleton of decoders that keep results in memory.
///
/// The shipped bytes, pdf, table, omr and json decoders are instances of it.
#pragma once

#include <taskfetch/decoder.hpp>
#include <taskfetch/decoders/result_type.hpp>
#include <taskfetch/detail/magic_check.hpp>
#include <taskfetch/detail/result_buffers.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace taskfetch::decoders {

/// @brief Keeps the wanted results in memory and converts one at finish().
///
/// @tparam Traits provides `value_type`, `static result<value_type>
/// convert(std::string&& bytes, std::string_view type)` and `static bool
/// prefers(std::string_view type)` (which result to pick when there are
/// several, e.g. the Csv one of CsvAndExcel) and `static constexpr
/// std::string_view magic`, the bytes the first result must start with
/// (checked as they arrive, so a wrong answer fails early; "" for none).
///
/// With a type filter only results of that type count; without one the
/// first preferred result is taken, else the first result.
template <class Traits> class in_memory {
public:
  using value_type = typename Traits::value_type;

  /// @brief Takes the result whose type is @p type ("" for the default pick).
  explicit in_memory(std::string type = {}) : type_(std::move(type)) {}

  /// @brief A new answer: forget the last one, size the buffer from Content-Length.
  result<void> begin(const fetch_info &info) {
    bufs_.reset();
    reserve_ = detail::reservation_for(info.content_length);
    magic_.reset(Traits::magic, detail::result_kind_phrase(info.result_kind));
    return {};
  }
  /// @brief Every result is kept: its type may come after its data.
  bool want(std::size_t i) {
    bufs_.want(i);
    if (i == 0) detail::reserve_quietly(bufs_.items()[0].data, reserve_);
    return true;
  }
  /// @brief Appends decoded bytes; checks the magic of the first result.
  result<void> write(std::size_t i, const char *p, std::size_t n) {
    if (i == 0 && type_.empty())
      if (auto s = magic_.feed(p, n); !s) return s;
    bufs_.write(i, p, n);
    return {};
  }
  /// @brief Records the result's type; an empty first result still fails a magic check.
  result<void> end_result(std::size_t i, std::string_view type) {
    auto &r = bufs_.end(i, type);
    if (i == 0 && type_.empty() && r.data.empty()) return magic_.at_end();
    return {};
  }
  /// @brief Picks a result (of the filter's type, else the preferred one, else
  /// the first) and converts it; a decode error when there is none to pick.
  result<value_type> finish() {
    detail::buffered_result *r = nullptr;
    if (!type_.empty()) {
      r = bufs_.find(
          [&](const detail::buffered_result &b) { return result_type_is(b.type, type_); });
      if (!r)
        return error(error_kind::decode, "no result of type \"" + type_ + "\" (the answer had " +
                                             bufs_.type_list() + ")");
    } else {
      r = bufs_.find([](const detail::buffered_result &b) { return Traits::prefers(b.type); });
      if (!r) r = bufs_.first();
      if (!r) return detail::no_result_error();
      if (r == &bufs_.items()[0])
        if (auto s = magic_.at_end(); !s) return s.error();
    }
    auto v = Traits::convert(std::move(r->data), r->type);
    bufs_.reset();
    return v;
  }
  /// @brief Frees everything kept, so a failed attempt holds no memory.
  void abort() noexcept { bufs_.reset(); }

private:
  std::string type_;
  detail::result_buffers bufs_;
  detail::magic_check magic_;
  std::size_t reserve_ = 0;
};

} // namespace taskfetch::decoders
