/// @file
/// @brief Which proxy, if any, a transport uses for its base URL, and the errors naming it.
///
/// One pure function both transports call, so they can never disagree; the
/// errors name the proxy's host and port, never its credentials.
#pragma once

#include <taskfetch/detail/url.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/proxy.hpp>
#include <taskfetch/result.hpp>

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskfetch::detail {

/// @brief A proxy resolved for one target: where it is and how to log in.
struct proxy_route {
  std::string host;           ///< name or IP literal, IPv6 without brackets
  int port = 1080;            ///< curl's default when the URL has none
  std::string user, password; ///< percent-decoded; no user: no Basic auth
  std::string source;         ///< "options" or the environment variable's name

  /// @brief "host:port" for messages: never the credentials.
  std::string label() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  /// @brief "http://host:port" without credentials (libcurl's CURLOPT_PROXY).
  std::string url() const { return "http://" + label(); }
};

/// @brief Reads one environment variable (nullptr when unset).
using env_lookup = std::function<const char *(const char *)>;

/// @brief The default env_lookup: the process environment (std::getenv); tests pass their own.
inline const char *system_env(const char *name) { return std::getenv(name); }

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// Splits "host[:port]" or "[v6][:port]"; port 0 when absent, -1 when bad.
inline std::pair<std::string, int> split_host_port(std::string_view s) {
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return {"", -1};
    host = s.substr(1, close - 1);
    const auto after = s.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return {"", -1};
      port = after.substr(1);
      if (port.empty()) return {"", -1};
    }
  } else if (s.find(':') != std::string_view::npos && s.find(':') == s.rfind(':')) {
    host = s.substr(0, s.find(':'));
    port = s.substr(s.find(':') + 1);
    if (port.empty()) return {"", -1};
  } // several colons and no brackets: a bare IPv6 address
  int p = 0;
  if (port.size() > 5) return {"", -1};
  for (char c : port) {
    if (c < '0' || c > '9') return {"", -1};
    p = p * 10 + (c - '0');
  }
  if (!port.empty() && (p < 1 || p > 65535)) return {"", -1};
  return {ascii_lower(host), p};
}

inline bool is_ip_literal(std::string_view h) noexcept {
  if (h.find(':') != std::string_view::npos) return true; // IPv6
  return !h.empty() && h.find_first_not_of("0123456789.") == std::string_view::npos;
}

/// @brief Parses a proxy URL: `[http://][user[:password]@]host[:port][/]`.
/// Only http:// proxies; messages never repeat the URL (it may hold a password).
inline result<proxy_route> parse_proxy_url(std::string_view text, const std::string &source) {
  auto bad = [&](const std::string &why) {
    return error(error_kind::invalid_argument, "proxy URL (" + source + "): " + why);
  };
  if (has_control_chars(text) || text.find(' ') != std::string_view::npos)
    return bad("contains spaces or control characters");
  std::string_view rest = text;
  if (const auto sep = text.find("://"); sep != std::string_view::npos) {
    if (ascii_lower(text.substr(0, sep)) != "http")
      return bad("only http:// proxies are supported");
    rest = text.substr(sep + 3);
  }
  rest = rest.substr(0, rest.find('/')); // curl ignores a path
  proxy_route r;
  r.source = source;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view info = rest.substr(0, at);
    const auto colon = info.find(':');
    auto user = percent_decode(info.substr(0, colon));
    auto pass = percent_decode(colon == std::string_view::npos ? std::string_view{}
                                                               : info.substr(colon + 1));
    if (!user || !pass) return bad("bad %-escape in the user name or password");
    r.user = std::move(*user);
    r.password = std::move(*pass);
    rest = rest.substr(at + 1);
  }
  auto [host, port] = split_host_port(rest);
  if (port < 0) return bad("bad host or port");
  if (host.empty()) return bad("has no host");
  r.host = std::move(host);
  if (port > 0) r.port = port;
  return r;
}

