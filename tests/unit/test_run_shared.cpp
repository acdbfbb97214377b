// run_shared over the in-memory shared journal, the fake service and one
// manual clock: several workers stepped in turn on this thread share a batch
// (each input done once), take over a lapsed claim by polling its task,
// lose a finish to the fence, split the rate budget, and stop on a journal
// error without losing what was recorded. No network, no sleeps.
#include "fake_service.hpp"
#include "support.hpp"

#include <taskfetch/basic_client.hpp>
#include <taskfetch/batch/memory_shared_journal.hpp>
#include <taskfetch/batch/run_shared.hpp>
#include <taskfetch/detail/posix_file.hpp>
#include <taskfetch/endpoints.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace taskfetch;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using rt = endpoints::recognize_table;
using read_fn = std::function<result<image_input>(const fs::path &)>;
using report_fn = std::function<void(const input_report &)>;
using worker = shared_worker<rt, ut::test_client, read_fn, report_fn>;

result<image_input> read_image(const fs::path &p) {
  auto bytes = detail::read_whole_file(p);
  if (!bytes) return std::move(bytes.error());
  return image_input{std::move(*bytes), std::nullopt};
}

/// A batch of @p n inputs on the fake service, and the shared state its
/// workers' journals keep (on the service's manual clock).
struct shared_fixture {
  ut::fake_service svc;
  ut::temp_dir dir{"run-shared"};
  std::vector<batch_input> inputs;
  std::shared_ptr<memory_shared_state> state;

  shared_fixture(std::size_t n, duration task_time) : svc(task_time) {
    state = std::make_shared<memory_shared_state>([this] { return svc.clock.wall_now(); });
    fs::create_directories(dir.path / "in");
    for (std::size_t i = 0; i < n; ++i) {
      const std::string name = "s" + std::to_string(i) + ".png";
      std::ofstream(dir.path / "in" / name) << name;
      inputs.push_back({name, dir.path / "in" / name, fs::path()});
    }
  }
  /// The inputs as worker @p who sees them: its own output folder.
  std::vector<batch_input> inputs_for(const std::string &who) const {
    fs::create_directories(dir.path / who);
    auto v = inputs;
    for (auto &in : v) in.output = dir.path / who / (in.key + ".csv");
    return v;
  }
  run_options options_for(double rate = 0) {
    run_options ro;
    ro.jobs = 2;
    ro.own_threads = false; // stepped on this thread, on the manual clock
    ro.now = [this] { return svc.clock.wall_now(); };
    ro.max_requests_per_second = rate;
    return ro;
  }
  std::size_t submits() {
    std::lock_guard<std::mutex> lk(svc.m);
    return svc.next_id;
  }
};

/// One worker: its client, journal handle, inputs and what it reported.
struct member {
  ut::test_client api;
  std::vector<batch_input> inputs;
  std::unique_ptr<shared_journal> journal;
  std::vector<input_report> reports;
  std::unique_ptr<worker> w;
  bool live = true;

  member(shared_fixture &f, const std::string &who, std::unique_ptr<shared_journal> j,
         run_options ro)
      : api(options{}.base_url("https://api.test").bearer_token("tok-" + who).deadline(600s),
            f.svc.net, ut::seeded_retry(7), f.svc.clock),
        inputs(f.inputs_for(who)), journal(std::move(j)) {
    w = std::make_unique<worker>(api, inputs, *journal, read_fn(read_image),
                                 report_fn([this](const input_report &r) { reports.push_back(r); }),
                                 ro);
  }
  member(shared_fixture &f, const std::string &who, std::chrono::seconds lease = 30s,
         double rate = 0)
      : member(f, who, std::make_unique<memory_shared_journal>(f.state, who, lease),
               f.options_for(rate)) {}
  bool step() { return live = live && w->step(); }
  std::set<std::string> done() const {
    std::set<std::string> s;
    for (const auto &r : reports)
      if (r.outcome == input_outcome::done) s.insert(r.key);
    return s;
  }
};

/// Steps every member in turn until all are over (bounded, so a worker that
/// never ends fails the test instead of hanging it).
void run_all(std::vector<member *> ms) {
  for (int round = 0; round < 100000; ++round) {
    bool any = false;
    for (auto *m : ms) any = m->step() || any;
    if (!any) return;
  }
  FAIL("the workers never ended");
}

std::size_t rows_in(const shared_fixture &f, const std::string &state) {
  std::size_t n = 0;
  for (const auto &r : f.state->rows()) n += r.state == state;
  return n;
}

/// A shared journal that passes every call through until it is told to
/// fail, then fails every call as a database that went away would.
class failing_journal : public shared_journal {
public:
  explicit failing_journal(std::unique_ptr<shared_journal> j) : j_(std::move(j)) {}
  /// Fails every call after @p n more finish() calls succeeded.
  void fail_after_finishes(int n) { finishes_left_ = n; }
  int failed_calls = 0;

