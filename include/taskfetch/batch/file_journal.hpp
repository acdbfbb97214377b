/// @file
/// @brief file_journal: the batch journal in a file, append-only JSON lines,
/// each prefixed by a checksum and made durable (fsync) before the caller
/// moves on; appends from several threads at once share one fsync (group
/// commit).
///
/// Why not SQLite: the journal is written in one direction and read once at
/// start; a line that a crash tore (or a disk corrupted) fails its checksum
/// and is skipped, and no other record depends on it. Users with their own
/// storage implement the two-function `journal` interface (journal.hpp).
#pragma once

#include <taskfetch/batch/journal.hpp>
#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/result.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace taskfetch {

namespace detail {

inline const char *event_name(journal_entry::event e) {
  switch (e) {
  case journal_entry::event::submitted: return "submitted";
  case journal_entry::event::done: return "done";
  case journal_entry::event::failed: return "failed";
  case journal_entry::event::expired: return "expired";
  }
  return "?";
}

// One record, one line: 16 hex digits of the JSON's SHA-256, a space, the
// JSON, a newline. The checksum is what lets load() skip a torn or damaged line.
inline std::string encode_entry(const journal_entry &e) {
  nlohmann::json j{{"v", 1},
                   {"ev", event_name(e.what)},
                   {"input", e.input},
                   {"task", e.task_id},
                   {"time", e.time}};
  if (e.what == journal_entry::event::done) {
    j["output"] = e.output;
    j["size"] = e.size;
    j["sha256"] = e.sha256;
  }
  if (e.what == journal_entry::event::failed) {
    j["kind"] = e.kind;
    j["messages"] = e.messages;
    j["final"] = e.final;
  }
  // Invalid UTF-8 in names or messages must not make a record unwritable.
  const std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return sha256_hex(body).substr(0, 16) + " " + body + "\n";
}

// False for a line that is torn, damaged or of another version.
inline bool decode_entry(const std::string &line, journal_entry &e) {
  if (line.size() < 18 || line[16] != ' ') return false;
  const std::string body = line.substr(17);
  if (sha256_hex(body).substr(0, 16) != line.substr(0, 16)) return false;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || j.value("v", 0) != 1) return false;
  try {
    const std::string ev = j.at("ev").get<std::string>();
    if (ev == "submitted")
      e.what = journal_entry::event::submitted;
    else if (ev == "done")
      e.what = journal_entry::event::done;
    else if (ev == "failed")
      e.what = journal_entry::event::failed;
    else if (ev == "expired")
      e.what = journal_entry::event::expired;
    else
      return false;
    e.input = j.at("input").get<std::string>();
    e.task_id = j.at("task").get<std::string>();
    e.time = j.at("time").get<std::int64_t>();
    e.output = j.value("output", std::string());
    e.size = j.value("size", std::uint64_t{0});
    e.sha256 = j.value("sha256", std::string());
    e.kind = j.value("kind", std::string());
    e.messages = j.value("messages", std::vector<std::string>());
    e.final = j.value("final", false);
  } catch (const nlohmann::json::exception &) {
    return false;
  }
  return true;
}

} // namespace detail

/// @brief The journal in a file: checksummed JSON lines, durable before
/// append() returns, appends that overlap sharing one fsync.
class file_journal : public journal {
public:
  /// @brief A journal at @p path (created on the first append).
  explicit file_journal(std::filesystem::path path) : path_(std::move(path)) {}
  ~file_journal() override {
    if (fd_ >= 0) (void)detail::close_file(fd_);
  }
  file_journal(const file_journal &) = delete;
  file_journal &operator=(const file_journal &) = delete;

