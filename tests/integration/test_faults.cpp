// The fault matrix over real loopback: each fault ends in its documented
// result or error kind, within the deadline, and never leaves a partial file.
#include "support.hpp"

using namespace it;
using fault = emulation::fault;
using kind = emulation::fault::kind;

namespace {
struct outcome {
  result<file_result> r;
  std::chrono::milliseconds took;
  std::size_t files;
};

/// Fetches a fresh 64 KiB PDF task through @p f into a temp dir, retrying
/// as @p retry says.
template <class Retry = standard_retry>
outcome fetch_with(emulator &emu, std::optional<fault> f, options opts, std::string id = {},
                   Retry retry = fast_retry()) {
  if (id.empty()) id = emu.add_task("djvu2pdf", pdf_task(65536));
  if (f) {
    if (f->task_id.empty() && f->on != emulation::target::token) f->task_id = id;
    emu.inject(*f);
  }
  temp_dir tmp;
  auto api = make_client(opts, std::move(retry));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = api.template fetch<endpoints::djvu2pdf>(id, decoders::to_file{tmp.path / "out.pdf"});
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  emu.clear_faults();
  const std::size_t files = tmp.entries();
  if (r) CHECK(slurp(r->path) == pdf_of(65536));
  return {std::move(r), took, files};
}

fault make(kind k, std::size_t times = 1) {
  fault f;
  f.what = k;
  f.times = times;
  return f;
}
fault http_fault(int code, std::string retry_after = {}, std::size_t times = 1) {
  fault f;
  f.status = code;
  f.retry_after = std::move(retry_after);
  f.times = times;
  return f;
}
} // namespace

TEST_CASE("5xx and 429, with and without Retry-After, are retried") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto opts = client_options(emu);
  for (int code : {500, 502, 503, 504, 429}) {
    auto o = fetch_with(emu, http_fault(code, "", 2), opts);
    CHECK_MESSAGE(o.r, code);
    CHECK(o.files == 1);
  }
  auto secs = fetch_with(emu, http_fault(429, "1"), opts);
  REQUIRE(secs.r);
  CHECK(secs.took >= 900ms);
  auto date = fetch_with(
      emu, http_fault(503, detail::format_http_date(std::chrono::system_clock::now() + 2s)), opts);
  REQUIRE(date.r);
  CHECK(date.took >= 900ms);
  // An absurd Retry-After beyond the deadline: give up at once with the 503.
  auto absurd = fetch_with(emu, http_fault(503, "99999999"), options(opts).deadline(3s));
  REQUIRE_FALSE(absurd.r);
  CHECK(absurd.r.error().http_status() == 503);
  CHECK(absurd.took < 1s);
  CHECK(absurd.files == 0);
  // Retries run out: the last HTTP error, after max_failures + 1 requests.
  auto always = fetch_with(emu, http_fault(502, "", 0), opts);
  REQUIRE_FALSE(always.r);
  CHECK(always.r.error().kind() == error_kind::http_status);
  CHECK(always.r.error().attempts() == 1 + 9);
}

TEST_CASE("connection refused, dropped mid-body and truncated bodies are network failures") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto opts = client_options(emu);
  {
    auto api = make_client(options(opts).base_url("http://127.0.0.1:1"));
    auto r = api.fetch<endpoints::djvu2pdf>("x");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == error_kind::transport);
    CHECK(r.error().transport_code() == transport_errc::connect);
  }
  fault drop = make(kind::drop_mid_body);
  drop.after_bytes = 30000;
  CHECK(fetch_with(emu, drop, opts).r); // once: retried, whole file
  drop.times = 0;
  auto dropped = fetch_with(emu, drop, opts);
  REQUIRE_FALSE(dropped.r);
  CHECK(dropped.r.error().kind() == error_kind::transport);
  CHECK(dropped.r.error().transport_code() == transport_errc::closed);
  CHECK(dropped.files == 0);
  fault cut = make(kind::truncate_body, 0);
  cut.after_bytes = 10;
  auto truncated = fetch_with(emu, cut, opts);
  REQUIRE_FALSE(truncated.r);
  CHECK(truncated.r.error().kind() == error_kind::transport);
  CHECK(truncated.r.error().transport_code() == transport_errc::closed);
  CHECK(truncated.files == 0);
}

