/// @file
/// @brief HTTP proxy settings shared by both transports and by client options.
#pragma once

#include <optional>
#include <string>

namespace taskfetch {

/// @brief Which HTTP proxy requests go through, and which hosts bypass it.
/// By default curl's environment variables decide (docs/proxy.md): for an
/// https:// service `https_proxy` then `HTTPS_PROXY`, for http:// only
/// `http_proxy`, then `all_proxy`/`ALL_PROXY`; `no_proxy`/`NO_PROXY` list
/// the bypasses. Explicit values here take precedence over the environment.
struct proxy_settings {
  /// `http://[user:password@]host[:port]` (user and password percent-encoded,
  /// port 1080 when left out, like curl); "" means the environment's, if any.
  std::string url;
  /// Hosts reached directly: comma-separated names (`example.com` also
  /// covers its subdomains; a leading dot is allowed), IP addresses,
  /// `host:port` for one port only, or `*` for all. Unset: the environment's.
  std::optional<std::string> no_proxy;
  /// Read the proxy variables of the environment; false ignores them all.
  bool from_environment = true;
};

} // namespace taskfetch