/// @brief True when @p host (port @p port) is in the no-proxy @p list:
/// `*`, an exact name or IP, a domain suffix (`example.com` or
/// `.example.com` covers `api.example.com`), optionally with `:port`.
inline bool no_proxy_matches(std::string_view list, std::string_view host, int port) {
  std::string h = ascii_lower(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.pop_back();
  std::size_t i = 0;
  while (i < list.size()) {
    const auto end = list.find_first_of(", \t", i);
    std::string_view entry = list.substr(i, end == std::string_view::npos ? end : end - i);
    i = end == std::string_view::npos ? list.size() : end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    auto [name, p] = split_host_port(entry);
    if (p < 0 || (p > 0 && p != port)) continue;
    std::string_view n = name;
    if (n.rfind("*.", 0) == 0) n.remove_prefix(1);
    while (!n.empty() && n.front() == '.') n.remove_prefix(1);
    while (!n.empty() && n.back() == '.') n.remove_suffix(1);
    if (n.empty()) continue;
    if (h == n) return true;
    // Suffixes are for names only: "0.0.1" must not cover 127.0.0.1.
    if (!is_ip_literal(h) && h.size() > n.size() &&
        h.compare(h.size() - n.size(), n.size(), n) == 0 && h[h.size() - n.size() - 1] == '.')
      return true;
  }
  return false;
}

/// @brief The proxy for requests to @p target, curl's way: an explicit
/// settings URL, else (with from_environment) `https_proxy`/`HTTPS_PROXY`
/// for https or lowercase `http_proxy` only for http (curl ignores
/// HTTP_PROXY: CGI sets it from a request header), then
/// `all_proxy`/`ALL_PROXY`; empty variables count as unset. The no-proxy
/// list is the settings' if set, else `no_proxy`/`NO_PROXY`. Nothing when
/// no proxy applies; invalid_argument for a malformed proxy URL.
inline result<std::optional<proxy_route>>
resolve_proxy(const proxy_settings &s, const url_parts &target, const env_lookup &env) {
  auto var = [&](const char *name) -> std::optional<std::string> {
    if (!s.from_environment || !env) return std::nullopt;
    const char *v = env(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
  std::string url = s.url, source = "options";
  if (url.empty()) {
    std::vector<const char *> names;
    if (target.scheme == "https") names = {"https_proxy", "HTTPS_PROXY"};
    if (target.scheme == "http") names = {"http_proxy"};
    names.insert(names.end(), {"all_proxy", "ALL_PROXY"});
    for (const char *n : names)
      if (auto v = var(n)) {
        url = std::move(*v);
        source = n;
        break;
      }
  }
  if (url.empty()) return std::optional<proxy_route>{};
  auto route = parse_proxy_url(url, source);
  if (!route) return route.error();
  std::optional<std::string> bypass = s.no_proxy;
  if (!bypass) bypass = var("no_proxy");
  if (!bypass) bypass = var("NO_PROXY");
  if (bypass && no_proxy_matches(*bypass, target.host, target.port))
    return std::optional<proxy_route>{};
  return std::optional<proxy_route>(std::move(*route));
}

/// @brief "could not connect to the proxy host:port": a transport error the
/// retry policy treats like any failed connect.
inline error proxy_connect_error(const proxy_route &p, std::string_view why = {}) {
  std::string m = "could not connect to the proxy " + p.label() + " (from " + p.source + ")";
  if (!why.empty()) m += ": " + std::string(why);
  return error(error_kind::transport, std::move(m)).with_transport(transport_errc::connect);
}

/// @brief The proxy answered @p status instead of forwarding: 401 and 407
/// mean its credentials are missing or wrong (error_kind::auth, not
/// retried); anything else is the proxy refusing the tunnel.
inline error proxy_refused_error(const proxy_route &p, int status) {
  if (status == 407 || status == 401)
    return error(error_kind::auth, "the proxy " + p.label() + " (from " + p.source +
                                       ") requires authentication (HTTP " + std::to_string(status) +
                                       "): " +
                                       (p.user.empty() ? "give user:password in the proxy URL"
                                                       : "it refused the user and password"))
        .with_http_status(status);
  return error(error_kind::transport, "the proxy " + p.label() + " (from " + p.source +
                                          ") refused the tunnel (HTTP " + std::to_string(status) +
                                          ")")
      .with_http_status(status)
      .with_transport(transport_errc::other);
}

} // namespace taskfetch::detail
