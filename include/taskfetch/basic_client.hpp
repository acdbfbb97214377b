/// @file
/// @brief basic_client: transport, retry and clock policies composed into
/// submit / status / wait / fetch / cancel / run calls, each a task_machine
/// driven to its end on the calling thread.
#pragma once

#include <taskfetch/clock.hpp>
#include <taskfetch/decoder.hpp>
#include <taskfetch/detail/fetch_handler.hpp>
#include <taskfetch/detail/token_source.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/retry.hpp>
#include <taskfetch/task_machine.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace taskfetch {

namespace detail {
/// Tells fetch/run's overloads apart: a second argument that is not call
/// options is a decoder, checked by check_decoder, so a type that is nearly
/// a decoder meets the static_assert naming what it lacks, never "no
/// matching function".
template <class Arg>
using not_call_options = std::enable_if_t<!std::is_convertible_v<Arg, const call_options &>>;
} // namespace detail

/// @brief A client of the task API, composed from policies:
/// @tparam Transport moves one HTTP request (docs/policies.md)
/// @tparam Retry decides whether and how long to wait after a failure or a
///         pending answer
/// @tparam Clock gives time and waits, so tests never sleep
///
/// All calls return result<T>; none throws. One client may be shared
/// between threads when its Transport is thread-safe (the shipped ones are).
template <class Transport, class Retry = standard_retry, class Clock = system_clock>
class basic_client {
  static_assert(check_transport<Transport>());
  static_assert(check_retry_policy<Retry>());
  static_assert(check_clock<Clock>());

public:
  /// @brief Transport, for code generic over clients.
  using transport_type = Transport;
  /// @brief Clock, named by task_pool, which waits on the same clock.
  using clock_type = Clock;

  /// @brief A client over an existing transport.
  basic_client(options opts, Transport transport, Retry retry = Retry{}, Clock clock = Clock{})
      : opts_(std::move(opts)), transport_(std::move(transport)), retry_(std::move(retry)),
        clock_(std::move(clock)) {}

  /// @brief The options the client was made with.
  const options &config() const noexcept { return opts_; }
  /// @brief The transport (for statistics or scripted tests).
  Transport &transport() noexcept { return transport_; }
  /// @brief The clock every wait and deadline of this client uses.
  Clock &clock() noexcept { return clock_; }
  /// @brief The retry policy; each operation starts its own state from it.
  const Retry &retry_policy() const noexcept { return retry_; }
  /// @brief Where requests get their bearer token (shared by all calls).
  detail::token_source &tokens() noexcept { return tokens_; }

  /// @brief Sends the input; answers the new task's id.
  template <class E>
  result<std::string> submit(const typename endpoint_traits<E>::input &in,
                             const call_options &co = {}) {
    detail::no_result d;
    task_machine<basic_client, E, detail::no_result> m(*this, task_goal::submit, co, d);
    m.with_body(endpoint_traits<E>::submit_body(in)).run_here();
    if (m.failure()) return *m.failure();
    return m.id();
  }

  /// @brief One poll, no waiting: where the task stands now.
  template <class E> result<task_status> status(std::string_view id, const call_options &co = {}) {
    detail::no_result d;
    task_machine<basic_client, E, detail::no_result> m(*this, task_goal::status, co, d);
    m.with_id(std::string(id)).run_here();
    if (m.failure()) return *m.failure();
    return m.last_status();
  }

  /// @brief Polls until the task is finished (done, failed or not found).
  /// Done answers task_status; failed/not found answer an error.
  template <class E> result<task_status> wait(std::string_view id, const call_options &co = {}) {
    detail::no_result d;
    task_machine<basic_client, E, detail::no_result> m(*this, task_goal::wait, co, d);
    m.with_id(std::string(id)).run_here();
    if (auto v = m.take_value(); !v) return std::move(v.error());
    return m.last_status();
  }

  /// @brief Waits for the task and decodes its result with the endpoint's
  /// default decoder.
  template <class E>
  result<detail::decoder_value_t<typename endpoint_traits<E>::default_decoder>>
  fetch(std::string_view id, const call_options &co = {}) {
    typename endpoint_traits<E>::default_decoder d{};
    return fetch<E>(id, d, co);
  }

  /// @brief Waits for the task and decodes its result with @p decoder.
  /// Any second argument but call options is taken for a decoder and checked
  /// (docs/policies.md, "How the checks are reached").
  template <class E, class Decoder, class = detail::not_call_options<Decoder>>
  result<detail::decoder_value_t<std::decay_t<Decoder>>>
  fetch(std::string_view id, Decoder &&decoder, const call_options &co = {}) {
    static_assert(check_decoder<std::decay_t<Decoder>>());
    task_machine<basic_client, E, std::remove_reference_t<Decoder>> m(*this, task_goal::wait, co,
                                                                      decoder);
    m.with_id(std::string(id)).run_here();
    return m.take_value();
  }

  /// @brief Cancels the task (DELETE).
  template <class E> result<void> cancel(std::string_view id, const call_options &co = {}) {
    detail::no_result d;
    task_machine<basic_client, E, detail::no_result> m(*this, task_goal::cancel, co, d);
    m.with_id(std::string(id)).run_here();
    if (m.failure()) return *m.failure();
    return {};
  }

  /// @brief Submits, waits and decodes with the default decoder.
  template <class E>
  result<detail::decoder_value_t<typename endpoint_traits<E>::default_decoder>>
  run(const typename endpoint_traits<E>::input &in, const call_options &co = {}) {
    typename endpoint_traits<E>::default_decoder d{};
    return run<E>(in, d, co);
  }

  /// @brief Submits, waits and decodes with @p decoder, under one deadline.
  template <class E, class Decoder, class = detail::not_call_options<Decoder>>
  result<detail::decoder_value_t<std::decay_t<Decoder>>>
  run(const typename endpoint_traits<E>::input &in, Decoder &&decoder,
      const call_options &co = {}) {
    static_assert(check_decoder<std::decay_t<Decoder>>());
    task_machine<basic_client, E, std::remove_reference_t<Decoder>> m(*this, task_goal::run, co,
                                                                      decoder);
    m.with_body(endpoint_traits<E>::submit_body(in)).run_here();
    return m.take_value();
  }

private:
  options opts_;
  Transport transport_;
  Retry retry_;
  Clock clock_;
  detail::token_source tokens_;
};

} // namespace taskfetch
