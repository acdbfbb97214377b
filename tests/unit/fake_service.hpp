// A service in memory for the unit tests of the pool and the batch runners
// (test_task_pool.cpp, test_run_shared.cpp): tasks that take a set time on
// the manual clock, an optional per-second throttle, and what was asked of it.
#pragma once

#include "support.hpp"

#include <taskfetch/detail/base64.hpp>
#include <taskfetch/http.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ut {

using taskfetch::duration;
using taskfetch::http_method;
using taskfetch::request;
using taskfetch::testing::manual_clock;
using taskfetch::testing::scripted_reply;
using taskfetch::testing::scripted_transport;

/// A service in memory: each task is Pending for a third of its time, then
/// Processing, then Completed; submits and polls are recorded with the
/// manual clock's time. Optionally throttles beyond N requests per second.
struct fake_service {
  using time_point = std::chrono::steady_clock::time_point;
  manual_clock clock;
  scripted_transport net;
  duration task_time;
  std::size_t per_second_limit = 0; // 0: none
  std::mutex m;
  std::map<std::string, time_point> created;
  std::map<std::string, std::vector<time_point>> polls;
  std::vector<time_point> accepted; // requests answered (not 429)
  std::size_t throttled = 0, outstanding = 0, max_outstanding = 0, next_id = 0;
  std::map<std::int64_t, std::size_t> per_window;
  /// Called before each poll is answered, unlocked (a test may move the clock).
  std::function<void(const std::string &id)> on_poll;

  explicit fake_service(duration t) : task_time(t) {
    net.on(
        http_method::post, "/v5.0/ocr/RecognizeTable", [this](const request &) { return submit(); },
        scripted_transport::forever);
    net.on(
        http_method::get, "/v5.0/ocr/RecognizeTable", [this](const request &r) { return poll(r); },
        scripted_transport::forever);
    net.on(
        http_method::del, "/v5.0/ocr/RecognizeTable",
        [](const request &) { return scripted_reply::text(200, ""); }, scripted_transport::forever);
  }
  std::string add_existing(time_point at) {
    std::lock_guard<std::mutex> lk(m);
    std::string id = "t" + std::to_string(next_id++);
    created[id] = at;
    ++outstanding;
    return id;
  }
  bool throttle_locked(std::optional<scripted_reply> &out) {
    if (!per_second_limit) return false;
    const auto sec =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    if (++per_window[sec] <= per_second_limit) return false;
    ++throttled;
    out = scripted_reply::json(429, R"({"title":"Too Many Requests"})");
    out->header("Retry-After", "1");
    return true;
  }
  scripted_reply submit() {
    std::lock_guard<std::mutex> lk(m);
    std::optional<scripted_reply> t;
    if (throttle_locked(t)) return *t;
    accepted.push_back(clock.now());
    std::string id = "t" + std::to_string(next_id++);
    created[id] = clock.now();
    max_outstanding = std::max(max_outstanding, ++outstanding);
    return scripted_reply::text(200, id);
  }
  scripted_reply poll(const request &r) {
    if (on_poll) on_poll(r.target.substr(r.target.find("?id=") + 4));
    std::lock_guard<std::mutex> lk(m);
    std::optional<scripted_reply> t;
    if (throttle_locked(t)) return *t;
    accepted.push_back(clock.now());
    const std::string id = r.target.substr(r.target.find("?id=") + 4);
    polls[id].push_back(clock.now());
    auto it = created.find(id);
    if (it == created.end())
      return scripted_reply::json(200, R"({"taskStatus":"NotExist","results":null})");
    const auto age = clock.now() - it->second;
    if (age < task_time / 3)
      return scripted_reply::json(200, R"({"id":")" + id +
                                           R"(","taskStatus":"Pending","results":null})");
    if (age < task_time)
      return scripted_reply::json(200, R"({"id":")" + id +
                                           R"(","taskStatus":"Processing","results":null})");
    --outstanding;
    return scripted_reply::json(
        200, R"({"id":")" + id + R"(","taskStatus":"Completed","results":[{"type":"Csv","data":")" +
                 taskfetch::detail::base64_encode("0,1\n" + id + ",x\n") + R"("}],"error":null})");
  }
};

} // namespace ut
