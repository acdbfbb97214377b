// The CLI's commands, each a function from parsed arguments to an exit code.
#pragma once

#include "args.hpp"
#include "exit_codes.hpp"
#include "progress.hpp"

#include <taskfetch/batch/fetch_batch.hpp>
#include <taskfetch/client.hpp>
#ifdef TASKFETCH_CLI_CURL
#include <taskfetch/curl_client.hpp>
#endif
#include <taskfetch/decoders.hpp>
#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/detail/proxy.hpp>
#include <taskfetch/detail/url.hpp>
#include <taskfetch/endpoints.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace taskfetch::cli {

// The CLI moves bytes with libcurl when it is built with it (it receives in
// large blocks: docs/BENCHMARKS.md), with cpp-httplib otherwise.
#ifdef TASKFETCH_CLI_CURL
using cli_client = curl_client;
#else
using cli_client = client;
#endif

inline int run_demo(const args &a);    // demo.hpp
inline int run_emulate(const args &a); // demo.hpp

/// Settings shared by every command that talks to the service.
struct session {
  options opts;
  progress out;
  explicit session(verbosity v) : out(v) {}
};

inline int run_batch_inputs(session &s, const args &a); // run_batch.hpp

inline std::string env_or(const char *name, std::string fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

inline verbosity verbosity_of(const args &a) {
  if (a.flag("--quiet")) return verbosity::quiet;
  if (a.flag("--verbose")) return verbosity::verbose;
  return verbosity::normal;
}

/// Options from flags and environment. Plain http:// is refused (exit 2,
/// before any connection) unless the host is loopback, decided without DNS.
inline options make_options(const args &a) {
  options o;
  std::string url =
      a.value("--base-url").value_or(env_or("TASKFETCH_BASE_URL", "https://api.aspose.cloud"));
  auto parsed = detail::parse_url(url);
  if (!parsed) throw usage_error{"bad --base-url: " + parsed.error().message()};
  if (parsed->scheme == "http" && !detail::is_loopback_host(parsed->host))
    throw usage_error{"plain http:// is allowed only for loopback hosts "
                      "(127.0.0.0/8, ::1, localhost); use https://"};
  o.base_url(url);
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
  if (auto route = detail::resolve_proxy(o.proxy(), *parsed, detail::system_env); !route)
    throw usage_error{route.error().message()};
  return o;
}

/// For --verbose: the proxy the requests go through (host:port and where
/// it was set, never its credentials), resolved as the transports do.
inline std::string proxy_note(const options &o) {
  auto u = detail::parse_url(o.base_url());
  if (!u) return "proxy: none";
  auto route = detail::resolve_proxy(o.proxy(), *u, detail::system_env);
  if (!route || !*route) return "proxy: none (direct to " + u->host + ")";
  return "proxy: " + (*route)->label() + " (from " +
         ((*route)->source == "options" ? std::string("--proxy") : (*route)->source) + ")";
}

/// Calls f(Endpoint{}) for the endpoint named on the command line.
template <class F> int with_endpoint(const std::string &name, F &&f) {
  if (name == endpoints::recognize_table::name) return f(endpoints::recognize_table{});
  if (name == endpoints::recognize_template::name) return f(endpoints::recognize_template{});
  if (name == endpoints::djvu2pdf::name) return f(endpoints::djvu2pdf{});
  throw usage_error{"unknown ENDPOINT '" + name +
                    "' (recognize-table | recognize-template | djvu2pdf)"};
}

/// Prints an error the way every command does, and picks its exit code.
inline int report(progress &out, const std::string &what, const error &e) {
  out.done();
  std::fprintf(stderr, "taskfetch: %s: %s\n", what.c_str(), e.message().c_str());
  for (const auto &m : e.service_messages()) std::fprintf(stderr, "  service: %s\n", m.c_str());
  if (out.level() == verbosity::verbose)
    std::fprintf(stderr, "  (%s, HTTP %d, %zu requests)\n",
                 std::string(to_string(e.kind())).c_str(), e.http_status(), e.attempts());
  return exit_for(e.kind());
}

/// A task id made safe as a file name: [A-Za-z0-9_-] and inner dots kept,
/// everything else %XX, so distinct ids never collide and none escapes DIR.
inline std::string safe_file_stem(const std::string &id) {
  static const char *hex = "0123456789ABCDEF";
  std::string s;
  for (std::size_t i = 0; i < id.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(id[i]);
    bool keep = std::isalnum(c) || c == '-' || c == '_' || (c == '.' && i != 0);
    if (keep) {
      s += static_cast<char>(c);
    } else {
      s += '%';
      s += hex[c >> 4];
      s += hex[c & 15];
    }
  }
  return s;
}

/// A local failure that ends a command where no error value can be returned
/// (an input that cannot be read, an output folder that cannot be made):
/// main reports it and exits with its kind's code.
struct command_failure {
  error failure;
};

/// The whole file at @p path; a command_failure of kind io naming it otherwise.
inline std::string read_file(const std::string &path) {
  auto bytes = detail::read_whole_file(path);
  if (!bytes) throw command_failure{std::move(bytes.error())};
  return std::move(*bytes);
}

/// Creates the --out-dir folder @p dir (and its parents) if needed.
inline void make_out_dir(const std::string &dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw command_failure{
        error(error_kind::io, "cannot create --out-dir " + dir + ": " + ec.message())};
}

inline omr_format format_of(const args &a) {
  auto f = a.value("--format").value_or("csv");
  if (f == "csv") return omr_format::csv;
  if (f == "json") return omr_format::json;
  if (f == "xml") return omr_format::xml;
  throw usage_error{"--format must be csv, json or xml"};
}

/// The endpoint's submit input from INPUT (and --omr-file/--format for OMR).
template <class E>
typename endpoint_traits<E>::input make_input(const args &a, const std::string &path) {
  using input = typename endpoint_traits<E>::input;
  if constexpr (std::is_same_v<input, omr_input>) {
    auto pattern = a.value("--omr-file");
    if (!pattern) throw usage_error{"recognize-template needs --omr-file PATTERN"};
    omr_input in;
    in.images.push_back(read_file(path));
    in.omr_file = read_file(*pattern);
    in.format = format_of(a);
    return in;
  } else {
    image_input in;
    in.bytes = read_file(path);
    if constexpr (std::is_same_v<E, endpoints::recognize_table>) in.settings = ocr_settings{};
    return in;
  }
}

/// The file extension for E's result: chosen by us, never by the server.
template <class E> std::string extension_of(const args &a) {
  if constexpr (std::is_same_v<E, endpoints::recognize_template>) {
    if (auto f = a.value("--format")) {
      (void)format_of(a);
      return *f;
    }
  }
  return std::string(endpoint_traits<E>::extension());
}

inline void require_positional(const args &a, std::size_t n, const char *what) {
  if (a.positional.size() != n) throw usage_error{what};
}

/// Writes a decoded result to stdout (binary-safe).
inline result<void> write_stdout(const std::string &bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size() &&
      std::fflush(stdout) == 0)
    return {};
  return detail::io_error("cannot write the result to standard output", errno);
}

