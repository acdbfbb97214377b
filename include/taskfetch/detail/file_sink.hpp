/// @file
/// @brief file_sink: writes a file atomically through a temporary (behind decoders::to_file).
///
/// The temporary is in the target's directory and put in place only when
/// complete, so a reader never sees a partial file and a failure never
/// replaces an existing one. The system calls are in posix_file.hpp.
#pragma once

#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/error.hpp>
#include <taskfetch/file_result.hpp>
#include <taskfetch/result.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <utility>

namespace taskfetch::detail {

// A random suffix for temporary names: O_EXCL settles collisions, this only
// makes them rare between processes and threads.
inline std::string temp_suffix() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng([] {
    std::uint64_t seed =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= process_id() << 32;
    int local = 0;
    seed ^= static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&local));
    try {
      std::random_device rd;
      seed ^= (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    } catch (...) {
      // No entropy device: time, pid and address still differ.
    }
    return seed;
  }());
  std::string s(6, 'X');
  for (auto &c : s) c = alphabet[rng() % (sizeof(alphabet) - 1)];
  return s;
}

/// @brief Writes one file atomically: open() creates a temporary beside the
/// target, write() buffers, commit() flushes, fsyncs and puts it in place;
/// discard() (and the destructor, unless committed) removes the temporary.
///
/// On Linux the temporary is an unnamed file (O_TMPFILE) that commit() links
/// to the target's name, so a killed process leaves nothing behind; when the
/// target exists by then, commit() names the file `.<name>.taskfetch-XXXXXX`
/// and renames it over the target, which is also the temporary where
/// unnamed files are not available.
///
/// The new file gets the permissions of the file it replaces, or 0666 less
/// the umask. Errors: io, naming the target and the system's words, for any
/// failure of the file system (missing folder, permission, a directory in
/// the way, disk full, I/O error); invalid_argument for a path naming no
/// file or a call out of order. Not thread-safe; movable.
class file_sink {
public:
  /// @brief Default write buffer: large writes for large results.
  static constexpr std::size_t default_buffer_size = std::size_t{1} << 20;
  /// @brief Chunks at least this large are written without the buffer's copy.
  static constexpr std::size_t direct_write_min = std::size_t{32} << 10;
  /// @brief With durability::synced, writeback of the file starts every this
  /// many bytes, so commit()'s fsync finds little left to wait for.
  static constexpr std::uint64_t writeback_step = std::uint64_t{8} << 20;

  /// @brief A closed sink with the given buffer size (0 writes straight through).
  explicit file_sink(std::size_t buffer_size = default_buffer_size) noexcept
      : capacity_(buffer_size) {}
  file_sink(const file_sink &) = delete;
  file_sink &operator=(const file_sink &) = delete;
  /// @brief Takes over an open temporary.
  file_sink(file_sink &&o) noexcept { take(std::move(o)); }
  /// @brief Discards this sink's temporary, then takes over @p o's.
  file_sink &operator=(file_sink &&o) noexcept {
    if (this != &o) {
      discard();
      take(std::move(o));
    }
    return *this;
  }
  /// @brief Removes the temporary unless commit() succeeded.
  ~file_sink() { discard(); }

  /// @brief Starts a new temporary for @p target (discarding any open one).
  result<void> open(const std::filesystem::path &target) {
    discard();
    if (target.empty() || !target.has_filename())
      return error(error_kind::invalid_argument,
                   "output path \"" + target.string() + "\" names no file");
    const std::filesystem::path dir = folder_of(target);
    // Unnamed until commit, whose link finds a file or a directory in the
    // way (EEXIST) and handles both: a stat here too would cost a small
    // file as much as creating it. Any failure falls back to the named
    // temporary, which reports real errors (no folder, no permission).
    if (const int fd = open_unnamed(dir); fd >= 0) {
      start(fd, {}, target);
      return {};
    }
    const file_facts old = facts_of(target);
    if (old.directory) return io_error("cannot write " + target.string(), EISDIR);
    std::filesystem::path tmp;
    const int fd = create_named(dir, target, tmp);
    if (fd < 0) return io_error("cannot create " + target.string(), errno);
    if (old.exists) set_mode(fd, old.mode);
    start(fd, std::move(tmp), target);
    return {};
  }

  /// @brief Appends bytes (small chunks buffered, large ones written as they are).
  result<void> write(const char *data, std::size_t n) {
    if (fd_ < 0) return error(error_kind::invalid_argument, "file_sink: write before open()");
    size_ += n;
    if (n < direct_write_min && used_ + n <= capacity_ && buffer_) {
      std::memcpy(buffer_.get() + used_, data, n);
      used_ += n;
      return {};
    }
    if (auto s = flush(); !s) return s;
    if (n < direct_write_min && n < capacity_ && buffer_) {
      std::memcpy(buffer_.get(), data, n);
      used_ = n;
      return {};
    }
    return write_out(data, n); // large chunk: skip the copy
  }

