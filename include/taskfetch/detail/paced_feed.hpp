/// @file
/// @brief paced_feed: hands a batch's items to a pool as room opens, so a
/// batch of any size holds at most a window of tasks at once.
///
/// A pool admits max_outstanding tasks and keeps the rest waiting; made up
/// front, the waiting ones cost their memory all the same (about 1.4 KB
/// each: 140 MB for 100,000 ids). Made as earlier ones end, they never exist
/// beyond the window.
#pragma once

#include <atomic>
#include <cstddef>

namespace taskfetch::detail {

/// @brief Adds items 0 .. total-1 through a callback, at most @p window more
/// than have ended. Thread-safe: one thread adds at a time, and an ending
/// reported while items are being added (an add that ends its task at once,
/// as in a cancelled batch, or another thread's) is only counted, for the
/// adding thread to act on, so the stack never grows with the batch.
class paced_feed {
public:
  /// @brief A feed of @p total items, @p window of them (at least one) out at once.
  paced_feed(std::size_t total, std::size_t window) noexcept
      : total_(total), window_(window == 0 ? 1 : window) {}

  /// @brief Adds the first window of items: @p add(i) for each.
  template <class Add> void start(Add &add) { owe(window_, add); }

  /// @brief An item ended for good: adds the next one, if any is left.
  template <class Add> void ended(Add &add) { owe(1, add); }

  /// @brief Items not yet handed out (any thread; a moment's count).
  std::size_t waiting() const noexcept { return total_ - made_.load(std::memory_order_relaxed); }

private:
  template <class Add> void owe(std::size_t n, Add &add) {
    owed_.fetch_add(n);
    while (!busy_.exchange(true)) {
      {
        release r{busy_}; // also when add throws
        for (std::size_t k; (k = owed_.exchange(0)) > 0;)
          for (; k > 0 && next_ < total_; --k) {
            const std::size_t i = next_++;
            made_.store(next_, std::memory_order_relaxed);
            add(i);
          }
      }
      // Counted after the last look but before busy_ cleared: act on it here.
      if (owed_.load() == 0) return;
    }
  }
  struct release {
    std::atomic<bool> &busy;
    ~release() { busy.store(false); }
  };

  const std::size_t total_;
  const std::size_t window_;
  std::size_t next_ = 0;             // only the thread holding busy_ touches it
  std::atomic<std::size_t> made_{0}; // next_, for waiting()
  std::atomic<std::size_t> owed_{0};
  std::atomic<bool> busy_{false};
};

} // namespace taskfetch::detail
