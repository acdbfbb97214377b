/// @file
/// @brief Streams a fetch answer: decodes `results[i].data` as it arrives, keeps the rest.
///
/// The base64 of each result is decoded chunk by chunk, while the small
/// members (id, taskStatus, error, ...) are captured and parsed by nlohmann.
///
/// Why not a DOM: a djvu2pdf answer is one JSON document holding hundreds of
/// MiB of base64; parsing it whole costs seconds and three copies in memory.
/// The scanner is resumable at every byte, so chunk boundaries never matter,
/// and it does not rely on member order (`results` may precede `taskStatus`).
#pragma once

#include <taskfetch/detail/base64.hpp>
#include <taskfetch/http.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch::detail {

/// @brief Receives the results as the scanner finds them. Returning false
/// stops the scan (error scan_errc::aborted).
class envelope_events {
public:
  virtual ~envelope_events() = default;
  /// @brief results[i] starts; answer whether its data is wanted.
  virtual bool on_result_begin(std::size_t index) = 0;
  /// @brief Decoded bytes of results[i].data, in order (only when wanted).
  virtual bool on_result_data(std::size_t index, const char *data, std::size_t size) = 0;
  /// @brief results[i] is complete; @p type is its "type" ("" if absent).
  virtual bool on_result_end(std::size_t index, std::string_view type) = 0;
};

/// @brief Why a scan failed.
enum class scan_errc {
  none,      ///< no error
  syntax,    ///< not JSON
  shape,     ///< JSON, but not the answer's shape (results not a list, ...)
  base64,    ///< results[i].data is not valid base64
  too_large, ///< a member other than data exceeds the capture limit
  aborted,   ///< the events receiver stopped the scan
};

/// @brief Resumable at every byte, whatever the member order (see the file
/// comment); one answer at a time, not thread-safe.
class envelope_scanner {
public:
  /// @brief Largest member (other than results[].data) kept, in bytes.
  static constexpr std::size_t capture_limit = std::size_t{1} << 20;

  /// @brief Reports to @p events, which must outlive the scanner (it keeps a pointer).
  explicit envelope_scanner(envelope_events &events) : ev_(&events) {}

  /// @brief Back to the start of a new answer.
  void reset() {
    envelope_events *ev = ev_;
    *this = envelope_scanner(*ev);
  }

  /// @brief Scans the next bytes; false once an error was found.
  bool feed(const char *p, std::size_t n) {
    if (err_ != scan_errc::none) return false;
    std::size_t i = 0;
    while (i < n) {
      if (!step(p, n, i)) return false;
    }
    offset_ += n;
    return true;
  }

  /// @brief The answer ended: false unless it was one complete object.
  bool finish() {
    if (err_ != scan_errc::none) return false;
    if (st_ == st::capture && cap_scalar_ && cap_depth_ == 0 && !cap_in_string_) {
      // Cannot happen at top level (values end inside the object), kept safe.
      return fail(scan_errc::syntax, "the answer ends inside a value", offset_);
    }
    if (st_ != st::end)
      return fail(scan_errc::syntax,
                  st_ == st::begin ? "the answer is empty" : "the answer ends early", offset_);
    return true;
  }

  scan_errc error_code() const noexcept { return err_; }
  /// @brief Byte offset in the answer where it failed.
  std::uint64_t error_offset() const noexcept { return err_offset_; }
  /// @brief What failed, for a person.
  const std::string &error_message() const noexcept { return err_msg_; }
  /// @brief The top-level members other than results, parsed (an object).
  nlohmann::json take_fields() { return std::exchange(fields_, nlohmann::json::object()); }
  /// @brief True when results was absent or null.
  bool results_null() const noexcept { return results_null_; }
  /// @brief Number of entries in results.
  std::size_t result_count() const noexcept { return result_count_; }

private:
  enum class st {
    begin,         // before the top-level '{'
    key_or_close,  // after '{': a key or '}'
    key,           // after ',': a key
    key_string,    // inside a key
    colon,         // after a key
    value,         // before a value
    after_value,   // after a value: ',' or '}' (or ']' in results)
    end,           // after the top-level '}'
    capture,       // inside a generic value being captured
    literal_null,  // reading "null" for results or data
    results_open,  // after '[' of results: '{' or ']'
    results_next,  // after ',' in results: '{'
    results_after, // after a result object: ',' or ']'
    data_string,   // inside results[i].data
    data_escape,   // after '\' in data
    data_unicode,  // in \uXXXX inside data
  };
  // Which object the current key belongs to.
  enum class level { top, element };
  // What the value being read is.
  enum class slot { field, results, data, type, other };