/// How -o files are committed. Like curl -o, the default leaves flushing to
/// the system (the result can be fetched again for 24 hours); the rename
/// still means a reader never sees a partial file. --sync fsyncs first.
inline durability file_durability(const args &a) {
  return a.flag("--sync") ? durability::synced : durability::unsynced;
}

/// fetch ENDPOINT TASK_ID [-o FILE] [--sync]
template <class E> int fetch_one(session &s, const args &a, const std::string &id) {
  cli_client api(s.opts);
  auto co = s.out.hooks("task " + id);
  if (auto path = a.value("-o")) {
    auto r = api.template fetch<E>(id, decoders::to_file{*path, file_durability(a)}, co);
    if (!r) return report(s.out, "fetch " + id, r.error());
    s.out.done();
    s.out.debug("wrote " + std::to_string(r->size) + " bytes to " + *path);
    return int(exit_ok);
  }
  // stdout cannot take bytes back, so the result is held until it is whole.
  auto r = api.template fetch<E>(id, decoders::bytes{}, co);
  if (!r) return report(s.out, "fetch " + id, r.error());
  s.out.done();
  if (auto w = write_stdout(*r); !w) return report(s.out, "fetch " + id, w.error());
  return int(exit_ok);
}

/// The ids of a batch: one per line; blank lines and # comments skipped.
inline std::vector<std::string> read_ids(const std::string &path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> ids;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    std::size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    ids.push_back(line.substr(b));
  }
  return ids;
}