TEST_CASE("a stalled body hits the read timeout; the deadline bounds everything") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto opts = client_options(emu).read_timeout(200ms);
  fault stall = make(kind::stall_body);
  stall.after_bytes = 1000;
  stall.stall = 1500ms;
  auto once = fetch_with(emu, stall, opts);
  CHECK(once.r);

  // Stalled every time: each read times out until the failure budget is spent.
  stall.times = 0;
  auto always = fetch_with(emu, stall, opts);
  REQUIRE_FALSE(always.r);
  // (httplib reports it as it reports a closed connection; the transport
  // tells them apart by the silence before the failure.)
  CHECK(always.r.error().kind() == error_kind::transport);
  CHECK(always.r.error().transport_code() == transport_errc::timeout);
  CHECK(always.r.error().message().find("read timed out: no data for 200 ms") != std::string::npos);
  CHECK(always.r.error().attempts() == 1 + 1 + 8); // the token, the fetch, 8 retries
  CHECK(always.files == 0);

  // A read timeout longer than the deadline: the read waits only until the
  // deadline. No retry, so the read's own error comes back.
  stall.stall = 5000ms;
  auto clamped =
      fetch_with(emu, stall, options(opts).read_timeout(10s).deadline(1s), {}, no_retry{});
  REQUIRE_FALSE(clamped.r);
  CHECK(clamped.r.error().kind() == error_kind::transport);
  CHECK(clamped.r.error().transport_code() == transport_errc::timeout);
  CHECK(clamped.r.error().message().find("read timed out") != std::string::npos);
  CHECK(clamped.took >= 900ms);
  CHECK(clamped.took < 1500ms);
  CHECK(clamped.files == 0);

  // A retry wait that would end past the deadline is not started: the call
  // fails at once with the failure that asked for it.
  auto at_once = fetch_with(emu, stall, options(opts).deadline(1s), {}, fixed_interval{2s});
  REQUIRE_FALSE(at_once.r);
  CHECK(at_once.r.error().kind() == error_kind::transport);
  CHECK(at_once.r.error().transport_code() == transport_errc::timeout);
  CHECK(at_once.r.error().message().find("read timed out") != std::string::npos);
  CHECK(at_once.took < 900ms); // one 200 ms read, no 2 s wait
  CHECK(at_once.files == 0);
}

TEST_CASE("an answer larger than the cap is too_large, not retried") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  auto o = fetch_with(emu, std::nullopt, client_options(emu).max_response_bytes(10000));
  REQUIRE_FALSE(o.r);
  CHECK(o.r.error().kind() == error_kind::too_large);
  CHECK(o.files == 0);
}

TEST_CASE("malformed answers: bad JSON, wrong shape, bad base64, unknown status word") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto opts = client_options(emu);
  for (kind k :
       {kind::malformed_json, kind::wrong_shape, kind::invalid_base64, kind::unknown_status}) {
    auto o = fetch_with(emu, make(k, 0), opts);
    REQUIRE_FALSE(o.r);
    CHECK(o.r.error().kind() == error_kind::malformed_response);
    CHECK(o.files == 0);
    CHECK(o.r.error().attempts() == 2); // token + one fetch: not retried
  }
}

