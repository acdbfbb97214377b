/// @file
/// @brief run_inputs: submit a set of input files, wait for all on a
/// task_pool, write each result, and record every step in a journal so a
/// rerun after a crash resumes instead of paying twice.
#pragma once

#include <taskfetch/batch/journal.hpp>
#include <taskfetch/batch/replay.hpp>
#include <taskfetch/decoders/to_file.hpp>
#include <taskfetch/detail/batch_pool_options.hpp>
#include <taskfetch/detail/paced_feed.hpp>
#include <taskfetch/detail/sha256.hpp>
#include <taskfetch/endpoint.hpp>
#include <taskfetch/file_result.hpp>
#include <taskfetch/options.hpp>
#include <taskfetch/poll_schedule.hpp>
#include <taskfetch/task_pool.hpp>

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
  std::size_t jobs = 8;                      ///< requests in flight at once (worker threads)
  unsigned resubmit = 1;                     ///< resubmissions after a task ends in Error
  std::chrono::seconds retention{24 * 3600}; ///< how long the service keeps a task
  call_options per_task; ///< deadline and hooks of each task; its cancel token stops the run
  /// @brief Wall clock for journal times (injectable for tests).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  std::size_t max_outstanding = 10000; ///< inputs at the service at once
  double max_requests_per_second = 0;  ///< request rate cap; 0: none until throttled
  /// @brief The pool's counts as they change.
  std::function<void(const pool_progress &)> on_progress;
  /// @brief false: no threads, the calling thread drives the run and waits
  /// through the client's clock (for tests with a manual clock).
  bool own_threads = true;
  /// @brief When to poll (pool_options::schedule): empty for the retry
  /// policy's schedule, or learning_schedule.
  poll_schedule schedule;
};

/// @brief How one input of run_inputs ended.
enum class input_outcome {
  done,    ///< its result was written in this run
  failed,  ///< no result: input_report::failure says why
  skipped, ///< written in an earlier run and still intact, so not fetched again
};

/// @brief What happened to one input.
struct input_report {
  std::string key;                               ///< the input
  input_outcome outcome = input_outcome::failed; ///< how it ended
  std::string task_id;                           ///< the task that produced (or failed) it
  std::filesystem::path output;                  ///< the file written (done/skipped)
  std::uint64_t size = 0;                        ///< its size
  unsigned submissions = 0;                      ///< submissions made in this run
  bool resubmitted = false;                      ///< submitted again after Error or expiry
  std::optional<error> failure;                  ///< why it failed
};

/// @brief Totals of a run.
struct run_summary {
  std::size_t done = 0;        ///< results written in this run
  std::size_t failed = 0;      ///< inputs that failed
  std::size_t resubmitted = 0; ///< inputs submitted again
  std::size_t skipped = 0;     ///< inputs already done (verified by checksum)
  std::size_t requests = 0;    ///< HTTP requests sent, the token's included (not billed)

  /// @brief Counts one input's report (its outcome, and whether it was resubmitted).
  void count(const input_report &r) noexcept {
    switch (r.outcome) {
    case input_outcome::done: ++done; break;
    case input_outcome::failed: ++failed; break;
    case input_outcome::skipped: ++skipped; break;
    }
    if (r.resubmitted) ++resubmitted;
  }
};