  bool is_ws(char c) const noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  bool fail(scan_errc e, std::string msg, std::uint64_t at) {
    err_ = e;
    err_msg_ = std::move(msg);
    err_offset_ = at;
    return false;
  }
  bool syntax(std::size_t i, const char *what) {
    return fail(scan_errc::syntax, what, offset_ + i);
  }

  // One step of the state machine at p[i]; advances i (or changes state).
  bool step(const char *p, std::size_t n, std::size_t &i) {
    const char c = p[i];
    switch (st_) {
    case st::begin:
      if (is_ws(c)) break;
      // JSON of another shape ([...], "x", 5) and non-JSON alike: not an answer.
      if (c != '{') return fail(scan_errc::shape, "the answer is not a JSON object", offset_ + i);
      lvl_ = level::top;
      st_ = st::key_or_close;
      break;
    case st::key_or_close:
    case st::key:
      if (is_ws(c)) break;
      if (c == '}' && st_ == st::key_or_close) {
        if (!close_object(i)) return false;
        break;
      }
      if (c != '"') return syntax(i, "expected a member name");
      key_raw_.assign(1, '"');
      key_escape_ = false;
      st_ = st::key_string;
      break;
    case st::key_string:
      if (key_raw_.size() > 4096)
        return fail(scan_errc::too_large, "a member name is too long", offset_ + i);
      key_raw_.push_back(c);
      if (key_escape_)
        key_escape_ = false;
      else if (c == '\\')
        key_escape_ = true;
      else if (c == '"') {
        if (!end_key(i)) return false;
        st_ = st::colon;
      }
      break;
    case st::colon:
      if (is_ws(c)) break;
      if (c != ':') return syntax(i, "expected ':' after a member name");
      st_ = st::value;
      break;
    case st::value:
      if (is_ws(c)) break;
      if (!begin_value(c, i)) return false;
      if (st_ == st::capture) return true; // the capture reads c itself
      break;
    case st::after_value:
      if (is_ws(c)) break;
      if (c == ',') {
        st_ = st::key;
        break;
      }
      if (c == '}') {
        if (!close_object(i)) return false;
        break;
      }
      return syntax(i, "expected ',' or '}'");
    case st::results_after:
      if (is_ws(c)) break;
      if (c == ',')
        st_ = st::results_next;
      else if (c == ']')
        st_ = st::after_value;
      else
        return syntax(i, "expected ',' or ']' in results");
      break;
    case st::end:
      if (!is_ws(c)) return syntax(i, "text after the answer's object");
      break;
    case st::capture: return capture(p, n, i);
    case st::literal_null:
      if (c != "null"[lit_pos_]) return syntax(i, "invalid literal");
      if (++lit_pos_ == 4 && !end_null(i)) return false;
      break;
    case st::results_open:
    case st::results_next:
      if (is_ws(c)) break;
      if (c == ']' && st_ == st::results_open) {
        st_ = st::after_value;
        lvl_ = level::top;
        break;
      }
      if (c == '{') {
        open_element();
        break;
      }
      if (c == ']' || c == ',') return syntax(i, "expected a result object");
      return fail(scan_errc::shape,
                  "results[" + std::to_string(result_count_) + "] is not an object", offset_ + i);
    case st::data_string: return data(p, n, i);
    case st::data_escape:
      if (!data_escape(c, i)) return false;
      break;
    case st::data_unicode: {
      const int h = hex(c);
      if (h < 0) return syntax(i, "invalid \\u escape");
      uni_ = uni_ * 16 + static_cast<unsigned>(h);
      if (++lit_pos_ == 4) {
        st_ = st::data_string;
        // Only ASCII can be base64; anything else makes a bad character.
        const char ch = uni_ < 0x80 ? static_cast<char>(uni_) : '\x80';
        if (!feed_data(&ch, 1, i)) return false;
      }
      break;
    }
    }
    ++i;
    return true;
  }

