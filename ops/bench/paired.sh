#!/usr/bin/env bash
# Drover's and HAProxy's CPU per request, measured with both proxies loaded at the same time, so that
# a shared host's speed drift (up to 40% for 10-40 s at a time here) hits both alike and the per-round
# ratio holds still (interquartile +-1-2%, against +-8% for alternating rounds). See ops/bench/README.md.
#
#   ops/bench/paired.sh RUN_DIR [--mode close|rate] [--rounds N] [--seconds S] [--rate R] [--path P]
#
# RUN_DIR is a folder that ops/bench/run.sh left (ops/bench/results/run-*): its backend nginx,
# haproxy.cfg and drover.hocon are reused, ports included. Drover runs with io.busy-poll = 0: two
# processes share CPU 0 here, and a polling loop would take the other one's time.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CPU_PROXY=${BENCH_CPU_PROXY:-0}
CPU_LOAD=${BENCH_CPU_LOAD:-1}
CPU_BACKEND=${BENCH_CPU_BACKEND:-1}

usage() {
  cat <<EOF
usage: ops/bench/paired.sh RUN_DIR [options]
  --mode close|rate  close: each proxy gets its own wrk -c16 with "Connection: close" (a new
                     connection per request, closed loop); rate: its own h2load --h1 -c32 at
                     --rate req/s (keep-alive, open loop). Default: close
  --rounds N         measured rounds (default 8), after one unmeasured round
  --seconds S        seconds per round (default 5)
  --rate R           req/s per proxy in rate mode (default 10000)
  --path P           request path (default /1k)
EOF
}

die() { echo "paired.sh: $*" >&2; exit 1; }

RUN_DIR=""; MODE=close; ROUNDS=8; SECS=5; RATE=10000; URL_PATH=/1k
while (($#)); do
  case "$1" in
    --mode) MODE="${2:?--mode needs close or rate}"; shift ;;
    --rounds) ROUNDS="${2:?--rounds needs a number}"; shift ;;
    --seconds) SECS="${2:?--seconds needs a number}"; shift ;;
    --rate) RATE="${2:?--rate needs a number}"; shift ;;
    --path) URL_PATH="${2:?--path needs a path}"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) [[ -z $RUN_DIR ]] || die "one RUN_DIR only (got $RUN_DIR and $1)"; RUN_DIR=$1 ;;
  esac
  shift
done
[[ -n $RUN_DIR ]] || { usage >&2; die "RUN_DIR missing"; }
[[ $MODE == close || $MODE == rate ]] || die "--mode must be close or rate, not $MODE"
for n in "$ROUNDS" "$SECS" "$RATE"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive whole number: $n"; done
((RATE >= 32)) || die "--rate must be at least 32 (h2load runs 32 connections at a whole number of req/s each)"
[[ $URL_PATH == /* ]] || die "--path must start with /: $URL_PATH"
[[ -d $RUN_DIR ]] || die "no such folder: $RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
for f in backend/nginx.conf haproxy.cfg drover.hocon; do [[ -f $RUN_DIR/$f ]] || die "$RUN_DIR/$f missing: not a run.sh folder?"; done
for tool in nginx haproxy wrk h2load taskset python3 curl; do command -v "$tool" >/dev/null || die "$tool not found (ops/bench/run.sh installs it)"; done
DLL=$(ls -t "$REPO_ROOT"/src/Drover.Node/bin/Release/net*/Drover.Node.dll 2>/dev/null | head -1 || true)
[[ -n $DLL ]] || die "no Release build: dotnet build -c Release src/Drover.Node"

# The plain HTTP listeners of that run: Drover's "web", HAProxy's "frontend web".
P_DROVER=$(sed -n 's/.*web *{ *mode = http, bind = "127.0.0.1:\([0-9]*\)".*/\1/p' "$RUN_DIR/drover.hocon" | head -1)
P_HAPROXY=$(awk '/^frontend web$/{f=1} f && /bind 127.0.0.1:/{sub(/.*:/, ""); print; exit}' "$RUN_DIR/haproxy.cfg")
[[ -n $P_DROVER && -n $P_HAPROXY ]] || die "could not find the web listeners' ports in $RUN_DIR"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$P_DROVER" "$P_HAPROXY"; do port_free "$p" || die "port $p is in use: is a run.sh or another proxy still running?"; done

# The backend, unless this run's is still up.
backend_port=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\).*/\1/p' "$RUN_DIR/backend/nginx.conf" | head -1)
if port_free "$backend_port"; then
  taskset -c "$CPU_BACKEND" nginx -c "$RUN_DIR/backend/nginx.conf" >"$WORK/backend.log" 2>&1 &
  PIDS+=($!)
