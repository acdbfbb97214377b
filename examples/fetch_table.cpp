// Fetch a recognised table and print it.
// Expected output (against the built-in emulator, whose table follows the
// image: its size, a hash and as many Line rows as the hash says), checked
// by expected/fetch_table.regex:
//   row 0: [0] [1] [2]
//   row 1: [  Item          ] [Qty] [Price ]
//   row 2: [  Coffee beans  ] [2] [12.50 ]
//   row 3: [  Milk, whole   ] [1] [ 1.20 ]
//   row 4: [  Note: "fresh"
//     roasted today] [] []
//   row 5: [  Total         ] [] [26.20 ]
//   row 6: [  scanned 4117 bytes] [] [bc0addc9]
//   row 7: [  Line 1     ] [4a03] []
//   row 8: [  Line 2     ] [c3fc] []
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/taskfetch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

int main() {
  // Stand-in for https://api.aspose.cloud: the emulator on a free loopback port.
  taskfetch::emulation::emulator emu;
  if (!emu.start()) return 1;

  taskfetch::client api{taskfetch::options{}
                            .base_url(emu.base_url())
                            .credentials(emu.config().client_id, emu.config().client_secret)};

  std::ifstream in(TASKFETCH_DATA_DIR "/table.png", std::ios::binary);
  std::ostringstream png;
  png << in.rdbuf();

  // Submit, wait and decode in one call; errors come back as values.
  auto table = api.run<taskfetch::endpoints::recognize_table>(
      taskfetch::image_input{png.str(), taskfetch::ocr_settings{}});
  if (!table) {
    std::fprintf(stderr, "error: %s\n", table.error().message().c_str());
    return 1;
  }
  for (std::size_t r = 0; r < table->rows.size(); ++r) {
    std::printf("row %zu:", r);
    for (const auto &cell : table->rows[r]) std::printf(" [%s]", cell.c_str());
    std::printf("\n");
  }
  return 0;
}
