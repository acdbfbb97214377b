// fetch_batch over the scripted transport, driven on the test thread
// (own_threads = false) with the manual clock: every id is fetched, each
// with its own decoder, reported once; one missing task fails alone.
#include "batch_support.hpp"
#include "support.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/batch/fetch_batch.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <stdexcept>

using namespace taskfetch;
using batch_test::completed;

using ut::test_client;

namespace {
// RecognizeTable polls: each task Pending at its first poll, then Completed
// with its id as the table's cell (@p polls counts them by id); the task
// @p missing never existed.
void pending_then_completed(testing::scripted_transport &net, std::map<std::string, int> &polls,
                            std::string missing = {}) {
  net.on(
      http_method::get, "/v5.0/ocr/RecognizeTable",
      [&polls, missing](const request &r) {
        const std::string id = r.target.substr(r.target.find("id=") + 3);
        if (id == missing)
          return testing::scripted_reply::json(200, R"({"taskStatus":"NotExist"})");
        if (polls[id]++ == 0)
          return testing::scripted_reply::json(200, R"({"taskStatus":"Pending"})");
        return testing::scripted_reply::json(200, completed("0\n" + id + "\n"));
      },
      testing::scripted_transport::forever);
}
} // namespace

TEST_CASE("fetch_batch: every id once, its own decoder; a missing task fails alone") {
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  std::map<std::string, int> polls;
  // Each task is Pending at its first poll; "gone" never existed.
  pending_then_completed(net, polls, "gone");
  const std::vector<std::string> ids{"t0", "t1", "gone", "t3", "t4"};

  std::vector<std::size_t> decoders_made;
  std::map<std::string, std::string> got; // id -> its table's cell, or the error kind
  std::vector<std::size_t> reported;
  batch_options bo;
  bo.jobs = 2;
  bo.own_threads = false; // the manual clock: this thread drives and waits
  auto sum = fetch_batch<endpoints::recognize_table>(
      api, ids,
      [&](std::size_t i, const std::string &id) {
        CHECK(ids[i] == id);
        decoders_made.push_back(i);
        return decoders::table{};
      },
      [&](std::size_t i, const std::string &id, const result<table> &r) {
        CHECK(ids[i] == id);
        reported.push_back(i);
        got[id] = r ? r->rows.at(1).at(0) : std::string(to_string(r.error().kind()));
      },
      bo);
  CHECK(sum.done == 4);
  CHECK(sum.failed == 1);
  CHECK(decoders_made.size() == ids.size());
  CHECK(reported.size() == ids.size()); // once each
  CHECK(got == std::map<std::string, std::string>{
                   {"t0", "t0"}, {"t1", "t1"}, {"gone", "not_found"}, {"t3", "t3"}, {"t4", "t4"}});
  CHECK(polls.size() == 4);
  // One Pending, one Completed. Not a structured binding: CHECK_MESSAGE captures its
  // message in a lambda, which C++17 forbids for bindings (clang refuses it).
  for (const auto &p : polls) CHECK_MESSAGE(p.second == 2, p.first);
  CHECK(net.unmatched() == 0);
}

TEST_CASE("fetch_batch: tasks are made as room opens, never more than max_outstanding at once") {
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  std::map<std::string, int> polls;
  pending_then_completed(net, polls);
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) ids.push_back("t" + std::to_string(i));

  std::size_t made = 0, reported = 0, most = 0;
  batch_options bo;
  bo.jobs = 2;
  bo.max_outstanding = 5;
  bo.own_threads = false;
  std::size_t most_queued = 0; // ids not yet made count as queued, as before
  bo.on_progress = [&](const pool_progress &p) {
    most_queued = std::max(most_queued, p.queued);
    CHECK(p.queued + p.in_progress() + p.done + p.failed <= ids.size());
  };
  auto sum = fetch_batch<endpoints::recognize_table>(
      api, ids,
      [&](std::size_t, const std::string &) {
        ++made;
        most = std::max(most, made - reported);
        return decoders::table{};
      },
      [&](std::size_t i, const std::string &id, const result<table> &r) {
        CHECK(ids[i] == id);
        ++reported;
        CHECK(r);
      },
      bo);
  CHECK(sum.done == ids.size());
  CHECK(made == ids.size());
  CHECK(reported == ids.size());
  CHECK(most == bo.max_outstanding); // the window filled, never passed
  CHECK(most_queued >= ids.size() - bo.max_outstanding);
  CHECK(polls.size() == ids.size());
  CHECK(net.unmatched() == 0);
}

TEST_CASE("fetch_batch: a batch cancelled before it starts reports every id, however many") {
  // Each cancelled task ends as it is added; the next one is then made by
  // the feed's loop, not from inside the last one's callback.
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  std::vector<std::string> ids(20000, "t");
  cancel_source stop;
  stop.cancel();
  batch_options bo;
  bo.max_outstanding = 1;
  bo.own_threads = false;
  bo.per_task.cancel = stop.token();
  std::size_t cancelled = 0;
  auto sum = fetch_batch<endpoints::recognize_table>(
      api, ids, [](std::size_t, const std::string &) { return decoders::table{}; },
      [&](std::size_t, const std::string &, const result<table> &r) {
        if (!r && r.error().kind() == error_kind::cancelled) ++cancelled;
      },
      bo);
  CHECK(sum.failed == ids.size());
  CHECK(cancelled == ids.size());
  CHECK(net.requests().empty());
}

TEST_CASE("fetch_batch: what make_decoder or on_done throws, on whichever thread, stops the "
          "batch and reaches the caller") {
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  net.on(
      http_method::get, "/v5.0/ocr/RecognizeTable",
      [&](const request &) { return testing::scripted_reply::json(200, completed("0\nx\n")); },
      testing::scripted_transport::forever);
  std::vector<std::string> ids(30, "t");
  for (bool in_report : {false, true})
    for (bool threads : {false, true}) {
      CAPTURE(in_report);
      CAPTURE(threads);
      batch_options bo;
      bo.max_outstanding = 3;
      bo.own_threads = threads;
      std::atomic<std::size_t> made{0}, reported{0}; // a worker makes decoders when threads
      auto batch = [&] {
        fetch_batch<endpoints::recognize_table>(
            api, ids,
            [&](std::size_t i, const std::string &) {
              ++made;
              if (!in_report && i == 7) throw std::runtime_error("no room for file 7");
              return decoders::table{};
            },
            [&](std::size_t, const std::string &, const result<table> &) {
              if (in_report && ++reported == 5) throw std::runtime_error("no room for file 7");
            },
            bo);
      };
      CHECK_THROWS_WITH_AS(batch(), "no room for file 7", std::runtime_error);
      if (in_report)
        // Those made before the throw, none after: before, the process ended.
        CHECK(made.load() <= 5 + bo.max_outstanding);
      else
        CHECK(made.load() == 8); // nothing made after the throw
    }
}
