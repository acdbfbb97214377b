// The taskfetch binary, driven as scripts drive it: every exit code, the
// bytes it writes, progress and secrets on stderr, and file safety.
#ifdef TASKFETCH_CLI_PATH
#include "../common/sanitized.hpp"
#include "cli_runner.hpp"
#include "test_certs.hpp"

#include <cstdlib>
#include <map>
#include <thread>

#include <unistd.h>

using namespace it;

namespace {
/// A new folder @p dir of @p n small inputs s0.png, s1.png...
fs::path make_inputs(const fs::path &dir, int n) {
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) std::ofstream(dir / ("s" + std::to_string(i) + ".png")) << i;
  return dir;
}
} // namespace

TEST_CASE("CLI exit 0: fetch writes exactly the result's bytes, to -o or stdout") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto id = emu.add_task("djvu2pdf", pdf_task(100000));
  temp_dir tmp;
  auto r = run_cli(against(emu, {"fetch", "djvu2pdf", id, "-o", (tmp.path / "o.pdf").string()}));
  CHECK(r.code == 0);
  CHECK(slurp(tmp.path / "o.pdf") == pdf_of(100000));
  CHECK(r.err.find("Completed") != std::string::npos); // the task's state while polling
  // --sync: the same bytes, made durable before the rename; the old file is replaced whole.
  auto synced = run_cli(
      against(emu, {"fetch", "djvu2pdf", id, "-o", (tmp.path / "o.pdf").string(), "--sync"}));
  CHECK(synced.code == 0);
  CHECK(slurp(tmp.path / "o.pdf") == pdf_of(100000));
  std::size_t files = 0;
  for (auto &e : fs::directory_iterator(tmp.path)) files += e.is_regular_file();
  CHECK(files == 1); // no temporary left behind
  auto s = run_cli(against(emu, {"fetch", "djvu2pdf", id, "--quiet"}));
  CHECK(s.code == 0);
  CHECK(s.out == pdf_of(100000));
  CHECK(s.err.empty());
}

TEST_CASE("CLI exit 1 and batch report lines; exit 5 when every task fails on credentials") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  temp_dir tmp;
  std::string list;
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(emu.add_task("recognize-table", {}));
  ids.push_back("../../etc/passwd"); // unknown, and a hostile name
  for (auto &i : ids) list += i + "\n";
  std::ofstream(tmp.path / "ids.txt") << list;
  const auto out = tmp.path / "out";
  auto r =
      run_cli(against(emu, {"fetch", "recognize-table", "--ids", (tmp.path / "ids.txt").string(),
                            "--out-dir", out.string(), "--jobs", "4"}));
  CHECK(r.code == 1);
  std::size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  CHECK(lines == 21);
  CHECK(r.out.find("../../etc/passwd\tnot_found") != std::string::npos);
  std::size_t files = 0;
  for (auto &e : fs::directory_iterator(out)) {
    CHECK(e.path().parent_path() == out); // nothing escaped DIR
    ++files;
  }
  CHECK(files == 20);
  auto bad = run_cli({"fetch", "recognize-table", "--ids", (tmp.path / "ids.txt").string(),
                      "--out-dir", (tmp.path / "o2").string(), "--base-url", emu.base_url(),
                      "--client-id", "x", "--client-secret", "wrong-secret-value", "--verbose"});
  CHECK(bad.code == 5);
  CHECK(bad.out.find("wrong-secret-value") == std::string::npos); // never printed
  CHECK(bad.err.find("wrong-secret-value") == std::string::npos);
}