  result<void> enroll(const std::vector<std::string> &in) override {
    if (down()) return gone();
    return j_->enroll(in);
  }
  result<std::vector<input_claim>> claim(std::size_t n) override {
    if (down()) return gone();
    return j_->claim(n);
  }
  result<std::vector<std::string>> renew() override {
    if (down()) return gone();
    return j_->renew();
  }
  result<bool> submitted(const input_claim &c, const std::string &id, std::int64_t t) override {
    if (down()) return gone();
    return j_->submitted(c, id, t);
  }
  result<bool> finish(const input_claim &c, const journal_entry &d,
                      const std::string &json) override {
    if (down() || finishes_left_-- == 0) return gone();
    return j_->finish(c, d, json);
  }
  result<bool> fail(const input_claim &c, const journal_entry &e) override {
    if (down()) return gone();
    return j_->fail(c, e);
  }
  result<bool> release(const input_claim &c) override {
    if (down()) return gone();
    return j_->release(c);
  }
  result<shared_counts> counts() override {
    if (down()) return gone();
    return j_->counts();
  }
  result<double> share_rate(double cap, double cut_to) override {
    if (down()) return gone();
    return j_->share_rate(cap, cut_to);
  }
  std::chrono::seconds lease() const override { return j_->lease(); }

private:
  bool down() const { return finishes_left_ < 0; }
  error gone() {
    ++failed_calls;
    return error(error_kind::io, "PostgreSQL 127.0.0.1:5432/jobs: server closed the connection");
  }
  std::unique_ptr<shared_journal> j_;
  int finishes_left_ = 1 << 30;
};

} // namespace

TEST_CASE("run_shared: two workers on one batch do every input exactly once") {
  shared_fixture f(24, 3s);
  member a(f, "a"), b(f, "b");
  run_all({&a, &b});
  auto ra = a.w->outcome(), rb = b.w->outcome();
  REQUIRE(ra);
  REQUIRE(rb);
  // Both took part, neither did an input the other did, and together all.
  CHECK(ra->done > 0);
  CHECK(rb->done > 0);
  CHECK(ra->done + rb->done == 24);
  std::set<std::string> all = a.done();
  for (const auto &k : b.done()) CHECK(all.insert(k).second);
  CHECK(all.size() == 24);
  CHECK(f.submits() == 24);
  CHECK(rows_in(f, "done") == 24);
  CHECK(rb->batch.done == 24);
  // Each done row holds the CSV's rows as JSON, and its file is where the row says.
  for (const auto &r : f.state->rows()) {
    REQUIRE(r.result);
    CHECK(r.result->find("\"0\",\"1\"") != std::string::npos);
    CHECK(fs::exists(r.history.output));
    CHECK(r.attempt == 1);
  }
}

TEST_CASE("run_shared: a worker taking over a lapsed claim polls the same task, never submits "
          "it again") {
  shared_fixture f(6, 60s); // tasks outlive the first worker's lease
  member a(f, "a", 10s), b(f, "b", 10s);
  // Worker a claims and submits everything, then stops (its process died).
  for (int i = 0; i < 50 && f.submits() < 6; ++i) a.step();
  REQUIRE(f.submits() == 6);
  std::map<std::string, std::string> ids;
  for (const auto &r : f.state->rows()) {
    CHECK(r.owner == "a");
    CHECK_FALSE(r.history.task_id.empty());
    ids[r.input] = r.history.task_id;
  }
  // b finds nothing open until a's leases lapse, then resumes a's tasks.
  const auto before = f.svc.clock.now();
  run_all({&b});
  auto rb = b.w->outcome();
  REQUIRE(rb);
  CHECK(rb->done == 6);
  CHECK(rb->resubmitted == 0);
  CHECK(f.submits() == 6);
  CHECK(f.svc.clock.now() - before >= 10s);
  for (const auto &r : f.state->rows()) {
    CHECK(r.state == "done");
    CHECK(r.owner == "b");
    CHECK(r.attempt == 2);
    CHECK(r.history.submissions == 1);
    CHECK(r.history.task_id == ids[r.input]); // the task a submitted
  }
  for (const auto &rep : b.reports) CHECK(rep.submissions == 0);
}

TEST_CASE("run_shared: a worker whose lease lapsed before its finish drops its result; the "
          "input is done once, by the worker that holds it") {
  shared_fixture f(1, 4s);
  member a(f, "a", 10s), b(f, "b", 10s);
  // The answer that completes a's task arrives after a stall longer than the
  // lease (a paused VM, a stuck network): by then the claim has lapsed.
  bool stalled = false;
  f.svc.on_poll = [&](const std::string &) {
    if (!stalled && f.svc.clock.now().time_since_epoch() >= 4s) {
      stalled = true;
      f.svc.clock.advance(15s);
    }
  };
  // a steps first, so it holds the input; b takes it over once it lapses.
  run_all({&a, &b});
  auto ra = a.w->outcome(), rb = b.w->outcome();
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(stalled);
  CHECK(ra->done == 0);
  CHECK(ra->lost == 1);
  CHECK(a.reports.empty()); // never reported done by a
  CHECK(rb->done == 1);
  CHECK(f.submits() == 1); // b polled a's task
  CHECK(rows_in(f, "done") == 1);
  auto row = f.state->row("s0.png");
  REQUIRE(row);
  CHECK(row->owner == "b");
  CHECK(row->attempt == 2);
  CHECK(row->history.output == (f.dir.path / "b" / "s0.png.csv").string());
}

