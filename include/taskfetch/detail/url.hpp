/// @file
/// @brief URL helpers: encoding, control characters, base URLs, the loopback test (no DNS).
#pragma once

#include <taskfetch/http.hpp>
#include <taskfetch/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace taskfetch::detail {

inline bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

inline void append_pct(std::string &out, unsigned char c) {
  static constexpr char hex[] = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(hex[c >> 4]);
  out.push_back(hex[c & 15]);
}

/// @brief RFC 3986 percent-encoding: unreserved characters kept, the rest %XX.
inline std::string percent_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c))
      out.push_back(ch);
    else
      append_pct(out, c);
  }
  return out;
}

/// @brief application/x-www-form-urlencoded: space as '+', the rest as
/// percent_encode().
inline std::string form_urlencode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ')
      out.push_back('+');
    else if (is_unreserved(c))
      out.push_back(ch);
    else
      append_pct(out, c);
  }
  return out;
}

/// @brief True when @p s holds an ASCII control character (< 0x20 or DEL).
inline bool has_control_chars(std::string_view s) noexcept {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

/// @brief A base URL taken apart.
struct url_parts {
  std::string scheme;      ///< "http" or "https", lower case
  std::string host;        ///< host name or IP literal, IPv6 without brackets
  int port = 0;            ///< explicit or the scheme's default
  std::string path_prefix; ///< "" or "/prefix" without a trailing slash
};

/// @brief Parses scheme://host[:port][/prefix]; only http and https, no
/// user info, query or fragment.
inline result<url_parts> parse_url(std::string_view url) {
  auto bad = [&](const std::string &why) {
    return error(error_kind::invalid_argument,
                 "base URL \"" +
                     std::string(has_control_chars(url) ? "(with control characters)" : url) +
                     "\": " + why);
  };
  if (has_control_chars(url) || url.find(' ') != std::string_view::npos)
    return bad("contains spaces or control characters");
  url_parts u;
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad("needs a scheme (https://...)");
  for (char c : url.substr(0, sep))
    u.scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (u.scheme != "http" && u.scheme != "https")
    return bad("only http:// and https:// are supported");
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("must not have a query or fragment");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("must not carry user info");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      u.host = std::string(authority.substr(0, colon));
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    } else {
      u.host = std::string(authority);
    }
  }
  if (u.host.empty()) return bad("has no host");
  if (!port_text.empty()) {
    if (port_text.size() > 5) return bad("bad port");
    int p = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return bad("bad port");
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) return bad("port out of range");
    u.port = p;
  } else {
    u.port = u.scheme == "https" ? 443 : 80;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.path_prefix = std::string(path);
  return u;
}

inline bool ipv4_loopback(std::string_view h) noexcept {
  int parts = 0;
  int first = -1;
  std::size_t i = 0;
  while (i <= h.size()) {
    std::size_t j = i;
    int v = 0;
    while (j < h.size() && h[j] >= '0' && h[j] <= '9' && j - i < 3) v = v * 10 + (h[j++] - '0');
    if (j == i || v > 255) return false;
    if (parts == 0) first = v;
    ++parts;
    if (j == h.size()) break;
    if (h[j] != '.') return false;
    i = j + 1;
    if (i == h.size()) return false;
  }
  return parts == 4 && first == 127;
}
inline bool ipv6_loopback(std::string_view h) noexcept {
  // Expand "::" and check for seven zero groups and a final 1.
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  int groups_before = 0, groups_after = 0;
  bool gap = false;
  bool nonzero_before_last = false;
  std::string_view last;
  std::size_t i = 0;
  while (i < h.size()) {
    if (h.compare(i, 2, "::") == 0) {
      if (gap) return false;
      gap = true;
      i += 2;
      continue;
    }
    std::size_t j = i;
    while (j < h.size() && h[j] != ':') {
      const char c = h[j];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
        return false;
      ++j;
    }
    if (j == i || j - i > 4) return false;
    if (!last.empty() && last.find_first_not_of('0') != std::string_view::npos)
      nonzero_before_last = true;
    last = h.substr(i, j - i);
    (gap ? groups_after : groups_before)++;
    i = j;
    if (i < h.size() && h.compare(i, 2, "::") != 0) {
      ++i; // a single ':'
      if (i == h.size()) return false;
    }
  }
  const int groups = groups_before + groups_after;
  if (gap ? groups > 7 : groups != 8) return false;
  if (nonzero_before_last || last.empty()) return false;
  const auto nz = last.find_first_not_of('0');
  return nz != std::string_view::npos && last.substr(nz) == "1";
}

/// @brief True for literal loopback hosts only: localhost, 127.0.0.0/8 and
/// ::1 (any spelling). Decided without DNS, so a name cannot trick it.
inline bool is_loopback_host(std::string_view host) noexcept {
  if (iequals(host, "localhost") || iequals(host, "localhost.")) return true;
  if (ipv4_loopback(host)) return true;
  return host.find(':') != std::string_view::npos && ipv6_loopback(host);
}

/// @brief A transport's base URL check: parses it and refuses plain http://
/// to a host that is not loopback unless @p allow_insecure_http.
inline result<url_parts> checked_base_url(std::string_view url, bool allow_insecure_http) {
  auto u = parse_url(url);
  if (!u) return u.error();
  if (u->scheme == "http" && !allow_insecure_http && !is_loopback_host(u->host))
    return error(error_kind::invalid_argument,
                 "refusing plain http:// to " + u->host +
                     ": only loopback hosts may be reached without TLS (use https://)");
  return u;
}

/// @brief "scheme://host:port" with IPv6 hosts in brackets.
inline std::string origin_of(const url_parts &u) {
  const bool v6 = u.host.find(':') != std::string::npos;
  return u.scheme + "://" + (v6 ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port);
}

} // namespace taskfetch::detail
