#include "args.hpp"

#include <cstdlib>

namespace taskfetch::cli {

namespace {

// Options that take a value; everything else starting with "-" is a flag or
// an error.
const std::set<std::string> value_options = {"-o",
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
                                             "--task-seed",
                                             "--omr-words",
                                             "--threads",
                                             "--max-running",
                                             "--rate-limit",
                                             "--max-outstanding",
                                             "--rate",
                                             "--schedule",
                                             "--proxy",
                                             "--noproxy",
                                             "--fault",
                                             "--delay",
                                             "--token-lifetime",
                                             "--retention",
                                             "--lease",
                                             "--worker",
                                             "--batch"};
const std::set<std::string> flag_options = {"--verbose", "--quiet", "--sync",
                                            "--help",    "-h",      "--version"};

} // namespace

std::optional<std::string> args::value(const std::string &n) const {
  auto it = values.find(n);
  if (it == values.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> args::all(const std::string &n) const {
  auto it = values.find(n);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

args parse(int argc, char **argv, int first) {
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
      if (value_options.count(name)) {
        if (!inline_val) {
          if (i + 1 >= argc) throw usage_error{name + " needs a value"};
          val = argv[++i];
        }
        a.values[name].push_back(val);
      } else if (flag_options.count(name) && !inline_val) {
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

long positive(const std::string &name, const std::string &v, long max, bool zero_ok) {
  char *end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  const long min = zero_ok ? 0 : 1;
  if (v.empty() || *end != '\0' || n < min || n > max)
    throw usage_error{name + " must be a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max)};
  return n;
}

void require_positional(const args &a, std::size_t n, const char *what) {
  if (a.positional.size() != n) throw usage_error{what};
}

} // namespace taskfetch::cli
