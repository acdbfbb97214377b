// The taskfetch binary, driven as scripts drive it: every exit code, the
// bytes it writes, progress and secrets on stderr, and file safety.
#ifdef TASKFETCH_CLI_PATH
#include "cli_runner.hpp"
#include "test_certs.hpp"

using namespace it;

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
  CHECK(run_cli({"fetch", "recognize-table", "x", "--timeout", "soon"}).code == 2);
}

TEST_CASE("CLI exits 3, 4, 6, 7 and 8") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  emulator::task_spec failed;
  failed.outcome = emulator::processed::failed({"the page is upside down"});
  auto r3 =
      run_cli(against(emu, {"fetch", "recognize-table", emu.add_task("recognize-table", failed)}));
  CHECK(r3.code == 3);
  CHECK(r3.err.find("the page is upside down") != std::string::npos);
  CHECK(run_cli(against(emu, {"fetch", "recognize-table", "unknown-id"})).code == 4);
  emulator::task_spec slow;
  slow.processing_for = 60s;
  auto r6 = run_cli(against(
      emu, {"fetch", "recognize-table", emu.add_task("recognize-table", slow), "--timeout", "2"}));
  CHECK(r6.code == 6);
  auto r7 = run_cli({"fetch", "recognize-table", "x", "--base-url", "http://127.0.0.1:1",
                     "--client-id", "a", "--client-secret", "b", "--timeout", "2"});
  CHECK(r7.code == 7);
  emulator::fault bad64;
  bad64.what = emulator::fault::kind::invalid_base64;
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

TEST_CASE("CLI over HTTPS: --ca-file trusts a private CA; without it exit 7 at once") {
  temp_dir tmp;
  const auto certs = test_certs::make(tmp.path);
  emulator::options eo = fast_emulator();
  eo.cert_file = certs.server_cert.string();
  eo.key_file = certs.server_key.string();
  emulator emu(eo);
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
