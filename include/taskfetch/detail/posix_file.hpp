/// @file
/// @brief The POSIX (and Linux) file calls, apart from file_sink's and the journal's logic.
///
/// A port to another system replaces this header alone, and tests can make
/// any call fail with a chosen errno (they run as root in CI, where chmod
/// refuses nothing).
#pragma once

#include <taskfetch/error.hpp>
#include <taskfetch/result.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace taskfetch::detail {

/// The calls a test can make fail (file_fault).
enum class file_call { open, read, write, sync, link, rename, close };

/// Test seam: while a file_fault lives, the named call fails on the thread
/// that made it, with errno @p err and without reaching the system, after
/// @p skip calls that succeed. Faults nest; the innermost that names a call
/// decides it.
class file_fault {
public:
  file_fault(file_call call, int err, unsigned skip = 0) noexcept
      : call_(call), err_(err), skip_(skip), outer_(active()) {
    active() = this;
  }
  ~file_fault() { active() = outer_; }
  file_fault(const file_fault &) = delete;
  file_fault &operator=(const file_fault &) = delete;

  /// Calls failed so far.
  unsigned failures() const noexcept { return failures_; }

  /// True, with errno set, when a live fault makes @p c fail now.
  static bool fires(file_call c) noexcept {
    for (file_fault *f = active(); f; f = f->outer_) {
      if (f->call_ != c) continue;
      if (f->skip_ > 0) {
        --f->skip_;
        return false;
      }
      ++f->failures_;
      errno = f->err_;
      return true;
    }
    return false;
  }

private:
  static file_fault *&active() noexcept {
    thread_local file_fault *top = nullptr;
    return top;
  }
  file_call call_;
  int err_;
  unsigned skip_;
  unsigned failures_ = 0;
  file_fault *outer_;
};

/// The system's words for errno @p e ("No space left on device").
inline std::string errno_text(int e) { return std::generic_category().message(e); }

/// An io error: @p what (which names the path) and the system's words for @p e.
inline error io_error(const std::string &what, int e) {
  return error(error_kind::io, what + ": " + errno_text(e));
}

/// open(2), close-on-exec; -1 with errno on failure.
inline int open_file(const std::filesystem::path &p, int flags, ::mode_t mode = 0) noexcept {
  if (file_fault::fires(file_call::open)) return -1;
  return ::open(p.c_str(), flags | O_CLOEXEC, mode);
}

/// An unnamed file in @p dir (Linux O_TMPFILE), or -1 where the system or the
/// file system has none. It vanishes if the process dies, and naming it later
/// is one directory operation where create + rename are two.
inline int open_unnamed(const std::filesystem::path &dir) noexcept {
#if defined(__linux__) && defined(O_TMPFILE)
  // Naming it needs /proc (linkat with AT_EMPTY_PATH needs a capability).
  static const bool proc = ::access("/proc/self/fd", X_OK) == 0;
  if (proc) return open_file(dir, O_TMPFILE | O_WRONLY, 0666);
#else
  (void)dir;
#endif
  return -1;
}

/// Whether link_unnamed() tries linkat(fd, "", AT_EMPTY_PATH) first: Linux
/// 6.10+ lets whoever opened the file do that; older kernels want
/// CAP_DAC_READ_SEARCH and answer ENOENT, after which it stays off. Tests
/// turn it off to take the /proc way.
inline std::atomic<bool> &link_by_descriptor() noexcept {
  static std::atomic<bool> on{true};
  return on;
}

