// Shared by the batch unit tests (journal, replay, run_inputs, fetch_batch):
// a scratch folder, the journal record they write most and a Completed answer.
#pragma once

#include <taskfetch/batch/journal.hpp>
#include <taskfetch/detail/base64.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace batch_test {

/// A fresh folder under the system's temporary one, removed at the end;
/// @p tag and the process id keep tests and concurrent runs apart.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const char *tag) {
    path = std::filesystem::temp_directory_path() /
           ("taskfetch-" + std::string(tag) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  temp_dir(const temp_dir &) = delete;
  temp_dir &operator=(const temp_dir &) = delete;
};

/// A record: @p what happened to input @p input, task @p task, at unix second @p t.
inline taskfetch::journal_entry record(taskfetch::journal_entry::event what, std::string input,
                                       std::string task, std::int64_t t = 100) {
  taskfetch::journal_entry e;
  e.what = what;
  e.input = std::move(input);
  e.task_id = std::move(task);
  e.time = t;
  return e;
}

/// A "submitted" record: input @p input got task @p task at unix second @p t.
inline taskfetch::journal_entry submitted(std::string input, std::string task,
                                          std::int64_t t = 100) {
  return record(taskfetch::journal_entry::event::submitted, std::move(input), std::move(task), t);
}

/// A RecognizeTable answer: Completed, one Csv result holding @p csv.
inline std::string completed(const std::string &csv) {
  return "{\"taskStatus\":\"Completed\",\"results\":[{\"type\":\"Csv\",\"data\":\"" +
         taskfetch::detail::base64_encode(csv) + "\"}]}";
}

} // namespace batch_test
