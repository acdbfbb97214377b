#include "files.hpp"

#include <taskfetch/detail/posix_file.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <system_error>

namespace taskfetch::cli {

std::string read_file(const std::string &path) {
  auto bytes = detail::read_whole_file(path);
  if (!bytes) throw command_failure{std::move(bytes.error())};
  return std::move(*bytes);
}

void make_out_dir(const std::string &dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw command_failure{
        error(error_kind::io, "cannot create --out-dir " + dir + ": " + ec.message())};
  // Found now, not after each input's submission was paid for.
  if (const int err = detail::folder_writable(dir); err != 0)
    throw command_failure{detail::io_error("cannot write in --out-dir " + dir, err)};
}

std::vector<std::string> read_ids(const std::string &path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> ids;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    std::size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    ids.push_back(line.substr(b));
  }
  return ids;
}

result<void> write_stdout(const std::string &bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size() &&
      std::fflush(stdout) == 0)
    return {};
  return detail::io_error("cannot write the result to standard output", errno);
}

std::string safe_file_stem(const std::string &id) {
  static const char *hex = "0123456789ABCDEF";
  std::string s;
  for (std::size_t i = 0; i < id.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(id[i]);
    bool keep = std::isalnum(c) || c == '-' || c == '_' || (c == '.' && i != 0);
    if (keep) {
      s += static_cast<char>(c);
    } else {
      s += '%';
      s += hex[c >> 4];
      s += hex[c & 15];
    }
  }
  return s;
}

durability file_durability(const args &a) {
  return a.flag("--sync") ? durability::synced : durability::unsynced;
}

} // namespace taskfetch::cli
