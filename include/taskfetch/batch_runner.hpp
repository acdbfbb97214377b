/// @file
/// @brief run_inputs: submit a set of input files, wait for all with bounded
/// concurrency, write each result, and record every step in a journal so a
/// rerun after a crash resumes instead of paying twice.
#pragma once

#include <taskfetch/decoders/to_file.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/journal.hpp>
#include <taskfetch/options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace taskfetch {

/// @brief One input of a batch.
struct batch_input {
  std::string key;              ///< identifies the input in the journal (its path as given)
  std::filesystem::path path;   ///< the file to submit
  std::filesystem::path output; ///< where its result goes
};

/// @brief Settings of run_inputs.
struct run_options {
  std::size_t jobs = 8;                      ///< inputs in flight at once
  unsigned resubmit = 1;                     ///< resubmissions after a task ends in Error
  std::chrono::seconds retention{24 * 3600}; ///< how long the service keeps a task
  call_options per_task;                     ///< deadline and cancellation of each wait
  /// @brief Wall clock for journal times (injectable for tests).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

/// @brief What happened to one input.
struct input_report {
  /// @brief The input's outcome.
  enum class outcome { done, failed, skipped };
  std::string key;                  ///< the input
  outcome result = outcome::failed; ///< done, failed or skipped (done before)
  std::string task_id;              ///< the task that produced (or failed) it
  std::filesystem::path output;     ///< the file written (done/skipped)
  std::uint64_t size = 0;           ///< its size
  unsigned submissions = 0;         ///< submissions made in this run
  bool resubmitted = false;         ///< submitted again after Error or expiry
  std::optional<error> failure;     ///< why it failed
};

/// @brief Totals of a run.
struct run_summary {
  std::size_t done = 0;        ///< results written in this run
  std::size_t failed = 0;      ///< inputs that failed
  std::size_t resubmitted = 0; ///< inputs submitted again
  std::size_t skipped = 0;     ///< inputs already done (verified by checksum)
};

/// @brief Runs every input through endpoint @p E.
/// @param make_input reads a file into the endpoint's input (result<input>)
/// @param on_report called once per input, one call at a time
/// @return the totals, or an error when the journal cannot be read
///
/// Order of durable steps per input: POST; journal "submitted" (fsync);
/// wait and stream the result to a temporary file; rename (fsync); journal
/// "done" (fsync). A crash between the POST and its journal record is the
/// only way an input is submitted twice.
template <class E, class Client, class MakeInput, class OnReport>
result<run_summary> run_inputs(Client &client, const std::vector<batch_input> &inputs, journal &j,
                               MakeInput make_input, OnReport on_report,
                               const run_options &opts = {}) {
  run_summary sum;
  auto loaded = j.load();
  if (!loaded) return loaded.error(); // never guess: a lost journal would resubmit everything
  std::map<std::string, input_history> history = replay(*loaded);
  std::mutex m;
  std::atomic<std::size_t> next{0};

  auto unix_now = [&] {
    return std::chrono::duration_cast<std::chrono::seconds>(opts.now().time_since_epoch()).count();
  };
  auto record = [&](journal_entry e) {
    e.time = e.time ? e.time : unix_now();
    return j.append(e);
  };

  auto process = [&](const batch_input &in, input_history h) {
    input_report rep;
    rep.key = in.key;
    rep.output = in.output;
    using event = journal_entry::event;
    // Done before: trust it only if the file is still what we wrote.
    if (h.done) {
      auto d = detail::sha256_file(h.output.empty() ? in.output : std::filesystem::path(h.output));
      if (d && d->size == h.size && d->sha256 == h.sha256) {
        rep.result = input_report::outcome::skipped;
        rep.task_id = h.task_id;
        rep.size = d->size;
        return rep;
      }
    }
    if (h.final_failure && !h.done) {
      rep.task_id = h.task_id;
      rep.failure = error(error_kind::task_failed, "failed in an earlier run after " +
                                                       std::to_string(h.task_errors) +
                                                       " task error(s); not resubmitted");
      return rep;
    }
    const bool live =
        !h.task_id.empty() && !h.expired && unix_now() - h.submitted_at < opts.retention.count();
    std::string task = live ? h.task_id : std::string();
    unsigned errors = h.task_errors;
    unsigned expiries = 0;
    for (;;) {
      if (task.empty()) {
        auto input = make_input(in.path);
        if (!input) {
          rep.failure = input.error();
          return rep;
        }
        auto id = client.template submit<E>(*input, opts.per_task);
        if (!id) {
          rep.failure = id.error();
          return rep;
        }
        task = *id;
        ++rep.submissions;
        if (h.submissions + rep.submissions > 1) rep.resubmitted = true;
        journal_entry e;
        e.what = event::submitted;
        e.input = in.key;
        e.task_id = task;
        if (auto s = record(e); !s) {
          rep.failure = s.error(); // without the record a crash would lose the id: stop
          return rep;
        }
      }
      rep.task_id = task;
      auto r = client.template fetch<E>(task, decoders::to_file{in.output}, opts.per_task);
      if (r) {
        auto d = detail::sha256_file(r->path);
        if (!d) {
          rep.failure = d.error();
          return rep;
        }
        journal_entry e;
        e.what = event::done;
        e.input = in.key;
        e.task_id = task;
        e.output = r->path.string();
        e.size = d->size;
        e.sha256 = d->sha256;
        if (auto s = record(e); !s) {
          rep.failure = s.error();
          return rep;
        }
        rep.result = input_report::outcome::done;
        rep.size = d->size;
        return rep;
      }
      const error &err = r.error();
      if (err.kind() == error_kind::not_found && expiries++ == 0) {
        // Gone (expired, or lost by the service): submit again, once per run.
        journal_entry e;
        e.what = event::expired;
        e.input = in.key;
        e.task_id = task;
        (void)record(e);
        task.clear();
        continue;
      }
      if (err.kind() == error_kind::task_failed) {
        ++errors;
        journal_entry e;
        e.what = event::failed;
        e.input = in.key;
        e.task_id = task;
        e.kind = std::string(to_string(err.kind()));
        e.messages = err.service_messages();
        e.final = errors > opts.resubmit;
        (void)record(e);
        if (!e.final) {
          task.clear();
          continue;
        }
      }
      // Anything else (deadline, network, auth) leaves the task live in the
      // journal: the next run polls it instead of submitting again.
      rep.failure = err;
      return rep;
    }
  };

  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= inputs.size()) return;
      input_history h;
      {
        std::lock_guard<std::mutex> lk(m);
        auto it = history.find(inputs[i].key);
        if (it != history.end()) h = it->second;
      }
      input_report rep = process(inputs[i], h);
      std::lock_guard<std::mutex> lk(m);
      switch (rep.result) {
      case input_report::outcome::done: ++sum.done; break;
      case input_report::outcome::failed: ++sum.failed; break;
      case input_report::outcome::skipped: ++sum.skipped; break;
      }
      if (rep.resubmitted) ++sum.resubmitted;
      on_report(rep);
    }
  };
  const std::size_t n = std::max<std::size_t>(1, std::min(opts.jobs, inputs.size()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto &t : pool) t.join();
  return sum;
}

} // namespace taskfetch