TEST_CASE("CLI exit 2: usage errors and refused input, before any request") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  CHECK(run_cli({}).code == 2);
  CHECK(run_cli(against(emu, {"fetch", "no-such-endpoint", "x"})).code == 2);
  CHECK(run_cli(against(emu, {"fetch", "recognize-table", "a\x01z"})).code == 2);
  const auto before = emu.requests();
  CHECK(run_cli({"fetch", "recognize-table", "x", "--base-url", "http://example.com"}).code == 2);
  CHECK(run_cli({"fetch", "recognize-table", "x", "--base-url", "http://10.0.0.1:8080"}).code == 2);
  CHECK(emu.requests() == before);
  CHECK(run_cli({"fetch", "recognize-table", "x", "--deadline", "soon"}).code == 2);
  CHECK(run_cli({"fetch", "recognize-table", "x", "--timeout", "soon"}).code == 2);
  CHECK(run_cli({"fetch", "recognize-table", "x", "--deadline", "2", "--timeout", "2"}).code == 2);
  // The help lists --omr-file and --format for recognize-template: elsewhere
  // they are refused, not ignored.
  temp_dir tmp;
  const auto img = tmp.path / "s.png";
  std::ofstream(img) << "img";
  const auto at_service = emu.requests();
  for (const std::vector<std::string> &bad :
       {std::vector<std::string>{"submit", "recognize-table", img.string(), "--omr-file", "x"},
        std::vector<std::string>{"run", "djvu2pdf", img.string(), "--format", "json", "-o",
                                 (tmp.path / "o").string()},
        std::vector<std::string>{"run", "recognize-table", "--inputs", tmp.path.string(),
                                 "--out-dir", (tmp.path / "out").string(), "--format", "xml"},
        std::vector<std::string>{"fetch", "recognize-table", "some-id", "--format", "json"}}) {
    auto r = run_cli(against(emu, bad));
    CHECK_MESSAGE(r.code == 2, bad[0] << " " << bad[1]);
    CHECK_MESSAGE(r.err.find("applies to recognize-template only") != std::string::npos, r.err);
  }
  CHECK(emu.requests() == at_service);
}

TEST_CASE("CLI emulate: --omr-words, --rate-limit, --max-running, --threads, --port 0") {
  temp_dir tmp;
  const pid_t pid = spawn_cli({"emulate", "--port", "0", "--omr-words", "sdk", "--rate-limit", "3",
                               "--max-running", "1", "--threads", "4", "--task-ms", "60000"},
                              tmp.path / "out", tmp.path / "err");
  // The child prints its URL once it listens: a short real wait.
  const std::string url = wait_for_url(tmp.path / "out");
  REQUIRE_MESSAGE(!url.empty(), slurp(tmp.path / "err"));
  httplib::Client c(url);
  auto tok = c.Post("/connect/token",
                    "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
                    "application/x-www-form-urlencoded");
  REQUIRE(tok);
  REQUIRE(tok->status == 200);
  const httplib::Headers auth{
      {"Authorization",
       "Bearer " + nlohmann::json::parse(tok->body).at("access_token").get<std::string>()},
      {"Accept", "application/json"}};
  const std::string form = nlohmann::json{{"images", {"Zm9ybQ=="}}, {"omrFile", "cA=="}}.dump();
  auto sub =
      c.Post("/v5.0/omr/RecognizeTemplate/PostRecognizeTemplate", auth, form, "application/json");
  REQUIRE(sub);
  REQUIRE(sub->status == 200);
  const auto id = nlohmann::json::parse(sub->body).get<std::string>(); // a JSON string
  auto st = c.Get(("/v5.0/omr/RecognizeTemplate/GetRecognizeTemplate?id=" + id).c_str(), auth);
  REQUIRE(st);
  CHECK(nlohmann::json::parse(st->body).at("responseStatusCode") == "NotReady"); // sdk words
  // Three requests so far: the bucket of 3 is (nearly) empty.
  int throttled = 0;
  for (int i = 0; i < 10 && !throttled; ++i) {
    auto r = c.Get(("/v5.0/omr/RecognizeTemplate/GetRecognizeTemplate?id=" + id).c_str(), auth);
    REQUIRE(r);
    if (r->status == 429) {
      ++throttled;
      CHECK(r->get_header_value("Retry-After") == "1");
    }
  }
  CHECK(throttled == 1);
  ::kill(pid, SIGTERM);
  CHECK(wait_exit(pid) == 0);

  for (const std::vector<std::string> &bad :
       {std::vector<std::string>{"emulate", "--omr-words", "ocr"},
        std::vector<std::string>{"emulate", "--threads", "0"},
        std::vector<std::string>{"emulate", "--max-running", "-1"},
        std::vector<std::string>{"emulate", "--rate-limit", "many"},
        std::vector<std::string>{"emulate", "--task-ms", "5000-2000"},
        std::vector<std::string>{"emulate", "--task-ms", "0-2000"},
        std::vector<std::string>{"emulate", "--task-ms", "1000-x"}}) {
    auto r = run_cli(bad);
    CHECK(r.code == 2);
  }
}

