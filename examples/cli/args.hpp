// Command-line parsing for the taskfetch tool: a small, strict parser (unknown
// options are usage errors) so scripts fail loudly instead of guessing.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace taskfetch::cli {

/// A command line the tool refuses (exit 2, with the usage text).
struct usage_error {
  std::string message;
};

/// Parsed arguments: positionals in order and --options by name.
struct args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values; // --name VALUE, in order given
  std::set<std::string> flags;                            // --name

  bool flag(const std::string &n) const { return flags.count(n) != 0; }
  /// The last value given for @p n, if any.
  std::optional<std::string> value(const std::string &n) const;
  /// Every value given for @p n (options that may repeat, such as --fault).
  std::vector<std::string> all(const std::string &n) const;
};

/// Parses argv[first..]; throws usage_error on unknown or incomplete options.
args parse(int argc, char **argv, int first);

/// A positive (or, with @p zero_ok, non-negative) integer option, or a usage error.
long positive(const std::string &name, const std::string &v, long max, bool zero_ok = false);

/// Throws usage_error{@p what} unless there are exactly @p n positionals.
void require_positional(const args &a, std::size_t n, const char *what);

} // namespace taskfetch::cli