fi
cp "$RUN_DIR/drover.hocon" "$WORK/drover.hocon"
echo "drover.io.busy-poll = 0" >>"$WORK/drover.hocon"
env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 DOTNET_TieredPGO=1 taskset -c "$CPU_PROXY" dotnet "$DLL" --config "$WORK/drover.hocon" >"$WORK/drover.log" 2>&1 &
PIDS+=($!); PID_DROVER=$!
taskset -c "$CPU_PROXY" haproxy -db -f "$RUN_DIR/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!); PID_HAPROXY=$!

for p in "$P_DROVER" "$P_HAPROXY"; do
  for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$p$URL_PATH" && continue 2; sleep 0.2; done
  die "nothing answers on 127.0.0.1:$p (logs: $WORK)"
done

# load PORT OUT: one round's load on one proxy
load() {
  if [[ $MODE == close ]]; then
    taskset -c "$CPU_LOAD" wrk -t1 -c16 -d"${SECS}s" -H "Connection: close" "http://127.0.0.1:$1$URL_PATH" >"$2" 2>&1
  else
    taskset -c "$CPU_LOAD" h2load --h1 -t1 -c32 --rps=$((RATE / 32)) -D "$SECS" "http://127.0.0.1:$1$URL_PATH" >"$2" 2>&1
  fi
}
served() {
  if [[ $MODE == close ]]; then awk '/requests in/{print $1}' "$1"; else awk '/^requests:/{print $8}' "$1"; fi
}
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

echo "warming up: 10 s of keep-alive wrk on each, then one unmeasured round" >&2
for p in "$P_DROVER" "$P_HAPROXY"; do taskset -c "$CPU_LOAD" wrk -t1 -c64 -d10s "http://127.0.0.1:$p$URL_PATH" >/dev/null; done
TICK=$(getconf CLK_TCK)
: >"$WORK/rounds"
for ((r = 0; r <= ROUNDS; r++)); do
  read -r du0 ds0 < <(ticks "$PID_DROVER"); read -r hu0 hs0 < <(ticks "$PID_HAPROXY")
  load "$P_DROVER" "$WORK/d.out" & l1=$!
  load "$P_HAPROXY" "$WORK/h.out" & l2=$!
  wait "$l1" "$l2"
  read -r du1 ds1 < <(ticks "$PID_DROVER"); read -r hu1 hs1 < <(ticks "$PID_HAPROXY")
  nd=$(served "$WORK/d.out"); nh=$(served "$WORK/h.out")
  [[ -n $nd && -n $nh && $nd -gt 0 && $nh -gt 0 ]] || die "round $r: a load generator failed: $(tail -2 "$WORK/d.out" "$WORK/h.out")"
  ((r > 0)) && echo "$r $nd $((du1 - du0)) $((ds1 - ds0)) $nh $((hu1 - hu0)) $((hs1 - hs0))" >>"$WORK/rounds"
done

python3 - "$WORK/rounds" "$TICK" "$MODE" "$SECS" <<'PY'
import statistics as st, sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1])]
tick = 1e6 / int(sys.argv[2])  # microseconds per clock tick
print("| round | Drover requests | Drover CPU/req (user) | HAProxy requests | HAProxy CPU/req (user) | ratio |")
print("|---:|---:|---:|---:|---:|---:|")
d, h, du, hu, ratio = [], [], [], [], []
for r, nd, dut, dst, nh, hut, hst in rows:
    dc, hc = (dut + dst) * tick / nd, (hut + hst) * tick / nh
    d.append(dc); h.append(hc); du.append(dut * tick / nd); hu.append(hut * tick / nh); ratio.append(dc / hc)
    print(f"| {r} | {nd} | {dc:.1f} µs ({du[-1]:.1f}) | {nh} | {hc:.1f} µs ({hu[-1]:.1f}) | {dc / hc:.3f} |")
q = st.quantiles(ratio, n=4) if len(ratio) > 1 else [ratio[0]] * 3
print()
print(f"{sys.argv[3]} mode, {len(rows)} rounds of {sys.argv[4]} s: median CPU per request Drover {st.median(d):.1f} µs "
      f"(user {st.median(du):.1f}), HAProxy {st.median(h):.1f} µs (user {st.median(hu):.1f}); "
      f"Drover/HAProxy paired ratio median {st.median(ratio):.3f}, interquartile {q[0]:.3f} to {q[2]:.3f}")
PY