  /// @brief Flushes, fsyncs and renames the temporary over the target; on
  /// failure the temporary is removed and the target left as it was.
  result<file_result> commit() {
    if (fd_ < 0) return error(error_kind::invalid_argument, "file_sink: commit before open()");
    if (auto s = flush(); !s) {
      discard();
      return s.error();
    }
    if (durability_ == durability::synced && sync_file(fd_) != 0) return fail("cannot sync");
    if (temp_.empty()) { // unnamed: give it the target's name
      if (link_unnamed(fd_, target_) == 0) {
        // In place under its name: a late close error could not be undone.
        (void)close_file(std::exchange(fd_, -1));
        if (durability_ == durability::synced) sync_folder(folder_of(target_));
        return file_result{target_, size_};
      }
      if (errno != EEXIST) return fail("cannot create");
      // The target appeared meanwhile: replace it through a named link.
      if (const file_facts now = facts_of(target_); now.exists) {
        if (now.directory) {
          errno = EISDIR;
          return fail("cannot write");
        }
        set_mode(fd_, now.mode);
      }
      if (!link_named()) return fail("cannot create a temporary for");
    }
    const int fd = std::exchange(fd_, -1);
    if (close_file(fd) != 0) return fail("cannot close");
    if (rename_file(temp_, target_) != 0) return fail("cannot rename over");
    temp_.clear();
    if (durability_ == durability::synced) sync_folder(folder_of(target_));
    return file_result{target_, size_};
  }

  /// @brief Closes and removes the temporary, if any. Never fails.
  void discard() noexcept {
    if (fd_ >= 0) (void)close_file(std::exchange(fd_, -1));
    if (!temp_.empty()) {
      remove_file(temp_);
      temp_.clear();
    }
    used_ = 0;
    size_ = 0;
  }

  /// @brief Chooses what commit() syncs (see durability).
  void set_durability(durability d) noexcept { durability_ = d; }

  /// @brief True between open() and commit()/discard().
  bool is_open() const noexcept { return fd_ >= 0; }
  /// @brief The temporary's path ("" when none, or while it is unnamed).
  const std::filesystem::path &temp_path() const noexcept { return temp_; }
  /// @brief The target of the last open().
  const std::filesystem::path &target() const noexcept { return target_; }
  /// @brief Bytes written since open().
  std::uint64_t size() const noexcept { return size_; }

private:
  // A fresh temporary (named when @p tmp is not empty) is open.
  void start(int fd, std::filesystem::path tmp, const std::filesystem::path &target) {
    fd_ = fd;
    temp_ = std::move(tmp);
    target_ = target;
    size_ = 0;
    used_ = 0;
    written_ = 0;
    writeback_from_ = 0;
    if (capacity_ > 0 && !buffer_) {
      try {
        buffer_.reset(new char[capacity_]);
      } catch (const std::bad_alloc &) {
        capacity_ = 0; // write straight through instead
      }
    }
  }

  // Long names would overflow NAME_MAX once decorated: keep a prefix.
  static std::filesystem::path named_temp(const std::filesystem::path &dir,
                                          const std::filesystem::path &target) {
    return dir / ("." + target.filename().string().substr(0, 200) + ".taskfetch-" + temp_suffix());
  }

  static std::filesystem::path folder_of(const std::filesystem::path &target) {
    std::filesystem::path dir = target.parent_path();
    return dir.empty() ? std::filesystem::path(".") : dir;
  }

  // Creates `.<name>.taskfetch-XXXXXX` in @p dir; its fd, or -1 with errno.
  static int create_named(const std::filesystem::path &dir, const std::filesystem::path &target,
                          std::filesystem::path &tmp) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      tmp = named_temp(dir, target);
      // open() with 0666 lets the kernel apply the umask (mkstemp would give 0600).
      const int fd = open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
      if (fd >= 0 || (errno != EEXIST && errno != EINTR)) return fd;
    }
    errno = EEXIST;
    return -1;
  }

  // Names the unnamed temporary `.<name>.taskfetch-XXXXXX`, for a rename.
  bool link_named() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto tmp = named_temp(folder_of(target_), target_);
      if (link_unnamed(fd_, tmp) == 0) {
        temp_ = std::move(tmp);
        return true;
      }
      if (errno != EEXIST && errno != EINTR) return false;
    }
    return false;
  }

  void take(file_sink &&o) noexcept {
    fd_ = std::exchange(o.fd_, -1);
    temp_ = std::move(o.temp_);
    o.temp_.clear();
    target_ = std::move(o.target_);
    buffer_ = std::move(o.buffer_);
    capacity_ = o.capacity_;
    used_ = std::exchange(o.used_, 0);
    size_ = std::exchange(o.size_, 0);
    written_ = std::exchange(o.written_, 0);
    writeback_from_ = std::exchange(o.writeback_from_, 0);
    durability_ = o.durability_;
  }

  // The failure of @p what on the target (errno says why); the temporary goes.
  error fail(const char *what) {
    error err = io_error(std::string(what) + " " + target_.string(), errno);
    discard();
    return err;
  }

  result<void> flush() {
    if (used_ == 0) return {};
    const std::size_t n = std::exchange(used_, 0);
    return write_out(buffer_.get(), n);
  }

  result<void> write_out(const char *p, std::size_t n) {
    pace_writeback(n);
    if (const int e = write_all(fd_, p, n); e != 0)
      return io_error("cannot write " + target_.string(), e);
    return {};
  }

  // Starts (does not wait for) writeback of what was written before this
  // write, one step at a time: the disk works while the network delivers
  // the rest, instead of all of it in commit()'s fsync.
  void pace_writeback(std::size_t about_to_write) noexcept {
    if (durability_ != durability::synced) return;
    const std::uint64_t on_disk_end = written_;
    written_ += about_to_write;
    if (on_disk_end - writeback_from_ < writeback_step) return;
    start_writeback(fd_, writeback_from_, on_disk_end - writeback_from_);
    writeback_from_ = on_disk_end;
  }

  int fd_ = -1;
  std::filesystem::path temp_;
  std::filesystem::path target_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = default_buffer_size;
  std::size_t used_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t written_ = 0;        // bytes handed to write(2)
  std::uint64_t writeback_from_ = 0; // start of the range not yet sent to disk
  durability durability_ = durability::synced;
};

} // namespace taskfetch::detail
