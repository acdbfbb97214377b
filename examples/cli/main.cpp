// taskfetch: the command-line tool. Fetches, submits, runs and cancels tasks of
// the Aspose Cloud v5.0 async API; `emulate` and `demo` use the built-in
// emulator. Exit codes: see exit_codes.hpp and README.
#include "args.hpp"
#include "commands.hpp"
#include "demo.hpp"
#include "exit_codes.hpp"
#include "run_batch.hpp"

#include <taskfetch/version.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace {

const char *usage_text =
    "usage:\n"
    "  taskfetch fetch ENDPOINT TASK_ID [-o FILE] [--sync]\n"
    "  taskfetch fetch ENDPOINT --ids FILE --out-dir DIR [--sync] [BATCH OPTIONS]\n"
    "  taskfetch submit ENDPOINT INPUT [--omr-file PATTERN] [--format csv|json|xml]\n"
    "  taskfetch run ENDPOINT INPUT [--omr-file PATTERN] [--format csv|json|xml] -o FILE "
    "[--sync]\n"
    "  taskfetch run ENDPOINT --inputs PATH --out-dir DIR [--journal FILE] [--resubmit N]\n"
    "                [BATCH OPTIONS]\n"
    "  taskfetch status ENDPOINT TASK_ID\n"
    "  taskfetch cancel ENDPOINT TASK_ID\n"
    "  taskfetch emulate [--port N] [--task-ms MS] [--log FILE] [--omr-words seed|sdk]\n"
    "                    [--threads N] [--max-running N] [--rate-limit R]\n"
    "  taskfetch demo\n"
    "batch options: --jobs N (requests in flight, default 8) --max-outstanding N (tasks at\n"
    "               the service at once, default 10000) --rate R (requests/s, default 0: no\n"
    "               cap; the pool slows down by itself on 429 or 503 + Retry-After)\n"
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
    "  9    local file or journal failure (disk full, permission, missing folder)\n"
    "  10   internal error: an unexpected failure, a bug in taskfetch (please report it)\n"
    "  130  interrupted (SIGINT, SIGTERM)\n";

} // namespace

int main(int argc, char **argv) {
  using namespace taskfetch::cli;
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
