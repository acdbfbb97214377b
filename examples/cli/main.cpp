// taskfetch: the command-line tool. Fetches, submits, runs and cancels tasks of
// the Aspose Cloud v5.0 async API; `emulate` and `demo` use the built-in
// emulator. One .cpp per command; this file parses the command line and
// turns what escapes a command into an exit code (exit_codes.hpp, README).
#include "args.hpp"
#include "cancel.hpp"
#include "demo.hpp"
#include "emulate.hpp"
#include "exit_codes.hpp"
#include "fetch.hpp"
#include "files.hpp"
#include "run.hpp"
#include "session.hpp"
#include "status.hpp"
#include "submit.hpp"

#include <taskfetch/version.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace {

using namespace taskfetch::cli;

const char *usage_text =
    "usage:\n"
    "  taskfetch fetch ENDPOINT TASK_ID [-o FILE] [--sync]\n"
    "  taskfetch fetch ENDPOINT --ids FILE --out-dir DIR [--sync] [BATCH OPTIONS]\n"
    "  taskfetch submit ENDPOINT INPUT [--omr-file PATTERN] [--format csv|json|xml]\n"
    "  taskfetch run ENDPOINT INPUT [--omr-file PATTERN] [--format csv|json|xml] -o FILE "
    "[--sync]\n"
    "  taskfetch run ENDPOINT --inputs PATH --out-dir DIR [--journal FILE] [--resubmit N]\n"
    "                [BATCH OPTIONS]\n"
    "  taskfetch run ENDPOINT --inputs PATH --out-dir DIR --journal postgresql://URI\n"
    "                [--lease SECONDS] [--worker NAME] [--batch NAME] [--resubmit N]\n"
    "                [BATCH OPTIONS]\n"
    "  taskfetch status ENDPOINT TASK_ID\n"
    "  taskfetch cancel ENDPOINT TASK_ID\n"
    "  taskfetch emulate [--port N] [--task-ms MS|MIN-MAX] [--task-seed N] [--log FILE]\n"
    "                    [--omr-words seed|sdk]\n"
    "                    [--threads N] [--max-running N] [--rate-limit R]\n"
    "                    [--token-lifetime SECONDS] [--retention HOURS]\n"
    "                    [--delay DURATION] [--fault SPEC]...\n"
    "  taskfetch demo\n"
    "batch options: --jobs N (requests in flight, default 8) --max-outstanding N (tasks at\n"
    "               the service at once, default 10000) --rate R (requests/s, default 0: no\n"
    "               cap; the pool slows down by itself on 429 or 503 + Retry-After)\n"
    "run --inputs:  --schedule learning|standard (learning, the default: polls planned from\n"
    "               the batch's finished tasks; standard: 1, 3, 6, 10 s, then 25%)\n"
    "shared batch: --journal postgresql://USER:PASSWORD@HOST:PORT/DB (or postgres://, any\n"
    "              libpq URI) shares one batch among workers on several machines, given\n"
    "              the same inputs (same absolute paths) and URI; each input is claimed\n"
    "              by one worker under a lease (--lease, default 30 s) that the others\n"
    "              take over when it lapses; --worker NAME (default HOST:PID) names this\n"
    "              worker in the database; --batch NAME (default: default) keeps other\n"
    "              batches in the same database apart; --rate is shared by all workers.\n"
    "              Needs a taskfetch built with libpq (else exit 2); a database that\n"
    "              cannot be reached or refuses the login: exit 9, nothing submitted\n"
    "emulate: --task-ms MS (every task's time, default 1000) or MIN-MAX (each task's time\n"
    "         drawn log-uniformly from MIN to MAX ms by its input and --task-seed N,\n"
    "         default 1: the same inputs and seed, the same times; the log's submits\n"
    "         carry task_ms) --max-running N (tasks processed at once, 0: no limit)\n"
    "         --rate-limit R (requests/s, then 429 + Retry-After: 1; 0: no limit)\n"
    "         --delay DURATION\n"
    "         (every answer that late: 250ms, 5s) --fault SPEC (repeatable; tried in order)\n"
    "fault SPEC: KIND[:FIELD]...  e.g. status-503:3  drop-body:fetch:1  delay:token:for=2s\n"
    "  KIND: status-NNN drop-body truncate-body stall-body malformed-json invalid-base64\n"
    "        unknown-status wrong-shape revoke-token delay raw-answer\n"
    "  FIELD: token|submit|fetch|cancel|any (requests it hits, default fetch; fetch\n"
    "         includes status polls), N|forever (how many, default 1), endpoint=NAME,\n"
    "         task=ID, retry-after=VALUE, bytes=N (body faults: where, default 64),\n"
    "         for=DURATION (stall-body, delay: default 2s), body=TEXT (raw-answer; last)\n"
    "common options: --base-url URL --client-id ID --client-secret S\n"
    "                --deadline SECONDS (for one task's whole operation, default 300;\n"
    "                old spelling --timeout) --ca-file PEM --proxy URL --noproxy LIST\n"
    "                --verbose --quiet\n"
    "ENDPOINT: recognize-table | recognize-template | djvu2pdf\n"
    "environment: TASKFETCH_BASE_URL (default https://api.aspose.cloud),\n"
    "             TASKFETCH_CLIENT_ID, TASKFETCH_CLIENT_SECRET,\n"
    "             https_proxy/HTTPS_PROXY, http_proxy, all_proxy/ALL_PROXY,\n"
    "             no_proxy/NO_PROXY (as curl; --proxy and --noproxy override them)\n"
    "exit codes:\n"
    "  0    success\n"
    "  1    a batch in which some task failed\n"
    "  2    usage error or refused input\n"
    "  3    the task failed (the service's messages on stderr)\n"
    "  4    task not found or expired\n"
    "  5    authentication failed\n"
    "  6    not finished at --deadline (default 300 s)\n"
    "  7    network or HTTP failure after retries, TLS failures included\n"
    "  8    malformed answer (bad JSON, bad base64, unknown status word)\n"
    "  9    local file or journal failure (disk full, permission, missing folder),\n"
    "       or the PostgreSQL journal failed (unreachable, login refused, went away)\n"
    "  10   internal error: an unexpected failure, a bug in taskfetch (please report it)\n"
    "  130  interrupted (SIGINT, SIGTERM)\n";

