// libFuzzer target: the CSV parser, chunked against whole, and written rows
// read back the same.
#include <taskfetch/detail/csv.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t step = data[0] % 7 + 1;
  const std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
  auto whole = taskfetch::detail::parse_csv(text);
  taskfetch::detail::csv_parser p;
  bool ok = true;
  for (std::size_t at = 0; ok && at < text.size(); at += step)
    ok = p.feed(std::string_view(text).substr(at, step)).has_value();
  if (ok) ok = p.finish().has_value();
  if (ok != whole.has_value()) std::abort();
  if (!ok) return 0;
  if (p.rows() != *whole) std::abort();
  auto again = taskfetch::detail::parse_csv(taskfetch::detail::write_csv(*whole));
  if (!again) std::abort();
  // A row holding one empty field and an empty row both write as "".
  for (std::size_t i = 0; i < whole->size(); ++i)
    if ((*whole)[i] != (*again)[i] &&
        !((*whole)[i].empty() && (*again)[i] == std::vector<std::string>{""}))
      std::abort();
  return 0;
}
