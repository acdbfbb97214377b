#include "demo.hpp"

#include "exit_codes.hpp"
#include "files.hpp"
#include "progress.hpp"
#include "samples.hpp"
#include "session.hpp"

#include <taskfetch/client.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/version.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace taskfetch::cli {

namespace {

/// A sample input: from TASKFETCH_DATA_DIR when it is set (to try other
/// files while developing), else the copy embedded in the binary.
std::string sample(const std::string &name) {
  const std::string dir = env_or("TASKFETCH_DATA_DIR", "");
  if (!dir.empty()) return read_file(dir + "/" + name);
  auto bytes = embedded_sample(name);
  if (!bytes) throw command_failure{error(error_kind::unknown, "no embedded sample " + name)};
  return std::string(*bytes);
}

/// Prints rows as aligned columns (cells are trimmed for display only).
void print_table(const table &t) {
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

} // namespace

int cmd_demo(const args &a) {
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
                 .credentials(emu.config().client_id, emu.config().client_secret)
                 .deadline(std::chrono::seconds(60)));

  // 1. A table image: recognised into rows, printed as aligned columns.
  std::printf("\n== RecognizeTable: %s\n", "table.png");
  image_input table_in{sample("table.png"), ocr_settings{}};
  auto t =
      api.run<endpoints::recognize_table>(table_in, decoders::table{}, out.hooks("  table task"));
  if (!t) return report(out, "demo table", t.error());
  print_table(*t);

  // 2. An OMR form with its pattern: the answers, one per line.
  std::printf("\n== RecognizeTemplate: %s with %s\n", "form.png", "form.omr");
  omr_input form{{sample("form.png")}, sample("form.omr"), omr_format::json, 35};
  auto f = api.run<endpoints::recognize_template>(form, decoders::omr{}, out.hooks("  form task"));
  if (!f) return report(out, "demo form", f.error());
  for (const auto &e : *f)
    std::printf("  %-16s %s\n", e.name.c_str(), e.value.empty() ? "-" : e.value.c_str());

  // 3. A DjVu book: converted, streamed to taskfetch-demo.pdf.
  std::printf("\n== djvu2pdf: %s\n", "book.djvu");
  image_input book{sample("book.djvu"), std::nullopt};
  auto p = api.run<endpoints::djvu2pdf>(book, decoders::to_file{"taskfetch-demo.pdf"},
                                        out.hooks("  djvu task"));
  if (!p) return report(out, "demo djvu2pdf", p.error());
  out.done();
  std::printf("  wrote taskfetch-demo.pdf (%llu bytes)\n",
              static_cast<unsigned long long>(p->size));
  return exit_ok; // the client closes its connections first, so the emulator stops at once
}

} // namespace taskfetch::cli
