// What several unit test files share: the client over the scripted transport
// and the manual clock, a retry policy whose jitter is fixed, and temporary
// folders for the tests of local files.
#pragma once

#include "../common/files.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/retry.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <cstdint>
#include <filesystem>

namespace ut {
namespace fs = std::filesystem;

/// The client the unit tests drive: no network, no sleeps.
using test_client =
    taskfetch::basic_client<taskfetch::testing::scripted_transport, taskfetch::standard_retry,
                            taskfetch::testing::manual_clock>;

/// The standard policy with its jitter drawn from @p seed, so waits repeat.
inline taskfetch::standard_retry seeded_retry(std::uint64_t seed) {
  taskfetch::retry_settings s;
  s.seed = seed;
  return taskfetch::standard_retry(s);
}

using test_files::names_in;
using test_files::slurp;
using test_files::temp_dir;

} // namespace ut