TEST_CASE("CLI emulate: --fault and --delay switch on the emulator's faults, seen over HTTP") {
  temp_dir tmp;
  // Tried in order, one per request: the token's 429 twice, a 503 on the
  // first submit, an unknown status word for one task, a raw answer for
  // another; --delay slows every other answer.
  const pid_t pid = spawn_cli({"emulate", "--port", "0", "--task-ms", "0", "--fault",
                               "status-429:token:2:retry-after=7", "--fault", "status-503:submit",
                               "--fault", "unknown-status:fetch:forever:task=no-such-task",
                               "--fault", "raw-answer:task=raw:body={\"x\":1}", "--delay", "150ms"},
                              tmp.path / "out", tmp.path / "err");
  const std::string url = wait_for_url(tmp.path / "out");
  REQUIRE_MESSAGE(!url.empty(), slurp(tmp.path / "err"));
  httplib::Client c(url);
  const std::string creds =
      "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret";
  for (int i = 0; i < 2; ++i) {
    auto r = c.Post("/connect/token", creds, "application/x-www-form-urlencoded");
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(r->get_header_value("Retry-After") == "7");
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto tok = c.Post("/connect/token", creds, "application/x-www-form-urlencoded");
  REQUIRE(tok);
  REQUIRE(tok->status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 >= 150ms); // --delay
  const httplib::Headers auth{
      {"Authorization",
       "Bearer " + nlohmann::json::parse(tok->body).at("access_token").get<std::string>()}};
  const std::string body = nlohmann::json{{"image", "aW1n"}}.dump();
  auto sub = c.Post("/v5.0/ocr/RecognizeTable", auth, body, "application/json");
  REQUIRE(sub);
  CHECK(sub->status == 503);
  sub = c.Post("/v5.0/ocr/RecognizeTable", auth, body, "application/json");
  REQUIRE(sub);
  CHECK(sub->status == 200);
  auto odd = c.Get("/v5.0/ocr/RecognizeTable?id=no-such-task", auth);
  REQUIRE(odd);
  CHECK(nlohmann::json::parse(odd->body).at("taskStatus") == "Frobnicating");
  auto raw = c.Get("/v5.0/ocr/djvu2pdf?id=raw", auth);
  REQUIRE(raw);
  CHECK(raw->status == 200);
  CHECK(raw->body == "{\"x\":1}");
  ::kill(pid, SIGTERM);
  CHECK(wait_exit(pid) == 0);

  for (const std::vector<std::string> &bad :
       {std::vector<std::string>{"emulate", "--fault", "status-999"},
        std::vector<std::string>{"emulate", "--fault", "drop-body:sometimes"},
        std::vector<std::string>{"emulate", "--fault", "raw-answer"},
        std::vector<std::string>{"emulate", "--fault", "delay:for=soon"},
        std::vector<std::string>{"emulate", "--delay", "5 minutes"}}) {
    auto r = run_cli(bad);
    CHECK_MESSAGE(r.code == 2, bad[2]);
  }
}

TEST_CASE("CLI exits 3, 4, 6, 7 and 8") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  emulation::task_spec failed;
  failed.outcome = emulation::processed::failed({"the page is upside down"});
  auto r3 =
      run_cli(against(emu, {"fetch", "recognize-table", emu.add_task("recognize-table", failed)}));
  CHECK(r3.code == 3);
  CHECK(r3.err.find("the page is upside down") != std::string::npos);
  CHECK(run_cli(against(emu, {"fetch", "recognize-table", "unknown-id"})).code == 4);
  emulation::task_spec slow;
  slow.processing_for = 60s;
  auto r6 = run_cli(against(
      emu, {"fetch", "recognize-table", emu.add_task("recognize-table", slow), "--deadline", "2"}));
  CHECK(r6.code == 6);
  CHECK_MESSAGE(r6.err.find("not finished within 2000 ms") != std::string::npos, r6.err);
  // --timeout, the old spelling, still sets the deadline.
  auto old = run_cli(against(
      emu, {"fetch", "recognize-table", emu.add_task("recognize-table", slow), "--timeout", "1"}));
  CHECK(old.code == 6);
  CHECK_MESSAGE(old.err.find("not finished within 1000 ms") != std::string::npos, old.err);
  auto r7 = run_cli({"fetch", "recognize-table", "x", "--base-url", "http://127.0.0.1:1",
                     "--client-id", "a", "--client-secret", "b", "--deadline", "2"});
  CHECK(r7.code == 7);
  emulation::fault bad64;
  bad64.what = emulation::fault::kind::invalid_base64;
  bad64.times = 0;
  emu.inject(bad64);
  temp_dir tmp;
  std::ofstream(tmp.path / "keep.csv") << "old";
  auto r8 = run_cli(against(emu, {"fetch", "recognize-table", emu.add_task("recognize-table", {}),
                                  "-o", (tmp.path / "keep.csv").string()}));
  CHECK(r8.code == 8);
  CHECK(slurp(tmp.path / "keep.csv") == "old"); // a failed fetch never replaces a file
  CHECK(tmp.entries() == 1);                    // nor leaves a temporary
}

