/// @file
/// @brief The one detection idiom the policy checks are built on, in the
/// style of std::experimental::is_detected, and the macro that words every
/// policy's "missing member" static_assert the same way.
#pragma once

#include <type_traits>

namespace taskfetch::detail {

/// @brief What detected_t names when the expression is ill-formed; it can be
/// neither made nor converted, so no check mistakes it for a real answer.
struct nonesuch {
  nonesuch() = delete;
  ~nonesuch() = delete;
  nonesuch(const nonesuch &) = delete;
  void operator=(const nonesuch &) = delete;
};

template <class Default, class AlwaysVoid, template <class...> class Op, class... Args>
struct detector {
  using value_t = std::false_type;
  using type = Default;
};
template <class Default, template <class...> class Op, class... Args>
struct detector<Default, std::void_t<Op<Args...>>, Op, Args...> {
  using value_t = std::true_type;
  using type = Op<Args...>;
};

/// @brief std::true_type when Op<Args...> is well-formed (Op is usually a
/// decltype of the member call being asked about), std::false_type otherwise.
template <template <class...> class Op, class... Args>
using is_detected = typename detector<nonesuch, void, Op, Args...>::value_t;

/// @brief is_detected as a bool.
template <template <class...> class Op, class... Args>
inline constexpr bool is_detected_v = is_detected<Op, Args...>::value;

/// @brief Op<Args...>, or nonesuch when it is ill-formed.
template <template <class...> class Op, class... Args>
using detected_t = typename detector<nonesuch, void, Op, Args...>::type;

/// @brief Op<Args...>, or Default when it is ill-formed (how optional
/// members fall back to their defaults).
template <class Default, template <class...> class Op, class... Args>
using detected_or_t = typename detector<Default, void, Op, Args...>::type;

/// @brief Op<Args...> is well-formed and converts to To: a member that exists
/// but returns the wrong thing counts as missing.
template <class To, template <class...> class Op, class... Args>
inline constexpr bool is_detected_convertible_v =
    std::conjunction_v<is_detected<Op, Args...>, std::is_convertible<detected_t<Op, Args...>, To>>;

} // namespace taskfetch::detail

/// One static_assert of a policy check: fires when @p ok is false, with the
/// message "taskfetch <policy>: missing member `<member>`". Both strings are
/// the words of docs/policies.md's tables; a macro because a static_assert
/// message must be one string literal.
#define TASKFETCH_REQUIRE_MEMBER(policy, ok, member)                                               \
  static_assert(ok, "taskfetch " policy ": missing member `" member "`")