/// @brief Runs every input through endpoint @p E on a task_pool.
/// @param make_input reads a file into the endpoint's input (result<input>);
///        called on a worker when the input's task is admitted
/// @param on_report called once per input, one call at a time
/// @return the totals, or an error when the journal cannot be read, or
///         cannot be opened for writing (then no request was sent)
///
/// What make_input or on_report throws stops the batch and is rethrown
/// here: every task is cancelled, and the journal keeps the live ones for
/// the next run to poll, as after SIGINT.
///
/// Order of durable steps per input: POST; journal "submitted" (durable
/// before the first poll); wait and stream the result to a temporary file;
/// rename (fsync); journal "done" (durable). A crash between the POST and its
/// journal record is the only way an input is submitted twice.
template <class E, class Client, class MakeInput, class OnReport>
result<run_summary> run_inputs(Client &client, const std::vector<batch_input> &inputs, journal &j,
                               MakeInput make_input, OnReport on_report,
                               const run_options &opts = {}) {
  static_assert(check_endpoint<E>());
  using event = journal_entry::event;
  auto loaded = j.load();
  if (!loaded) return loaded.error(); // never guess: a lost journal would resubmit everything
  const std::map<std::string, input_history> history = replay(*loaded);

  auto unix_now = [&] {
    return std::chrono::duration_cast<std::chrono::seconds>(opts.now().time_since_epoch()).count();
  };
  auto record = [&](event what, const batch_input &in, const std::string &task) {
    journal_entry e;
    e.what = what;
    e.input = in.key;
    e.task_id = task;
    e.time = unix_now();
    return e;
  };

  // One input's way through the pool: submit (or resume polling a journalled
  // task), then on each ending decide: done, resubmit, or report failure.
  struct job {
    const batch_input *in;
    input_history h;
    input_report rep;
    unsigned errors = 0;
    unsigned expiries = 0;
  };
  std::vector<job> jobs(inputs.size());
  std::mutex report_m;
  run_summary sum;
  auto report = [&](job &jb) {
    std::lock_guard<std::mutex> lk(report_m);
    sum.count(jb.rep);
    on_report(jb.rep);
  };

  // Decide every input before acting: whether any will send a request is
  // known only then, and the journal must open before the first one.
  std::vector<rerun_action> actions(inputs.size());
  std::vector<std::size_t> to_launch; // inputs for the service, in order
  bool sends = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    job &jb = jobs[i];
    const batch_input &in = inputs[i];
    jb.in = &in;
    jb.rep.key = in.key;
    jb.rep.output = in.output;
    if (auto it = history.find(in.key); it != history.end()) jb.h = it->second;
    const input_history &h = jb.h;
    // Done before: trust it only if the file is still what we wrote.
    auto intact = [&] {
      auto d = detail::sha256_file(h.output.empty() ? in.output : std::filesystem::path(h.output));
      return d && d->size == h.size && d->sha256 == h.sha256;
    };
    actions[i] = rerun_action_of(h, unix_now(), opts.retention, intact);
    sends = sends || actions[i] == rerun_action::poll || actions[i] == rerun_action::submit;
  }
  // A journal that cannot be written would fail each input only after its
  // submission was paid for and its task left running: fail the run first.
  if (sends)
    if (auto o = j.open(); !o) return o.error();

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    job &jb = jobs[i];
    const input_history &h = jb.h;
    switch (actions[i]) {
    case rerun_action::skip:
      jb.rep.outcome = input_outcome::skipped;
      jb.rep.task_id = h.task_id;
      jb.rep.size = h.size;
      report(jb);
      break;
    case rerun_action::fail:
      jb.rep.task_id = h.task_id;
      jb.rep.failure = error(error_kind::task_failed, "failed in an earlier run after " +
                                                          std::to_string(h.task_errors) +
                                                          " task error(s); not resubmitted");
      report(jb);
      break;
    case rerun_action::poll:
    case rerun_action::submit:
      jb.errors = h.task_errors;
      to_launch.push_back(i);
      break;
    }
  }
  // Inputs for the service become tasks as room opens in the pool
  // (max_outstanding at once), not all up front (detail/paced_feed.hpp).
  // The feed and the callbacks outlive the pool, whose end may still call them.
  detail::paced_feed feed(to_launch.size(), opts.max_outstanding);
  std::function<void(job &, std::string)> launch;
  // An input ends for good (reported: true) or goes back to the service as
  // a new task (false).
  auto finish = [&](job &jb) {
    report(jb);
    return true;
  };
  auto again = [&](job &jb) {
    launch(jb, std::string());
    return false;
  };
  auto ended = [&](job &jb, result<file_result> &r) -> bool {
    const batch_input &in = *jb.in;
    input_report &rep = jb.rep;
    if (r) {
      auto d = detail::sha256_file(r->path);
      if (!d) {
        rep.failure = d.error();
        return finish(jb);
      }
      journal_entry e = record(event::done, in, rep.task_id);
      e.output = r->path.string();
      e.size = d->size;
      e.sha256 = d->sha256;
      if (auto s = j.append(e); !s) {
        rep.failure = s.error();
        return finish(jb);
      }
      rep.outcome = input_outcome::done;
      rep.size = d->size;
      return finish(jb);
    }
    const error &err = r.error();
    if (err.kind() == error_kind::not_found && jb.expiries++ == 0) {
      // Gone (expired, or lost by the service): submit again, once per run.
      (void)j.append(record(event::expired, in, rep.task_id));
      return again(jb);
    }
    if (err.kind() == error_kind::task_failed) {
      ++jb.errors;
      journal_entry e = record(event::failed, in, rep.task_id);
      e.kind = std::string(to_string(err.kind()));
      e.messages = err.service_messages();
      e.final = jb.errors > opts.resubmit;
      (void)j.append(e);
      if (!e.final) return again(jb);
    }
    // Anything else (deadline, network, auth) leaves the task live in the
    // journal: the next run polls it instead of submitting again.
    rep.failure = err;
    return finish(jb);
  };
  std::function<void(std::size_t)> add_next = [&](std::size_t k) {
    job &jb = jobs[to_launch[k]];
    launch(jb, actions[to_launch[k]] == rerun_action::poll ? jb.h.task_id : std::string());
  };

  pool_options po = detail::pool_options_of(opts, feed);
  po.schedule = opts.schedule;
  task_pool<Client> pool(client, std::move(po));
  launch = [&](job &jb, std::string task) {
    if (pool.faulted()) return; // on_report or make_input threw: wait_all() rethrows it
    const batch_input &in = *jb.in;
    auto done = [&](result<file_result> &r) {
      if (ended(jb, r)) feed.ended(add_next);
    };
    if (!task.empty()) {
      jb.rep.task_id = task;
      pool.template fetch<E>(std::move(task), decoders::to_file{in.output}, opts.per_task, done);
      return;
    }
    call_options co = opts.per_task;
    co.on_submitted = [&](const std::string &id) -> result<void> {
      jb.rep.task_id = id;
      ++jb.rep.submissions;
      if (jb.h.submissions + jb.rep.submissions > 1) jb.rep.resubmitted = true;
      // Without the record a crash would lose the id: the task stops here.
      return j.append(record(event::submitted, in, id));
    };
    pool.template run_from<E>([&make_input, &in] { return make_input(in.path); },
                              decoders::to_file{in.output}, std::move(co), done);
  };

  feed.start(add_next);
  pool.wait_all();
  sum.requests = pool.progress().requests;
  return sum;
}

} // namespace taskfetch