  /// @brief Intact records; torn or corrupted lines are skipped and counted.
  result<std::vector<journal_entry>> load() override {
    std::lock_guard<std::mutex> lk(m_);
    std::vector<journal_entry> out;
    skipped_ = 0;
    if (auto s = check_regular("read"); !s) return s.error();
    std::string pending; // the chunks' bytes after the last newline
    const int err = detail::read_chunks(path_, [&](const char *p, std::size_t n) {
      pending.append(p, n);
      std::size_t start = 0;
      for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (nl == start) continue;
        journal_entry e;
        if (detail::decode_entry(pending.substr(start, nl - start), e))
          out.push_back(std::move(e));
        else
          ++skipped_;
      }
      pending.erase(0, start);
    });
    if (err == ENOENT) return out; // no journal yet
    if (err != 0) return io_failure("read", err);
    if (!pending.empty()) ++skipped_; // no newline: a record a crash tore; ignored
    return out;
  }

  /// @brief Opens (or creates) the file for appending: a missing folder,
  /// no permission or a read-only disk fails here, not at the first record.
  result<void> open() override {
    std::lock_guard<std::mutex> lk(m_);
    return open_locked();
  }

  /// @brief Appends one record and returns once it is durable. Records
  /// appended meanwhile by other threads share one fsync (group commit), so
  /// a batch's submissions are not capped at one per fsync.
  result<void> append(const journal_entry &e) override {
    const std::string line = detail::encode_entry(e);
    std::unique_lock<std::mutex> lk(m_);
    if (auto s = open_locked(); !s) return s;
    if (const int err = detail::write_all(fd_, line.data(), line.size()); err != 0)
      return io_failure("write", err);
    const std::uint64_t mine = ++written_;
    // The first writer to find no fsync running starts one covering every
    // record written so far; the others wait for an fsync that covers theirs.
    while (synced_ < mine) {
      if (syncing_) {
        sync_cv_.wait(lk);
        continue;
      }
      syncing_ = true;
      const std::uint64_t upto = written_;
      const int fd = fd_;
      lk.unlock();
      const int rc = detail::sync_file(fd);
      const int err = errno;
      lk.lock();
      syncing_ = false;
      ++syncs_;
      if (rc != 0) {
        sync_cv_.notify_all();
        return io_failure("sync", err);
      }
      synced_ = std::max(synced_, upto);
      sync_cv_.notify_all();
    }
    return {};
  }

  /// @brief fsync calls made so far (fewer than records when appends overlap).
  std::size_t syncs() const {
    std::lock_guard<std::mutex> lk(m_);
    return syncs_;
  }

  /// @brief Lines skipped by the last load() (torn or corrupted).
  std::size_t skipped() const noexcept { return skipped_; }
  /// @brief Where the journal is.
  const std::filesystem::path &path() const noexcept { return path_; }

private:
  result<void> open_locked() {
    if (fd_ >= 0) return {};
    auto facts = check_regular("open");
    if (!facts) return facts.error();
    const bool existed = facts->exists;
    fd_ = detail::open_file(path_, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd_ < 0) return io_failure("open", errno);
    if (existed) {
      // A torn last line must not swallow the next record: end it first.
      struct stat st {};
      if (::fstat(fd_, &st) == 0 && st.st_size > 0) {
        char last = '\n';
        const int rfd = detail::open_file(path_, O_RDONLY);
        if (rfd >= 0) {
          if (::pread(rfd, &last, 1, st.st_size - 1) != 1) last = '\n';
          (void)detail::close_file(rfd);
        }
        if (last != '\n')
          if (const int err = detail::write_all(fd_, "\n", 1); err != 0)
            return io_failure("write", err);
      }
    } else {
      // The new file's name must be durable too.
      detail::sync_folder(path_.parent_path());
    }
    return {};
  }
  // A journal must be a regular file, if it exists yet: a device would be
  // read until memory runs out (/dev/zero, /dev/full) or lose every record
  // (/dev/null), and a FIFO would block the open. Answers what stat says of
  // it when it may be used.
  result<detail::file_facts> check_regular(const char *what) const {
    const detail::file_facts f = detail::facts_of(path_);
    if (!f.exists || f.regular) return f;
    if (f.directory) return io_failure(what, EISDIR);
    return error(error_kind::io, std::string("cannot ") + what + " the journal " + path_.string() +
                                     ": " + f.kind + ", not a regular file");
  }
  // "cannot write the journal PATH: No space left on device".
  error io_failure(const char *what, int err) const {
    return detail::io_error(std::string("cannot ") + what + " the journal " + path_.string(), err);
  }

  std::filesystem::path path_;
  mutable std::mutex m_;
  std::condition_variable sync_cv_;
  int fd_ = -1;
  std::size_t skipped_ = 0;
  std::uint64_t written_ = 0, synced_ = 0;
  std::size_t syncs_ = 0;
  bool syncing_ = false;
};

} // namespace taskfetch
