#include "fetch.hpp"

#include "batch_common.hpp"
#include "endpoints.hpp"
#include "exit_codes.hpp"
#include "files.hpp"
#include "interrupt.hpp"

#include <taskfetch/batch/fetch_batch.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/detail/posix_file.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace taskfetch::cli {

namespace {

/// fetch ENDPOINT TASK_ID [-o FILE] [--sync]
template <class E> int fetch_one(session &s, const args &a, const std::string &id) {
  refuse_omr_options<E>(a);
  cli_client api(s.opts);
  auto co = s.out.hooks("task " + id);
  interrupt_watch interrupt(co);
  const auto failed = [&](const error &e) {
    return interrupt.exit_code(report(s.out, "fetch " + id, e));
  };
  if (auto path = a.value("-o")) {
    auto r = api.template fetch<E>(id, decoders::to_file{*path, file_durability(a)}, co);
    if (!r) return failed(r.error());
    s.out.done();
    s.out.debug("wrote " + std::to_string(r->size) + " bytes to " + *path);
    return int(exit_ok);
  }
  // stdout cannot take bytes back, so the result is held until it is whole.
  auto r = api.template fetch<E>(id, decoders::bytes{}, co);
  if (!r) return failed(r.error());
  s.out.done();
  if (auto w = write_stdout(*r); !w) return report(s.out, "fetch " + id, w.error());
  return int(exit_ok);
}

/// fetch ENDPOINT --ids FILE --out-dir DIR [--jobs N] [--max-outstanding N] [--rate R] [--sync]
template <class E> int fetch_batch_cmd(session &s, const args &a) {
  auto ids = read_ids(*a.value("--ids"));
  auto dir = a.value("--out-dir");
  if (!dir) throw usage_error{"--ids needs --out-dir DIR"};
  make_out_dir(*dir);
  batch_options bo = batch_bounds(s, a);
  bo.on_progress = s.out.batch_line(ids.size());
  interrupt_watch interrupt(bo.per_task);
  cli_client api(s.opts);
  const std::string ext = extension_of<E>(a);
  std::vector<error_kind> kinds;
  std::string out_line;
  auto sum = fetch_batch<E>(
      api, ids,
      [&](std::size_t, const std::string &id) {
        // With --sync, one syncfs at the end instead of two fsyncs per file.
        return decoders::to_file{std::filesystem::path(*dir) / (safe_file_stem(id) + "." + ext),
                                 durability::unsynced};
      },
      [&](std::size_t, const std::string &id, const auto &r) {
        out_line.clear();
        if (r) {
          out_line = id + "\tok\t" + r->path.string() + "\t" + std::to_string(r->size) + "\n";
        } else {
          kinds.push_back(r.error().kind());
          out_line = id + "\t" + std::string(to_string(r.error().kind())) + "\t" +
                     r.error().message() + "\n";
        }
        s.out.erase_line();
        std::fwrite(out_line.data(), 1, out_line.size(), stdout);
      },
      bo);
  std::fflush(stdout);
  s.out.done();
  if (a.flag("--sync")) {
    const int fd = detail::open_file(*dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || ::syncfs(fd) != 0) {
      const int e = errno;
      if (fd >= 0) (void)detail::close_file(fd);
      return report(s.out, "fetch", detail::io_error("cannot sync --out-dir " + *dir, e));
    }
    (void)detail::close_file(fd);
  }
  const std::size_t interrupted = interrupted_of(kinds);
  s.out.note("batch: " + std::to_string(sum.done) + " done, " +
             std::to_string(sum.failed - std::min(sum.failed, interrupted)) + " failed" +
             (interrupted ? ", " + std::to_string(interrupted) + " interrupted" : std::string()));
  if (interrupt.fired()) return exit_interrupted;
  return batch_exit(sum.done, sum.failed, kinds);
}

} // namespace

int cmd_fetch(session &s, const args &a) {
  if (a.positional.empty()) throw usage_error{"fetch needs ENDPOINT"};
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    if (a.value("--ids")) {
      require_positional(a, 1, "fetch ENDPOINT --ids FILE takes no TASK_ID");
      return fetch_batch_cmd<E>(s, a);
    }
    require_positional(a, 2, "fetch needs ENDPOINT TASK_ID");
    return fetch_one<E>(s, a, a.positional[1]);
  });
}

} // namespace taskfetch::cli
