// What several unit test files share: the client over the scripted transport
// and the manual clock, a retry policy whose jitter is fixed, and temporary
// folders for the tests of local files.
#pragma once

#include <taskfetch/basic_client.hpp>
#include <taskfetch/retry.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

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

/// A fresh folder under the system's temporary folder, removed with its
/// contents; @p tag, the process id and a counter keep tests and runs apart.
struct temp_dir {
  fs::path path;
  explicit temp_dir(const char *tag = "unit") {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() / ("taskfetch-" + std::string(tag) + "-" +
                                        std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  temp_dir(const temp_dir &) = delete;
  temp_dir &operator=(const temp_dir &) = delete;
  ~temp_dir() { fs::remove_all(path); }
};

/// The bytes of the file at @p p ("" when it cannot be read).
inline std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The names in folder @p dir, sorted.
inline std::vector<std::string> names_in(const fs::path &dir) {
  std::vector<std::string> v;
  for (auto &e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}
} // namespace ut
