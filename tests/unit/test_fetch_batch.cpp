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

#include <map>

using namespace taskfetch;
using batch_test::completed;

using ut::test_client;

TEST_CASE("fetch_batch: every id once, its own decoder; a missing task fails alone") {
  testing::scripted_transport net;
  testing::manual_clock clock;
  test_client api(options{}.credentials("id", "secret"), net, standard_retry{}, clock);
  std::map<std::string, int> polls;
  // Each task is Pending at its first poll; "gone" never existed.
  net.on(
      http_method::get, "/v5.0/ocr/RecognizeTable",
      [&](const request &r) {
        const std::string id = r.target.substr(r.target.find("id=") + 3);
        if (id == "gone") return testing::scripted_reply::json(200, R"({"taskStatus":"NotExist"})");
        if (polls[id]++ == 0)
          return testing::scripted_reply::json(200, R"({"taskStatus":"Pending"})");
        return testing::scripted_reply::json(200, completed("0\n" + id + "\n"));
      },
      testing::scripted_transport::forever);
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
