/// @file
/// @brief pg_journal: the shared journal in PostgreSQL (libpq), so workers
/// on several machines share one batch: claims with FOR UPDATE SKIP LOCKED,
/// leases, fenced writes, results as jsonb (docs/postgresql.md).
#pragma once

#include <taskfetch/batch/memory_shared_journal.hpp>
#include <taskfetch/batch/shared_journal.hpp>
#include <taskfetch/detail/held_claims.hpp>
#include <taskfetch/detail/pq.hpp>
#include <taskfetch/detail/shared_budget.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace taskfetch {

/// @brief How a pg_journal works its batch.
struct pg_journal_options {
  /// A claim lapses after this long without renewal.
  std::chrono::seconds lease{30};
  /// This worker's name in the rows (empty: host:pid:random).
  std::string owner;
  /// The batch's name: several batches may share one database.
  std::string batch = "default";
  /// The time every worker agrees on (empty: the database's clock_timestamp()).
  shared_clock clock;
  /// A connection lost mid-batch (a restart, a failover) is retried for this
  /// long before a call fails; one that never connected fails at once (a
  /// wrong URI or a refused login does not mend by waiting).
  std::chrono::milliseconds reconnect_for{30000};
  /// Stops that waiting early when it returns true (a batch interrupted by a signal).
  std::function<bool()> interrupted;
};

/// @brief The schema version this header creates and understands.
constexpr int pg_journal_schema_version = 1;

/// @brief A shared journal in PostgreSQL. Thread-safe: one connection, locked;
/// fenced writes from several threads at once share one transaction.
class pg_journal : public shared_journal {
public:
  /// @brief Connects lazily to @p uri (any libpq URI or key/value string).
  explicit pg_journal(std::string uri, pg_journal_options o = {})
      : c_(std::move(uri)), o_(std::move(o)) {
    if (o_.owner.empty()) o_.owner = default_owner();
  }

  result<void> enroll(const std::vector<std::string> &inputs) override {
    std::lock_guard<std::mutex> lk(m_);
    return with_reconnect([&](bool) -> result<void> {
      if (auto r = ready(); !r) return r.error();
      detail::pq::transaction tx(c_);
      for (const auto &in : inputs) {
        auto r = c_.exec("INSERT INTO taskfetch_inputs (batch, input) VALUES ($1, $2) "
                         "ON CONFLICT DO NOTHING",
                         {o_.batch, in});
        if (!r.ok()) return c_.failure("enrol", r.message());
      }
      if (!tx.commit()) return c_.failure("enrol: commit");
      return {};
    });
  }

  result<std::vector<input_claim>> claim(std::size_t n) override {
    std::lock_guard<std::mutex> lk(m_);
    return with_reconnect([&](bool) { return claim_once(n); });
  }
  result<std::vector<std::string>> renew() override {
    std::lock_guard<std::mutex> lk(m_);
    return with_reconnect([&](bool) -> result<std::vector<std::string>> {
      if (auto r = ready(); !r) return r.error();
      beat();
      auto r =
          c_.exec("WITH n AS (SELECT " + now_sql(1) +
                      " AS t) UPDATE taskfetch_inputs u SET lease_until = n.t + "
                      "make_interval(secs => $4::float8) FROM n WHERE u.batch = $2 AND u.owner "
                      "= $3 AND u.state = 'claimed' AND u.lease_until > n.t "
                      "AND ($5::jsonb ->> u.input)::bigint = u.attempt "
                      "RETURNING u.input, u.attempt",
                  {now_param(), o_.batch, o_.owner, std::to_string(o_.lease.count()), held_json()});
      if (!r.ok()) return c_.failure("renew", r.message());
      std::map<std::string, std::int64_t> kept;
      for (int i = 0; i < r.rows(); ++i) kept[r.text(i, 0)] = std::stoll(r.text(i, 1));
      return held_.keep_only(kept);
    });
  }

  result<bool> submitted(const input_claim &c, const std::string &task_id,
                         std::int64_t time) override {
    return fenced_update(c,
                         "task_id = $6, submitted_at = $7, submissions = submissions + 1, "
                         "expired = false, final_failure = false",
                         {task_id, std::to_string(time)}, false);
  }

