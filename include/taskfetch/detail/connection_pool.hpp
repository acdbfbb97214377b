/// @file
/// @brief The keep-alive connections both shipped transports lend out, one request at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace taskfetch::detail {

/// @brief At most `max_connections` connections of type @p Conn, lent to one
/// request at a time; callers beyond the cap wait for one to come back.
///
/// @p Conn is movable and tests true while it holds a connection (a
/// `std::unique_ptr`): an empty one, such as a connection the transport
/// dropped as broken, is never kept, and its slot is free again. Idle
/// connections are reused newest first, the one most likely still open at
/// the server. Nothing expires: cpp-httplib and libcurl both reopen a
/// connection the server has closed. A request costs one lock to borrow and
/// one to give back, and no allocation once the pool has grown.
template <class Conn> class connection_pool {
public:
  /// @brief A pool of at most @p max_connections (0 counts as 1).
  explicit connection_pool(std::size_t max_connections)
      : cap_(max_connections ? max_connections : 1) {}
  connection_pool(const connection_pool &) = delete;
  connection_pool &operator=(const connection_pool &) = delete;

  /// @brief One connection for the length of one request; it goes back to
  /// the pool when the lease ends, unless it was emptied.
  class lease {
  public:
    /// @brief Waits for a free slot, then reuses an idle connection or
    /// makes one with @p make() (called without the pool's lock held).
    template <class Make> lease(connection_pool &pool, Make &&make) : pool_(pool) {
      if (pool_.take(conn_)) return;
      try {
        conn_ = std::forward<Make>(make)();
      } catch (...) {
        pool_.give_back(Conn{});
        throw;
      }
      // Counted once it exists: a make() that threw or came back empty
      // opened nothing.
      if (conn_) pool_.made();
    }
    ~lease() { pool_.give_back(std::move(conn_)); }
    lease(const lease &) = delete;
    lease &operator=(const lease &) = delete;

    /// @brief The connection; reset it to close it instead of keeping it.
    Conn &get() noexcept { return conn_; }

  private:
    connection_pool &pool_;
    Conn conn_;
  };

  /// @brief Connections made so far (for tests and benchmarks).
  std::size_t opened() const {
    std::lock_guard<std::mutex> lk(m_);
    return opened_;
  }
  /// @brief Connections kept between requests now.
  std::size_t idle() const {
    std::lock_guard<std::mutex> lk(m_);
    return idle_.size();
  }
  /// @brief Callers waiting now because every slot is lent.
  std::size_t waiting() const {
    std::lock_guard<std::mutex> lk(m_);
    return waiting_;
  }

private:
  // Takes a slot; true when @p conn received an idle connection, false when
  // the caller is to make one.
  bool take(Conn &conn) {
    std::unique_lock<std::mutex> lk(m_);
    if (in_use_ >= cap_) {
      ++waiting_;
      cv_.wait(lk, [&] { return in_use_ < cap_; });
      --waiting_;
    }
    ++in_use_;
    if (idle_.empty()) return false;
    conn = std::move(idle_.back());
    idle_.pop_back();
    return true;
  }

  void made() {
    std::lock_guard<std::mutex> lk(m_);
    ++opened_;
  }

  void give_back(Conn conn) {
    bool wake = false;
    {
      std::lock_guard<std::mutex> lk(m_);
      --in_use_;
      if (conn) idle_.push_back(std::move(conn));
      wake = waiting_ > 0;
    }
    // Empty or not, the slot is free; an unneeded wake-up is skipped.
    if (wake) cv_.notify_one();
  }

  const std::size_t cap_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<Conn> idle_; // idle_.size() + in_use_ <= cap_
  std::size_t in_use_ = 0;
  std::size_t opened_ = 0;
  std::size_t waiting_ = 0;
};

} // namespace taskfetch::detail
