// `taskfetch demo` and `taskfetch emulate`: the emulator in-process, and the
// main job run offline against it.
#pragma once

#include "commands.hpp"

#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/version.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#ifndef TASKFETCH_DATA_DIR
#define TASKFETCH_DATA_DIR "examples/data"
#endif

namespace taskfetch::cli {

namespace detail_demo {
inline std::atomic<bool> interrupted{false};
extern "C" inline void on_signal(int) { interrupted.store(true); }

inline std::string data_path(const std::string &name) {
  return env_or("TASKFETCH_DATA_DIR", TASKFETCH_DATA_DIR) + "/" + name;
}

/// Prints rows as aligned columns (cells are trimmed for display only).
inline void print_table(const table &t) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width;
  for (const auto &row : t.rows) {
    std::vector<std::string> out;
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string v = row[c];
      for (auto &ch : v)
        if (ch == '\n' || ch == '\r') ch = ' ';
      auto b = v.find_first_not_of(' ');
      v = b == std::string::npos ? "" : v.substr(b, v.find_last_not_of(' ') - b + 1);
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], v.size());
      out.push_back(std::move(v));
    }
    cells.push_back(std::move(out));
  }
  for (const auto &row : cells) {
    std::string line = "  ";
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}
} // namespace detail_demo

/// taskfetch emulate [--port N] ...: serves until SIGINT/SIGTERM.
inline int run_emulate(const args &a) {
  emulation::options eo;
  if (auto p = a.value("--port")) // 0: any free port (the printed URL tells which)
    eo.port = static_cast<int>(positive("--port", *p, 65535, true));
  if (auto w = a.value("--omr-words")) { // seed: Processing/NotFound, sdk: NotReady/TaskNotFound
    if (*w != "seed" && *w != "sdk") throw usage_error{"--omr-words must be seed or sdk"};
    eo.omr_style = *w == "sdk" ? emulation::omr_words::sdk : emulation::omr_words::seed;
  }
  if (auto t = a.value("--threads")) eo.threads = positive("--threads", *t, 4096);
  if (auto m = a.value("--max-running"))
    eo.max_running = positive("--max-running", *m, 1000000000, true);
  if (auto r = a.value("--rate-limit"))
    eo.max_requests_per_second = positive("--rate-limit", *r, 1000000000, true);
  if (auto l = a.value("--log")) eo.log_file = *l; // JSON lines, one per request
  if (auto ms = a.value("--task-ms")) { // how long each task takes, split Pending/Processing
    const auto t = std::chrono::milliseconds(positive("--task-ms", *ms, 3600000, true));
    eo.pending_for = t / 3;
    eo.processing_for = t - t / 3;
  }
  emulation::emulator emu(eo);
  if (auto r = emu.start(); !r) {
    std::fprintf(stderr, "taskfetch: emulate: %s\n", r.error().message().c_str());
    return exit_network;
  }
  std::signal(SIGINT, detail_demo::on_signal);
  std::signal(SIGTERM, detail_demo::on_signal);
  std::printf("emulator listening on %s\n", emu.base_url().c_str());
  std::printf("  TASKFETCH_BASE_URL=%s TASKFETCH_CLIENT_ID=%s TASKFETCH_CLIENT_SECRET=%s\n",
              emu.base_url().c_str(), eo.client_id.c_str(), eo.client_secret.c_str());
  std::fflush(stdout);
  while (!detail_demo::interrupted.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  emu.stop();
  return exit_ok;
}

/// taskfetch demo: the main job, offline.
inline int run_demo(const args &a) {
  using namespace detail_demo;
  progress out(verbosity_of(a) == verbosity::quiet ? verbosity::quiet : verbosity::normal);
  emulation::emulator emu;
  if (auto r = emu.start(); !r) {
    std::fprintf(stderr, "taskfetch: demo: %s\n", r.error().message().c_str());
    return exit_network;
  }
  std::printf("taskfetch %s demo: emulator on %s\n", TASKFETCH_VERSION_STRING,
              emu.base_url().c_str());
  client api(options{}
                 .base_url(emu.base_url())
                 .credentials(emulation::options{}.client_id, emulation::options{}.client_secret)
                 .deadline(std::chrono::seconds(60)));

  // 1. A table image: recognised into rows, printed as aligned columns.
  std::printf("\n== RecognizeTable: %s\n", "table.png");
  image_input table_in{read_file(data_path("table.png")), ocr_settings{}};
  auto t =
      api.run<endpoints::recognize_table>(table_in, decoders::table{}, out.hooks("  table task"));
  if (!t) return report(out, "demo table", t.error());
  print_table(*t);

  // 2. An OMR form with its pattern: the answers, one per line.
  std::printf("\n== RecognizeTemplate: %s with %s\n", "form.png", "form.omr");
  omr_input form{
      {read_file(data_path("form.png"))}, read_file(data_path("form.omr")), omr_format::json, 35};
  auto f = api.run<endpoints::recognize_template>(form, decoders::omr{}, out.hooks("  form task"));
  if (!f) return report(out, "demo form", f.error());
  for (const auto &e : *f)
    std::printf("  %-16s %s\n", e.name.c_str(), e.value.empty() ? "-" : e.value.c_str());

  // 3. A DjVu book: converted, streamed to taskfetch-demo.pdf.
  std::printf("\n== djvu2pdf: %s\n", "book.djvu");
  image_input book{read_file(data_path("book.djvu")), std::nullopt};
  auto p = api.run<endpoints::djvu2pdf>(book, decoders::to_file{"taskfetch-demo.pdf"},
                                        out.hooks("  djvu task"));
  if (!p) return report(out, "demo djvu2pdf", p.error());
  out.done();
  std::printf("  wrote taskfetch-demo.pdf (%llu bytes)\n",
              static_cast<unsigned long long>(p->size));
  return exit_ok; // the client closes its connections first, so the emulator stops at once
}

} // namespace taskfetch::cli
