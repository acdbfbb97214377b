// fetch_batch over loopback: one shared client, bounded concurrency and
// connections, results streamed to files, one failure never fails the others.
#include "support.hpp"

#include <taskfetch/batch/fetch_batch.hpp>

#include <algorithm>

using namespace it;

TEST_CASE("batch: shared client, bounded concurrency, one failure never fails the others") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(emu.add_task("recognize-table", {}));
  ids[17] = "missing-task";
  auto opts = client_options(emu).max_connections(8);
  client api(opts);
  temp_dir tmp;
  std::vector<int> seen(ids.size(), 0);
  auto sum = fetch_batch<endpoints::recognize_table>(
      api, ids,
      [&](std::size_t i, const std::string &) {
        return decoders::to_file{tmp.path / (std::to_string(i) + ".csv")};
      },
      [&](std::size_t i, const std::string &, const auto &r) {
        ++seen[i];
        if (i == 17)
          CHECK(r.error().kind() == error_kind::not_found);
        else
          CHECK(r);
      },
      batch_options{});
  CHECK(sum.done == 299);
  CHECK(sum.failed == 1);
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  CHECK(tmp.entries() == 299);
  CHECK(api.transport().connections_opened() <= 8);
}
