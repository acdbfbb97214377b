// Unit-test your own code against the emulator: script the service's
// behaviour (slow tasks, 503s with Retry-After, failures) and check how your
// code copes, offline and deterministic.
// Expected output, checked by expected/test_your_code.regex:
//   ok: survives two 503s
//   ok: reports the service's message: the scan is blank
#include <taskfetch/emulator/emulator.hpp>
#include <taskfetch/taskfetch.hpp>

#include <cstdio>

// The code under test: what your application does with a task id.
static std::string summarize(taskfetch::client &api, const std::string &id) {
  auto t = api.fetch<taskfetch::endpoints::recognize_table>(id);
  if (!t) {
    const auto &m = t.error().service_messages();
    return m.empty() ? std::string(to_string(t.error().kind())) : m.front();
  }
  return std::to_string(t->rows.size()) + " rows";
}

static int check(bool ok, const char *what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  return ok ? 0 : 1;
}

int main() {
  taskfetch::emulation::emulator emu;
  if (!emu.start()) return 1;
  taskfetch::client api{taskfetch::options{}
                            .base_url(emu.base_url())
                            .credentials(emu.config().client_id, emu.config().client_secret)};
  int failures = 0;

  // The service stumbles twice (503, retry after 0 s), then answers.
  taskfetch::emulation::task_spec table;
  table.outcome = taskfetch::emulation::processed::completed("Csv", "0,1\nTotal,26.20\n");
  const auto good = emu.add_task("recognize-table", table);
  taskfetch::emulation::fault busy;
  busy.status = 503;
  busy.retry_after = "0";
  busy.times = 2;
  busy.task_id = good;
  emu.inject(busy);
  failures += check(summarize(api, good) == "2 rows", "survives two 503s");

  // The task fails: your code shows the service's own message.
  taskfetch::emulation::task_spec bad;
  bad.outcome = taskfetch::emulation::processed::failed({"the scan is blank"});
  std::string msg = summarize(api, emu.add_task("recognize-table", bad));
  failures += check(msg == "the scan is blank", ("reports the service's message: " + msg).c_str());
  return failures;
}
