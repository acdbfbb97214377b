#!/usr/bin/env python3
"""What including taskfetch costs a user's build (issue 23, docs/BENCHMARKS.md).

Writes three small translation units and compiles each with the same flags,
alternately, --runs times (so a busy machine slows them all alike):

  floor     cpp-httplib's client and nlohmann::json used once (a GET, a
            parse): what the dependencies cost on their own
  one-fetch includes <taskfetch/taskfetch.hpp> and makes one fetch of a
            recognised table with taskfetch::client (header-only mode)
  compiled  the same file with -DTASKFETCH_COMPILED_LIB and the same -I
            flags: the file sees the compiled client's declarations only
            (include/taskfetch/compiled/client.hpp); the library's code is
            compiled once, by the build of taskfetch::compiled, and is not
            counted here (skipped if the tree has no compiled mode)

and prints the median wall and CPU (user + system) time of each, the least
CPU time, and their ratios to the floor's. CPU time is the steadier figure on
a shared machine: wall time also counts waiting for a core; the least CPU
time is the one a busy neighbour disturbed least. --headers instead compiles one file per
public header (`#include <h>` alone, -fsyntax-only) and prints their costs.

  examples/bench/compile_time.py [--runs 5] [--cxx g++] [--check 1.5]
  examples/bench/compile_time.py --headers [--runs 3]

--stages adds rows between: the two dependencies' headers included and not
used, <taskfetch/taskfetch.hpp> included and not used, and a client made but
no fetch, so the differences say where one-fetch's time goes.

--before REV adds a row: the one-fetch file against include/ as it was at
git revision REV, compiled in the same rounds (a cut's before and after).

--check R exits 1 when one-fetch's median CPU time is above R times the
floor's. CXXFLAGS (default -std=c++17 -O2) and CXX are read from the
environment too.
"""
import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FLOOR = r"""// The dependencies' floor: cpp-httplib's client and nlohmann::json once.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

int main() {
  httplib::Client cli("https://api.aspose.cloud");
  cli.set_bearer_token_auth("token");
  auto res = cli.Get("/v5.0/ocr/RecognizeTable/result?id=task-id");
  if (!res || res->status != 200) return 1;
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return 1;
  std::printf("%s\n", j.value("taskStatus", std::string()).c_str());
  return 0;
}
"""

ONE_FETCH = r"""// One fetch through taskfetch's default client.
#include <taskfetch/taskfetch.hpp>

#include <cstdio>

int main() {
  taskfetch::client api{taskfetch::options{}.credentials("id", "secret")};
  auto table = api.fetch<taskfetch::endpoints::recognize_table>("task-id");
  if (!table) {
    std::fprintf(stderr, "%s\n", table.error().message().c_str());
    return 1;
  }
  std::printf("%zu rows\n", table->rows.size());
  return 0;
}
"""

# --stages: the one-fetch file built up step by step, each step a file.
STAGES = [
    ("deps", "#include <httplib.h>\n#include <nlohmann/json.hpp>\nint main() { return 0; }\n"),
    ("umbrella", "#include <taskfetch/taskfetch.hpp>\nint main() { return 0; }\n"),
    ("client", r"""#include <taskfetch/taskfetch.hpp>
int main() {
  taskfetch::client api{taskfetch::options{}.credentials("id", "secret")};
  return api.config().deadline().count() == 0;
}
"""),
]


def pkg_cflags():
    out = subprocess.run(["pkg-config", "--cflags", "cpp-httplib", "nlohmann_json"],
                         capture_output=True, text=True, check=True).stdout
    return shlex.split(out)


