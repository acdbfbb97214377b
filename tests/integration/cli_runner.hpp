// Runs the built taskfetch binary as a child process (no shell), with its
// output captured to files, so tests see exit codes exactly as scripts do.
#pragma once

#include "support.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace it {

struct cli_result {
  int code = -1;
  std::string out, err;
};

/// Starts the CLI with @p args; stdout/stderr go to @p out / @p err. A
/// @p launcher (a program and its arguments) runs the CLI instead, given
/// its path and @p args after its own.
inline pid_t spawn_cli(const std::vector<std::string> &args, const fs::path &out,
                       const fs::path &err, const std::vector<std::string> &launcher = {}) {
  std::vector<std::string> all = launcher;
  all.push_back(TASKFETCH_CLI_PATH);
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &a : all) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  // p: a launcher is found on PATH (the CLI's own path is absolute).
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return pid;
}

inline int wait_exit(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/// Runs the CLI to completion (through @p launcher, if given).
inline cli_result run_cli(const std::vector<std::string> &args,
                          const std::vector<std::string> &launcher = {}) {
  temp_dir tmp;
  const pid_t pid = spawn_cli(args, tmp.path / "out", tmp.path / "err", launcher);
  cli_result r;
  r.code = wait_exit(pid);
  r.out = slurp(tmp.path / "out");
  r.err = slurp(tmp.path / "err");
  return r;
}

/// The URL a `taskfetch emulate` child prints to @p out once it listens
/// ("" if it never does): a short real wait, polling the file.
inline std::string wait_for_url(const fs::path &out) {
  for (int i = 0; i < 1000; ++i) {
    const std::string text = slurp(out);
    const auto at = text.find("listening on ");
    const auto nl = text.find('\n', at);
    if (at != std::string::npos && nl != std::string::npos)
      return text.substr(at + 13, nl - at - 13);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

/// --base-url and credentials for @p emu.
inline std::vector<std::string> against(const emulator &emu, std::vector<std::string> args) {
  args.insert(args.end(), {"--base-url", emu.base_url(), "--client-id", emu.config().client_id,
                           "--client-secret", emu.config().client_secret});
  return args;
}

} // namespace it