TEST_CASE(
    "CLI exit 9: a local file that cannot be written or read, named with the system's words") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto lost = tmp.path / "no-such-folder" / "x.pdf";
  auto r = run_cli(against(
      emu, {"fetch", "djvu2pdf", emu.add_task("djvu2pdf", pdf_task(1000)), "-o", lost.string()}));
  CHECK(r.code == 9);
  CHECK_MESSAGE(r.err.find("cannot create " + lost.string() + ": No such file or directory") !=
                    std::string::npos,
                r.err);
  CHECK_FALSE(fs::exists(tmp.path / "no-such-folder"));

  // An input that cannot be read: refused before any request.
  const auto before = emu.requests();
  const auto gone = tmp.path / "gone.png";
  auto in = run_cli(against(emu, {"submit", "recognize-table", gone.string()}));
  CHECK(in.code == 9);
  CHECK_MESSAGE(in.err.find("cannot read " + gone.string() + ": No such file or directory") !=
                    std::string::npos,
                in.err);
  CHECK(emu.requests() == before);

  // A batch's OMR pattern is read once, before any input: unreadable, the
  // whole run fails at once, not each input on its own.
  fs::create_directories(tmp.path / "forms");
  std::ofstream(tmp.path / "forms" / "a.png") << "a";
  std::ofstream(tmp.path / "forms" / "b.png") << "b";
  auto batch = run_cli(against(
      emu, {"run", "recognize-template", "--inputs", (tmp.path / "forms").string(), "--out-dir",
            (tmp.path / "answers").string(), "--omr-file", (tmp.path / "gone.omr").string()}));
  CHECK(batch.code == 9);
  CHECK(batch.err == "taskfetch: cannot read " + (tmp.path / "gone.omr").string() +
                         ": No such file or directory\n");
  CHECK(batch.out.empty()); // no per-input report lines
  CHECK(emu.requests() == before);
}

// Sanitizers reserve terabytes of address space: a limit on it stops them
// before main().
using test_common::sanitized;

TEST_CASE("CLI exit 10: an exception no command expects is named an internal error" *
          doctest::skip(sanitized)) {
  // Running out of memory stands for any such failure: reading a 1 GiB input
  // under a 256 MiB address-space limit throws std::bad_alloc.
  temp_dir tmp;
  const auto big = tmp.path / "big.png";
  std::ofstream(big).close();
  fs::resize_file(big, std::uintmax_t(1) << 30); // sparse: no disk used
  const std::vector<std::string> limited{"/bin/sh", "-c", "ulimit -v 262144 && exec \"$0\" \"$@\""};
  auto r = run_cli({"submit", "recognize-table", big.string(), "--base-url", "http://127.0.0.1:1",
                    "--client-id", "a", "--client-secret", "b"},
                   limited);
  CHECK(r.code == 10);
  CHECK_MESSAGE(r.err == "taskfetch: internal error (an unexpected failure, a bug in taskfetch; "
                         "please report it): std::bad_alloc\n",
                r.err);
  CHECK(r.out.empty());
}