def compile_once(cmd):
    """Runs one compile; answers (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(" ".join(cmd) + "\n" + proc.stderr)
        sys.exit(2)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def has_compiled_mode():
    return os.path.exists(os.path.join(ROOT, "include/taskfetch/compiled/client.hpp"))


def load():
    return "%.2f %.2f %.2f" % os.getloadavg()


def bench_files(args, cxx, flags, tmp):
    files = [("floor", FLOOR, []), ("one-fetch", ONE_FETCH, [])]
    if args.stages:
        files[1:1] = [(name, text, []) for name, text in STAGES]
    if args.before:
        old = os.path.join(tmp, "before")
        os.mkdir(old)
        archive = subprocess.run(["git", "-C", ROOT, "archive", args.before, "include"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        # Found before the current tree's include/, which comes later in flags.
        files.append(("before", ONE_FETCH, ["-I" + os.path.join(old, "include")]))
    if has_compiled_mode():
        files.append(("compiled", ONE_FETCH, ["-DTASKFETCH_COMPILED_LIB"]))
    cmds = {}
    for name, text, extra in files:
        src = os.path.join(tmp, name.replace("-", "_") + ".cpp")
        with open(src, "w") as f:
            f.write(text)
        cmds[name] = [cxx] + extra + flags + ["-c", src, "-o", src + ".o"]
    print("compiler: %s (%s)" % (cxx, subprocess.run([cxx, "--version"], capture_output=True,
                                                      text=True).stdout.splitlines()[0]))
    print("command:  %s ... -c FILE.cpp" % " ".join([cxx] + flags))
    print("cores: %d, load average at start: %s" % (os.cpu_count(), load()))
    times = {name: [] for name in cmds}
    for r in range(args.runs):
        for name, cmd in cmds.items():
            times[name].append(compile_once(cmd))
        if args.verbose:
            print("round %d: %s" % (r + 1, ", ".join(
                "%s %.2f/%.2f" % (n, t[-1][0], t[-1][1]) for n, t in times.items())))
    print("load average at end: %s" % load())
    floor_wall = statistics.median(t[0] for t in times["floor"])
    floor_cpu = statistics.median(t[1] for t in times["floor"])
    floor_min = min(t[1] for t in times["floor"])
    print("\n%-10s %8s %8s %8s %8s %8s %8s  (seconds; medians of %d and the least CPU)" %
          ("file", "wall", "x floor", "cpu", "x floor", "min cpu", "x floor", args.runs))
    for name, t in times.items():
        wall = statistics.median(x[0] for x in t)
        cpu = statistics.median(x[1] for x in t)
        low = min(x[1] for x in t)
        print("%-10s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f" %
              (name, wall, wall / floor_wall, cpu, cpu / floor_cpu, low, low / floor_min))
    if args.before:
        now = statistics.median(x[1] for x in times["one-fetch"])
        was = statistics.median(x[1] for x in times["before"])
        print("\none-fetch against %s: %.2f s CPU, now %.2f s (%+.1f%%)" %
              (args.before, was, now, 100 * (now - was) / was))
    if "compiled" in times:
        now = statistics.median(x[1] for x in times["compiled"])
        full = statistics.median(x[1] for x in times["one-fetch"])
        print("\ncompiled mode: %.2f s CPU, %.2fx the floor, %.1f times less than one-fetch" %
              (now, now / floor_cpu, full / now))
    if args.check:
        ratio = statistics.median(x[1] for x in times["one-fetch"]) / floor_cpu
        verdict = "met" if ratio <= args.check else "NOT met"
        print("\none-fetch within %.2fx of the floor (CPU): %s (%.2fx)" %
              (args.check, verdict, ratio))
        return 0 if ratio <= args.check else 1
    return 0


def bench_headers(args, cxx, flags, tmp):
    base = os.path.join(ROOT, "include")
    headers = []
    for d, _, names in os.walk(os.path.join(base, "taskfetch")):
        for n in names:
            if n.endswith(".hpp"):
                headers.append(os.path.relpath(os.path.join(d, n), base))
    headers.sort()
    # The optional dependencies' headers need their packages' include paths.
    extra = []
    for pkg in ("libcurl", "libpq"):
        p = subprocess.run(["pkg-config", "--cflags", pkg], capture_output=True, text=True)
        if p.returncode == 0:
            extra += shlex.split(p.stdout)
    floor_src = os.path.join(tmp, "empty.cpp")
    with open(floor_src, "w") as f:
        f.write("#include <httplib.h>\n#include <nlohmann/json.hpp>\n")
    cmds = {"<httplib.h> + <nlohmann/json.hpp>": [cxx] + flags + ["-fsyntax-only", floor_src]}
    for h in headers:
        src = os.path.join(tmp, h.replace("/", "_") + ".cpp")
        with open(src, "w") as f:
            f.write("#include <%s>\n" % h)
        cmds[h] = [cxx] + flags + extra + ["-fsyntax-only", src]
    print("command: %s -fsyntax-only FILE.cpp (FILE: #include <h>)" % " ".join([cxx] + flags))
    print("cores: %d, load average at start: %s" % (os.cpu_count(), load()))
    times = {h: [] for h in cmds}
    for _ in range(args.runs):
        for h, cmd in cmds.items():
            times[h].append(compile_once(cmd)[1])
    print("load average at end: %s\n" % load())
    print("%-45s %8s  (median CPU seconds of %d)" % ("header", "cpu", args.runs))
    for h in sorted(cmds, key=lambda h: -statistics.median(times[h])):
        print("%-45s %8.2f" % (h, statistics.median(times[h])))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    ap.add_argument("--check", type=float, default=0.0,
                    help="exit 1 if one-fetch's CPU time is above this many floors")
    ap.add_argument("--headers", action="store_true", help="the cost of each public header")
    ap.add_argument("--stages", action="store_true",
                    help="also the one-fetch file's steps: the dependencies' headers alone, "
                    "taskfetch.hpp alone, a client made")
    ap.add_argument("--before", metavar="REV", help="also one-fetch against include/ at git REV")
    ap.add_argument("--verbose", action="store_true", help="print every round")
    args = ap.parse_args()
    flags = shlex.split(os.environ.get("CXXFLAGS", "-std=c++17 -O2"))
    flags += ["-I" + os.path.join(ROOT, "include")] + pkg_cflags()
    with tempfile.TemporaryDirectory(prefix="taskfetch-compile-") as tmp:
        if args.headers:
            return bench_headers(args, args.cxx, flags, tmp)
        return bench_files(args, args.cxx, flags, tmp)


if __name__ == "__main__":
    sys.exit(main())
