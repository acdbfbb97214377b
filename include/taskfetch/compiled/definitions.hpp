/// @file
/// @brief The compiled mode's code: the compiled client's members, for the
/// three shipped endpoints. Include it in exactly ONE .cpp of a program whose
/// files are built with TASKFETCH_COMPILED_LIB (the taskfetch::compiled
/// library is that file, built for you); every other file includes
/// `<taskfetch/taskfetch.hpp>` or `<taskfetch/client.hpp>` and sees
/// declarations only (docs/build_time.md).
// A guard, not `#pragma once`: the libraries' builds compile a copy of this
// file as their main file, where GCC warns about the pragma.
#ifndef TASKFETCH_COMPILED_DEFINITIONS_HPP
#define TASKFETCH_COMPILED_DEFINITIONS_HPP

// This file defines the compiled mode's client, so it is in compiled mode
// whatever the build says.
#ifndef TASKFETCH_COMPILED_LIB
#define TASKFETCH_COMPILED_LIB
#endif

#include <taskfetch/compiled/client.hpp>

#include <taskfetch/basic_client.hpp>
#include <taskfetch/decoders/to_file.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/transports/httplib.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace taskfetch {

namespace detail {
// What the light header promises of each endpoint is what its traits say.
template <class E> constexpr bool compiled_endpoint_matches() {
  using traits = endpoint_traits<E>;
  static_assert(std::is_same_v<compiled_input_t<E>, typename traits::input>,
                "compiled/client.hpp names another input than the endpoint's traits");
  static_assert(
      std::is_same_v<compiled_value_t<E>, decoder_value_t<typename traits::default_decoder>>,
      "compiled/client.hpp names another result than the default decoder's");
  static_assert(std::is_same_v<decoder_value_t<decoders::to_file>, file_result>,
                "compiled/client.hpp names another result than decoders::to_file's");
  return true;
}
static_assert(compiled_endpoint_matches<endpoints::recognize_table>());
static_assert(compiled_endpoint_matches<endpoints::recognize_template>());
static_assert(compiled_endpoint_matches<endpoints::djvu2pdf>());
} // namespace detail

inline namespace compiled {

/// The header-only mode's client, held behind the pointer.
struct client::impl {
  basic_client<httplib_transport> api;
  explicit impl(const options &opts) : api(opts, httplib_transport(transport_settings_for(opts))) {}
};

client::client(options opts) : impl_(std::make_unique<impl>(opts)) {}
client::~client() = default;
client::client(client &&other) noexcept = default;
client &client::operator=(client &&other) noexcept = default;

const options &client::config() const noexcept { return impl_->api.config(); }

template <class E>
result<std::string> client::do_submit(const detail::compiled_input_t<E> &in,
                                      const call_options &co) {
  return impl_->api.submit<E>(in, co);
}
template <class E>
result<task_status> client::do_status(std::string_view id, const call_options &co) {
  return impl_->api.status<E>(id, co);
}
template <class E>
result<task_status> client::do_wait(std::string_view id, const call_options &co) {
  return impl_->api.wait<E>(id, co);
}
template <class E>
result<detail::compiled_value_t<E>> client::do_fetch(std::string_view id, const call_options &co) {
  return impl_->api.fetch<E>(id, co);
}
template <class E, class Decoder>
result<detail::compiled_file_value_t<Decoder>>
client::do_fetch_to_file(std::string_view id, Decoder &decoder, const call_options &co) {
  return impl_->api.fetch<E>(id, decoder, co);
}
template <class E> result<void> client::do_cancel(std::string_view id, const call_options &co) {
  return impl_->api.cancel<E>(id, co);
}
template <class E>
result<detail::compiled_value_t<E>> client::do_run(const detail::compiled_input_t<E> &in,
                                                   const call_options &co) {
  return impl_->api.run<E>(in, co);
}
template <class E, class Decoder>
result<detail::compiled_file_value_t<Decoder>>
client::do_run_to_file(const detail::compiled_input_t<E> &in, Decoder &decoder,
                       const call_options &co) {
  return impl_->api.run<E>(in, decoder, co);
}

// Every call for every shipped endpoint, compiled here once.
#define TASKFETCH_COMPILED_INSTANTIATE(E)                                                          \
  template result<std::string> client::do_submit<E>(const detail::compiled_input_t<E> &,           \
                                                    const call_options &);                         \
  template result<task_status> client::do_status<E>(std::string_view, const call_options &);       \
  template result<task_status> client::do_wait<E>(std::string_view, const call_options &);         \
  template result<detail::compiled_value_t<E>> client::do_fetch<E>(std::string_view,               \
                                                                   const call_options &);          \
  template result<file_result> client::do_fetch_to_file<E, decoders::to_file>(                     \
      std::string_view, decoders::to_file &, const call_options &);                                \
  template result<void> client::do_cancel<E>(std::string_view, const call_options &);              \
  template result<detail::compiled_value_t<E>> client::do_run<E>(                                  \
      const detail::compiled_input_t<E> &, const call_options &);                                  \
  template result<file_result> client::do_run_to_file<E, decoders::to_file>(                       \
      const detail::compiled_input_t<E> &, decoders::to_file &, const call_options &);

TASKFETCH_COMPILED_INSTANTIATE(endpoints::recognize_table)
TASKFETCH_COMPILED_INSTANTIATE(endpoints::recognize_template)
TASKFETCH_COMPILED_INSTANTIATE(endpoints::djvu2pdf)

#undef TASKFETCH_COMPILED_INSTANTIATE

} // namespace compiled
} // namespace taskfetch

#endif // TASKFETCH_COMPILED_DEFINITIONS_HPP
