#include "session.hpp"

#include "exit_codes.hpp"

#include <taskfetch/check_options.hpp>
#include <taskfetch/detail/target.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace taskfetch::cli {

std::string env_or(const char *name, std::string fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

verbosity verbosity_of(const args &a) {
  if (a.flag("--quiet")) return verbosity::quiet;
  if (a.flag("--verbose")) return verbosity::verbose;
  return verbosity::normal;
}

options make_options(const args &a) {
  options o;
  o.base_url(
      a.value("--base-url").value_or(env_or("TASKFETCH_BASE_URL", "https://api.aspose.cloud")));
  o.credentials(a.value("--client-id").value_or(env_or("TASKFETCH_CLIENT_ID", "")),
                a.value("--client-secret").value_or(env_or("TASKFETCH_CLIENT_SECRET", "")));
  // --timeout is the old spelling of --deadline, still accepted.
  if (a.value("--deadline") && a.value("--timeout"))
    throw usage_error{"--deadline and --timeout (its old spelling) are the same option: give one"};
  for (const char *name : {"--deadline", "--timeout"})
    if (auto t = a.value(name)) o.deadline(std::chrono::seconds(positive(name, *t, 7 * 24 * 3600)));
  if (auto ca = a.value("--ca-file")) {
    if (!std::filesystem::exists(*ca)) throw usage_error{"--ca-file not found: " + *ca};
    o.ca_file(*ca);
  }
  // --proxy and --noproxy override the environment, as curl's do.
  if (auto p = a.value("--proxy")) o.proxy(*p);
  if (auto n = a.value("--noproxy")) o.no_proxy(*n);
  // The CLI's own transport's refusals too (https without OpenSSL).
  if (auto ok = check_options<cli_client::transport_type>(o); !ok)
    throw usage_error{ok.error().message()};
  return o;
}

std::string proxy_note(const options &o) {
  auto t = detail::resolve_target(transport_settings_for(o));
  if (!t) return "proxy: none";
  if (!t->proxy) return "proxy: none (direct to " + t->url.host + ")";
  return "proxy: " + t->proxy->label() + " (from " +
         (t->proxy->source == "options" ? std::string("--proxy") : t->proxy->source) + ")";
}

int report(progress &out, const std::string &what, const error &e) {
  out.done();
  std::fprintf(stderr, "taskfetch: %s: %s\n", what.c_str(), e.message().c_str());
  for (const auto &m : e.service_messages()) std::fprintf(stderr, "  service: %s\n", m.c_str());
  if (out.level() == verbosity::verbose)
    std::fprintf(stderr, "  (%s, HTTP %d, %zu requests)\n",
                 std::string(to_string(e.kind())).c_str(), e.http_status(), e.attempts());
  return exit_for(e.kind());
}

} // namespace taskfetch::cli
