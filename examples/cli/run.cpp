#include "run.hpp"

#include "batch_common.hpp"
#include "endpoints.hpp"
#include "exit_codes.hpp"
#include "files.hpp"
#include "interrupt.hpp"

#include <taskfetch/batch/file_journal.hpp>
#include <taskfetch/batch/run_inputs.hpp>
#include <taskfetch/decoders.hpp>
#ifdef TASKFETCH_CLI_POSTGRESQL
#include <taskfetch/batch/pg_journal.hpp>
#include <taskfetch/batch/run_shared.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

namespace taskfetch::cli {

namespace {

/// The inputs named by --inputs: a folder's regular, non-hidden files
/// (sorted), or a file listing one path per line.
std::vector<std::filesystem::path> list_inputs(const std::string &where) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_directory(where, ec)) {
    for (const auto &e : fs::directory_iterator(where, ec)) {
      const auto name = e.path().filename().string();
      if (!name.empty() && name[0] != '.' && e.is_regular_file(ec)) out.push_back(e.path());
    }
    if (ec)
      throw command_failure{
          error(error_kind::io, "cannot list --inputs " + where + ": " + ec.message())};
    std::sort(out.begin(), out.end());
  } else {
    for (const auto &line : read_ids(where)) out.emplace_back(line);
  }
  if (out.empty()) throw usage_error{"--inputs " + where + " names no input files"};
  return out;
}

/// Whether --journal names a PostgreSQL database (a libpq URI) rather than a file.
bool is_database(const std::string &journal) {
  return journal.rfind("postgresql://", 0) == 0 || journal.rfind("postgres://", 0) == 0;
}

#ifdef TASKFETCH_CLI_POSTGRESQL
/// The shared journal's settings from --lease, --worker and --batch.
struct shared_settings {
  std::chrono::seconds lease{30};
  std::string worker; ///< this worker's name in the journal's rows
  std::string batch;  ///< the batch's name in the database
};

shared_settings shared_settings_of(const args &a) {
  shared_settings ss;
  ss.lease = std::chrono::seconds(positive("--lease", a.value("--lease").value_or("30"), 86400));
  if (auto w = a.value("--worker")) {
    if (w->empty()) throw usage_error{"--worker needs a name"};
    ss.worker = *w;
  } else {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    ss.worker = std::string(host) + ":" + std::to_string(::getpid());
  }
  ss.batch = a.value("--batch").value_or("default");
  if (ss.batch.empty()) throw usage_error{"--batch needs a name"};
  return ss;
}
#endif

