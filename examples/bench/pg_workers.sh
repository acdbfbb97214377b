#!/usr/bin/env bash
# Several `taskfetch run` workers on one PostgreSQL journal against the
# emulator: issue 21's "Done when" scenarios (docs/BENCHMARKS.md, "Many
# workers, one PostgreSQL"). Starts its own PostgreSQL (initdb + pg_ctl in a
# temporary folder, as user postgres when run as root, on 127.0.0.1 at a free
# port) and an emulator per scenario, prints figures and checks them; exits 1
# when a criterion fails.
#
#   examples/bench/pg_workers.sh [CLI]             # scenarios a and b
#   examples/bench/pg_workers.sh [CLI] --bench BENCH [ARGS...]
#       # only the server: runs `BENCH journal --pg URI --cli CLI ARGS...`
#
# CLI defaults to build/dev/examples/taskfetch. Scenario a: 4 workers, 400
# inputs of 3 s tasks, 2 SIGKILLed 2 s in, --lease 5 (LEASE=); the survivors
# exit 0, every input has one result file and one done row in
# taskfetch_results, at most 440 submissions. Scenario b: 4 workers, 500 tasks
# of 2 s, the emulator allows 100 requests/s in all: at most 10% answered 429.
# SCENARIOS="a b" picks them.
set -euo pipefail
cli=$(realpath "${1:-build/dev/examples/taskfetch}")
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/../.." && pwd)
LEASE=${LEASE:-5} SCENARIOS=${SCENARIOS:-a b}
tmp=$(mktemp -d /tmp/taskfetch-pgbench.XXXXXX)
chmod 755 "$tmp"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
emu_pid=
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; fi
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgport=$(free_port)
mkdir -p "$tmp/pg"
if [ ${#as_pg[@]} != 0 ]; then chown postgres "$tmp/pg"; fi
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg/data" -A trust -U taskfetch >/dev/null
# fsync stays on: the journal's commits cost what they cost on a real server.
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -k $tmp/pg -c fsync=on" start >/dev/null
uri="postgresql://taskfetch@127.0.0.1:$pgport/postgres"

if [ "${1:-}" = --bench ]; then
  bench=$(realpath "$2")
  shift 2
  "$bench" journal --pg "$uri" --cli "$cli" "$@"
  exit $?
fi

# start_emulator TASK_MS RATE_LIMIT LOG: exports TASKFETCH_BASE_URL & co.
start_emulator() {
  local args=(--port 0 --task-ms "$1" --log "$3" --threads 32)
  [ "$2" = 0 ] || args+=(--rate-limit "$2")
  "$cli" emulate "${args[@]}" >"$3.out" 2>&1 &
  emu_pid=$!
  for _ in $(seq 100); do grep -q TASKFETCH_BASE_URL "$3.out" && break; sleep 0.1; done
  # shellcheck disable=SC2046
  export $(grep -o 'TASKFETCH_[A-Z_]*=[^ ]*' "$3.out")
}
stop_emulator() {
  kill "$emu_pid" 2>/dev/null || true
  wait "$emu_pid" 2>/dev/null || true
  emu_pid=
}

failed=0
# scenario NAME N TASK_MS WORKERS KILL KILL_AT RATE_LIMIT MAX_SUBMITS MAX_429_SHARE
scenario() {
  local name=$1 n=$2 task_ms=$3 workers=$4 kill=$5 kill_at=$6 rate_limit=$7
  local max_submits=$8 max_share=$9
  local d="$tmp/$name"
  mkdir -p "$d/in" "$d/out"
  for i in $(seq "$n"); do cp "$root/examples/data/table.png" "$d/in/s$i.png"; done
  start_emulator "$task_ms" "$rate_limit" "$d/emu.log"
  local args=(run recognize-table --inputs "$d/in" --out-dir "$d/out" --journal "$uri"
    --lease "$LEASE" --batch "$name")
  local start end killed_at=0 pids=() codes=()
  start=$(date +%s.%N)
  for w in $(seq "$workers"); do
    "$cli" "${args[@]}" --worker "$name-w$w" >"$d/w$w.out" 2>"$d/w$w.err" &
    pids+=($!)
  done
  if [ "$kill" -gt 0 ]; then
    sleep "$kill_at"
    killed_at=$(date +%s.%N)
    for w in $(seq "$kill"); do kill -9 "${pids[$((w - 1))]}"; done
  fi
  for w in $(seq "$workers"); do
    local c=0
    wait "${pids[$((w - 1))]}" || c=$?
    codes+=("$c")
  done
  end=$(date +%s.%N)
  stop_emulator
  local rows dups files
  rows=$("$pgbin/psql" -At "$uri" -c "select count(*) from taskfetch_results where batch = '$name' and state = 'done'")
  # Inputs with several done rows (none can be: the key is (batch, input)).
  dups=$("$pgbin/psql" -At "$uri" -c "select count(*) from (select input from taskfetch_results where batch = '$name' and state = 'done' group by input having count(*) > 1) d")
  files=$(find "$d/out" -maxdepth 1 -name '*.csv' | wc -l)
  echo "## scenario $name: $workers workers, $n inputs x $((task_ms / 1000)) s tasks, $kill SIGKILLed ${kill_at} s in, --lease $LEASE, emulator --rate-limit $rate_limit"
  python3 - "$d/emu.log" "$start" "$end" "$killed_at" "$n" "$rows" "$files" "${codes[*]}" \
    "$kill" "$dups" "$max_submits" "$max_share" <<'PY' || failed=1
import json, sys
log, start, end, killed, n, rows, files, codes, nkill, dups, max_sub, max_share = sys.argv[1:]
start, end, killed, n, nkill = float(start), float(end), float(killed), int(n), int(nkill)
reqs = [json.loads(l) for l in open(log)]
submits = sum(1 for r in reqs if r["kind"] == "submit" and r["status"] == 200)
throttled = sum(1 for r in reqs if r["status"] == 429)
print(f"workers' exit codes (first {nkill} SIGKILLed): {codes}")
print(f"wall {end - start:.1f} s   inputs {n}   done rows {rows}   result files {files}   "
      f"inputs with several done rows {dups}")
print(f"accepted submissions {submits} ({submits / n:.2f} per input)   requests {len(reqs)} "
      f"({len(reqs) / n:.2f} per task)")
print(f"429 answers {throttled} ({100 * throttled / max(1, len(reqs)):.1f}% of requests)")
if killed:
    k = killed * 1000
    before, after = {}, {}
    for r in reqs:
        t, task = r["time_ms"], r["task"]
        if not task: continue
        if t < k: before[task] = t
        elif task in before and task not in after: after[task] = t
    # The tasks silent longest after the kill were the dead workers'.
    gaps = sorted((after[t] - k) / 1000 for t in after)
    if gaps:
        print(f"death to pickup: worst {gaps[-1]:.1f} s (kill to a survivor's first request "
              f"for a task polled before the kill)")
    print(f"time to finish after the kill: {end - killed:.1f} s")
ok = True
def check(what, good):
    global ok
    print(f"  {'met' if good else 'MISSED'}: {what}")
    ok = ok and good
check("the workers not killed exit 0", all(c == "0" for c in codes.split()[nkill:]))
check(f"{n} done rows in taskfetch_results, none twice", int(rows) == n and int(dups) == 0)
check(f"{n} result files", int(files) == n)
if int(max_sub):
    check(f"at most {max_sub} submissions", submits <= int(max_sub))
if float(max_share):
    check(f"at most {100 * float(max_share):g}% of requests answered 429",
          throttled <= float(max_share) * len(reqs))
sys.exit(0 if ok else 1)
PY
  echo
}

for s in $SCENARIOS; do
  case $s in
  a) scenario a 400 3000 4 2 2 0 440 0 ;;
  b) scenario b 500 2000 4 0 0 100 0 0.10 ;;
  *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done
if [ "$failed" != 0 ]; then echo "some criterion MISSED"; exit 1; fi
echo "every criterion met"
