/// @file
/// @brief check_options(): the refusals a client's transport makes before its
/// first request, made at once, so a tool can reject bad settings as a usage
/// error before any connection.
#pragma once

#include <taskfetch/detail/proxy.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/result.hpp>

namespace taskfetch {

/// @brief Fails (kind invalid_argument) as the shipped transports would on
/// their first request: a base URL that does not parse; plain http:// to a
/// host that is not a literal loopback address (127.0.0.0/8, ::1, localhost:
/// decided without DNS) unless allow_insecure_http(); a proxy, from @p o or
/// from the environment, that does not parse. Sends nothing.
inline result<void> check_options(const options &o) {
  auto u = detail::checked_base_url(o.base_url(), o.allow_insecure_http());
  if (!u) return u.error();
  if (auto route = detail::resolve_proxy(o.proxy(), *u, detail::system_env); !route)
    return route.error();
  return {};
}

} // namespace taskfetch