  static int hex(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Most member names and values are plain: printable ASCII in quotes with
  // no escape, or a literal. Their text is their value, so they skip a
  // nlohmann parser each: a parser per member made half the allocations of
  // a small answer (docs/BENCHMARKS.md). Anything else goes to nlohmann.
  static bool plain_string(std::string_view s) noexcept {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
    for (std::size_t k = 1; k + 1 < s.size(); ++k) {
      const auto c = static_cast<unsigned char>(s[k]);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
  }
  // Takes the std::string itself: nlohmann instantiates a parser per input type.
  static nlohmann::json parse_value(const std::string &s) {
    if (plain_string(s)) return s.substr(1, s.size() - 2);
    if (s == "null") return nullptr;
    if (s == "true") return true;
    if (s == "false") return false;
    return nlohmann::json::parse(s, nullptr, false);
  }

  // A member name ended: decode it and decide what its value is.
  bool end_key(std::size_t i) {
    if (plain_string(key_raw_)) {
      key_.assign(key_raw_, 1, key_raw_.size() - 2);
    } else {
      auto k = nlohmann::json::parse(key_raw_, nullptr, false);
      if (!k.is_string()) return syntax(i, "invalid member name");
      key_ = k.get<std::string>();
    }
    auto &seen = lvl_ == level::top ? top_keys_ : element_keys_;
    for (const auto &s : seen)
      if (iequals(s, key_))
        return fail(scan_errc::shape, "duplicate member \"" + key_ + "\"", offset_ + i);
    seen.push_back(key_);
    if (lvl_ == level::top)
      slot_ = iequals(key_, "results") ? slot::results : slot::field;
    else if (iequals(key_, "data"))
      slot_ = slot::data;
    else if (iequals(key_, "type"))
      slot_ = slot::type;
    else
      slot_ = slot::other;
    return true;
  }

  bool begin_value(char c, std::size_t i) {
    if (slot_ == slot::results || slot_ == slot::data) {
      if (c == 'n') {
        st_ = st::literal_null;
        lit_pos_ = 1;
        return true;
      }
      if (slot_ == slot::results) {
        if (c != '[') return fail(scan_errc::shape, "results is not a list", offset_ + i);
        results_null_ = false;
        st_ = st::results_open;
        return true;
      }
      if (c != '"')
        return fail(scan_errc::shape,
                    "results[" + std::to_string(index_) + "].data is not a string", offset_ + i);
      data_seen_ = true;
      data_start_ = offset_ + i + 1;
      b64_.reset();
      st_ = st::data_string;
      return true;
    }
    // Anything else is captured whole and parsed by nlohmann.
    cap_.clear();
    cap_depth_ = 0;
    cap_in_string_ = false;
    cap_escape_ = false;
    cap_scalar_ = c != '{' && c != '[' && c != '"';
    st_ = st::capture;
    return true;
  }

  // A generic value: track nesting until it ends, keep its text.
  bool capture(const char *p, std::size_t n, std::size_t &i) {
    const std::size_t from = i;
    for (; i < n; ++i) {
      const char c = p[i];
      if (cap_in_string_) {
        if (cap_escape_)
          cap_escape_ = false;
        else if (c == '\\')
          cap_escape_ = true;
        else if (c == '"') {
          cap_in_string_ = false;
          if (cap_depth_ == 0) {
            ++i;
            return end_capture(p, from, i);
          }
        }
        continue;
      }
      if (cap_scalar_) {
        if (is_ws(c) || c == ',' || c == '}' || c == ']') return end_capture(p, from, i);
        continue;
      }
      if (c == '"')
        cap_in_string_ = true;
      else if (c == '{' || c == '[')
        ++cap_depth_;
      else if (c == '}' || c == ']') {
        if (--cap_depth_ == 0) {
          ++i;
          return end_capture(p, from, i);
        }
      }
    }
    return append_capture(p + from, n - from, n);
  }
  bool append_capture(const char *p, std::size_t len, std::size_t i) {
    if (cap_.size() + len > capture_limit)
      return fail(scan_errc::too_large,
                  "member \"" + key_ + "\" is larger than " + std::to_string(capture_limit) +
                      " bytes",
                  offset_ + i);
    cap_.append(p, len);
    return true;
  }
  // The captured value ended before p[i] (i is not consumed).
  bool end_capture(const char *p, std::size_t from, std::size_t i) {
    if (!append_capture(p + from, i - from, i)) return false;
    nlohmann::json v = parse_value(cap_);
    if (v.is_discarded())
      return fail(scan_errc::syntax, "member \"" + key_ + "\" is not valid JSON",
                  offset_ + i - cap_.size());
    switch (slot_) {
    case slot::field: fields_[key_] = std::move(v); break;
    case slot::type:
      if (v.is_string())
        type_ = v.get<std::string>();
      else if (!v.is_null())
        return fail(scan_errc::shape,
                    "results[" + std::to_string(index_) + "].type is not a string",
                    offset_ + i - cap_.size());
      break;
    default: break;
    }
    cap_.clear();
    st_ = st::after_value;
    return true;
  }

  bool end_null(std::size_t i) {
    if (slot_ == slot::results) {
      results_null_ = true;
      st_ = st::after_value;
      return true;
    }
    return fail(scan_errc::shape, "results[" + std::to_string(index_) + "].data is null",
                offset_ + i);
  }

  void open_element() {
    index_ = result_count_++;
    lvl_ = level::element;
    element_keys_.clear();
    type_.clear();
    data_seen_ = false;
    wanted_ = ev_->on_result_begin(index_);
    st_ = st::key_or_close;
  }

  bool close_object(std::size_t i) {
    if (lvl_ == level::top) {
      st_ = st::end;
      return true;
    }
    if (!data_seen_)
      return fail(scan_errc::shape, "results[" + std::to_string(index_) + "] has no data",
                  offset_ + i);
    if (!ev_->on_result_end(index_, type_))
      return fail(scan_errc::aborted, "stopped by the receiver", offset_ + i);
    lvl_ = level::top;
    st_ = st::results_after;
    return true;
  }

  // The hot path: runs of base64 up to the closing quote or an escape.
  bool data(const char *p, std::size_t n, std::size_t &i) {
    const char *s = p + i;
    const std::size_t len = n - i;
    const void *q = std::memchr(s, '"', len);
    std::size_t run = q ? static_cast<std::size_t>(static_cast<const char *>(q) - s) : len;
    if (const void *b = std::memchr(s, '\\', run))
      run = static_cast<std::size_t>(static_cast<const char *>(b) - s);
    if (run && !feed_data(s, run, i)) return false;
    i += run;
    if (i == n) return true;
    if (p[i] == '\\') {
      st_ = st::data_escape;
      ++i;
      return true;
    }
    // The closing quote.
    if (!b64_.finish()) return base64_failed();
    st_ = st::after_value;
    ++i;
    return true;
  }
  bool data_escape(char c, std::size_t i) {
    char ch;
    switch (c) {
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case '/': ch = '/'; break;
    case 'b': ch = '\b'; break;
    case 'f': ch = '\f'; break;
    case 'n': ch = '\n'; break;
    case 'r': ch = '\r'; break;
    case 't': ch = '\t'; break;
    case 'u':
      st_ = st::data_unicode;
      lit_pos_ = 0;
      uni_ = 0;
      return true;
    default: return syntax(i, "invalid escape in a string");
    }
    st_ = st::data_string;
    return feed_data(&ch, 1, i);
  }
  bool feed_data(const char *s, std::size_t len, std::size_t i) {
    auto sink = [this](const char *d, std::size_t m) {
      return !wanted_ || ev_->on_result_data(index_, d, m);
    };
    if (b64_.feed(s, len, sink)) return true;
    if (b64_.error() == base64_decoder::errc::aborted)
      return fail(scan_errc::aborted, "stopped by the receiver", offset_ + i);
    return base64_failed();
  }
  bool base64_failed() {
    return fail(scan_errc::base64,
                "results[" + std::to_string(index_) + "].data: " + b64_.error_message(),
                data_start_ + b64_.error_offset());
  }

  envelope_events *ev_;
  st st_ = st::begin;
  level lvl_ = level::top;
  slot slot_ = slot::field;
  std::string key_raw_;
  bool key_escape_ = false;
  std::string key_;
  std::vector<std::string> top_keys_, element_keys_;
  std::string cap_;
  int cap_depth_ = 0;
  bool cap_in_string_ = false, cap_escape_ = false, cap_scalar_ = false;
  unsigned lit_pos_ = 0;
  unsigned uni_ = 0;
  nlohmann::json fields_ = nlohmann::json::object();
  bool results_null_ = true;
  std::size_t result_count_ = 0;
  std::size_t index_ = 0;
  bool wanted_ = false;
  bool data_seen_ = false;
  std::string type_;
  base64_decoder b64_;
  std::uint64_t data_start_ = 0;
  std::uint64_t offset_ = 0;
  scan_errc err_ = scan_errc::none;
  std::uint64_t err_offset_ = 0;
  std::string err_msg_;
};

} // namespace taskfetch::detail
