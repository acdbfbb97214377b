// libFuzzer target: the streaming envelope scanner. Fed in random chunk
// sizes it must (1) agree with itself fed whole, (2) never accept what
// nlohmann rejects, and (3) capture the same members nlohmann parses.
#include <taskfetch/detail/envelope_scanner.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
struct sink : taskfetch::detail::envelope_events {
  std::string data;
  std::string types;
  bool on_result_begin(std::size_t) override { return true; }
  bool on_result_data(std::size_t, const char *p, std::size_t n) override {
    data.append(p, n);
    return true;
  }
  bool on_result_end(std::size_t, std::string_view t) override {
    types.append(t).push_back('\n');
    return true;
  }
};
struct outcome {
  bool ok;
  taskfetch::detail::scan_errc code;
  nlohmann::json fields;
  std::string data, types;
  std::size_t count;
};
outcome run(const std::string &s, const std::uint8_t *steps, std::size_t nsteps) {
  sink ev;
  taskfetch::detail::envelope_scanner sc(ev);
  bool ok = true;
  std::size_t at = 0, k = 0;
  while (ok && at < s.size()) {
    std::size_t step = nsteps ? std::size_t{steps[k++ % nsteps]} + 1 : s.size();
    step = std::min(step, s.size() - at);
    ok = sc.feed(s.data() + at, step);
    at += step;
  }
  if (ok) ok = sc.finish();
  return {ok, sc.error_code(), sc.take_fields(), ev.data, ev.types, sc.result_count()};
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 1) return 0;
  // First bytes choose the chunking; the rest is the answer.
  const std::size_t nsteps = data[0] % 8;
  if (size < 1 + nsteps) return 0;
  const std::uint8_t *steps = data + 1;
  const std::string text(reinterpret_cast<const char *>(data + 1 + nsteps), size - 1 - nsteps);

  const outcome whole = run(text, nullptr, 0);
  const outcome chunked = run(text, steps, nsteps);
  if (whole.ok != chunked.ok || whole.code != chunked.code || whole.data != chunked.data ||
      whole.types != chunked.types || whole.fields != chunked.fields)
    std::abort(); // chunking changed the outcome

  // nlohmann stops reading at a NUL byte; the scanner (rightly) does not.
  if (text.find('\0') != std::string::npos) return 0;
  const auto ref = nlohmann::json::parse(text, nullptr, false);
  if (whole.ok) {
    if (ref.is_discarded() || !ref.is_object()) std::abort(); // accepted what is not JSON
    for (auto it = ref.begin(); it != ref.end(); ++it) {
      if (taskfetch::detail::iequals(it.key(), "results")) continue;
      auto f = whole.fields.find(it.key());
      if (f == whole.fields.end() || *f != it.value()) std::abort(); // a member was lost or changed
    }
  }
  if (whole.code == taskfetch::detail::scan_errc::syntax && !ref.is_discarded()) std::abort();
  return 0;
}