TEST_CASE("Error with and without messages, and NotExist") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto opts = client_options(emu);
  emulation::task_spec with;
  with.outcome = emulation::processed::failed({"page 3 is blank"});
  auto a = fetch_with(emu, std::nullopt, opts, emu.add_task("djvu2pdf", with));
  REQUIRE_FALSE(a.r);
  CHECK(a.r.error().kind() == error_kind::task_failed);
  CHECK(a.r.error().service_messages() == std::vector<std::string>{"page 3 is blank"});
  emulation::task_spec without;
  without.outcome = emulation::processed::failed({});
  auto b = fetch_with(emu, std::nullopt, opts, emu.add_task("djvu2pdf", without));
  REQUIRE_FALSE(b.r);
  CHECK(b.r.error().kind() == error_kind::task_failed);
  auto c = fetch_with(emu, std::nullopt, opts, "no-such-id");
  REQUIRE_FALSE(c.r);
  CHECK(c.r.error().kind() == error_kind::not_found);
}

TEST_CASE("401 once is refreshed; 401 always and wrong credentials are auth errors") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto opts = client_options(emu);
  CHECK(fetch_with(emu, make(kind::revoke_token), opts).r);
  auto always = fetch_with(emu, make(kind::revoke_token, 0), opts);
  REQUIRE_FALSE(always.r);
  CHECK(always.r.error().kind() == error_kind::auth);
  auto wrong = fetch_with(emu, std::nullopt, options(opts).credentials("demo-client", "nope"));
  REQUIRE_FALSE(wrong.r);
  CHECK(wrong.r.error().kind() == error_kind::auth);
  CHECK(wrong.r.error().message().find("nope") == std::string::npos);
}

TEST_CASE("a slow token endpoint: waited for within the deadline, cut at it") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  fault slow = make(kind::delay);
  slow.on = emulation::target::token;
  slow.stall = 500ms;
  auto ok = fetch_with(emu, slow, client_options(emu));
  REQUIRE(ok.r);
  CHECK(ok.took >= 450ms);
  slow.stall = 5s;
  slow.times = 0;
  auto cut = fetch_with(emu, slow, client_options(emu).deadline(1s));
  REQUIRE_FALSE(cut.r);
  CHECK(cut.r.error().kind() == error_kind::deadline_exceeded);
  CHECK(cut.took < 2500ms);
}

TEST_CASE("wrong shapes and bad base64 of every kind, over loopback") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto opts = client_options(emu);
  const std::string ok = detail::base64_encode(pdf_of(100));
  for (std::string body : {
           std::string(R"({"taskStatus":"Completed","results":{"data":")") + ok +
               R"("}})", // not a list
           std::string(
               R"({"taskStatus":"Completed","results":[{"type":"Pdf","data":5}]})"), // data not a
                                                                                     // string
           std::string(R"({"taskStatus":"Completed","results":[{"type":"Pdf","data":null}]})"),
           std::string(R"({"taskStatus":"Completed","results":[{"type":"Pdf"}]})"), // data missing
           std::string(R"({"taskStatus":"Completed","results":null})"), // done, no results
           std::string(R"({"results":[{"data":")") + ok + R"("}]})",    // no status
           std::string(R"({"taskStatus":null})"),
           std::string(R"({"taskStatus":"Completed","TaskStatus":"Error"})"), // duplicate keys
           std::string(R"({"taskStatus":"Completed","results":[{"data":")") + ok +
               R"(","data":"")" + "}]}",
           std::string(
               R"({"taskStatus":"Completed","results":[{"data":"JVBERi0x!"}]})"), // bad character
           std::string(
               R"({"taskStatus":"Completed","results":[{"data":"JVBERi0"}]})"), // bad length
           std::string(
               R"({"taskStatus":"Completed","results":[{"data":"JVBERi0=x==="}]})"), // bad padding
           std::string(R"({"taskStatus":"Completed","error":{"messages":5}})"),
       }) {
    fault raw = make(kind::raw_answer);
    raw.body = body;
    auto o = fetch_with(emu, raw, opts);
    REQUIRE_FALSE_MESSAGE(o.r, body);
    CHECK_MESSAGE(o.r.error().kind() == error_kind::malformed_response, body);
    CHECK(o.files == 0);
  }
}
