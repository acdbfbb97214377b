// Command-line parsing for the taskfetch tool: a small, strict parser (unknown
// options are usage errors) so scripts fail loudly instead of guessing.
#pragma once

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace taskfetch::cli {

struct usage_error {
  std::string message;
};

/// Parsed arguments: positionals in order and --options by name.
struct args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values; // --name VALUE
  std::set<std::string> flags;               // --name

  bool flag(const std::string &n) const { return flags.count(n) != 0; }
  std::optional<std::string> value(const std::string &n) const {
    auto it = values.find(n);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

/// Options that take a value; everything else starting with "-" is a flag
/// or an error.
inline const std::set<std::string> &value_options() {
  static const std::set<std::string> v = {"-o",
                                          "--ids",
                                          "--out-dir",
                                          "--jobs",
                                          "--omr-file",
                                          "--format",
                                          "--base-url",
                                          "--client-id",
                                          "--client-secret",
                                          "--deadline",
                                          "--timeout",
                                          "--ca-file",
                                          "--port",
                                          "--inputs",
                                          "--journal",
                                          "--resubmit",
                                          "--log",
                                          "--task-ms",
                                          "--omr-words",
                                          "--threads",
                                          "--max-running",
                                          "--rate-limit",
                                          "--max-outstanding",
                                          "--rate",
                                          "--proxy",
                                          "--noproxy"};
  return v;
}
inline const std::set<std::string> &flag_options() {
  static const std::set<std::string> f = {"--verbose", "--quiet", "--sync",
                                          "--help",    "-h",      "--version"};
  return f;
}

/// Parses argv[first..]; throws usage_error on unknown or incomplete options.
inline args parse(int argc, char **argv, int first) {
  args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      for (++i; i < argc; ++i) a.positional.emplace_back(argv[i]);
      break;
    }
    if (s.size() > 1 && s[0] == '-') {
      std::string name = s, val;
      bool inline_val = false;
      if (auto eq = s.find('='); s.rfind("--", 0) == 0 && eq != std::string::npos) {
        name = s.substr(0, eq);
        val = s.substr(eq + 1);
        inline_val = true;
      }
      if (value_options().count(name)) {
        if (!inline_val) {
          if (i + 1 >= argc) throw usage_error{name + " needs a value"};
          val = argv[++i];
        }
        a.values[name] = val;
      } else if (flag_options().count(name) && !inline_val) {
        a.flags.insert(name);
      } else {
        throw usage_error{"unknown option " + name};
      }
    } else {
      a.positional.push_back(std::move(s));
    }
  }
  return a;
}

/// A positive (or, with @p zero_ok, non-negative) integer option, or a usage error.
inline long positive(const std::string &name, const std::string &v, long max,
                     bool zero_ok = false) {
  char *end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  const long min = zero_ok ? 0 : 1;
  if (v.empty() || *end != '\0' || n < min || n > max)
    throw usage_error{name + " must be a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max)};
  return n;
}

} // namespace taskfetch::cli
