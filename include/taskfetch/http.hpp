/// @file
/// @brief What a transport moves: one HTTP request, a response head, body chunks.
#pragma once

#include <taskfetch/detail/type_traits.hpp>
#include <taskfetch/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace taskfetch {

/// @brief The HTTP methods the service uses.
enum class http_method { get, post, del };

/// @brief The method's name on the wire ("GET", ...).
constexpr std::string_view to_string(http_method m) noexcept {
  switch (m) {
  case http_method::get: return "GET";
  case http_method::post: return "POST";
  case http_method::del: return "DELETE";
  }
  return "GET";
}

/// @brief A header list; names compare case-insensitively via find_header().
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace detail {
/// @brief ASCII case-insensitive equality (header names, status words).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

/// @brief @p s with ASCII letters lower-cased (hosts, schemes, paths).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}
} // namespace detail

/// @brief The first value of header @p name, or nullopt.
inline std::optional<std::string_view> find_header(const header_list &h, std::string_view name) {
  for (const auto &kv : h)
    if (detail::iequals(kv.first, name)) return std::string_view(kv.second);
  return std::nullopt;
}

/// @brief One HTTP request, relative to the transport's base URL.
struct request {
  http_method method = http_method::get; ///< GET, POST or DELETE
  std::string target;                    ///< path and query, already percent-encoded
  header_list headers;                   ///< extra headers (Authorization, Accept, ...)
  std::string body;                      ///< request body (POST)
  std::string content_type;              ///< body's media type; empty when no body
  /// Time left before the caller's deadline: a transport should not wait
  /// longer than this for connect or read (nullopt: no deadline).
  std::optional<std::chrono::milliseconds> time_left;
};

/// @brief Status line and headers of an answer, known before its body.
struct response_head {
  int status = 0;                              ///< HTTP status code
  header_list headers;                         ///< response headers
  std::optional<std::uint64_t> content_length; ///< from Content-Length
};

/// @brief Receives one answer as it arrives; the transport calls it.
class response_handler {
public:
  virtual ~response_handler() = default;
  /// @brief The head; return false to stop before the body.
  virtual bool on_head(const response_head &head) = 0;
  /// @brief One body chunk, in order; return false to stop the transfer.
  virtual bool on_body(const char *data, std::size_t size) = 0;
};

/// @brief A handler that keeps the whole (small) body in a string.
class string_response : public response_handler {
public:
  /// @brief Limit on the kept body; beyond it the transfer stops.
  explicit string_response(std::size_t limit = 16u << 20) : limit_(limit) {}
  bool on_head(const response_head &h) override {
    head = h;
    body.clear();
    return true;
  }
  bool on_body(const char *d, std::size_t n) override {
    if (body.size() + n > limit_) {
      overflow = true;
      return false;
    }
    body.append(d, n);
    return true;
  }
  response_head head;    ///< the answer's head
  std::string body;      ///< the answer's body
  bool overflow = false; ///< the body passed the limit

private:
  std::size_t limit_;
};

/// @brief What a transport's send() returns: success once the whole answer
/// was delivered (any HTTP status), or a transport error.
using send_result = result<void>;

namespace detail {
template <class T>
using transport_send_t = decltype(std::declval<T &>().send(std::declval<const request &>(),
                                                           std::declval<response_handler &>()));
/// T has `send_result send(const request&, response_handler&)`.
template <class T>
inline constexpr bool transport_has_send_v =
    is_detected_convertible_v<send_result, transport_send_t, T>;
} // namespace detail

/// @brief True when T meets the transport requirements (docs/policies.md).
template <class T> inline constexpr bool is_transport_v = detail::transport_has_send_v<T>;

/// @brief Rejects a transport that lacks a member, with one static_assert
/// naming it; returns true, so it can stand in a static_assert of its own.
template <class T> constexpr bool check_transport() {
  TASKFETCH_REQUIRE_MEMBER("transport", detail::transport_has_send_v<T>,
                           "send_result send(const request&, response_handler&)");
  return true;
}

} // namespace taskfetch