TEST_CASE("CLI over HTTPS: --ca-file trusts a private CA; without it exit 7 at once") {
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulator emu(tls_emulator(certs));
  REQUIRE(emu.start());
  const auto id = emu.add_task("recognize-table", {});
  CHECK(run_cli(against(emu, {"fetch", "recognize-table", id, "--ca-file", certs.ca_cert.string()}))
            .code == 0);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(run_cli(against(emu, {"fetch", "recognize-table", id})).code == 7);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s); // not retried
}

TEST_CASE("CLI submit, status, run and cancel") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const std::string data = TASKFETCH_TEST_DATA_DIR;
  auto sub = run_cli(against(emu, {"submit", "recognize-template", data + "/form.png", "--omr-file",
                                   data + "/form.omr", "--format", "json"}));
  REQUIRE(sub.code == 0);
  const std::string id = sub.out.substr(0, sub.out.find('\n'));
  auto st = run_cli(against(emu, {"status", "recognize-template", id}));
  CHECK(st.code == 0);
  CHECK(st.out.rfind("done\t", 0) == 0);
  temp_dir tmp;
  auto run = run_cli(
      against(emu, {"run", "djvu2pdf", data + "/book.djvu", "-o", (tmp.path / "b.pdf").string()}));
  CHECK(run.code == 0);
  CHECK(slurp(tmp.path / "b.pdf").rfind("%PDF-", 0) == 0);
  CHECK(run_cli(against(emu, {"cancel", "recognize-template", id})).code == 0);
  CHECK(run_cli(against(emu, {"fetch", "recognize-template", id})).code == 4);
}
#endif

#ifdef TASKFETCH_CLI_PATH
TEST_CASE("CLI batch on the pool: --verbose logs each request, --rate and --max-outstanding hold") {
  emulator emu(timed_emulator(100ms, 100ms));
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = make_inputs(tmp.path / "in", 12);
  auto r = run_cli(against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir",
                                 (tmp.path / "out").string(), "--max-outstanding", "3", "--rate",
                                 "50", "--verbose"}));
  CHECK(r.code == 0);
  CHECK(r.out.find("summary\tdone=12\tfailed=0") != std::string::npos);
  // One line per request on stderr: method, path, status, time; no secret.
  CHECK(r.err.find("POST /connect/token -> 200 in ") != std::string::npos);
  CHECK(r.err.find("POST /v5.0/ocr/RecognizeTable -> 200 in ") != std::string::npos);
  CHECK(r.err.find("GET /v5.0/ocr/RecognizeTable?id=") != std::string::npos);
  CHECK(r.err.find(emu.config().client_secret) == std::string::npos);
  // --max-outstanding 3: from a task's submit to its last poll (the one
  // that found it Completed), never more than 3 tasks were open.
  const auto log = emu.log();
  std::map<std::string, std::size_t> last_poll;
  for (std::size_t i = 0; i < log.size(); ++i)
    if (log[i].kind == "fetch") last_poll[log[i].task_id] = i;
  std::size_t most = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    std::size_t open = 0;
    for (std::size_t k = 0; k <= i; ++k)
      if (log[k].kind == "submit" && last_poll[log[k].task_id] >= i) ++open;
    most = std::max(most, open);
  }
  CHECK(most == 3);
  auto bad = run_cli(against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir",
                                   (tmp.path / "o2").string(), "--rate", "-1"}));
  CHECK(bad.code == 2);
}
#endif

#ifdef TASKFETCH_CLI_PATH
TEST_CASE("CLI batch on a terminal: one live progress line, report lines each on their own") {
  // `script` (util-linux, in every Debian) runs the CLI on a pseudo-terminal
  // and copies what the terminal showed, stdout and stderr together.
  REQUIRE(fs::exists("/usr/bin/script"));
  emulator emu(timed_emulator(100ms, 200ms));
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = make_inputs(tmp.path / "in", 6);
  std::string cmd = std::string("'") + TASKFETCH_CLI_PATH + "'";
  for (const auto &arg : against(emu, {"run", "recognize-table", "--inputs", in.string(),
                                       "--out-dir", (tmp.path / "out").string()}))
    cmd += " '" + arg + "'";
  std::vector<std::string> all{"/usr/bin/script", "-qec", cmd, "/dev/null"};
  std::vector<char *> argv;
  for (auto &a : all) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, (tmp.path / "tty").c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  CHECK(wait_exit(pid) == 0);
  const std::string shown = slurp(tmp.path / "tty");
  // The live line, redrawn in place, ends on the finished counts.
  CHECK(shown.find("\r6/6 done, 0 failed, 0 in progress, 0 queued") != std::string::npos);
  // Each report line starts on a clean line: after a newline, or after the
  // live line was erased ("\r\x1b[K"), never glued to the live line's end.
  const std::string erased = "\r\x1b[K";
  std::size_t reports = 0;
  for (std::size_t at = shown.find(in.string()); at != std::string::npos;
       at = shown.find(in.string(), at + 1))
    reports +=
        (at > 0 && shown[at - 1] == '\n') ||
        (at >= erased.size() && shown.compare(at - erased.size(), erased.size(), erased) == 0);
  CHECK(reports == 6);
  CHECK(shown.find("summary\tdone=6\tfailed=0") != std::string::npos);
}
#endif

