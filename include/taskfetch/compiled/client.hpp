/// @file
/// @brief The compiled mode's taskfetch::client (TASKFETCH_COMPILED_LIB):
/// the same calls as the header-only client's for the three shipped
/// endpoints, declared here and compiled once, in the taskfetch::compiled
/// library or in one file of yours that includes
/// `<taskfetch/compiled/definitions.hpp>` (docs/build_time.md).
///
/// No cpp-httplib, nlohmann::json or pugixml here: a file that calls the
/// client compiles only these declarations and the standard library.
#pragma once

// Including this header is being in compiled mode: fwd.hpp below must then
// declare this client, not the header-only one.
#ifndef TASKFETCH_COMPILED_LIB
#define TASKFETCH_COMPILED_LIB
#endif

#include <taskfetch/fwd.hpp>
#include <taskfetch/inputs.hpp>
#include <taskfetch/omr_element.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/table.hpp>
#include <taskfetch/task_state.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace taskfetch {

namespace decoders {
class to_file; // <taskfetch/decoders/to_file.hpp>, included where it is made
} // namespace decoders

namespace detail {
/// What the compiled client knows of an endpoint without its traits (which
/// need nlohmann::json): its input and its default decoder's value. The
/// library's own file checks these against endpoint_traits.
template <class E> struct compiled_endpoint {
  static constexpr bool shipped = false;
  // Placeholders, so that a call with another endpoint stops at the
  // static_assert naming it and nowhere else.
  using input = image_input;
  using value = std::string;
};
template <> struct compiled_endpoint<endpoints::recognize_table> {
  static constexpr bool shipped = true;
  using input = image_input;
  using value = table;
};
template <> struct compiled_endpoint<endpoints::recognize_template> {
  static constexpr bool shipped = true;
  using input = omr_input;
  using value = std::vector<omr_element>;
};
template <> struct compiled_endpoint<endpoints::djvu2pdf> {
  static constexpr bool shipped = true;
  using input = image_input;
  using value = std::string;
};

/// What decoders::to_file answers, named through the decoder so that
/// file_result (and <filesystem>) is needed only where to_file is used; for
/// any other decoder a complete placeholder, so that the static_assert naming
/// the limit is the only error.
template <class Decoder> struct compiled_file_value {
  using type = std::conditional_t<std::is_same_v<Decoder, decoders::to_file>, file_result, void>;
};
template <class Decoder>
using compiled_file_value_t = typename compiled_file_value<std::decay_t<Decoder>>::type;

template <class E> using compiled_input_t = typename compiled_endpoint<E>::input;
template <class E> using compiled_value_t = typename compiled_endpoint<E>::value;

/// As basic_client's: a second argument that is not call options is a decoder.
template <class Arg>
using compiled_not_call_options =
    std::enable_if_t<!std::is_convertible_v<Arg, const call_options &>>;
} // namespace detail

#define TASKFETCH_COMPILED_ENDPOINT_CHECK(E)                                                       \
  static_assert(detail::compiled_endpoint<E>::shipped,                                             \
                "taskfetch::client in compiled mode (TASKFETCH_COMPILED_LIB) serves only the "     \
                "shipped endpoints (recognize_table, recognize_template, djvu2pdf); for another "  \
                "endpoint use header-only mode (docs/build_time.md)")

#define TASKFETCH_COMPILED_DECODER_CHECK(Decoder)                                                  \
  static_assert(std::is_same_v<std::decay_t<Decoder>, decoders::to_file>,                          \
                "taskfetch::client in compiled mode (TASKFETCH_COMPILED_LIB) decodes with the "    \
                "endpoint's default decoder or decoders::to_file only; for another decoder use "   \
                "header-only mode (docs/build_time.md)")