TEST_CASE("run_shared: workers share the --rate budget (each gets half of it with two)") {
  shared_fixture f(120, 2s);
  std::vector<double> rate_a, rate_b;
  auto ro_a = f.options_for(10), ro_b = f.options_for(10);
  ro_a.on_progress = [&](const pool_progress &p) { rate_a.push_back(p.rate_limit); };
  ro_b.on_progress = [&](const pool_progress &p) { rate_b.push_back(p.rate_limit); };
  member a(f, "a", std::make_unique<memory_shared_journal>(f.state, "a", 30s), ro_a);
  member b(f, "b", std::make_unique<memory_shared_journal>(f.state, "b", 30s), ro_b);
  run_all({&a, &b});
  REQUIRE(a.w->outcome());
  REQUIRE(b.w->outcome());
  CHECK(rows_in(f, "done") == 120);
  // Once both have joined, each runs at half the cap.
  REQUIRE(rate_a.size() > 10);
  REQUIRE(rate_b.size() > 10);
  CHECK(rate_a.back() == doctest::Approx(5));
  CHECK(rate_b.back() == doctest::Approx(5));
  // And the service saw at most the account's 10/s (plus the buckets'
  // one-request bursts) in every second once both re-shared.
  std::map<std::int64_t, std::size_t> per_second;
  for (const auto &t : f.svc.accepted)
    ++per_second[std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count()];
  std::size_t busiest = 0;
  for (const auto &kv : per_second)
    if (kv.first >= 2) busiest = std::max(busiest, kv.second);
  CHECK(busiest <= 12);
  CHECK(busiest >= 8); // the budget is used, not wasted
}

TEST_CASE("run_shared: a journal error mid-batch ends the run with that error and loses "
          "nothing; another worker finishes the rest without resubmitting") {
  shared_fixture f(10, 3s);
  auto fj =
      std::make_unique<failing_journal>(std::make_unique<memory_shared_journal>(f.state, "a", 10s));
  failing_journal *j = fj.get();
  j->fail_after_finishes(3);
  member a(f, "a", std::move(fj), f.options_for());
  run_all({&a});
  auto ra = a.w->outcome();
  REQUIRE_FALSE(ra);
  CHECK(ra.error().kind() == error_kind::io);
  CHECK(ra.error().message().find("server closed the connection") != std::string::npos);
  CHECK(rows_in(f, "done") == 3);
  CHECK(a.done().size() == 3);
  // Every input a submitted has its task id recorded.
  const std::size_t submitted = f.submits();
  std::size_t with_id = 0;
  for (const auto &r : f.state->rows()) with_id += !r.history.task_id.empty();
  CHECK(with_id == submitted);
  // A healthy worker takes over once a's claims lapse, and pays for no task twice.
  member b(f, "b", 10s);
  run_all({&b});
  auto rb = b.w->outcome();
  REQUIRE(rb);
  CHECK(rb->done == 7);
  CHECK(rows_in(f, "done") == 10);
  CHECK(f.submits() == 10);
}

TEST_CASE("run_shared: what on_report throws stops the worker, gives its inputs back and reaches "
          "the caller") {
  shared_fixture f(24, 3s);
  const auto ins = f.inputs_for("a");
  ut::test_client api(options{}.base_url("https://api.test").bearer_token("tok-a").deadline(600s),
                      f.svc.net, ut::seeded_retry(7), f.svc.clock);
  memory_shared_journal ja(f.state, "a", 30s);
  int reports = 0;
  auto go = [&] {
    (void)run_shared<rt>(api, ins, ja, read_fn(read_image), report_fn([&](const input_report &) {
                           if (++reports == 2) throw std::runtime_error("log closed");
                         }),
                         f.options_for());
  };
  // Before, the exception ended the process from a worker thread or, driven
  // on this thread, left the pool waiting forever for the task it came from.
  CHECK_THROWS_WITH_AS(go(), "log closed", std::runtime_error);
  CHECK(rows_in(f, "done") < 24);
  CHECK(rows_in(f, "claimed") == 0); // given back at once
  // Another worker finishes the batch, polling the tasks already submitted.
  member b(f, "b");
  run_all({&b});
  CHECK(rows_in(f, "done") == 24);
  CHECK(f.submits() == 24);
}
