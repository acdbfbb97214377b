/// @file
/// @brief The decoder policy: result bytes in, the user's value out.
#pragma once

#include <taskfetch/detail/type_traits.hpp>
#include <taskfetch/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace taskfetch {

/// @brief What a decoder learns when an answer that may carry results starts.
struct fetch_info {
  std::optional<std::uint64_t> content_length; ///< the answer's size, if sent
  std::string_view result_kind;                ///< the endpoint's result kind ("Csv", "Pdf")
  std::string_view magic;                      ///< bytes a good result starts with, or ""
};

namespace detail {
template <class D> using decoder_value_type_t = typename D::value_type;
template <class D>
using decoder_begin_t = decltype(std::declval<D &>().begin(std::declval<const fetch_info &>()));
template <class D>
using decoder_want_t = decltype(std::declval<D &>().want(std::declval<std::size_t>()));
template <class D>
using decoder_write_t = decltype(std::declval<D &>().write(
    std::declval<std::size_t>(), std::declval<const char *>(), std::declval<std::size_t>()));
template <class D>
using decoder_end_result_t = decltype(std::declval<D &>().end_result(
    std::declval<std::size_t>(), std::declval<std::string_view>()));
template <class D> using decoder_finish_t = decltype(std::declval<D &>().finish());
template <class D> using decoder_abort_t = decltype(std::declval<D &>().abort());

/// @brief D::value_type, or void when D has none: entry points name their
/// return type with it, so a decoder without one reaches check_decoder's
/// static_assert instead of vanishing from overload resolution.
template <class D> using decoder_value_t = detected_or_t<void, decoder_value_type_t, D>;

// One trait per row of docs/policies.md's decoder table.
template <class D>
inline constexpr bool decoder_has_value_type_v = is_detected_v<decoder_value_type_t, D>;
template <class D>
inline constexpr bool decoder_has_begin_v =
    is_detected_convertible_v<result<void>, decoder_begin_t, D>;
template <class D>
inline constexpr bool decoder_has_want_v = is_detected_convertible_v<bool, decoder_want_t, D>;
template <class D>
inline constexpr bool decoder_has_write_v =
    is_detected_convertible_v<result<void>, decoder_write_t, D>;
template <class D>
inline constexpr bool decoder_has_end_result_v =
    is_detected_convertible_v<result<void>, decoder_end_result_t, D>;
// Without value_type there is no result<value_type> to compare with: any
// finish() will do, so that only the missing value_type is reported.
template <class D>
inline constexpr bool decoder_has_finish_v =
    decoder_has_value_type_v<D>
        ? is_detected_convertible_v<result<decoder_value_t<D>>, decoder_finish_t, D>
        : is_detected_v<decoder_finish_t, D>;
// noexcept: the machine discards a failed attempt from noexcept code. Any
// return type will do; it is ignored.
template <class D> constexpr bool decoder_abort_ok() {
  if constexpr (is_detected_v<decoder_abort_t, D>)
    return noexcept(std::declval<D &>().abort());
  else
    return false;
}
template <class D> inline constexpr bool decoder_has_abort_v = decoder_abort_ok<D>();
} // namespace detail

/// @brief True when D meets the decoder requirements (docs/policies.md).
template <class D>
inline constexpr bool
    is_decoder_v = (detail::decoder_has_value_type_v<D> && detail::decoder_has_begin_v<D> &&
                    detail::decoder_has_want_v<D> && detail::decoder_has_write_v<D> &&
                    detail::decoder_has_end_result_v<D> && detail::decoder_has_finish_v<D> &&
                    detail::decoder_has_abort_v<D>);

/// @brief Rejects a decoder with one static_assert per missing member, each
/// naming it; returns true, so it can stand in a static_assert of its own.
template <class D> constexpr bool check_decoder() {
  TASKFETCH_REQUIRE_MEMBER("decoder", detail::decoder_has_value_type_v<D>,
                           "using value_type = ...");
  TASKFETCH_REQUIRE_MEMBER("decoder", detail::decoder_has_begin_v<D>,
                           "result<void> begin(const fetch_info&)");
  TASKFETCH_REQUIRE_MEMBER("decoder", detail::decoder_has_want_v<D>, "bool want(std::size_t)");
  TASKFETCH_REQUIRE_MEMBER("decoder", detail::decoder_has_write_v<D>,
                           "result<void> write(std::size_t, const char*, std::size_t)");
  TASKFETCH_REQUIRE_MEMBER("decoder", detail::decoder_has_end_result_v<D>,
                           "result<void> end_result(std::size_t, std::string_view)");
  TASKFETCH_REQUIRE_MEMBER("decoder", detail::decoder_has_finish_v<D>,
                           "result<value_type> finish()");
  TASKFETCH_REQUIRE_MEMBER("decoder", detail::decoder_has_abort_v<D>, "void abort() noexcept");
  return true;
}

} // namespace taskfetch
