// Fetch an OMR result straight into your own struct: the Json decoder calls
// j.get<T>(), so your from_json does the mapping.
// Expected output (against the built-in emulator), checked by
// expected/omr_from_json.regex:
//   Animals91: -
//   Animals92: marked
//   Animals93: marked
//   Plants90: marked
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/taskfetch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace survey {
struct answer {
  std::string question;
  bool marked = false;
};
struct sheet {
  std::vector<answer> answers;
};
// Plain nlohmann::json customization: taskfetch needs nothing else.
void from_json(const nlohmann::json &j, answer &a) {
  j.at("Name").get_to(a.question);
  a.marked = j.at("Value").get<std::string>() == "selected";
}
void from_json(const nlohmann::json &j, sheet &s) { j.at("Elements").get_to(s.answers); }
} // namespace survey

static std::string slurp(const char *path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int main() {
  taskfetch::emulation::emulator emu;
  if (!emu.start()) return 1;
  taskfetch::client api{taskfetch::options{}
                            .base_url(emu.base_url())
                            .credentials(emu.config().client_id, emu.config().client_secret)};

  taskfetch::omr_input form{{slurp(TASKFETCH_DATA_DIR "/form.png")},
                            slurp(TASKFETCH_DATA_DIR "/form.omr"),
                            taskfetch::omr_format::json,
                            35};
  auto sheet = api.run<taskfetch::endpoints::recognize_template>(
      form, taskfetch::decoders::json<survey::sheet>{});
  if (!sheet) {
    std::fprintf(stderr, "error: %s\n", sheet.error().message().c_str());
    return 1;
  }
  for (const auto &a : sheet->answers)
    std::printf("%s: %s\n", a.question.c_str(), a.marked ? "marked" : "-");
  return sheet->answers.empty() ? 1 : 0;
}
