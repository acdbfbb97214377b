// Files and folders for tests, shared by the unit and integration suites.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace test_files {

namespace fs = std::filesystem;

/// A fresh folder under the system's temporary folder, removed with its
/// contents; @p tag, the process id and a counter keep tests and runs apart.
struct temp_dir {
  fs::path path;
  explicit temp_dir(const char *tag = "test") {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() / ("taskfetch-" + std::string(tag) + "-" +
                                        std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  temp_dir(const temp_dir &) = delete;
  temp_dir &operator=(const temp_dir &) = delete;
  ~temp_dir() { fs::remove_all(path); }
  /// How many names the folder holds.
  std::size_t entries() const {
    std::size_t k = 0;
    for (auto &e : fs::directory_iterator(path)) (void)e, ++k;
    return k;
  }
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

} // namespace test_files
