// Shared by the batch unit tests (journal, replay, run_inputs, fetch_batch):
// the journal record they write most and a Completed answer; their scratch
// folder is support.hpp's.
#pragma once

#include "support.hpp"

#include <taskfetch/batch/journal.hpp>
#include <taskfetch/detail/base64.hpp>

#include <cstdint>
#include <string>

namespace batch_test {

using ut::temp_dir;

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
