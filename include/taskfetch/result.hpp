/// @file
/// @brief result<T>: a value or an error, never an exception.
#pragma once

#include <taskfetch/error.hpp>

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace taskfetch {

/// @brief The exception the throwing convenience layer raises; carries the error.
class fetch_error : public std::runtime_error {
public:
  /// @brief Wraps @p e; what() is its message.
  explicit fetch_error(taskfetch::error e)
      : std::runtime_error(e.message()), error_(std::move(e)) {}
  /// @brief The whole error (kind, HTTP status, attempts...), not only its message.
  const taskfetch::error &error() const noexcept { return error_; }

private:
  taskfetch::error error_;
};

namespace detail {
/// What error() answers on a result that holds a value: kind unknown, and a
/// message that says no failure happened. Immutable, so every thread may share it.
inline const taskfetch::error &no_error() noexcept {
  static const taskfetch::error e(error_kind::unknown, "no error: the result holds a value");
  return e;
}
/// The mutable error() on a value: a fresh copy of no_error() owned by the
/// calling thread, so a caller that moves from it or changes it touches
/// nothing another result or thread sees (the next such call resets it).
inline taskfetch::error &no_error_scratch() noexcept {
  thread_local taskfetch::error e;
  try {
    e = no_error();
  } catch (...) {
    // Out of memory: e keeps an earlier caller's copy, still an error value.
  }
  return e;
}
} // namespace detail

/// @brief Holds either a T or an error; tests true when it holds a T.
///
/// Checked access: value() throws fetch_error when an error is held;
/// value_or() substitutes a fallback; error() on a value is never undefined:
/// it answers an error of kind unknown ("no error: the result holds a
/// value"). operator* and operator-> are unchecked, like std::optional's:
/// use them only after testing the result.
template <class T> class [[nodiscard]] result {
public:
  using value_type = T;
  /// @brief Implicit, so a function returning result<T> can `return value;`.
  template <class U = T,
            class = std::enable_if_t<std::is_constructible_v<T, U &&> &&
                                     !std::is_same_v<std::decay_t<U>, taskfetch::error> &&
                                     !std::is_same_v<std::decay_t<U>, result>>>
  result(U &&v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  /// @brief Implicit, so a function returning result<T> can `return error(...);`.
  result(taskfetch::error e) : v_(std::in_place_index<1>, std::move(e)) {}

  /// @brief True when a value is held.
  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  /// @brief The value; throws fetch_error (carrying the error) if an error is held.
  T &value() & {
    check();
    return std::get<0>(v_);
  }
  const T &value() const & {
    check();
    return std::get<0>(v_);
  }
  T &&value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  /// @brief The value, or @p fallback converted to T when an error is held.
  template <class U> T value_or(U &&fallback) const & {
    static_assert(std::is_copy_constructible_v<T> && std::is_convertible_v<U &&, T>,
                  "value_or needs a copyable T and a fallback convertible to T");
    if (has_value()) return *std::get_if<0>(&v_);
    return static_cast<T>(std::forward<U>(fallback));
  }
  /// @brief On an rvalue the value is moved out, not copied.
  template <class U> T value_or(U &&fallback) && {
    static_assert(std::is_move_constructible_v<T> && std::is_convertible_v<U &&, T>,
                  "value_or needs a movable T and a fallback convertible to T");
    if (has_value()) return std::move(*std::get_if<0>(&v_));
    return static_cast<T>(std::forward<U>(fallback));
  }
  /// @brief The value, unchecked: undefined when an error is held (test first).
  T &operator*() &noexcept { return *std::get_if<0>(&v_); }
  const T &operator*() const &noexcept { return *std::get_if<0>(&v_); }
  T &&operator*() &&noexcept { return std::move(*std::get_if<0>(&v_)); }
  /// @brief Member access to the value, unchecked.
  T *operator->() noexcept { return std::get_if<0>(&v_); }
  const T *operator->() const noexcept { return std::get_if<0>(&v_); }
  /// @brief The error held; on a value, a shared immutable error of kind
  /// unknown ("no error: the result holds a value").
  const taskfetch::error &error() const &noexcept {
    if (const auto *e = std::get_if<1>(&v_)) return *e;
    return detail::no_error();
  }
  /// @brief The error held, to change or move from; on a value, the calling
  /// thread's own copy of the kind-unknown error, reset by the next such call.
  taskfetch::error &error() &noexcept {
    if (auto *e = std::get_if<1>(&v_)) return *e;
    return detail::no_error_scratch();
  }

private:
  void check() const {
    if (v_.index() != 0) throw fetch_error(std::get<1>(v_));
  }
  std::variant<T, taskfetch::error> v_;
};

/// @brief result<void>: success, or an error.
///
/// error() on success is defined as for result<T>: an error of kind unknown.
template <> class [[nodiscard]] result<void> {
public:
  using value_type = void;
  /// @brief Success; builds no error at all.
  result() = default;
  /// @brief Failure with @p e; implicit, so a function can `return error(...);`.
  result(taskfetch::error e) : e_(std::move(e)) {}
  /// @brief True on success.
  bool has_value() const noexcept { return !e_; }
  explicit operator bool() const noexcept { return !e_; }
  /// @brief Does nothing on success; throws fetch_error (carrying the error) on failure.
  void value() const {
    if (e_) throw fetch_error(*e_);
  }
  /// @brief The error held; on success, a shared immutable error of kind
  /// unknown ("no error: the result holds a value").
  const taskfetch::error &error() const &noexcept { return e_ ? *e_ : detail::no_error(); }
  /// @brief The error held, to change or move from; on success, the calling
  /// thread's own copy of the kind-unknown error, reset by the next such call.
  taskfetch::error &error() &noexcept { return e_ ? *e_ : detail::no_error_scratch(); }

private:
  // Empty on success: a success builds no error at all.
  std::optional<taskfetch::error> e_;
};

} // namespace taskfetch
