/// @file
/// @brief Retry-After parsing (RFC 9110 10.2.3), and HTTP-date formatting for the emulator.
///
/// A Retry-After is delta-seconds or an HTTP-date in any of its three forms;
/// dates are written as IMF-fixdate.
#pragma once

#include <taskfetch/clock.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace taskfetch::detail {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr std::string_view month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::string_view weekday_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

struct date_cursor {
  std::string_view s;
  std::size_t i = 0;
  bool lit(std::string_view t) {
    if (s.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  }
  bool spaces(std::size_t min = 1) {
    std::size_t n = 0;
    while (i < s.size() && s[i] == ' ') ++i, ++n;
    return n >= min;
  }
  bool num(std::size_t digits_min, std::size_t digits_max, int &out) {
    std::size_t n = 0;
    out = 0;
    while (i < s.size() && n < digits_max && s[i] >= '0' && s[i] <= '9')
      out = out * 10 + (s[i++] - '0'), ++n;
    return n >= digits_min;
  }
  bool month(unsigned &m) {
    for (unsigned k = 0; k < 12; ++k)
      if (lit(month_names[k])) {
        m = k + 1;
        return true;
      }
    return false;
  }
  bool time(int &h, int &mi, int &se) {
    return num(2, 2, h) && lit(":") && num(2, 2, mi) && lit(":") && num(2, 2, se) && h < 24 &&
           mi < 60 && se < 61;
  }
  bool end() {
    while (i < s.size() && s[i] == ' ') ++i;
    return i == s.size();
  }
};

inline std::optional<std::int64_t> unix_seconds(int y, unsigned m, int d, int h, int mi, int se) {
  if (d < 1 || d > 31) return std::nullopt;
  return days_from_civil(y, m, static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + se;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
inline std::optional<std::int64_t> imf_fixdate(std::string_view v) {
  date_cursor c{v};
  bool wd = false;
  for (auto w : weekday_names) wd = wd || c.lit(w);
  unsigned m = 0;
  int d, y, h, mi, se;
  if (!wd || !c.lit(",") || !c.spaces() || !c.num(1, 2, d) || !c.spaces() || !c.month(m) ||
      !c.spaces() || !c.num(4, 4, y) || !c.spaces() || !c.time(h, mi, se) || !c.spaces() ||
      !c.lit("GMT") || !c.end())
    return std::nullopt;
  return unix_seconds(y, m, d, h, mi, se);
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
inline std::optional<std::int64_t> rfc850(std::string_view v, std::int64_t now_unix) {
  date_cursor c{v};
  static constexpr std::string_view long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                   "Thursday", "Friday", "Saturday"};
  bool wd = false;
  for (auto w : long_days) wd = wd || c.lit(w);
  unsigned m = 0;
  int d, yy, h, mi, se;
  if (!wd || !c.lit(",") || !c.spaces() || !c.num(2, 2, d) || !c.lit("-") || !c.month(m) ||
      !c.lit("-") || !c.num(2, 2, yy) || !c.spaces() || !c.time(h, mi, se) || !c.spaces() ||
      !c.lit("GMT") || !c.end())
    return std::nullopt;
  // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
  const std::int64_t now_year = 1970 + now_unix / 31556952;
  std::int64_t y = (now_year / 100) * 100 + yy;
  if (y > now_year + 50) y -= 100;
  return unix_seconds(static_cast<int>(y), m, d, h, mi, se);
}

// "Sun Nov  6 08:49:37 1994"
inline std::optional<std::int64_t> asctime_date(std::string_view v) {
  date_cursor c{v};
  bool wd = false;
  for (auto w : weekday_names) wd = wd || c.lit(w);
  unsigned m = 0;
  int d, y, h, mi, se;
  if (!wd || !c.spaces() || !c.month(m) || !c.spaces() || !c.num(1, 2, d) || !c.spaces() ||
      !c.time(h, mi, se) || !c.spaces() || !c.num(4, 4, y) || !c.end())
    return std::nullopt;
  return unix_seconds(y, m, d, h, mi, se);
}

/// @brief The wait a Retry-After value asks for, from @p now; nullopt when it
/// does not parse. Past dates give zero; huge values saturate at a year.
inline std::optional<duration> parse_retry_after(std::string_view v,
                                                 std::chrono::system_clock::time_point now) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  constexpr std::int64_t year = 365LL * 24 * 3600;
  if (v.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t secs = 0;
    for (char c : v) {
      secs = secs * 10 + (c - '0');
      if (secs > year) {
        secs = year;
        break;
      }
    }
    return std::chrono::duration_cast<duration>(std::chrono::seconds(secs));
  }
  const std::int64_t now_unix =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::optional<std::int64_t> t = imf_fixdate(v);
  if (!t) t = rfc850(v, now_unix);
  if (!t) t = asctime_date(v);
  if (!t) return std::nullopt;
  std::int64_t delta = *t - now_unix;
  if (delta < 0) delta = 0;
  if (delta > year) delta = year;
  // Sub-second precision of now: round the wait up, never retry early.
  const auto frac = std::chrono::duration_cast<duration>(now.time_since_epoch()) -
                    std::chrono::duration_cast<duration>(std::chrono::seconds(now_unix));
  auto d = std::chrono::duration_cast<duration>(std::chrono::seconds(delta)) - frac;
  return d < duration::zero() ? duration::zero() : d;
}

/// @brief IMF-fixdate of @p t: "Sun, 06 Nov 1994 08:49:37 GMT".
inline std::string format_http_date(std::chrono::system_clock::time_point t) {
  const std::int64_t s =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  const std::int64_t secs = s - days * 86400;
  const int wd = static_cast<int>(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday
  // civil_from_days
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d GMT",
                std::string(weekday_names[wd]).c_str(), d, std::string(month_names[m - 1]).c_str(),
                static_cast<long long>(y), static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

} // namespace taskfetch::detail
