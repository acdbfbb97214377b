/// @file
/// @brief The decoder policy: result bytes in, the user's value out.
#pragma once

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
template <class...> using dec_void_t = void;
template <class D, class = void> struct has_value_type : std::false_type {};
template <class D> struct has_value_type<D, dec_void_t<typename D::value_type>> : std::true_type {};
template <class D, class = void> struct has_begin : std::false_type {};
template <class D>
struct has_begin<
    D, dec_void_t<decltype(std::declval<D &>().begin(std::declval<const fetch_info &>()))>>
    : std::is_convertible<decltype(std::declval<D &>().begin(std::declval<const fetch_info &>())),
                          result<void>> {};
template <class D, class = void> struct has_want : std::false_type {};
template <class D>
struct has_want<D, dec_void_t<decltype(std::declval<D &>().want(std::declval<std::size_t>()))>>
    : std::true_type {};
template <class D, class = void> struct has_write : std::false_type {};
template <class D>
struct has_write<D, dec_void_t<decltype(std::declval<D &>().write(std::declval<std::size_t>(),
                                                                  std::declval<const char *>(),
                                                                  std::declval<std::size_t>()))>>
    : std::is_convertible<decltype(std::declval<D &>().write(std::declval<std::size_t>(),
                                                             std::declval<const char *>(),
                                                             std::declval<std::size_t>())),
                          result<void>> {};
template <class D, class = void> struct has_end_result : std::false_type {};
template <class D>
struct has_end_result<D, dec_void_t<decltype(std::declval<D &>().end_result(
                             std::declval<std::size_t>(), std::declval<std::string_view>()))>>
    : std::true_type {};
template <class D, class = void> struct has_finish : std::false_type {};
template <class D>
struct has_finish<D, dec_void_t<decltype(std::declval<D &>().finish())>> : std::true_type {};
template <class D, class = void> struct has_abort : std::false_type {};
template <class D>
struct has_abort<D, dec_void_t<decltype(std::declval<D &>().abort())>> : std::true_type {};
} // namespace detail

/// @brief True when D meets the decoder requirements (docs/policies.md).
template <class D>
inline constexpr bool is_decoder_v = detail::has_value_type<D>::value &&detail::has_begin<D>::value
    &&detail::has_want<D>::value &&detail::has_write<D>::value &&detail::has_end_result<D>::value
        &&detail::has_finish<D>::value &&detail::has_abort<D>::value;

/// @brief Fails compilation naming the decoder member that is missing.
template <class D> constexpr bool check_decoder() {
  static_assert(detail::has_value_type<D>::value,
                "taskfetch: a decoder needs `using value_type = ...;`");
  static_assert(detail::has_begin<D>::value,
                "taskfetch: a decoder needs `taskfetch::result<void> begin(const "
                "taskfetch::fetch_info&)`");
  static_assert(detail::has_want<D>::value,
                "taskfetch: a decoder needs `bool want(std::size_t index)`");
  static_assert(detail::has_write<D>::value,
                "taskfetch: a decoder needs `taskfetch::result<void> write(std::size_t "
                "index, const char* data, std::size_t size)`");
  static_assert(detail::has_end_result<D>::value,
                "taskfetch: a decoder needs `taskfetch::result<void> end_result("
                "std::size_t index, std::string_view type)`");
  static_assert(detail::has_finish<D>::value,
                "taskfetch: a decoder needs `taskfetch::result<value_type> "
                "finish()`");
  static_assert(detail::has_abort<D>::value, "taskfetch: a decoder needs `void abort() noexcept`");
  return true;
}

} // namespace taskfetch
