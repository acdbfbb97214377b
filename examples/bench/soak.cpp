// taskfetch_soak: many fetches against the emulator in one process; memory
// must stay flat after warm-up (docs/TESTING.md records a 100,000-fetch run).
//
//   taskfetch_soak [--fetches 100000] [--warmup 10000] [--max-growth-kib 1024]
//
// Mixes the decoders (table rows, bytes, a file) and a failing id, so every
// path that allocates runs many times. Exit 1 if RSS grew more than allowed.
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/taskfetch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

static long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv) {
  long fetches = 100000, warmup = 10000, max_growth = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--fetches") fetches = std::stol(argv[i + 1]);
    if (k == "--warmup") warmup = std::stol(argv[i + 1]);
    if (k == "--max-growth-kib") max_growth = std::stol(argv[i + 1]);
  }
  taskfetch::emulation::options eo;
  eo.log_limit = 0; // the emulator's own log would grow: this measures the client
  taskfetch::emulation::emulator emu(eo);
  if (!emu.start()) return 1;
  std::vector<std::string> ids;
  for (int i = 0; i < 64; ++i) {
    taskfetch::emulation::task_spec t;
    t.outcome = taskfetch::emulation::processed::completed(
        "Csv",
        "0,1,2\n\"a, b\",c,d\n" + std::string(static_cast<std::size_t>(i) * 97, 'x') + ",1,2\n");
    ids.push_back(emu.add_task("recognize-table", t));
  }
  const auto file = std::filesystem::temp_directory_path() /
                    ("taskfetch-soak-" + std::to_string(getpid()) + ".csv");
  taskfetch::client api{taskfetch::options{}
                            .base_url(emu.base_url())
                            .credentials(emu.config().client_id, emu.config().client_secret)};
  long base = 0, failures = 0;
  for (long n = 0; n < fetches; ++n) {
    if (n == warmup) base = rss_kib();
    const std::string &id = ids[static_cast<std::size_t>(n) % ids.size()];
    bool ok = true;
    switch (n % 4) {
    case 0: ok = static_cast<bool>(api.fetch<taskfetch::endpoints::recognize_table>(id)); break;
    case 1:
      ok = static_cast<bool>(
          api.fetch<taskfetch::endpoints::recognize_table>(id, taskfetch::decoders::bytes{}));
      break;
    case 2:
      ok = static_cast<bool>(api.fetch<taskfetch::endpoints::recognize_table>(
          id, taskfetch::decoders::to_file{file, taskfetch::durability::unsynced}));
      break;
    case 3:
      ok = !api.fetch<taskfetch::endpoints::recognize_table>("missing-" + std::to_string(n % 7));
      break;
    }
    failures += !ok;
  }
  const long end = rss_kib();
  std::filesystem::remove(file);
  std::printf("fetches %ld, unexpected outcomes %ld, RSS after %ld warm-up fetches %ld KiB, at end "
              "%ld KiB, "
              "growth %ld KiB (limit %ld)\n",
              fetches, failures, warmup, base, end, end - base, max_growth);
  return failures == 0 && end - base <= max_growth ? 0 : 1;
}