/// Runs the command named @p cmd.
int dispatch(const std::string &cmd, const args &a) {
  if (cmd == "demo") return cmd_demo(a);
  if (cmd == "emulate") return cmd_emulate(a);
  session s(verbosity_of(a));
  if (cmd == "fetch" || cmd == "submit" || cmd == "run" || cmd == "status" || cmd == "cancel") {
    s.opts = make_options(a);
    if (s.out.level() == verbosity::verbose) s.out.debug(proxy_note(s.opts));
  }
  if (cmd == "fetch") return cmd_fetch(s, a);
  if (cmd == "submit") return cmd_submit(s, a);
  if (cmd == "run") return cmd_run(s, a);
  if (cmd == "status") return cmd_status(s, a);
  if (cmd == "cancel") return cmd_cancel(s, a);
  throw usage_error{"unknown command '" + cmd + "'"};
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fputs(usage_text, stderr);
    return exit_usage;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(usage_text, stdout);
    return exit_ok;
  }
  if (cmd == "--version") {
    std::printf("taskfetch %s\n", TASKFETCH_VERSION_STRING);
    return exit_ok;
  }
  try {
    args a = parse(argc, argv, 2);
    if (a.flag("--help") || a.flag("-h")) {
      std::fputs(usage_text, stdout);
      return exit_ok;
    }
    return dispatch(cmd, a);
  } catch (const usage_error &e) {
    std::fprintf(stderr, "taskfetch: %s\n%s", e.message.c_str(), usage_text);
    return exit_usage;
  } catch (const command_failure &f) {
    std::fprintf(stderr, "taskfetch: %s\n", f.failure.message().c_str());
    return exit_for(f.failure.kind());
  } catch (const std::exception &e) {
    // Failures the commands expect come back as error values; this is not one.
    std::fprintf(stderr,
                 "taskfetch: internal error (an unexpected failure, a bug in taskfetch; "
                 "please report it): %s\n",
                 e.what());
    return exit_internal;
  } catch (...) {
    std::fputs("taskfetch: internal error (an unexpected failure, a bug in taskfetch; "
               "please report it): an unknown exception\n",
               stderr);
    return exit_internal;
  }
}
