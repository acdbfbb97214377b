// libFuzzer target: the OMR parsers (Csv, Json, Xml) never crash, and
// whatever they accept has a name on every element.
#include <taskfetch/omr.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  const auto format = static_cast<taskfetch::omr_format>(data[0] % 3);
  const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
  auto r = taskfetch::parse_omr(text, format);
  if (r)
    for (const auto &e : *r)
      if (e.name.empty()) std::abort();
  (void)taskfetch::sniff_omr_format(text);
  return 0;
}
