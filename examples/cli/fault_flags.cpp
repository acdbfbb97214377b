#include "fault_flags.hpp"

#include "args.hpp"

#include <taskfetch/endpoints.hpp>

#include <cstddef>
#include <cstdlib>
#include <utility>
#include <vector>

namespace taskfetch::cli {

namespace {

using emulation::fault;
using emulation::target;

// Kind names as users type them: dashes, like the CLI's other words.
const std::vector<std::pair<std::string, fault::kind>> kind_names = {
    {"drop-body", fault::kind::drop_mid_body},
    {"truncate-body", fault::kind::truncate_body},
    {"stall-body", fault::kind::stall_body},
    {"malformed-json", fault::kind::malformed_json},
    {"invalid-base64", fault::kind::invalid_base64},
    {"unknown-status", fault::kind::unknown_status},
    {"wrong-shape", fault::kind::wrong_shape},
    {"revoke-token", fault::kind::revoke_token},
    {"delay", fault::kind::delay},
    {"raw-answer", fault::kind::raw_answer}};

const std::vector<std::pair<std::string, target>> target_names = {{"token", target::token},
                                                                  {"submit", target::submit},
                                                                  {"fetch", target::fetch},
                                                                  {"cancel", target::cancel},
                                                                  {"any", target::any}};

[[noreturn]] void bad(const std::string &spec, const std::string &why) {
  throw usage_error{"--fault " + spec + ": " + why};
}

bool all_digits(const std::string &s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

std::chrono::milliseconds parse_duration(const std::string &name, const std::string &text) {
  std::string digits = text;
  long scale = 1;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    digits = text.substr(0, text.size() - 2);
  } else if (text.size() > 1 && text.back() == 's') {
    digits = text.substr(0, text.size() - 1);
    scale = 1000;
  }
  const long hour_ms = 3600L * 1000;
  if (!all_digits(digits) || digits.size() > 9 ||
      std::strtol(digits.c_str(), nullptr, 10) * scale > hour_ms)
    throw usage_error{name + " must be a duration such as 250ms or 5s (at most 1 hour)"};
  return std::chrono::milliseconds(std::strtol(digits.c_str(), nullptr, 10) * scale);
}

fault parse_fault(const std::string &spec) {
  std::vector<std::string> parts;
  std::vector<std::size_t> starts;
  for (std::size_t at = 0;;) {
    const auto colon = spec.find(':', at);
    starts.push_back(at);
    parts.push_back(spec.substr(at, colon == std::string::npos ? std::string::npos : colon - at));
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  fault f;
  const std::string &kind = parts[0];
  if (kind.rfind("status-", 0) == 0) {
    const std::string code = kind.substr(7);
    if (!all_digits(code) || code.size() != 3 || code[0] < '1' || code[0] > '5')
      bad(spec, "status-NNN needs an HTTP status from 100 to 599");
    f.what = fault::kind::http_status;
    f.status = std::atoi(code.c_str());
  } else {
    bool known = false;
    for (const auto &[n, k] : kind_names)
      if (kind == n) {
        f.what = k;
        known = true;
      }
    if (!known)
      bad(spec, "unknown fault '" + kind +
                    "' (status-NNN, drop-body, truncate-body, stall-body, malformed-json, "
                    "invalid-base64, unknown-status, wrong-shape, revoke-token, delay, "
                    "raw-answer)");
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string &p = parts[i];
    bool is_target = false;
    for (const auto &[n, t] : target_names)
      if (p == n) {
        f.on = t;
        is_target = true;
      }
    if (is_target) continue;
    if (p == "forever") {
      f.times = fault::forever;
      continue;
    }
    if (all_digits(p)) {
      f.times = static_cast<std::size_t>(positive("--fault count", p, 1000000000));
      continue;
    }
    const auto eq = p.find('=');
    if (eq == std::string::npos) bad(spec, "unknown field '" + p + "'");
    const std::string key = p.substr(0, eq), val = p.substr(eq + 1);
    if (key == "endpoint") {
      if (val != endpoints::recognize_table::name && val != endpoints::recognize_template::name &&
          val != endpoints::djvu2pdf::name)
        bad(spec, "endpoint= must be recognize-table, recognize-template or djvu2pdf");
      f.endpoint = val;
    } else if (key == "task") {
      f.task_id = val;
    } else if (key == "retry-after") {
      f.retry_after = val;
    } else if (key == "bytes") {
      f.after_bytes = static_cast<std::size_t>(positive("--fault bytes=", val, 1L << 40, true));
    } else if (key == "for") {
      f.stall = parse_duration("--fault for=", val);
    } else if (key == "body") {
      // The rest of the spec, colons included: a raw answer is often JSON.
      f.body = spec.substr(starts[i] + 5);
      break;
    } else {
      bad(spec, "unknown field '" + key + "='");
    }
  }
  if (f.what == fault::kind::raw_answer && f.body.empty())
    bad(spec, "raw-answer needs body=TEXT (the last field)");
  return f;
}

} // namespace taskfetch::cli
