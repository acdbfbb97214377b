#include "run.hpp"

#include "batch_common.hpp"
#include "endpoints.hpp"
#include "exit_codes.hpp"
#include "files.hpp"

#include <taskfetch/batch/file_journal.hpp>
#include <taskfetch/batch/run_inputs.hpp>
#include <taskfetch/decoders.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

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

int run_batch_inputs(session &s, const args &a) {
  namespace fs = std::filesystem;
  require_positional(a, 1, "run ENDPOINT --inputs PATH --out-dir DIR takes no INPUT");
  auto dir = a.value("--out-dir");
  if (!dir) throw usage_error{"--inputs needs --out-dir DIR"};
  make_out_dir(*dir);
  const auto paths = list_inputs(*a.value("--inputs"));
  batch_options bo = batch_bounds(s, a);
  batch_interrupt interrupt(bo); // before ro.per_task copies bo's cancel token
  run_options ro;
  ro.jobs = bo.jobs;
  ro.max_outstanding = bo.max_outstanding;
  ro.max_requests_per_second = bo.max_requests_per_second;
  ro.on_progress = s.out.batch_line(paths.size());
  ro.per_task = bo.per_task;
  ro.resubmit =
      static_cast<unsigned>(positive("--resubmit", a.value("--resubmit").value_or("1"), 100, true));
  const fs::path journal_path =
      a.value("--journal").value_or((fs::path(*dir) / ".taskfetch-journal").string());

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
    file_journal journal(journal_path);
    auto read = [&](const fs::path &p) -> result<typename endpoint_traits<E>::input> {
      try {
        return with_image<E>(settings, p.string());
      } catch (const command_failure &f) { // the input cannot be read
        return f.failure;
      }
    };
    std::vector<error_kind> kinds;
    auto sum = run_inputs<E>(
        api, inputs, journal, read,
        [&](const input_report &r) {
          std::string line = r.key + "\t";
          switch (r.outcome) {
          case input_outcome::done:
            line += std::string(r.resubmitted ? "done-resubmitted" : "done") + "\t" +
                    r.output.string() + "\t" + std::to_string(r.size);
            break;
          case input_outcome::skipped:
            line += "skipped\t" + r.output.string() + "\t" + std::to_string(r.size);
            break;
          case input_outcome::failed:
            kinds.push_back(r.failure->kind());
            line += "failed\t" + std::string(to_string(r.failure->kind())) + "\t" +
                    r.failure->message();
            for (const auto &m : r.failure->service_messages()) line += " | " + m;
            break;
          }
          line += "\n";
          s.out.erase_line();
          std::fwrite(line.data(), 1, line.size(), stdout);
          std::fflush(stdout);
        },
        ro);
    s.out.done();
    if (!sum) return report(s.out, "run", sum.error());
    std::printf("summary\tdone=%zu\tfailed=%zu\tresubmitted=%zu\tskipped=%zu\n", sum->done,
                sum->failed, sum->resubmitted, sum->skipped);
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
    auto r =
        api.template run<E>(in, decoders::to_file{*out, file_durability(a)}, s.out.hooks("run"));
    if (!r) return report(s.out, "run", r.error());
    s.out.done();
    return int(exit_ok);
  });
}

} // namespace taskfetch::cli
