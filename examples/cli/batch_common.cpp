#include "batch_common.hpp"

#include "exit_codes.hpp"

#include <algorithm>

namespace taskfetch::cli {

batch_options batch_bounds(session &s, const args &a) {
  batch_options bo;
  bo.jobs = static_cast<std::size_t>(positive("--jobs", a.value("--jobs").value_or("8"), 256));
  bo.max_outstanding = static_cast<std::size_t>(
      positive("--max-outstanding", a.value("--max-outstanding").value_or("10000"), 10000000));
  bo.max_requests_per_second = static_cast<double>(
      positive("--rate", a.value("--rate").value_or("0"), 1000000, /*zero_ok=*/true));
  s.opts.max_connections(std::max<std::size_t>(s.opts.max_connections(), bo.jobs));
  bo.per_task.on_request = s.out.request_log();
  return bo;
}

poll_schedule schedule_option(const args &a) {
  const std::string v = a.value("--schedule").value_or("learning");
  if (v == "learning") return learning_schedule{};
  if (v == "standard") return {};
  throw usage_error{"--schedule must be learning or standard"};
}

std::size_t interrupted_of(const std::vector<error_kind> &kinds) {
  return static_cast<std::size_t>(std::count(kinds.begin(), kinds.end(), error_kind::cancelled));
}

int batch_exit(std::size_t succeeded, std::size_t failed, const std::vector<error_kind> &kinds) {
  if (failed == 0) return exit_ok;
  if (kinds.empty()) return exit_batch_failed;
  const error_kind k = kinds.front();
  const bool affects_all =
      k == error_kind::auth || k == error_kind::invalid_argument || k == error_kind::io;
  if (succeeded == 0 && affects_all &&
      std::all_of(kinds.begin(), kinds.end(), [&](error_kind f) { return f == k; }))
    return exit_for(k);
  return exit_batch_failed;
}

} // namespace taskfetch::cli
