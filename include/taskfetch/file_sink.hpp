/// @file
/// @brief file_sink: writes a file through a temporary in the same directory
/// and renames it over the target only when complete, so a reader never sees
/// a partial file and a failure never replaces an existing one. POSIX.
#pragma once

#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <utility>

namespace taskfetch {

/// @brief How hard commit() works to survive a power loss.
enum class durability {
  synced,  ///< fsync the file before the rename and the folder after (default)
  unsynced ///< rename only: atomic for readers and crashes of this process,
           ///< but after a power loss the file may be empty; for callers
           ///< that sync many files at once (syncfs) or do not need it
};

/// @brief A file written in full: where it is and how many bytes it has.
struct file_result {
  std::filesystem::path path; ///< the final file
  std::uint64_t size = 0;     ///< bytes written
};

namespace detail {
inline std::string errno_text(int e) { return std::generic_category().message(e); }

// A random suffix for temporary names: O_EXCL settles collisions, this only
// makes them rare between processes and threads.
inline std::string temp_suffix() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng([] {
    std::uint64_t seed =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= static_cast<std::uint64_t>(::getpid()) << 32;
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
// An unnamed file in @p dir (Linux O_TMPFILE), or -1 where the system or the
// file system has none. It vanishes if the process dies, and naming it later
// is one directory operation where create + rename are two.
inline int open_unnamed(const std::filesystem::path &dir) noexcept {
#if defined(__linux__) && defined(O_TMPFILE)
  // Naming it needs /proc (linkat with AT_EMPTY_PATH needs a capability).
  static const bool proc = ::access("/proc/self/fd", X_OK) == 0;
  if (proc) return ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#else
  (void)dir;
#endif
  return -1;
}

// Gives the unnamed file @p fd the name @p path; fails with EEXIST if taken.
inline int link_unnamed(int fd, const std::filesystem::path &path) noexcept {
  char self[32];
  std::snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  return ::linkat(AT_FDCWD, self, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
}
} // namespace detail

/// @brief Writes one file atomically: open() creates a temporary beside the
/// target, write() buffers, commit() flushes, fsyncs and puts it in place;
/// discard() (and the destructor, unless committed) removes the temporary.
///
/// On Linux the temporary is an unnamed file (O_TMPFILE) that commit() links
/// to the target's name, so a killed process leaves nothing behind; where
/// that is not available, or when the target exists and is replaced, it is
/// `.<name>.taskfetch-XXXXXX`, renamed over the target.
///
/// The new file gets the permissions of the file it replaces, or 0666 less
/// the umask. Errors: invalid_argument when the target cannot be created
/// there (no directory, no permission, a directory in the way), decode for a
/// failed write or rename (disk full, I/O error). Not thread-safe; movable.
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
    struct ::stat st {};
    const bool exists = ::stat(target.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
      return error(error_kind::invalid_argument,
                   "cannot write " + target.string() + ": it is a directory");
    // A new file: unnamed until commit. Any failure here falls back to the
    // named temporary, which reports real errors (no folder, no permission).
    if (!exists)
      if (const int fd = detail::open_unnamed(dir); fd >= 0) {
        start(fd, {}, target);
        return {};
      }
    std::filesystem::path tmp;
    const int fd = create_named(dir, target, tmp);
    if (fd < 0) {
      const int e = errno;
      return error(error_kind::invalid_argument,
                   "cannot create a file in " + dir.string() + ": " + detail::errno_text(e));
    }
    if (exists) (void)::fchmod(fd, st.st_mode & 07777);
    start(fd, std::move(tmp), target);
    return {};
  }

  /// @brief Appends bytes (small chunks buffered, large ones written as they are).
  result<void> write(const char *data, std::size_t n) {
    if (fd_ < 0) return error(error_kind::decode, "write to a file that is not open");
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
    return write_all(data, n); // large chunk: skip the copy
  }

  /// @brief Flushes, fsyncs and renames the temporary over the target; on
  /// failure the temporary is removed and the target left as it was.
  result<file_result> commit() {
    if (fd_ < 0) return error(error_kind::decode, "commit of a file that is not open");
    if (auto s = flush(); !s) {
      discard();
      return s.error();
    }
    if (durability_ == durability::synced && ::fsync(fd_) != 0) return fail("cannot sync");
    if (temp_.empty()) { // unnamed: give it the target's name
      if (detail::link_unnamed(fd_, target_) == 0) {
        ::close(std::exchange(fd_, -1));
        if (durability_ == durability::synced) sync_directory();
        return file_result{target_, size_};
      }
      if (errno != EEXIST) return fail("cannot create");
      // The target appeared meanwhile: replace it through a named link.
      struct ::stat st {};
      if (::stat(target_.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
          discard();
          return error(error_kind::invalid_argument,
                       "cannot write " + target_.string() + ": it is a directory");
        }
        (void)::fchmod(fd_, st.st_mode & 07777);
      }
      if (!link_named()) return fail("cannot create a temporary for");
    }
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) return fail("cannot close");
    if (::rename(temp_.c_str(), target_.c_str()) != 0) return fail("cannot rename over");
    temp_.clear();
    if (durability_ == durability::synced) sync_directory();
    return file_result{target_, size_};
  }

  /// @brief Closes and removes the temporary, if any. Never fails.
  void discard() noexcept {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!temp_.empty()) {
      ::unlink(temp_.c_str());
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
    return dir / ("." + target.filename().string().substr(0, 200) + ".taskfetch-" +
                  detail::temp_suffix());
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
      const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0 || (errno != EEXIST && errno != EINTR)) return fd;
    }
    errno = EEXIST;
    return -1;
  }

  // Names the unnamed temporary `.<name>.taskfetch-XXXXXX`, for a rename.
  bool link_named() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto tmp = named_temp(folder_of(target_), target_);
      if (detail::link_unnamed(fd_, tmp) == 0) {
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

  error fail(const char *what) {
    const int e = errno;
    error err(error_kind::decode,
              std::string(what) + " " + target_.string() + ": " + detail::errno_text(e));
    discard();
    return err;
  }

  result<void> flush() {
    if (used_ == 0) return {};
    const std::size_t n = std::exchange(used_, 0);
    return write_all(buffer_.get(), n);
  }

  result<void> write_all(const char *p, std::size_t n) {
    start_writeback(n);
    while (n > 0) {
      const ::ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        return error(error_kind::decode,
                     "cannot write " + target_.string() + ": " + detail::errno_text(e));
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return {};
  }

  // Starts (does not wait for) writeback of what was written before this
  // write, one step at a time: the disk works while the network delivers
  // the rest, instead of all of it in commit()'s fsync.
  void start_writeback(std::size_t about_to_write) noexcept {
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    if (durability_ != durability::synced) return;
    const std::uint64_t on_disk_end = written_;
    written_ += about_to_write;
    if (on_disk_end - writeback_from_ < writeback_step) return;
    (void)::sync_file_range(fd_, static_cast<std::int64_t>(writeback_from_),
                            static_cast<std::int64_t>(on_disk_end - writeback_from_),
                            SYNC_FILE_RANGE_WRITE);
    writeback_from_ = on_disk_end;
#else
    (void)about_to_write;
#endif
  }

  // Makes the rename itself durable; a failure here loses nothing written.
  void sync_directory() noexcept {
    int fd = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
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

} // namespace taskfetch
