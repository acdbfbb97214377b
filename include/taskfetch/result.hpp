/// @file
/// @brief result<T>: a value or an error, never an exception.
#pragma once

#include <taskfetch/error.hpp>

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
  /// @brief The error value.
  const taskfetch::error &error() const noexcept { return error_; }

private:
  taskfetch::error error_;
};

/// @brief Holds either a T or an error; tests true when it holds a T.
template <class T> class [[nodiscard]] result {
public:
  using value_type = T;
  /// @brief A result holding a value.
  template <class U = T,
            class = std::enable_if_t<std::is_constructible_v<T, U &&> &&
                                     !std::is_same_v<std::decay_t<U>, taskfetch::error> &&
                                     !std::is_same_v<std::decay_t<U>, result>>>
  result(U &&v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  /// @brief A result holding an error.
  result(taskfetch::error e) : v_(std::in_place_index<1>, std::move(e)) {}

  /// @brief True when a value is held.
  bool has_value() const noexcept { return v_.index() == 0; }
  /// @brief Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }
  /// @brief The value; throws fetch_error if an error is held.
  T &value() & {
    check();
    return std::get<0>(v_);
  }
  /// @brief Const overload of value().
  const T &value() const & {
    check();
    return std::get<0>(v_);
  }
  /// @brief Rvalue overload of value().
  T &&value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  /// @brief The value, unchecked.
  T &operator*() &noexcept { return *std::get_if<0>(&v_); }
  /// @brief Const unchecked access.
  const T &operator*() const &noexcept { return *std::get_if<0>(&v_); }
  /// @brief Rvalue unchecked access.
  T &&operator*() &&noexcept { return std::move(*std::get_if<0>(&v_)); }
  /// @brief Member access to the value, unchecked.
  T *operator->() noexcept { return std::get_if<0>(&v_); }
  /// @brief Const member access, unchecked.
  const T *operator->() const noexcept { return std::get_if<0>(&v_); }
  /// @brief The error; only valid when !has_value().
  const taskfetch::error &error() const &noexcept { return *std::get_if<1>(&v_); }
  /// @brief Mutable access to the error.
  taskfetch::error &error() &noexcept { return *std::get_if<1>(&v_); }

private:
  void check() const {
    if (v_.index() != 0) throw fetch_error(std::get<1>(v_));
  }
  std::variant<T, taskfetch::error> v_;
};

/// @brief result<void>: success, or an error.
template <> class [[nodiscard]] result<void> {
public:
  using value_type = void;
  /// @brief Success.
  result() = default;
  /// @brief Failure.
  result(taskfetch::error e) : e_(std::move(e)), failed_(true) {}
  /// @brief True on success.
  bool has_value() const noexcept { return !failed_; }
  /// @brief Same as has_value().
  explicit operator bool() const noexcept { return !failed_; }
  /// @brief Throws fetch_error on failure.
  void value() const {
    if (failed_) throw fetch_error(e_);
  }
  /// @brief The error; only valid on failure.
  const taskfetch::error &error() const &noexcept { return e_; }
  /// @brief Mutable access to the error.
  taskfetch::error &error() &noexcept { return e_; }

private:
  taskfetch::error e_;
  bool failed_ = false;
};

/// @brief Shorthand for success or an error.
using status = result<void>;

} // namespace taskfetch
