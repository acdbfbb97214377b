/// @file
/// @brief to_file: streams the first result into a file, atomically.
#pragma once

#include <taskfetch/decoder.hpp>
#include <taskfetch/detail/file_sink.hpp>
#include <taskfetch/detail/magic_check.hpp>
#include <taskfetch/detail/result_buffers.hpp>
#include <taskfetch/file_result.hpp>

#include <filesystem>
#include <string_view>
#include <utility>

namespace taskfetch::decoders {

/// @brief Writes the first result's bytes to a file as they arrive, in
/// constant memory. The file appears only when the whole result was written
/// and checked (temporary + fsync + rename); a failure never leaves a partial
/// file and never replaces an existing one. The endpoint's magic ("%PDF-")
/// is checked on the first bytes. A file system failure (missing folder,
/// permission, full disk) is an error_kind::io naming the path.
class to_file {
public:
  /// @brief The decoder's value: where the file is and its size.
  using value_type = file_result;

  /// @brief Writes to @p path; @p d says whether commit fsyncs (default yes).
  explicit to_file(std::filesystem::path path, durability d = durability::synced)
      : path_(std::move(path)) {
    sink_.set_durability(d);
  }

  /// @brief A new answer: drop any temporary of an earlier attempt.
  result<void> begin(const fetch_info &info) {
    sink_.discard();
    magic_.reset(info.magic, detail::result_kind_phrase(info.result_kind));
    seen_ = false;
    return {};
  }
  /// @brief Only the first result goes to the file.
  bool want(std::size_t i) { return i == 0; }
  /// @brief Appends bytes; the temporary is created on the first write.
  result<void> write(std::size_t, const char *p, std::size_t n) {
    if (auto s = magic_.feed(p, n); !s) return s;
    if (!sink_.is_open())
      if (auto s = sink_.open(path_); !s) return s;
    return sink_.write(p, n);
  }
  /// @brief The first result ended; an empty one still makes a file.
  result<void> end_result(std::size_t i, std::string_view) {
    if (i != 0) return {};
    seen_ = true;
    if (auto s = magic_.at_end(); !s) return s;
    if (!sink_.is_open()) return sink_.open(path_);
    return {};
  }
  /// @brief Puts the file in place (fsyncs first unless durability::unsynced);
  /// an io error leaves no file and the target as it was.
  result<file_result> finish() {
    if (!seen_) return detail::no_result_error();
    return sink_.commit();
  }
  /// @brief Removes the temporary; the target stays as it was.
  void abort() noexcept { sink_.discard(); }

  const std::filesystem::path &path() const noexcept { return path_; }

private:
  std::filesystem::path path_;
  detail::file_sink sink_;
  detail::magic_check magic_;
  bool seen_ = false;
};

} // namespace taskfetch::decoders
