/// @file
/// @brief resolve_target(): where a transport sends, decided once for both
/// shipped transports, check_options() and the CLI's proxy note.
#pragma once

#include <taskfetch/detail/proxy.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>
#include <taskfetch/transport_settings.hpp>

#include <optional>
#include <utility>

namespace taskfetch::detail {

/// The checked base URL and the proxy its requests go through (none: direct).
struct target {
  url_parts url;
  std::optional<proxy_route> proxy;
};

/// @brief The base URL of @p s checked (it parses; plain http:// only to a
/// loopback host unless allowed), https refused when the transport has no TLS
/// (@p no_https says why; nullptr when it has), then the proxy from @p s or
/// the environment. invalid_argument otherwise; sends nothing.
inline result<target> resolve_target(const transport_settings &s, const char *no_https = nullptr,
                                     const env_lookup &env = system_env) {
  auto u = checked_base_url(s.base_url, s.allow_insecure_http);
  if (!u) return u.error();
  if (no_https && u->scheme == "https") return error(error_kind::invalid_argument, no_https);
  auto route = resolve_proxy(s.proxy, *u, env);
  if (!route) return route.error();
  return target{std::move(*u), std::move(*route)};
}

} // namespace taskfetch::detail
