/// @file
/// @brief A thin RAII wrapper of libpq's C API: a connection, a result,
/// parameterised statements (PQexecParams) and transactions, with error
/// texts that name host, port and database but never the password.
#pragma once

#include <taskfetch/result.hpp>

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch::detail::pq {

/// Removes every password from @p text: the userinfo password of a
/// postgres:// URI ("user:secret@host") and "password=..." pairs (key/value
/// strings and URI query parameters), so no message ever carries one.
inline std::string strip_password(std::string text, std::string_view password = {}) {
  if (!password.empty()) {
    for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at))
      text.replace(at, password.size(), "***");
  }
  // userinfo: scheme://user:secret@host
  for (std::size_t s = text.find("://"); s != std::string::npos; s = text.find("://", s + 3)) {
    const auto host_end = text.find_first_of("/? \t\n", s + 3);
    const auto at = text.rfind('@', host_end == std::string::npos ? text.size() : host_end);
    if (at == std::string::npos || at < s + 3) continue;
    const auto colon = text.find(':', s + 3);
    if (colon != std::string::npos && colon < at) text.replace(colon + 1, at - colon - 1, "***");
  }
  // password=secret (key/value) or ?password=secret / &password=secret (URI)
  for (std::size_t p = text.find("password="); p != std::string::npos;
       p = text.find("password=", p + 9)) {
    const auto v = p + 9;
    auto end = v;
    if (end < text.size() && text[end] == '\'') {
      end = text.find('\'', end + 1);
      end = end == std::string::npos ? text.size() : end + 1;
    } else {
      end = text.find_first_of(" \t\n&", v);
      if (end == std::string::npos) end = text.size();
    }
    text.replace(v, end - v, "***");
  }
  return text;
}

/// A query result; empty() when libpq gave none (out of memory).
class result_set {
public:
  result_set() = default;
  /// @p conn_error: the connection's text, kept for when libpq gave no result
  /// (the server closed the connection).
  explicit result_set(PGresult *r, const char *conn_error = nullptr) : r_(r, &PQclear) {
    if (!r && conn_error && *conn_error) lost_ = conn_error;
  }
  bool empty() const noexcept { return !r_; }
  ExecStatusType status() const noexcept {
    return r_ ? PQresultStatus(r_.get()) : PGRES_FATAL_ERROR;
  }
  /// Commands and queries that succeeded.
  bool ok() const noexcept {
    const auto s = status();
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
  }
  int rows() const noexcept { return r_ ? PQntuples(r_.get()) : 0; }
  bool is_null(int row, int col) const noexcept { return PQgetisnull(r_.get(), row, col) != 0; }
  /// The text of a field ("" for NULL).
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
  }
  /// The five-character SQLSTATE ("" when none).
  std::string sqlstate() const {
    const char *s = r_ ? PQresultErrorField(r_.get(), PG_DIAG_SQLSTATE) : nullptr;
    return s ? s : "";
  }
  /// The libpq handle, for calls this wrapper does not cover.
  PGresult *raw() const noexcept { return r_.get(); }
  std::string message() const {
    return r_ ? PQresultErrorMessage(r_.get()) : lost_.empty() ? "no result" : lost_;
  }

private:
  std::shared_ptr<PGresult> r_;
  std::string lost_;
};