/// A failure that hits every task of a batch (bad credentials, refused URL)
/// exits with its own code rather than 1.
inline bool affects_all(error_kind k) {
  return k == error_kind::auth || k == error_kind::invalid_argument || k == error_kind::io;
}

/// The pool's bounds from --jobs (requests in flight: worker threads),
/// --max-outstanding (tasks at the service at once) and --rate (requests
/// per second); the connection pool is made large enough for the workers.
inline batch_options batch_bounds(session &s, const args &a) {
  batch_options bo;
  bo.jobs = static_cast<std::size_t>(positive("--jobs", a.value("--jobs").value_or("8"), 256));
  bo.max_outstanding = static_cast<std::size_t>(
      positive("--max-outstanding", a.value("--max-outstanding").value_or("10000"), 10000000));
  bo.max_requests_per_second = static_cast<double>(
      positive("--rate", a.value("--rate").value_or("0"), 1000000, /*zero_ok=*/true));
  s.opts.max_connections(std::max<std::size_t>(s.opts.max_connections(), bo.jobs));
  bo.per_task.on_request = s.out.request_log();
  return bo;
}

/// fetch ENDPOINT --ids FILE --out-dir DIR [--jobs N] [--max-outstanding N] [--rate R] [--sync]
template <class E> int fetch_batch_cmd(session &s, const args &a) {
  auto ids = read_ids(*a.value("--ids"));
  auto dir = a.value("--out-dir");
  if (!dir) throw usage_error{"--ids needs --out-dir DIR"};
  make_out_dir(*dir);
  batch_options bo = batch_bounds(s, a);
  bo.on_progress = s.out.batch_line(ids.size());
  cli_client api(s.opts);
  const std::string ext = extension_of<E>(a);
  std::vector<error_kind> kinds;
  std::string out_line;
  auto sum = fetch_batch<E>(
      api, ids,
      [&](std::size_t, const std::string &id) {
        // With --sync, one syncfs at the end instead of two fsyncs per file.
        return decoders::to_file{std::filesystem::path(*dir) / (safe_file_stem(id) + "." + ext),
                                 durability::unsynced};
      },
      [&](std::size_t, const std::string &id, const auto &r) {
        out_line.clear();
        if (r) {
          out_line = id + "\tok\t" + r->path.string() + "\t" + std::to_string(r->size) + "\n";
        } else {
          kinds.push_back(r.error().kind());
          out_line = id + "\t" + std::string(to_string(r.error().kind())) + "\t" +
                     r.error().message() + "\n";
        }
        s.out.erase_line();
        std::fwrite(out_line.data(), 1, out_line.size(), stdout);
      },
      bo);
  std::fflush(stdout);
  s.out.done();
  if (a.flag("--sync")) {
    const int fd = ::open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::syncfs(fd) != 0) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      return report(s.out, "fetch", detail::io_error("cannot sync --out-dir " + *dir, e));
    }
    ::close(fd);
  }
  s.out.note("batch: " + std::to_string(sum.done) + " done, " + std::to_string(sum.failed) +
             " failed");
  if (sum.failed == 0) return int(exit_ok);
  if (sum.done == 0 && !kinds.empty() && affects_all(kinds.front()) &&
      std::all_of(kinds.begin(), kinds.end(), [&](error_kind k) { return k == kinds.front(); }))
    return exit_for(kinds.front());
  return exit_batch_failed;
}