// Its own inline namespace: the header-only client is taskfetch::client too,
// and a program may hold files of both modes without two definitions of one
// class.
inline namespace compiled {

/// @brief The default client (HTTPS through cpp-httplib, standard retry, real
/// clock) with its code compiled once, in a library, instead of in every
/// file that calls it.
///
/// Same calls as the header-only client for the shipped endpoints with their
/// default decoders, plus decoders::to_file. A custom decoder, another
/// endpoint, or the client's transport, clock and retry policy need
/// header-only mode. Movable; a moved-from client may only be destroyed or
/// assigned to.
class client {
public:
  /// @brief A client for @p opts (base URL, credentials, timeouts).
  explicit client(options opts);
  /// @brief Ends the client; its connections close.
  ~client();
  /// @brief Takes @p other's connections and token.
  client(client &&other) noexcept;
  /// @brief Takes @p other's connections and token.
  client &operator=(client &&other) noexcept;
  client(const client &) = delete;
  client &operator=(const client &) = delete;

  /// @brief The options the client was made with.
  const options &config() const noexcept;

  /// @brief Sends the input; answers the new task's id.
  template <class E>
  result<std::string> submit(const detail::compiled_input_t<E> &in, const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    return do_submit<E>(in, co);
  }

  /// @brief One poll, no waiting: where the task stands now.
  template <class E> result<task_status> status(std::string_view id, const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    return do_status<E>(id, co);
  }

  /// @brief Polls until the task is finished (done, failed or not found).
  /// Done answers task_status; failed/not found answer an error.
  template <class E> result<task_status> wait(std::string_view id, const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    return do_wait<E>(id, co);
  }

  /// @brief Waits for the task and decodes its result with the endpoint's
  /// default decoder.
  template <class E>
  result<detail::compiled_value_t<E>> fetch(std::string_view id, const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    return do_fetch<E>(id, co);
  }

  /// @brief Waits for the task and streams its result into a file
  /// (decoders::to_file; include `<taskfetch/decoders/to_file.hpp>`). Other
  /// decoders need header-only mode.
  template <class E, class Decoder, class = detail::compiled_not_call_options<Decoder>>
  result<detail::compiled_file_value_t<Decoder>> fetch(std::string_view id, Decoder &&decoder,
                                                       const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    TASKFETCH_COMPILED_DECODER_CHECK(Decoder);
    return do_fetch_to_file<E, std::decay_t<Decoder>>(id, decoder, co);
  }

  /// @brief Cancels the task (DELETE).
  template <class E> result<void> cancel(std::string_view id, const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    return do_cancel<E>(id, co);
  }

  /// @brief Submits, waits and decodes with the default decoder.
  template <class E>
  result<detail::compiled_value_t<E>> run(const detail::compiled_input_t<E> &in,
                                          const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    return do_run<E>(in, co);
  }

  /// @brief Submits, waits and streams the result into a file
  /// (decoders::to_file), under one deadline. Other decoders need
  /// header-only mode.
  template <class E, class Decoder, class = detail::compiled_not_call_options<Decoder>>
  result<detail::compiled_file_value_t<Decoder>>
  run(const detail::compiled_input_t<E> &in, Decoder &&decoder, const call_options &co = {}) {
    TASKFETCH_COMPILED_ENDPOINT_CHECK(E);
    TASKFETCH_COMPILED_DECODER_CHECK(Decoder);
    return do_run_to_file<E, std::decay_t<Decoder>>(in, decoder, co);
  }

private:
  // Defined in compiled/definitions.hpp and instantiated there for the
  // shipped endpoints; this file sees declarations only.
  template <class E>
  result<std::string> do_submit(const detail::compiled_input_t<E> &in, const call_options &co);
  template <class E> result<task_status> do_status(std::string_view id, const call_options &co);
  template <class E> result<task_status> do_wait(std::string_view id, const call_options &co);
  template <class E>
  result<detail::compiled_value_t<E>> do_fetch(std::string_view id, const call_options &co);
  // Over any decoder so that another one stops at the static_assert alone;
  // only decoders::to_file is instantiated.
  template <class E, class Decoder>
  result<detail::compiled_file_value_t<Decoder>>
  do_fetch_to_file(std::string_view id, Decoder &decoder, const call_options &co);
  template <class E> result<void> do_cancel(std::string_view id, const call_options &co);
  template <class E>
  result<detail::compiled_value_t<E>> do_run(const detail::compiled_input_t<E> &in,
                                             const call_options &co);
  template <class E, class Decoder>
  result<detail::compiled_file_value_t<Decoder>>
  do_run_to_file(const detail::compiled_input_t<E> &in, Decoder &decoder, const call_options &co);

  struct impl; // the header-only client it wraps
  std::unique_ptr<impl> impl_;
};

} // namespace compiled
} // namespace taskfetch

#undef TASKFETCH_COMPILED_ENDPOINT_CHECK
#undef TASKFETCH_COMPILED_DECODER_CHECK
