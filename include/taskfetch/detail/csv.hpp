/// @file
/// @brief An incremental RFC 4180 CSV parser and a writer for the same dialect.
///
/// The dialect is the one the service writes:
/// - fields are separated by `,`; records end with CRLF, LF or a lone CR;
/// - a field that starts with `"` is quoted: it may hold `,`, CR, LF, and `""`
///   stands for one quote; the closing quote must be followed by `,`, a line
///   end or the end of input;
/// - spaces are data (the service pads cells; nothing is trimmed);
/// - rows keep their own length (ragged rows are not padded);
/// - the last record may lack its line end;
/// - an empty line between records is a row holding one empty field, but
///   empty lines at the end of the input make no rows (a trailing newline, or
///   several, never adds an empty row).
///
/// Strictness: a `"` inside an unquoted field, text after a closing quote and
/// an unterminated quoted field are errors (error_kind::decode, with the line
/// number). The service's own output is RFC-style, so a stray quote means the
/// data is damaged or truncated; guessing would silently shift columns.
#pragma once

#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskfetch::detail {

/// @brief Rows of fields, as parsed.
using csv_rows = std::vector<std::vector<std::string>>;

/// @brief Parses CSV fed in chunks of any size; complete rows accumulate in
/// rows(). Chunked and whole input give the same rows and the same errors.
class csv_parser {
public:
  /// @brief Feeds the next bytes. After an error every later call answers it.
  result<void> feed(std::string_view chunk) {
    if (failed_) return error_;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const char c = chunk[i];
      if (after_cr_) {
        after_cr_ = false;
        if (c == '\n') continue; // the LF of a CRLF
      }
      switch (state_) {
      case state::field_start:
        if (c == '"') {
          state_ = state::quoted;
          quote_line_ = line_;
          quoted_cr_ = false;
          line_has_data_ = true;
          break;
        }
        state_ = state::unquoted;
        [[fallthrough]];
      case state::unquoted: {
        // Copy the run of plain bytes at once: the common case.
        std::size_t j = i;
        while (j < chunk.size() && chunk[j] != ',' && chunk[j] != '\n' && chunk[j] != '\r' &&
               chunk[j] != '"')
          ++j;
        if (j > i) {
          field_.append(chunk.data() + i, j - i);
          line_has_data_ = true;
        }
        i = j;
        if (i == chunk.size()) break;
        const char d = chunk[i];
        if (d == '"')
          return fail("a quote inside an unquoted field (quote the whole field "
                      "and double the quote)");
        if (d == ',')
          end_field();
        else
          end_line(d);
        break;
      }
      case state::quoted: {
        std::size_t j = i;
        for (; j < chunk.size() && chunk[j] != '"'; ++j) {
          // Count CRLF once even when a chunk ends between the two bytes.
          if (chunk[j] == '\r' || (chunk[j] == '\n' && !quoted_cr_)) ++line_;
          quoted_cr_ = chunk[j] == '\r';
        }
        field_.append(chunk.data() + i, j - i);
        i = j;
        if (i < chunk.size()) state_ = state::quote_in_quoted;
        break;
      }
      case state::quote_in_quoted:
        if (c == '"') {
          field_.push_back('"');
          state_ = state::quoted;
          quoted_cr_ = false;
        } else if (c == ',') {
          end_field();
        } else if (c == '\n' || c == '\r') {
          end_line(c);
        } else {
          return fail("text after the closing quote of a field");
        }
        break;
      }
    }
    return {};
  }

  /// @brief The input is complete: ends the last row; an error if a quoted
  /// field is still open.
  result<void> finish() {
    if (failed_) return error_;
    if (state_ == state::quoted) {
      line_ = quote_line_;
      return fail("a quoted field is never closed");
    }
    if (line_has_data_ || !row_.empty()) {
      end_field();
      flush_blank_rows();
      rows_.push_back(std::move(row_));
      row_.clear();
    }
    blank_rows_ = 0; // empty lines at the end make no rows
    state_ = state::field_start;
    line_has_data_ = false;
    return {};
  }

  /// @brief The complete rows so far.
  csv_rows &rows() noexcept { return rows_; }
  const csv_rows &rows() const noexcept { return rows_; }
  /// @brief Takes the rows out, leaving none.
  csv_rows take_rows() noexcept { return std::exchange(rows_, {}); }
  /// @brief The 1-based line being read (where an error was found).
  std::size_t line() const noexcept { return line_; }

  /// @brief Back to the state of a new parser.
  void reset() { *this = csv_parser{}; }

private:
  enum class state { field_start, unquoted, quoted, quote_in_quoted };

  result<void> fail(const std::string &what) {
    failed_ = true;
    error_ = error(error_kind::decode, "CSV line " + std::to_string(line_) + ": " + what);
    return error_;
  }
  void end_field() {
    row_.push_back(std::move(field_));
    field_.clear();
    state_ = state::field_start;
    line_has_data_ = true; // "a," has two fields even though both may be empty
  }
  void flush_blank_rows() {
    for (; blank_rows_ > 0; --blank_rows_) rows_.push_back({std::string()});
  }
  void end_line(char c) {
    if (c == '\r') after_cr_ = true;
    ++line_;
    if (!line_has_data_) {
      // An empty line: a row only if more rows follow (decided later).
      ++blank_rows_;
    } else {
      end_field();
      flush_blank_rows();
      rows_.push_back(std::move(row_));
      row_.clear();
    }
    state_ = state::field_start;
    line_has_data_ = false;
  }

  csv_rows rows_;
  std::vector<std::string> row_;
  std::string field_;
  state state_ = state::field_start;
  bool after_cr_ = false;
  bool quoted_cr_ = false;
  bool line_has_data_ = false;
  std::size_t blank_rows_ = 0;
  std::size_t line_ = 1;
  std::size_t quote_line_ = 1;
  bool failed_ = false;
  error error_;
};

/// @brief Drops a UTF-8 byte order mark: some Windows tools write one.
inline std::string_view strip_utf8_bom(std::string_view s) noexcept {
  if (s.size() >= 3 && s.compare(0, 3, "\xEF\xBB\xBF") == 0) s.remove_prefix(3);
  return s;
}

/// @brief Parses a whole CSV text (see the file comment for the dialect).
inline result<csv_rows> parse_csv(std::string_view text) {
  csv_parser p;
  if (auto s = p.feed(text); !s) return s.error();
  if (auto s = p.finish(); !s) return s.error();
  return p.take_rows();
}

/// @brief Whether a field must be quoted to read back the same.
inline bool csv_needs_quotes(std::string_view field) noexcept {
  return field.find_first_of(",\"\r\n") != std::string_view::npos;
}

/// @brief Appends one field, quoted when needed or when @p always is set.
inline void append_csv_field(std::string &out, std::string_view field, bool always = false) {
  if (!always && !csv_needs_quotes(field)) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

/// @brief Writes rows as CSV with LF line ends; parse_csv reads them back
/// the same. A row with one empty field is written `""` so it is not taken
/// for an empty line; an empty row cannot be represented and is written the
/// same way.
inline std::string write_csv(const csv_rows &rows, bool quote_all = false) {
  std::string out;
  for (const auto &row : rows) {
    if (row.empty() || (row.size() == 1 && row[0].empty())) {
      out += "\"\"\n";
      continue;
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) out.push_back(',');
      append_csv_field(out, row[i], quote_all);
    }
    out.push_back('\n');
  }
  return out;
}

} // namespace taskfetch::detail