inline int cmd_fetch(session &s, const args &a) {
  if (a.positional.empty()) throw usage_error{"fetch needs ENDPOINT"};
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    if (a.value("--ids")) {
      require_positional(a, 1, "fetch ENDPOINT --ids FILE takes no TASK_ID");
      return fetch_batch_cmd<E>(s, a);
    }
    require_positional(a, 2, "fetch needs ENDPOINT TASK_ID");
    return fetch_one<E>(s, a, a.positional[1]);
  });
}

inline int cmd_submit(session &s, const args &a) {
  require_positional(a, 2, "submit needs ENDPOINT INPUT");
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    auto in = make_input<E>(a, a.positional[1]);
    cli_client api(s.opts);
    auto id = api.template submit<E>(in);
    if (!id) return report(s.out, "submit", id.error());
    std::printf("%s\n", id->c_str());
    return int(exit_ok);
  });
}

inline int cmd_run(session &s, const args &a) {
  if (a.value("--inputs")) return run_batch_inputs(s, a);
  require_positional(a, 2, "run needs ENDPOINT INPUT -o FILE");
  auto out = a.value("-o");
  if (!out) throw usage_error{"run needs -o FILE"};
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    auto in = make_input<E>(a, a.positional[1]);
    cli_client api(s.opts);
    auto r =
        api.template run<E>(in, decoders::to_file{*out, file_durability(a)}, s.out.hooks("run"));
    if (!r) return report(s.out, "run", r.error());
    s.out.done();
    return int(exit_ok);
  });
}

inline int cmd_status(session &s, const args &a) {
  require_positional(a, 2, "status needs ENDPOINT TASK_ID");
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    cli_client api(s.opts);
    auto st = api.template status<E>(a.positional[1]);
    if (!st) return report(s.out, "status", st.error());
    std::printf("%s\t%s\n", std::string(to_string(st->state)).c_str(), st->word.c_str());
    for (const auto &m : st->messages) std::fprintf(stderr, "  service: %s\n", m.c_str());
    switch (st->state) {
    case task_state::failed: return int(exit_task_failed);
    case task_state::not_found: return int(exit_not_found);
    case task_state::unknown: return int(exit_malformed);
    default: return int(exit_ok);
    }
  });
}

inline int cmd_cancel(session &s, const args &a) {
  require_positional(a, 2, "cancel needs ENDPOINT TASK_ID");
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    cli_client api(s.opts);
    auto r = api.template cancel<E>(a.positional[1]);
    if (!r) return report(s.out, "cancel", r.error());
    return int(exit_ok);
  });
}

/// Runs the command named @p cmd.
inline int dispatch(const std::string &cmd, const args &a) {
  if (cmd == "demo") return run_demo(a);
  if (cmd == "emulate") return run_emulate(a);
  session s(verbosity_of(a));
  if (cmd == "fetch" || cmd == "submit" || cmd == "run" || cmd == "status" || cmd == "cancel") {
    s.opts = make_options(a);
    s.out.debug(proxy_note(s.opts));
    // Task ids with control characters are refused input, before any request.
    for (std::size_t i = 1; i < a.positional.size() && cmd != "submit" && cmd != "run"; ++i)
      if (detail::has_control_chars(a.positional[i]))
        throw usage_error{"task id contains control characters"};
  }
  if (cmd == "fetch") return cmd_fetch(s, a);
  if (cmd == "submit") return cmd_submit(s, a);
  if (cmd == "run") return cmd_run(s, a);
  if (cmd == "status") return cmd_status(s, a);
  if (cmd == "cancel") return cmd_cancel(s, a);
  throw usage_error{"unknown command '" + cmd + "'"};
}

} // namespace taskfetch::cli