/// One input's line on stdout (the live line erased first); failures' kinds
/// collected for the exit code. An input stopped by SIGINT or SIGTERM (the
/// batch's cancel token) is "interrupted", not "failed": a rerun with the
/// journal finishes it.
void print_report(session &s, std::vector<error_kind> &kinds, const input_report &r) {
  std::string line = r.key + "\t";
  switch (r.outcome) {
  case input_outcome::done:
    line += std::string(r.resubmitted ? "done-resubmitted" : "done") + "\t" + r.output.string() +
            "\t" + std::to_string(r.size);
    break;
  case input_outcome::skipped:
    line += "skipped\t" + r.output.string() + "\t" + std::to_string(r.size);
    break;
  case input_outcome::failed:
    kinds.push_back(r.failure->kind());
    if (r.failure->kind() == error_kind::cancelled) {
      line += "interrupted\t" + r.failure->message();
      break;
    }
    line += "failed\t" + std::string(to_string(r.failure->kind())) + "\t" + r.failure->message();
    for (const auto &m : r.failure->service_messages()) line += " | " + m;
    break;
  }
  line += "\n";
  s.out.erase_line();
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

/// The summary line; @p kinds are the failures' kinds (print_report), whose
/// `cancelled` ones count as interrupted rather than failed.
void print_summary(const run_summary &sum, const std::vector<error_kind> &kinds) {
  // Requests are what the account is billed for; per input that reached the service.
  const std::size_t tasks = std::max<std::size_t>(1, sum.done + sum.failed);
  const std::size_t interrupted = interrupted_of(kinds);
  std::printf("summary\tdone=%zu\tfailed=%zu\tresubmitted=%zu\tskipped=%zu\trequests=%zu\t"
              "requests_per_task=%.2f\tinterrupted=%zu",
              sum.done, sum.failed - std::min(sum.failed, interrupted), sum.resubmitted,
              sum.skipped, sum.requests,
              static_cast<double>(sum.requests) / static_cast<double>(tasks), interrupted);
}

int run_batch_inputs(session &s, const args &a) {
  namespace fs = std::filesystem;
  require_positional(a, 1, "run ENDPOINT --inputs PATH --out-dir DIR takes no INPUT");
  auto dir = a.value("--out-dir");
  if (!dir) throw usage_error{"--inputs needs --out-dir DIR"};
  const auto journal_arg = a.value("--journal");
  const bool shared = journal_arg && is_database(*journal_arg);
  if (!shared && (a.value("--lease") || a.value("--worker") || a.value("--batch")))
    throw usage_error{"--lease, --worker and --batch need --journal postgresql://..."};
#ifdef TASKFETCH_CLI_POSTGRESQL
  const shared_settings ss = shared ? shared_settings_of(a) : shared_settings{};
#else
  if (shared)
    // The URI is not repeated: it may hold a password.
    throw usage_error{"--journal postgresql://...: this taskfetch was built without PostgreSQL "
                      "(rebuild it with libpq-dev installed)"};
#endif
  make_out_dir(*dir);
  const auto paths = list_inputs(*a.value("--inputs"));
  batch_options bo = batch_bounds(s, a);
  interrupt_watch interrupt(bo.per_task); // before ro.per_task copies its cancel token
  run_options ro;
  ro.jobs = bo.jobs;
  ro.max_outstanding = bo.max_outstanding;
  ro.max_requests_per_second = bo.max_requests_per_second;
  ro.on_progress = s.out.batch_line(paths.size());
  ro.per_task = bo.per_task;
  ro.schedule = schedule_option(a);
  ro.resubmit =
      static_cast<unsigned>(positive("--resubmit", a.value("--resubmit").value_or("1"), 100, true));
  const fs::path journal_path =
      journal_arg.value_or((fs::path(*dir) / ".taskfetch-journal").string());

  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    const auto settings = input_settings<E>(a); // shared by every input
    const std::string ext = extension_of<E>(a);
    std::vector<batch_input> inputs;
    std::set<std::string> names;
    for (const auto &p : paths) {
      // Output names come from the input's own name, never from the server.
      const std::string name = p.filename().string() + "." + ext;
      if (!names.insert(name).second)
        throw usage_error{"two inputs would both write " + name + " (same file name)"};
      inputs.push_back({fs::absolute(p).lexically_normal().string(), p, fs::path(*dir) / name});
    }
    cli_client api(s.opts);
    auto read = [&](const fs::path &p) -> result<typename endpoint_traits<E>::input> {
      try {
        return with_image<E>(settings, p.string());
      } catch (const command_failure &f) { // the input cannot be read
        return f.failure;
      }
    };
    std::vector<error_kind> kinds;
    auto on_report = [&](const input_report &r) { print_report(s, kinds, r); };
#ifdef TASKFETCH_CLI_POSTGRESQL
    if (shared) {
      // A database that does not answer is an error within seconds, not
      // after the system's TCP timeout (a URI's connect_timeout wins).
      ::setenv("PGCONNECT_TIMEOUT", "10", 0);
      pg_journal_options po;
      po.lease = ss.lease;
      po.owner = ss.worker;
      po.batch = ss.batch;
      // A database restart within a lease is ridden out; a longer outage
      // would cost the claims anyway, so it ends the run (exit 9).
      po.reconnect_for = ss.lease;
      po.interrupted = [t = bo.per_task.cancel] { return t.cancelled(); };
      pg_journal journal(*journal_arg, po);
      auto sum = run_shared<E>(api, inputs, journal, read, on_report, ro);
      s.out.done();
      if (!sum) return report(s.out, "run", sum.error());
      print_summary(*sum, kinds);
      std::printf("\tlost=%zu\tleft_open=%zu\n", sum->lost, sum->left_open);
      s.out.note("batch " + ss.batch + ": done=" + std::to_string(sum->batch.done) + " failed=" +
                 std::to_string(sum->batch.failed) + " open=" + std::to_string(sum->batch.open) +
                 " claimed=" + std::to_string(sum->batch.claimed) + " (worker " + ss.worker + ")");
      if (interrupt.fired()) return int(exit_interrupted);
      return batch_exit(sum->done, sum->failed, kinds);
    }
#endif
    file_journal journal(journal_path);
    auto sum = run_inputs<E>(api, inputs, journal, read, on_report, ro);
    s.out.done();
    if (!sum) return report(s.out, "run", sum.error());
    print_summary(*sum, kinds);
    std::printf("\n");
    if (journal.skipped())
      s.out.note("journal: ignored " + std::to_string(journal.skipped()) +
                 " torn or corrupted record(s)");
    if (interrupt.fired()) return int(exit_interrupted);
    return batch_exit(sum->done + sum->skipped, sum->failed, kinds);
  });
}

} // namespace

int cmd_run(session &s, const args &a) {
  if (a.value("--inputs")) return run_batch_inputs(s, a);
  require_positional(a, 2, "run needs ENDPOINT INPUT -o FILE");
  auto out = a.value("-o");
  if (!out) throw usage_error{"run needs -o FILE"};
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    auto in = make_input<E>(a, a.positional[1]);
    cli_client api(s.opts);
    auto co = s.out.hooks("run");
    interrupt_watch interrupt(co);
    auto r = api.template run<E>(in, decoders::to_file{*out, file_durability(a)}, co);
    if (!r) return interrupt.exit_code(report(s.out, "run", r.error()));
    s.out.done();
    return int(exit_ok);
  });
}

} // namespace taskfetch::cli
