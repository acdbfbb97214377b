/// @file
/// @brief memory_journal: the journal kept in memory, for tests or for
/// callers that persist the records elsewhere.
#pragma once

#include <taskfetch/batch/journal.hpp>

#include <mutex>
#include <vector>

namespace taskfetch {

/// @brief A journal in memory (tests, or callers that persist elsewhere).
class memory_journal : public journal {
public:
  /// @brief Every record appended so far, oldest first.
  result<std::vector<journal_entry>> load() override {
    std::lock_guard<std::mutex> lk(m_);
    return entries_;
  }
  /// @brief Keeps a copy of the record (durable as long as the object lives).
  result<void> append(const journal_entry &e) override {
    std::lock_guard<std::mutex> lk(m_);
    entries_.push_back(e);
    return {};
  }

private:
  std::mutex m_;
  std::vector<journal_entry> entries_;
};

} // namespace taskfetch