  result<bool> finish(const input_claim &c, const journal_entry &done,
                      const std::string &result_json) override {
    if (!result_json.empty() && !nlohmann::json::accept(result_json))
      return error(error_kind::invalid_argument,
                   "shared journal: the result of " + c.input + " is not JSON");
    std::optional<std::string> json;
    if (!result_json.empty()) json = result_json;
    return fenced_update(c,
                         "state = 'done', task_id = coalesce(nullif($6, ''), task_id), result = "
                         "$7::jsonb, output_path = $8, size = $9, sha256 = $10, finished_at = "
                         "n.t, lease_until = NULL",
                         {done.task_id, json, done.output, std::to_string(done.size), done.sha256},
                         true);
  }

  result<bool> fail(const input_claim &c, const journal_entry &e) override {
    if (e.what == journal_entry::event::expired)
      return fenced_update(c, "expired = true", {}, false);
    const std::string msgs = nlohmann::json(e.messages).dump();
    return fenced_update(
        c,
        "task_errors = task_errors + (CASE WHEN $6 = 'task_failed' THEN 1 ELSE 0 END), "
        "error_kind = $6, error_messages = $7::jsonb, final_failure = $8::boolean, "
        "state = CASE WHEN $8::boolean THEN 'failed' ELSE state END, "
        "finished_at = CASE WHEN $8::boolean THEN n.t ELSE finished_at END, "
        "lease_until = CASE WHEN $8::boolean THEN NULL ELSE lease_until END",
        {e.kind, msgs, std::string(e.final ? "true" : "false")}, e.final);
  }

  result<bool> release(const input_claim &c) override {
    return fenced_update(c, "state = 'open', lease_until = NULL", {}, true);
  }

  result<shared_counts> counts() override {
    std::lock_guard<std::mutex> lk(m_);
    return with_reconnect([&](bool) -> result<shared_counts> {
      if (auto r = ready(); !r) return r.error();
      auto r = c_.exec("WITH n AS (SELECT " + now_sql(1) +
                           " AS t) SELECT count(*) FILTER (WHERE state = 'open' OR (state = "
                           "'claimed' AND lease_until <= n.t)), count(*) FILTER (WHERE state = "
                           "'claimed' AND lease_until > n.t), count(*) FILTER (WHERE state = "
                           "'done'), count(*) FILTER (WHERE state = 'failed') FROM "
                           "taskfetch_inputs, n WHERE batch = $2",
                       {now_param(), o_.batch});
      if (!r.ok()) return c_.failure("counts", r.message());
      shared_counts k;
      k.open = std::stoul(r.text(0, 0));
      k.claimed = std::stoul(r.text(0, 1));
      k.done = std::stoul(r.text(0, 2));
      k.failed = std::stoul(r.text(0, 3));
      return k;
    });
  }

  result<double> share_rate(double cap, double cut_to) override {
    std::lock_guard<std::mutex> lk(m_);
    return with_reconnect([&](bool) -> result<double> {
      if (auto r = ready(); !r) return r.error();
      detail::pq::transaction tx(c_);
      auto t = c_.exec("SELECT extract(epoch FROM " + now_sql(1) + ")::float8", {now_param()});
      if (!t.ok()) return c_.failure("share_rate", t.message());
      const std::string now = t.text(0, 0);
      auto w = c_.exec("INSERT INTO taskfetch_workers (batch, owner, seen_at) VALUES ($1, $2, "
                       "to_timestamp($3::float8)) ON CONFLICT (batch, owner) DO UPDATE SET "
                       "seen_at = excluded.seen_at",
                       {o_.batch, o_.owner, now});
      if (!w.ok()) return c_.failure("share_rate", w.message());
      (void)c_.exec("INSERT INTO taskfetch_rate (batch) VALUES ($1) ON CONFLICT DO NOTHING",
                    {o_.batch});
      auto s = c_.exec("SELECT budget, cut_at, cap, (SELECT count(*) FROM taskfetch_workers WHERE "
                       "batch = $1 AND seen_at > to_timestamp($2::float8) - make_interval(secs => "
                       "$3::float8)) FROM taskfetch_rate WHERE batch = $1 FOR UPDATE",
                       {o_.batch, now, std::to_string(o_.lease.count())});
      if (!s.ok() || s.rows() != 1) return c_.failure("share_rate", s.message());
      detail::shared_budget b{std::stod(s.text(0, 0)), std::stod(s.text(0, 1)),
                              std::stod(s.text(0, 2))};
      auto step =
          detail::step_shared_budget(b, std::stoul(s.text(0, 3)), cap, cut_to, std::stod(now));
      auto u = c_.exec(
          "UPDATE taskfetch_rate SET budget = $2, cut_at = $3, cap = $4 WHERE batch = $1",
          {o_.batch, num(step.stored.budget), num(step.stored.cut_at), num(step.stored.cap)});
      if (!u.ok()) return c_.failure("share_rate", u.message());
      if (!tx.commit()) return c_.failure("share_rate: commit");
      return step.share;
    });
  }