#ifdef TASKFETCH_CLI_PATH
TEST_CASE("CLI batch stopped by SIGTERM: exit 130 within 2 s with its summary; a rerun submits "
          "nothing again") {
  emulator emu(timed_emulator(300ms, 1500ms)); // the tasks outlive the first run
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = make_inputs(tmp.path / "in", 6);
  const std::vector<std::string> args =
      against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir",
                    (tmp.path / "out").string()});
  auto submits = [&] {
    std::size_t n = 0;
    for (const auto &r : emu.log()) n += r.kind == "submit";
    return n;
  };
  const pid_t pid = spawn_cli(args, tmp.path / "out1", tmp.path / "err1");
  // Real waiting here (a child process): until every input is at the service.
  for (int i = 0; i < 500 && submits() < 6; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(submits() == 6);
  std::this_thread::sleep_for(100ms); // their journal records follow the answers
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  const int code = wait_exit(pid);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(code == 130);
  CHECK(took < 2s);
  // Stopped, not failed: each input's line says so, and the summary counts
  // them apart (a rerun finishes them).
  const std::string first = slurp(tmp.path / "out1");
  CHECK_MESSAGE(first.find("summary\tdone=0\tfailed=0\t") != std::string::npos, first);
  CHECK(first.find("\tinterrupted=6") != std::string::npos);
  std::size_t interrupted_lines = 0;
  for (auto at = first.find("\tinterrupted\t"); at != std::string::npos;
       at = first.find("\tinterrupted\t", at + 1))
    ++interrupted_lines;
  CHECK(interrupted_lines == 6);
  CHECK(first.find("\tfailed\t") == std::string::npos);
  // The tasks finish at the service; the rerun polls them, submitting none.
  auto r = run_cli(args);
  CHECK(r.code == 0);
  CHECK(r.out.find("summary\tdone=6\tfailed=0") != std::string::npos);
  CHECK(r.out.find("\tinterrupted=0") != std::string::npos);
  CHECK(submits() == 6);
}
#endif