/// One connection, opened from any libpq connection string or
/// postgres:// / postgresql:// URI. Not thread-safe: callers lock.
class connection {
public:
  explicit connection(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  connection(const connection &) = delete;
  connection &operator=(const connection &) = delete;
  ~connection() {
    if (c_) PQfinish(c_);
  }

  /// Opens (or reopens, after a broken connection) the connection.
  result<void> open() {
    if (c_ && PQstatus(c_) == CONNECTION_OK) return {};
    if (c_) {
      PQreset(c_); // the database restarted: one reconnect
      if (PQstatus(c_) == CONNECTION_OK) return {};
      auto e = failure("cannot reconnect");
      PQfinish(c_);
      c_ = nullptr;
      return e;
    }
    c_ = PQconnectdb(conninfo_.c_str());
    if (!c_) return error(error_kind::io, "PostgreSQL: out of memory opening a connection");
    if (PQstatus(c_) != CONNECTION_OK) {
      auto e = failure("cannot connect");
      PQfinish(c_);
      c_ = nullptr;
      return e;
    }
    password_ = PQpass(c_) ? PQpass(c_) : "";
    // Server notices (shutdown warnings, "already exists") are not ours to print.
    PQsetNoticeProcessor(
        c_, [](void *, const char *) {}, nullptr);
    return {};
  }
  /// Whether the connection is up (false after the server went away).
  bool good() const noexcept { return c_ && PQstatus(c_) == CONNECTION_OK; }

  /// Runs @p sql with text parameters (nullopt: NULL) through PQexecParams.
  result_set exec(const std::string &sql, const std::vector<std::optional<std::string>> &params) {
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &p : params) values.push_back(p ? p->c_str() : nullptr);
    PGresult *r = PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    return result_set(r, r ? nullptr : PQerrorMessage(c_));
  }
  /// Runs @p sql without parameters (several statements allowed).
  result_set exec(const std::string &sql) {
    PGresult *r = PQexec(c_, sql.c_str());
    return result_set(r, r ? nullptr : PQerrorMessage(c_));
  }

  /// "host:port/dbname" of the connection, for messages.
  std::string where() const {
    if (c_) {
      const char *h = PQhost(c_);
      const char *p = PQport(c_);
      const char *d = PQdb(c_);
      return std::string(h ? h : "?") + ":" + (p ? p : "?") + "/" + (d ? d : "?");
    }
    return where_of(conninfo_);
  }

  /// An io error: @p what, where, and libpq's text, all without the password.
  taskfetch::error failure(const std::string &what, const std::string &detail = {}) const {
    std::string m = "PostgreSQL " + where() + ": " + what;
    std::string d = detail.empty() && c_ ? PQerrorMessage(c_) : detail;
    while (!d.empty() && (d.back() == '\n' || d.back() == ' ')) d.pop_back();
    if (!d.empty()) m += ": " + d;
    return taskfetch::error(error_kind::io, strip_password(m, password_));
  }

  /// Where @p conninfo points (before a connection exists): parsed by libpq.
  static std::string where_of(const std::string &conninfo) {
    char *err = nullptr;
    PQconninfoOption *opts = PQconninfoParse(conninfo.c_str(), &err);
    if (err) PQfreemem(err);
    if (!opts) return "(unparsable connection string)";
    std::string host = "localhost", port = "5432", db;
    for (auto *o = opts; o->keyword; ++o) {
      if (!o->val) continue;
      const std::string k = o->keyword;
      if (k == "host" || (k == "hostaddr" && host == "localhost")) host = o->val;
      if (k == "port") port = o->val;
      if (k == "dbname") db = o->val;
    }
    PQconninfoFree(opts);
    return host + ":" + port + "/" + db;
  }

private:
  std::string conninfo_;
  std::string password_;
  PGconn *c_ = nullptr;
};

/// BEGIN on construction, ROLLBACK unless commit() succeeded.
class transaction {
public:
  explicit transaction(connection &c) : c_(c) { began_ = c_.exec("BEGIN").ok(); }
  transaction(const transaction &) = delete;
  transaction &operator=(const transaction &) = delete;
  ~transaction() {
    if (began_ && !done_ && c_.good()) (void)c_.exec("ROLLBACK");
  }
  bool began() const noexcept { return began_; }
  /// COMMIT; false when it failed (the transaction rolled back).
  bool commit() {
    done_ = true;
    return c_.exec("COMMIT").ok();
  }

private:
  connection &c_;
  bool began_ = false;
  bool done_ = false;
};

} // namespace taskfetch::detail::pq