  /// @brief Fenced writes (submitted, finish, fail, release) so far and the
  /// commits that carried them: concurrent writes share one (group commit).
  struct write_stats {
    std::size_t writes = 0;  ///< writes answered (true, false or an error)
    std::size_t commits = 0; ///< transactions run for them, retries included
    std::size_t waiting = 0; ///< writes queued now behind a commit in progress
  };
  /// @brief The write counts, for benchmarks and tests.
  write_stats stats() const {
    std::lock_guard<std::mutex> q(queue_m_);
    write_stats w = stats_;
    w.waiting = queue_.size();
    return w;
  }

  std::chrono::seconds lease() const override { return o_.lease; }
  /// @brief This worker's name in the rows it claims.
  const std::string &owner() const noexcept { return o_.owner; }
  /// @brief The batch's name.
  const std::string &batch() const noexcept { return o_.batch; }

private:
  using params = std::vector<std::optional<std::string>>;

  static std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }
  static std::string default_owner() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    std::random_device rd;
    char tail[16];
    std::snprintf(tail, sizeof tail, "%08x", rd());
    return std::string(host) + ":" + std::to_string(::getpid()) + ":" + tail;
  }
  // Parameter $k is the injected time (unix seconds) or NULL for the database's.
  static std::string now_sql(int k) {
    return "coalesce(to_timestamp($" + std::to_string(k) + "::float8), clock_timestamp())";
  }
  std::optional<std::string> now_param() const {
    if (!o_.clock) return std::nullopt;
    return num(std::chrono::duration<double>(o_.clock().time_since_epoch()).count());
  }

  // Open inputs, lapsed claims, and claims under this worker's name that this
  // handle does not hold: left by an earlier process of the same --worker, or
  // by a claim whose commit landed while its answer was lost. Renewing those
  // without working them would keep them from everyone, so they are taken
  // over (attempt + 1, the task id kept) like lapsed ones.
  result<std::vector<input_claim>> claim_once(std::size_t n) {
    if (auto r = ready(); !r) return r.error();
    beat();
    auto r = c_.exec(
        "WITH n AS (SELECT " + now_sql(1) +
            " AS t), c AS (SELECT i.batch, i.input FROM taskfetch_inputs i, n WHERE i.batch = $2 "
            "AND (i.state = 'open' OR (i.state = 'claimed' AND (i.lease_until <= n.t OR (i.owner "
            "= $4 AND NOT ($6::jsonb ? i.input))))) ORDER BY i.seq LIMIT $3 FOR UPDATE OF i SKIP "
            "LOCKED) UPDATE taskfetch_inputs u SET state = 'claimed', owner = $4, attempt = "
            "u.attempt + 1, lease_until = n.t + make_interval(secs => $5::float8) FROM c, n WHERE "
            "u.batch = c.batch AND u.input = c.input RETURNING u.input, u.attempt, "
            "coalesce(u.task_id, ''), u.submitted_at, u.submissions, u.task_errors, u.expired, "
            "u.seq",
        {now_param(), o_.batch, std::to_string(n), o_.owner, std::to_string(o_.lease.count()),
         held_json()});
    if (!r.ok()) return c_.failure("claim", r.message());
    std::vector<std::pair<long long, input_claim>> got;
    for (int i = 0; i < r.rows(); ++i) {
      input_claim cl;
      cl.input = r.text(i, 0);
      cl.attempt = std::stoll(r.text(i, 1));
      cl.history.task_id = r.text(i, 2);
      cl.history.submitted_at = std::stoll(r.text(i, 3));
      cl.history.submissions = static_cast<unsigned>(std::stoul(r.text(i, 4)));
      cl.history.task_errors = static_cast<unsigned>(std::stoul(r.text(i, 5)));
      cl.history.expired = r.text(i, 6) == "t";
      held_.hold(cl.input, cl.attempt);
      got.emplace_back(std::stoll(r.text(i, 7)), std::move(cl));
    }
    std::sort(got.begin(), got.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    std::vector<input_claim> out;
    for (auto &g : got) out.push_back(std::move(g.second));
    return out;
  }

  // Connected (reconnecting once after a broken connection) and the schema in place.
  result<void> ready() {
    if (auto r = c_.open(); !r) return r;
    if (schema_ok_) return {};
    detail::pq::transaction tx(c_);
    if (!tx.began()) return c_.failure("begin");
    const char *ddl =
        "SELECT pg_advisory_xact_lock(7361746173660001);"
        "CREATE TABLE IF NOT EXISTS taskfetch_schema (version integer NOT NULL);"
        "CREATE TABLE IF NOT EXISTS taskfetch_inputs (batch text NOT NULL, input text NOT NULL,"
        " seq bigserial, state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'claimed',"
        " 'done', 'failed')), owner text, attempt bigint NOT NULL DEFAULT 0, lease_until"
        " timestamptz, task_id text, submitted_at bigint NOT NULL DEFAULT 0, submissions integer"
        " NOT NULL DEFAULT 0, task_errors integer NOT NULL DEFAULT 0, expired boolean NOT NULL"
        " DEFAULT false, final_failure boolean NOT NULL DEFAULT false, result jsonb, output_path"
        " text, size bigint, sha256 text, error_kind text, error_messages jsonb, finished_at"
        " timestamptz, PRIMARY KEY (batch, input));"
        "CREATE TABLE IF NOT EXISTS taskfetch_workers (batch text NOT NULL, owner text NOT NULL,"
        " seen_at timestamptz NOT NULL, PRIMARY KEY (batch, owner));"
        "CREATE TABLE IF NOT EXISTS taskfetch_rate (batch text PRIMARY KEY, budget float8 NOT"
        " NULL DEFAULT 0, cut_at float8 NOT NULL DEFAULT 0, cap float8 NOT NULL DEFAULT 0);"
        "CREATE OR REPLACE VIEW taskfetch_results AS SELECT batch, input, task_id, state,"
        " result, output_path, size, sha256, error_kind, error_messages, submissions,"
        " finished_at FROM taskfetch_inputs;";
    auto d = c_.exec(ddl);
    if (!d.ok()) return c_.failure("creating the schema", d.message());
    auto v = c_.exec("SELECT max(version) FROM taskfetch_schema");
    if (!v.ok()) return c_.failure("reading the schema version", v.message());
    if (v.is_null(0, 0)) {
      auto i = c_.exec("INSERT INTO taskfetch_schema VALUES ($1)",
                       {std::to_string(pg_journal_schema_version)});
      if (!i.ok()) return c_.failure("recording the schema version", i.message());
    } else if (std::stoi(v.text(0, 0)) > pg_journal_schema_version) {
      return c_.failure("the schema is version " + v.text(0, 0) + ", newer than this taskfetch's " +
                        std::to_string(pg_journal_schema_version) + ": upgrade taskfetch");
    }
    if (!tx.commit()) return c_.failure("creating the schema: commit");
    schema_ok_ = true;
    return {};
  }

  void beat() {
    (void)c_.exec("INSERT INTO taskfetch_workers (batch, owner, seen_at) VALUES ($1, $2, " +
                      now_sql(3) +
                      ") ON CONFLICT (batch, owner) DO UPDATE SET seen_at = excluded.seen_at",
                  {o_.batch, o_.owner, now_param()});
  }

  // A fenced write waiting for the COMMIT of its group.
  struct pending_write {
    const input_claim &claim;
    const std::string &set;
    params extra;
    bool drops; // a write that ends the claim (finish, release, a final failure)
    std::optional<result<bool>> out;
  };

  // One UPDATE that commits only while the claim is this worker's live
  // attempt. Group commit: writes that arrive while another thread's are
  // being committed wait and go together in the next transaction, so a
  // worker's pool threads pay one COMMIT (one WAL flush) between them
  // instead of one each; a lone write is one statement as before.
  result<bool> fenced_update(const input_claim &c, const std::string &set, params extra,
                             bool drops) {
    pending_write w{c, set, std::move(extra), drops, std::nullopt};
    std::unique_lock<std::mutex> q(queue_m_);
    queue_.push_back(&w);
    while (!w.out) {
      if (leading_) {
        queue_cv_.wait(q);
        continue;
      }
      leading_ = true;
      std::vector<pending_write *> group;
      group.swap(queue_);
      q.unlock();
      std::vector<result<bool>> outs;
      const std::size_t commits = write_group(group, outs);
      q.lock(); // the answers are read under queue_m_, so written under it
      for (std::size_t i = 0; i < group.size(); ++i) group[i]->out = std::move(outs[i]);
      stats_.writes += group.size();
      stats_.commits += commits;
      leading_ = false;
      queue_cv_.notify_all();
    }
    return std::move(*w.out);
  }

  // Every write of @p group in one transaction; each keeps its own fence, so
  // one whose claim lapsed answers false without failing the others. A
  // connection lost before the COMMIT answered runs the group again.
  // @param outs the answers, in the group's order
  // @return the transactions it took
  std::size_t write_group(const std::vector<pending_write *> &group,
                          std::vector<result<bool>> &outs) {
    std::lock_guard<std::mutex> lk(m_);
    std::vector<char> hits(group.size(), 0);
    std::size_t commits = 0;
    auto r = with_reconnect([&](bool again) -> result<void> {
      if (auto r = ready(); !r) return r.error();
      ++commits;
      std::optional<detail::pq::transaction> tx;
      if (group.size() > 1) {
        tx.emplace(c_);
        if (!tx->began()) return c_.failure("begin");
      }
      for (std::size_t i = 0; i < group.size(); ++i) {
        auto h = update_once(*group[i], again);
        if (!h) return h.error();
        hits[i] = *h;
      }
      if (tx && !tx->commit()) return c_.failure("commit");
      return {};
    });
    outs.reserve(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) {
      const pending_write &w = *group[i];
      if (!r) {
        outs.emplace_back(r.error());
        continue;
      }
      if (hits[i] && w.drops) held_.drop(w.claim.input, w.claim.attempt);
      outs.emplace_back(hits[i] != 0);
    }
    return commits;
  }

  // The UPDATE of one write; @p again: the group is being run a second time.
  result<bool> update_once(const pending_write &w, bool again) {
    const input_claim &c = w.claim;
    params p{now_param(), o_.batch, c.input, o_.owner, std::to_string(c.attempt)};
    for (const auto &e : w.extra) p.push_back(e);
    auto r =
        c_.exec("WITH n AS (SELECT " + now_sql(1) + " AS t) UPDATE taskfetch_inputs SET " + w.set +
                    " FROM n WHERE batch = $2 AND input = $3 AND owner = $4 AND attempt = "
                    "$5::bigint AND state = 'claimed' AND lease_until > n.t",
                p);
    if (!r.ok()) return c_.failure("update of " + c.input, r.message());
    bool hit = std::string(PQcmdTuples(r.raw())) == "1";
    if (!hit && again && w.drops) {
      // The first try's COMMIT may have landed with its answer lost: then
      // the row has left 'claimed' under this very attempt.
      auto s = c_.exec("SELECT 1 FROM taskfetch_inputs WHERE batch = $1 AND input = $2 AND "
                       "owner = $3 AND attempt = $4::bigint AND state <> 'claimed'",
                       {o_.batch, c.input, o_.owner, std::to_string(c.attempt)});
      if (!s.ok()) return c_.failure("update of " + c.input, s.message());
      hit = s.rows() == 1;
    }
    return hit;
  }

  // Runs @p call (told whether it is a retry); when the connection was lost
  // mid-batch (the database restarted or failed over) it waits and runs it
  // again, for up to reconnect_for, so a restart does not end the batch.
  template <class F> auto with_reconnect(F call) -> decltype(call(false)) {
    using clock = std::chrono::steady_clock;
    const auto give_up = clock::now() + o_.reconnect_for;
    auto pause = std::chrono::milliseconds(50);
    for (bool again = false;; again = true) {
      auto r = call(again);
      if (r) {
        connected_once_ = true;
        return r;
      }
      if (c_.good() || !connected_once_) return r; // an SQL error, or never connected
      if (clock::now() >= give_up || (o_.interrupted && o_.interrupted())) {
        if (!again) return r;
        return error(
            r.error().kind(),
            r.error().message() + " (retried for " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::seconds>(o_.reconnect_for).count()) +
                " s)");
      }
      std::this_thread::sleep_for(std::min(
          pause, std::chrono::duration_cast<std::chrono::milliseconds>(give_up - clock::now())));
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
  }

  // The claims this handle holds, as {"input": attempt} for the queries.
  std::string held_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto &h : held_.held()) j[h.first] = h.second;
    return j.dump();
  }

  std::mutex m_;               // the connection, held_, schema_ok_
  mutable std::mutex queue_m_; // queue_, leading_, stats_
  std::condition_variable queue_cv_;
  std::vector<pending_write *> queue_; // writes waiting for the next group
  bool leading_ = false;               // a thread is committing a group
  write_stats stats_;
  detail::pq::connection c_;
  pg_journal_options o_;
  detail::held_claims held_;
  bool schema_ok_ = false;
  bool connected_once_ = false; // a lost connection is worth waiting for
};

} // namespace taskfetch