#ifdef TASKFETCH_CLI_PATH
TEST_CASE("CLI single commands stopped by SIGINT or SIGTERM: exit 130 within 2 s, as the help "
          "promises") {
  emulator emu(timed_emulator(60s, 0ms)); // nothing finishes while the test runs
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = make_inputs(tmp.path / "in", 1) / "s0.png";
  auto requests = [&](const std::string &kind) {
    std::size_t n = 0;
    for (const auto &r : emu.log()) n += r.kind == kind;
    return n;
  };
  auto submitted = run_cli(against(emu, {"submit", "recognize-table", in.string()}));
  REQUIRE(submitted.code == 0);
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  struct step {
    std::vector<std::string> args;
    int sig;
    std::string waits_on; // the request kind that shows the command is waiting
  };
  for (const step &st :
       {step{{"fetch", "recognize-table", id, "-o", (tmp.path / "a.csv").string()},
             SIGTERM,
             "fetch"},
        step{{"fetch", "recognize-table", id}, SIGINT, "fetch"},
        step{{"run", "recognize-table", in.string(), "-o", (tmp.path / "b.csv").string()},
             SIGINT,
             "fetch"}}) {
    const std::size_t before = requests(st.waits_on);
    const pid_t pid = spawn_cli(against(emu, st.args), tmp.path / "out", tmp.path / "err");
    // Real waiting here (a child process): until its first poll found it pending.
    for (int i = 0; i < 500 && requests(st.waits_on) == before; ++i)
      std::this_thread::sleep_for(10ms);
    REQUIRE_MESSAGE(requests(st.waits_on) > before, st.args[0]);
    const auto t0 = std::chrono::steady_clock::now();
    ::kill(pid, st.sig);
    // Exited with 130, not killed by the signal (wait_exit would say 130 for SIGINT too).
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    CHECK_MESSAGE(WIFEXITED(status), st.args[0] << ": killed by signal " << WTERMSIG(status));
    CHECK_MESSAGE(WEXITSTATUS(status) == 130, st.args[0] << ": " << slurp(tmp.path / "err"));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
}
#endif

#ifdef TASKFETCH_CLI_PATH
TEST_CASE("CLI batch whose journal cannot be opened: exit 9 before its first request") {
  emulator emu(timed_emulator(0ms, 0ms));
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = make_inputs(tmp.path / "in", 3);
  // Each would be a billed submission left running if the journal failed after it.
  // A missing folder fails the open; a file where a folder should be, the read.
  for (const fs::path &journal : {tmp.path / "missing" / "journal", in / "s0.png" / "journal"}) {
    auto r = run_cli(against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir",
                                   (tmp.path / "out").string(), "--journal", journal.string()}));
    CHECK(r.code == 9);
    CHECK_MESSAGE(r.err.find(" the journal " + journal.string()) != std::string::npos, r.err);
    CHECK(r.out.find("summary") == std::string::npos); // no input was tried
    CHECK(emu.log().empty());                          // not even the token
  }
  // No credentials: refused before the token request, every input unsent.
  auto r = run_cli({"run", "recognize-table", "--inputs", in.string(), "--out-dir",
                    (tmp.path / "out").string(), "--base-url", emu.base_url()});
  CHECK(r.code == 5);
  CHECK_MESSAGE(r.out.find("failed\tauth\tsubmit: no credentials") != std::string::npos, r.out);
  CHECK(emu.log().empty());
}

TEST_CASE("CLI batch on a read-only disk or in a folder it may not write: exit 9, nothing sent") {
  // The real refusals, not the file-call fault hook: a read-only bind mount
  // in a private mount namespace, and a folder of root's written by nobody
  // (as root, chmod refuses nothing, so the CLI runs as nobody there).
  emulator emu(timed_emulator(0ms, 0ms));
  REQUIRE(emu.start());
  temp_dir tmp;
  const auto in = make_inputs(tmp.path / "in", 3);
  const fs::path locked = tmp.path / "locked", open = tmp.path / "open";
  fs::create_directories(locked);
  fs::create_directories(open);
  fs::permissions(open, fs::perms::all); // nobody writes the other file here
  const auto refused = [&](const std::vector<std::string> &launcher, const char *why) {
    for (const bool journal_there : {true, false}) {
      const fs::path out = (journal_there ? open : locked) / "out";
      const fs::path journal = (journal_there ? locked : open) / "journal";
      auto r = run_cli(against(emu, {"run", "recognize-table", "--inputs", in.string(), "--out-dir",
                                     out.string(), "--journal", journal.string()}),
                       launcher);
      CHECK_MESSAGE(r.code == 9, why << ", journal there " << journal_there << ": " << r.err);
      CHECK_MESSAGE(r.err.find(why) != std::string::npos, r.err);
      CHECK(r.out.find("summary") == std::string::npos);
      CHECK(emu.log().empty());
      fs::remove_all(open / "out");
    }
  };
  if (std::system("unshare -rm true >/dev/null 2>&1") == 0) {
    // The CLI's path and arguments follow the script as "$@".
    refused({"unshare", "-rm", "sh", "-c",
             "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"",
             locked.string()},
            "Read-only file system");
  } else {
    MESSAGE("unshare -rm is not allowed here: the read-only case is left to the fault hook");
  }
  fs::permissions(locked, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  if (::geteuid() == 0) {
    refused({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, "Permission denied");
  } else {
    fs::permissions(locked, fs::perms::owner_write, fs::perm_options::remove);
    refused({}, "Permission denied");
  }
}
#endif
