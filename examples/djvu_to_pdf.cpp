// Convert a DjVu file to PDF, streamed to disk with a progress callback and
// the task's state as it is polled.
// Expected output (against the built-in emulator; a machine too slow to poll
// within the task's 300 ms of Pending sees Processing first), checked by
// expected/djvu_to_pdf.regex:
//   state: Pending
//   state: Completed
//   received 1190 of 1190 bytes
//   wrote book.pdf: 783 bytes
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/taskfetch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

int main() {
  taskfetch::emulation::emulator emu;
  if (!emu.start()) return 1;
  taskfetch::client api{taskfetch::options{}
                            .base_url(emu.base_url())
                            .credentials(emu.config().client_id, emu.config().client_secret)};

  std::ifstream in(TASKFETCH_DATA_DIR "/book.djvu", std::ios::binary);
  std::ostringstream djvu;
  djvu << in.rdbuf();

  taskfetch::call_options co;
  co.deadline = std::chrono::minutes(10);
  co.on_status = [](const taskfetch::task_status &s) {
    std::printf("state: %s\n", s.word.c_str());
  };
  std::uint64_t last = 0, total = 0;
  co.on_progress = [&](std::uint64_t received, std::optional<std::uint64_t> length) {
    last = received;
    total = length.value_or(0);
  };
  // to_file streams the result into book.pdf (temporary file, renamed when
  // complete): constant memory however large the PDF.
  auto pdf =
      api.run<taskfetch::endpoints::djvu2pdf>(taskfetch::image_input{djvu.str(), std::nullopt},
                                              taskfetch::decoders::to_file{"book.pdf"}, co);
  if (!pdf) {
    std::fprintf(stderr, "error: %s\n", pdf.error().message().c_str());
    return 1;
  }
  std::printf("received %llu of %llu bytes\n", static_cast<unsigned long long>(last),
              static_cast<unsigned long long>(total));
  std::printf("wrote %s: %llu bytes\n", pdf->path.c_str(),
              static_cast<unsigned long long>(pdf->size));
  return 0;
}
