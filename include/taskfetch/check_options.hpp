/// @file
/// @brief check_options(): the refusals a client's transport makes before its
/// first request, made at once, so a tool can reject bad settings as a usage
/// error before any connection.
#pragma once

#include <taskfetch/detail/target.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>

namespace taskfetch {

/// @brief Fails (kind invalid_argument) as the shipped transports would on
/// their first request: a base URL that does not parse; plain http:// to a
/// host that is not a literal loopback address (127.0.0.0/8, ::1, localhost:
/// decided without DNS) unless allow_insecure_http(); a proxy, from @p o or
/// from the environment, that does not parse. Sends nothing.
inline result<void> check_options(const options &o) {
  if (auto t = detail::resolve_target(transport_settings_for(o)); !t) return t.error();
  return {};
}

/// @brief check_options() as @p Transport's first request would fail, its
/// refusal of https included (httplib_transport built without OpenSSL):
/// `check_options<httplib_transport>(o)`. @p Transport names the reason in
/// a static `no_https` (nullptr when it has TLS).
template <class Transport> result<void> check_options(const options &o) {
  if (auto t = detail::resolve_target(transport_settings_for(o), Transport::no_https); !t)
    return t.error();
  return {};
}

} // namespace taskfetch