/// Gives the unnamed file @p fd the name @p path; -1 with errno EEXIST if taken.
inline int link_unnamed(int fd, const std::filesystem::path &path) noexcept {
  if (file_fault::fires(file_call::link)) return -1;
#if defined(__linux__) && defined(AT_EMPTY_PATH)
  // The descriptor itself: no walk through /proc, whose path costs a lookup
  // as long as the target's.
  if (link_by_descriptor().load(std::memory_order_relaxed)) {
    if (::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT) return -1; // EEXIST, EACCES...: the answer either way
  }
#endif
  char self[32];
  std::snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  const int r = ::linkat(AT_FDCWD, self, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
  // ENOENT above was the kernel refusing the descriptor (not a missing folder,
  // which this call would have found too): use /proc from now on.
  if (r == 0) link_by_descriptor().store(false, std::memory_order_relaxed);
  return r;
}

/// Writes all @p n bytes (retrying short writes and EINTR); 0, or the errno.
inline int write_all(int fd, const char *p, std::size_t n) noexcept {
  while (n > 0) {
    if (file_fault::fires(file_call::write)) return errno;
    const ::ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return 0;
}

/// Reads up to @p n bytes (retrying EINTR); the count (0 at the end), or -1 with errno.
inline ::ssize_t read_some(int fd, char *p, std::size_t n) noexcept {
  if (file_fault::fires(file_call::read)) return -1;
  for (;;) {
    const ::ssize_t r = ::read(fd, p, n);
    if (r >= 0 || errno != EINTR) return r;
  }
}

/// fsync(2); 0, or -1 with errno.
inline int sync_file(int fd) noexcept {
  if (file_fault::fires(file_call::sync)) return -1;
  return ::fsync(fd);
}

/// close(2); 0, or -1 with errno (the descriptor is released either way).
inline int close_file(int fd) noexcept {
  if (file_fault::fires(file_call::close)) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return ::close(fd);
}

/// 0 when a new file can be written in @p dir, else the errno that says why
/// (EROFS, EACCES, ENOENT): an unnamed file where the system has them (the
/// very call a result's file makes, and it leaves nothing), access(2) elsewhere.
inline int folder_writable(const std::filesystem::path &dir) noexcept {
  errno = 0;
  const int fd = open_unnamed(dir);
  if (fd >= 0) {
    (void)close_file(fd);
    return 0;
  }
  // No O_TMPFILE here (old kernel: EISDIR; file system: EOPNOTSUPP).
  if (errno != 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return errno;
  return ::access(dir.c_str(), W_OK | X_OK) == 0 ? 0 : errno;
}

/// rename(2); 0, or -1 with errno.
inline int rename_file(const std::filesystem::path &from,
                       const std::filesystem::path &to) noexcept {
  if (file_fault::fires(file_call::rename)) return -1;
  return ::rename(from.c_str(), to.c_str());
}

/// unlink(2), errors ignored (for cleaning up).
inline void remove_file(const std::filesystem::path &p) noexcept { (void)::unlink(p.c_str()); }

/// The file at @p p: whether it exists, is a directory, and its permission
/// bits; whether it is a regular file, and if not what it is, in words.
struct file_facts {
  bool exists = false;
  bool directory = false;
  unsigned mode = 0;
  bool regular = false;
  const char *kind = ""; ///< "a directory", "a character device"... ("" when regular)
};
/// What stat(2) says about @p p (exists = false when it cannot say).
inline file_facts facts_of(const std::filesystem::path &p) noexcept {
  struct ::stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  const ::mode_t t = st.st_mode;
  const char *kind = S_ISREG(t)    ? ""
                     : S_ISDIR(t)  ? "a directory"
                     : S_ISCHR(t)  ? "a character device"
                     : S_ISBLK(t)  ? "a block device"
                     : S_ISFIFO(t) ? "a FIFO"
                     : S_ISSOCK(t) ? "a socket"
                                   : "a special file";
  return {true, S_ISDIR(t), static_cast<unsigned>(t & 07777), S_ISREG(t) != 0, kind};
}

/// Gives the open file @p fd the permission bits @p mode (best effort).
inline void set_mode(int fd, unsigned mode) noexcept { (void)::fchmod(fd, mode); }

/// Makes a rename or a new name in @p dir durable; errors ignored, since
/// they lose nothing already written.
inline void sync_folder(const std::filesystem::path &dir) noexcept {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

/// Starts (does not wait for) writeback of @p len bytes of @p fd from
/// @p from, where the system can (Linux sync_file_range); nothing elsewhere.
inline void start_writeback(int fd, std::uint64_t from, std::uint64_t len) noexcept {
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
  (void)::sync_file_range(fd, static_cast<std::int64_t>(from), static_cast<std::int64_t>(len),
                          SYNC_FILE_RANGE_WRITE);
#else
  (void)fd;
  (void)from;
  (void)len;
#endif
}

/// This process's id, to tell temporaries of different processes apart.
inline std::uint64_t process_id() noexcept { return static_cast<std::uint64_t>(::getpid()); }

/// Reads the file at @p p from start to end, handing each chunk to
/// @p sink(const char*, std::size_t); 0, or the errno of the open or read
/// that failed (ENOENT: there is no such file).
template <class Sink> int read_chunks(const std::filesystem::path &p, Sink &&sink) {
  const int fd = open_file(p, O_RDONLY);
  if (fd < 0) return errno;
  char buf[1 << 16];
  for (;;) {
    const ::ssize_t n = read_some(fd, buf, sizeof buf);
    if (n < 0) {
      const int e = errno;
      (void)close_file(fd);
      return e;
    }
    if (n == 0) break;
    sink(static_cast<const char *>(buf), static_cast<std::size_t>(n));
  }
  (void)close_file(fd);
  return 0;
}

/// The whole file at @p p; an io error naming it when it cannot be read.
inline result<std::string> read_whole_file(const std::filesystem::path &p) {
  std::string out;
  if (const int e = read_chunks(p, [&](const char *d, std::size_t n) { out.append(d, n); }))
    return io_error("cannot read " + p.string(), e);
  return out;
}

} // namespace taskfetch::detail
