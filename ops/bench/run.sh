#!/usr/bin/env bash
# Drover benchmark harness: Drover against no proxy ("direct"), HAProxy and nginx, same
# backend, same CPU pinning, same run. See ops/bench/README.md.
#
#   ops/bench/run.sh [--quick] [--only SCENARIOS] [--targets TARGETS] [--no-build] [--no-install] [--note TEXT]
#
# Writes ops/bench/results/latest.{md,json}; logs, configs and raw tool output go to
# ops/bench/results/run-<timestamp>/ (git-ignored).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
LIB="$SCRIPT_DIR/lib"
RESULTS_DIR="$SCRIPT_DIR/results"
# l4-memory last: it restarts every proxy, and a scenario after it would measure a process still in its
# first minute (the JIT tiering up: Drover's sticky p99 was 4 to 6 ms in its first rounds there, 2 to 3 later).
ALL_SCENARIOS=(l7-1k l7-64k l7-close l7-rate l4-throughput l4-connrate sticky l4-memory)
ALL_TARGETS=(direct drover haproxy nginx)
STARTED_AT=$(date +%s)
CMD_ARGS=()   # the command line as recorded in the results: a --note's text is shown under "Note"
prev=""
for a in "$@"; do
  if [[ $prev == --note ]]; then CMD_ARGS+=("<note>"); else CMD_ARGS+=("$a"); fi
  prev=$a
done
TOOLS=""
RATE_TOTAL=""

usage() {
  cat <<EOF
usage: ops/bench/run.sh [options]
  --quick            short runs, one round (whole run under 3 minutes)
  --only LIST        comma-separated scenarios: ${ALL_SCENARIOS[*]}
  --targets LIST     comma-separated targets: ${ALL_TARGETS[*]} (default: all)
  --no-build         use the existing Release build of src/Drover.Node
  --no-install       never apt-get install; fail if a tool is missing
  --note TEXT        a sentence to put at the top of latest.md (e.g. "busy machine")
environment:
  BENCH_CPU_PROXY (0), BENCH_CPU_LOAD (1), BENCH_CPU_BACKEND (1)   CPU pinning
  BENCH_DURATION, BENCH_ROUNDS          override the per-run seconds / rounds
  BENCH_MEM_CONNS (10000)               idle connections for l4-memory
  BENCH_RATE                            total req/s for l7-rate when HAProxy's l7-1k figure is unavailable
  BENCH_DROVER_ENV="K=V K=V"            extra environment for Drover (wins over the defaults)
  DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS, DOTNET_TieredPGO
                                        Drover defaults (1, 1) apply unless these are already set
EOF
}

QUICK=0; ONLY=""; TARGETS_ARG=""; DO_BUILD=1; DO_INSTALL=1; NOTE="${BENCH_NOTE:-}"
while (($#)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY="${2:?--only needs a list}"; shift ;;
    --only=*) ONLY="${1#--only=}" ;;
    --targets) TARGETS_ARG="${2:?--targets needs a list}"; shift ;;
    --targets=*) TARGETS_ARG="${1#--targets=}" ;;
    --no-build) DO_BUILD=0 ;;
    --no-install) DO_INSTALL=0 ;;
    --note) NOTE="${2:?--note needs a text}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

in_list() { local x=$1; shift; local y; for y in "$@"; do [[ $x == "$y" ]] && return 0; done; return 1; }

SCENARIOS=("${ALL_SCENARIOS[@]}")
if [[ -n $ONLY ]]; then
  IFS=, read -r -a ASKED <<<"$ONLY"
  for s in "${ASKED[@]}"; do
    in_list "$s" "${ALL_SCENARIOS[@]}" || { echo "run.sh: unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})" >&2; exit 2; }
  done
  # In the harness's order, not the list's: l4-memory restarts the proxies, so it stays last.
  SCENARIOS=()
  for s in "${ALL_SCENARIOS[@]}"; do in_list "$s" "${ASKED[@]}" && SCENARIOS+=("$s"); done
fi
TARGETS=("${ALL_TARGETS[@]}")
if [[ -n $TARGETS_ARG ]]; then
  IFS=, read -r -a TARGETS <<<"$TARGETS_ARG"
  for t in "${TARGETS[@]}"; do
    in_list "$t" "${ALL_TARGETS[@]}" || { echo "run.sh: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2; exit 2; }
  done
fi
want() { in_list "$1" "${SCENARIOS[@]}"; }
has_target() { in_list "$1" "${TARGETS[@]}"; }

# ---------------------------------------------------------------- parameters
CPU_PROXY=${BENCH_CPU_PROXY:-0}
CPU_LOAD=${BENCH_CPU_LOAD:-1}
CPU_BACKEND=${BENCH_CPU_BACKEND:-1}
CONNS=64            # wrk / h2load connections
AB_CONC=32          # ab concurrency (L4 connect rate)
if ((QUICK)); then
  # Under 3 minutes, build included: shorter sticky warm-up and iperf3 runs, a shorter settle for l4-memory.
  DUR=2; WARM=1; WARM_START=6; WARM_STICKY=2; WARM_CLOSE=2; WARM_RATE=1; ROUNDS=1; RATE_DUR=2; RATE_ROUNDS=1; IPERF_DUR=1; SETTLE=1
else
  # l7-rate: 6 rounds of 6 s rather than 3 of 15 s (same time): this host's per-CPU speed drifts by up
  # to 40% for 10-40 s at a time, and short alternating rounds spread that over every target.
  # The other scenarios: 5 rounds of 5 s (3 of 6 s until 2026-12-07): single closed-loop rounds move
  # by 5-10%, so a median of 3 could not tell a 5% difference (8 alternating rounds showed Drover
  # 5% ahead on 1 KiB keep-alive where runs of 3 gave 1.01 and 1.02).
  DUR=5; WARM=2; WARM_START=30; WARM_STICKY=30; WARM_CLOSE=20; WARM_RATE=10; ROUNDS=5; RATE_DUR=6; RATE_ROUNDS=6; IPERF_DUR=6; SETTLE=2
fi
DUR=${BENCH_DURATION:-$DUR}
ROUNDS=${BENCH_ROUNDS:-$ROUNDS}
[[ -n ${BENCH_ROUNDS:-} ]] && RATE_ROUNDS=$ROUNDS
MEM_CONNS_WANTED=${BENCH_MEM_CONNS:-10000}

# One run at a time: two runs would share the pinned CPUs, each loading the other's figures (a
# profiling script that did so once also killed the run's backend). The lock goes with the process.
mkdir -p "$RESULTS_DIR"
exec 9>"$RESULTS_DIR/.run.lock"
if command -v flock >/dev/null && ! flock -n 9; then
  echo "run.sh: another benchmark run is in progress (it holds $RESULTS_DIR/.run.lock); wait for it or stop it first" >&2
  exit 3
fi

RUN_ID="run-$(date +%Y%m%d-%H%M%S)"
RUN="$RESULTS_DIR/$RUN_ID"
mkdir -p "$RUN/logs"
SAMPLES="$RUN/samples.jsonl"
: >"$SAMPLES"
META=()            # key=value pairs for meta.json (see benchlib.py meta)

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$RUN/run.log" >&2; }
die() { log "ERROR: $*"; exit 1; }
bl() { "$PY" "$LIB/benchlib.py" "$@"; }
# The interpreter itself, not a version manager's shim: the harness calls python several times per
# figure, and a pyenv shim costs 0.3 s a call on an idle machine (seconds on a busy core).
PY=python3
resolve_python() {
  local p
  for p in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
    [[ -n $p && -x $p ]] && { PY=$p; return 0; }
  done
}

# ---------------------------------------------------------------- cleanup
declare -A PID_OF=()    # name -> pid of what we started
STOP_ORDER=()           # names, in start order (stopped in reverse)
REPORTED=0

stop_pid() {  # stop_pid NAME: TERM, up to 15 s, then KILL; only the pid we started
  local name=$1 pid=${PID_OF[$1]:-} i
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop after TERM; KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  unset "PID_OF[$name]"
}

cleanup() {
  local rc=$?
  trap - EXIT
  trap "" INT TERM   # finish stopping what we started even if signalled again
  local i name
  for ((i = ${#STOP_ORDER[@]} - 1; i >= 0; i--)); do
    name=${STOP_ORDER[i]}
    [[ -n ${PID_OF[$name]:-} ]] && stop_pid "$name"
  done
  if ((rc != 0)) && ((REPORTED == 0)) && [[ -s $SAMPLES ]]; then
    # partial results stay in the run folder only; latest.* is written by complete runs
    write_meta "interrupted or failed (exit $rc)" 2>/dev/null && "$PY" "$LIB/report.py" "$RUN" 2>/dev/null &&
      echo "partial results: $RUN/results.md" >&2
  fi
  ((rc != 0)) && echo "run.sh: failed (exit $rc); logs in $RUN" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# started NAME PID: remember a background process so it is stopped on exit
started() { PID_OF[$1]=$2; in_list "$1" "${STOP_ORDER[@]}" || STOP_ORDER+=("$1"); }

# wait_port PORT NAME [SECONDS]: until something accepts on 127.0.0.1:PORT, or NAME's process died
wait_port() {
  local port=$1 name=$2 secs=${3:-60} i pid=${PID_OF[$2]:-}
  for ((i = 0; i < secs * 10; i++)); do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- tools
ensure_tools() {
  local -a pkgs=()
  local pair cmd pkg
  for pair in haproxy:haproxy nginx:nginx wrk:wrk h2load:nghttp2-client iperf3:iperf3 ab:apache2-utils taskset:util-linux python3:python3; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || pkgs+=("$pkg")
  done
  # nginx's stream {} module: Debian builds it as a dynamic module shipped in libnginx-mod-stream.
  if command -v nginx >/dev/null 2>&1; then
    local v; v=$(nginx -V 2>&1)
    if [[ $v == *"--with-stream=dynamic"* ]]; then
      local modpath; modpath=$(grep -o -- '--modules-path=[^ ]*' <<<"$v" | cut -d= -f2); modpath=${modpath:-/usr/lib/nginx/modules}
      [[ -f $modpath/ngx_stream_module.so ]] || pkgs+=(libnginx-mod-stream)
    elif [[ $v != *"--with-stream"* ]]; then
      pkgs+=(libnginx-mod-stream)
    fi
  else
    pkgs+=(libnginx-mod-stream)
  fi
  ((${#pkgs[@]} == 0)) && return 0
  ((DO_INSTALL)) || die "missing: ${pkgs[*]} (run without --no-install, or: apt-get install -y ${pkgs[*]})"
  command -v apt-get >/dev/null 2>&1 || die "missing: ${pkgs[*]}, and no apt-get here: install them by hand"
  local sudo=""
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || die "missing: ${pkgs[*]}; need root (or passwordless sudo) to apt-get install them"
    sudo="sudo -n"
  fi
  log "installing: ${pkgs[*]}"
  { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${pkgs[@]}"; } >"$RUN/logs/apt.log" 2>&1 ||
    die "apt-get install ${pkgs[*]} failed; see $RUN/logs/apt.log"
}

nginx_stream_load_line() {
  local v; v=$(nginx -V 2>&1)
  if [[ $v == *"--with-stream=dynamic"* ]]; then
    local modpath; modpath=$(grep -o -- '--modules-path=[^ ]*' <<<"$v" | cut -d= -f2); modpath=${modpath:-/usr/lib/nginx/modules}
    [[ -f $modpath/ngx_stream_module.so ]] || die "nginx stream module missing: apt-get install libnginx-mod-stream (or nginx-full)"
    echo "load_module $modpath/ngx_stream_module.so;"
  fi
}

# ---------------------------------------------------------------- ports and limits
# The proxy holds two descriptors per proxied connection; the hard open-files limit may be
# below what 10,000 idle connections need (it cannot be raised without CAP_SYS_RESOURCE).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
[[ $NOFILE == unlimited ]] && NOFILE=1048576
MEM_CONNS=$MEM_CONNS_WANTED
if ((2 * MEM_CONNS + 1024 > NOFILE)); then
  MEM_CONNS=$(( (NOFILE - 1024) / 2 / 1000 * 1000 ))
fi
# HAProxy counts 2 descriptors per connection and 2 per splice pipe (maxpipes; its default, maxconn/4,
# would not fit): 128 pipes cover the 64 connections the HTTP scenarios keep busy.
HAP_MAXPIPES=128
HAP_MAXCONN=$(( (NOFILE - 256 - 2 * HAP_MAXPIPES) / 2 ))
NGX_WORKER_CONNS=$(( NOFILE - 64 ))

read -r P_BACKEND P_IPERF P_DROVER_HTTP P_DROVER_TCP P_DROVER_IPERF P_HAP_HTTP P_HAP_TCP P_HAP_IPERF P_NGX_HTTP P_NGX_TCP P_NGX_IPERF \
  P_DROVER_STICKY P_HAP_STICKY P_NGX_STICKY < <(bl ports 14)

http_port()  { case $1 in direct) echo "$P_BACKEND" ;; drover) echo "$P_DROVER_HTTP" ;; haproxy) echo "$P_HAP_HTTP" ;; nginx) echo "$P_NGX_HTTP" ;; esac; }
tcp_port()   { case $1 in direct) echo "$P_BACKEND" ;; drover) echo "$P_DROVER_TCP" ;; haproxy) echo "$P_HAP_TCP" ;; nginx) echo "$P_NGX_TCP" ;; esac; }
iperf_port() { case $1 in direct) echo "$P_IPERF" ;; drover) echo "$P_DROVER_IPERF" ;; haproxy) echo "$P_HAP_IPERF" ;; nginx) echo "$P_NGX_IPERF" ;; esac; }
# the HTTP listener whose pool keeps sessions by cookie (direct: the backend itself, the no-proxy baseline)
sticky_port() { case $1 in direct) echo "$P_BACKEND" ;; drover) echo "$P_DROVER_STICKY" ;; haproxy) echo "$P_HAP_STICKY" ;; nginx) echo "$P_NGX_STICKY" ;; esac; }

# load LOG SECONDS command...: run a load generator pinned to the load CPU, killed if it runs
# SECONDS + 60. It runs in the background and the script waits for it: the tools catch SIGINT
# (wrk, ab and iperf3 print partial results), and bash ignores a Ctrl+C that its foreground
# child handled, but a trapped signal always interrupts the wait builtin, so Ctrl+C stops the run.
load() {
  local logf=$1 secs=$2; shift 2
  taskset -c "$CPU_LOAD" timeout -k 5 $((secs + 60)) "$@" >"$logf" 2>&1 &
  started load $!
  wait "${PID_OF[load]}" || true
  unset "PID_OF[load]"
}

# bg NAME CPU LOG command...: start a pinned background process and remember its pid. A simple
# command put in the background is exec'd by the forked shell, so $! is the process itself
# (a shell function in the background would leave a subshell in between, and killing that
# subshell would orphan the real process).
bg() {
  local name=$1 cpu=$2 logf=$3; shift 3
  taskset -c "$cpu" "$@" >>"$logf" 2>&1 &
  started "$name" $!
}

# ---------------------------------------------------------------- backend: nginx + iperf3 -s
USER_LINE=""
((EUID == 0)) && USER_LINE="user root;"   # workers must read files in the run folder

start_backend() {
  local d="$RUN/backend"
  mkdir -p "$d/www" "$d/tmp"
  head -c 1024 /dev/zero | tr '\0' 'a' >"$d/www/1k"
  head -c 65536 /dev/zero | tr '\0' 'b' >"$d/www/64k"
  cat >"$d/nginx.conf" <<EOF
# generated by ops/bench/run.sh: the static backend every target forwards to
$USER_LINE
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $d/nginx.pid;
error_log $d/error.log warn;
daemon off;
events { worker_connections $NGX_WORKER_CONNS; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  open_file_cache max=16 inactive=3600s;
  open_file_cache_valid 3600s;
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  client_header_timeout 300s;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$P_BACKEND backlog=4096;
    root $d/www;
    # /1k without sendfile: with it nginx made 5 syscalls per 1 KiB response (writev of the head,
    # sendfile, two TCP_CORK setsockopts, recv), 3 without (recv, pread, writev). The backend shares
    # its core with the load generator, and with sendfile that core capped "direct" at 50k req/s,
    # about what both proxies reached too, so the 1 KiB scenarios measured it and not the proxies
    # (59k direct without sendfile, measured 2026-12-07).
    location = /1k { sendfile off; tcp_nopush off; }
    location = /64k { }
    location = /_status { stub_status; }
    location / { return 404; }
  }
}
EOF
  nginx -t -q -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" >"$RUN/logs/backend-nginx-t.log" 2>&1 ||
    die "backend nginx config rejected: $(tail -3 "$RUN/logs/backend-nginx-t.log")"
  bg backend-nginx "$CPU_BACKEND" "$RUN/logs/backend-nginx.log" nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log"
  wait_port "$P_BACKEND" backend-nginx 10 || die "backend nginx did not start: $(tail -3 "$d/error.log" 2>/dev/null)"

  bg iperf3-server "$CPU_BACKEND" "$RUN/logs/iperf3-server.log" iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
  wait_port "$P_IPERF" iperf3-server 10 || die "iperf3 server did not start: $(tail -3 "$RUN/logs/iperf3-server.log")"
  log "backend: nginx on 127.0.0.1:$P_BACKEND (/1k, /64k), iperf3 -s on 127.0.0.1:$P_IPERF, CPU $CPU_BACKEND"
}

backend_accepts() { "$PY" - "$P_BACKEND" <<'EOF'
import sys, urllib.request
try:
    body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_status", timeout=5).read().decode()
    print(body.splitlines()[2].split()[0])   # "accepts handled requests" line
except Exception:
    print(-1)
EOF
}

# ---------------------------------------------------------------- targets
DROVER_DLL=""
declare -a DROVER_ENV=()

build_drover() {
  if ((DO_BUILD)); then
    log "building Drover (dotnet build -c Release src/Drover.Node)"
    (cd "$REPO_ROOT" && dotnet build -c Release src/Drover.Node --disable-build-servers -nologo -v quiet) >"$RUN/logs/build.log" 2>&1 ||
      die "dotnet build failed: $(grep -E 'error|Error' "$RUN/logs/build.log" | head -5)"
  fi
  DROVER_DLL=$(ls -t "$REPO_ROOT"/src/Drover.Node/bin/Release/net*/Drover.Node.dll 2>/dev/null | head -1 || true)
  [[ -n $DROVER_DLL ]] || die "no Release build of Drover.Node (run without --no-build)"
}

drover_env() {
  # defaults apply unless the caller already exported the variable; BENCH_DROVER_ENV wins over both
  DROVER_ENV=()
  [[ -n ${DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS+x} ]] || DROVER_ENV+=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)
  [[ -n ${DOTNET_TieredPGO+x} ]] || DROVER_ENV+=(DOTNET_TieredPGO=1)
  local kv
  for kv in ${BENCH_DROVER_ENV:-}; do DROVER_ENV+=("$kv"); done
}

write_drover_config() {
  cat >"$RUN/drover.hocon" <<EOF
# generated by ops/bench/run.sh
drover {
  listeners {
    web      { mode = http, bind = "127.0.0.1:$P_DROVER_HTTP", routes = [ { host = "*", path-prefix = "/", pool = nginx } ] }
    raw      { mode = tcp,  bind = "127.0.0.1:$P_DROVER_TCP", pool = nginx }
    rawiperf { mode = tcp,  bind = "127.0.0.1:$P_DROVER_IPERF", pool = iperf }
    websticky { mode = http, bind = "127.0.0.1:$P_DROVER_STICKY", routes = [ { host = "*", path-prefix = "/", pool = nginxsticky } ] }
  }
  pools {
    nginx {
      balance = round-robin
      backends = [ { id = n1, address = "127.0.0.1:$P_BACKEND" } ]
      timeouts { connect = 3s, response = 30s, idle = 600s }
    }
    iperf {
      balance = round-robin
      backends = [ { id = i1, address = "127.0.0.1:$P_IPERF" } ]
      timeouts { connect = 3s, response = 30s, idle = 600s }
    }
    nginxsticky {
      balance = round-robin
      backends = [ { id = n1, address = "127.0.0.1:$P_BACKEND" } ]
      timeouts { connect = 3s, response = 30s, idle = 600s }
      sticky { mode = cookie, ttl = 30m }
    }
  }
  cluster.secret = "bench-only-secret-0123456789"
  demo { backends = 0 }
}

akka {
  actor.provider = cluster
  remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
  cluster {
    seed-nodes = []
    roles = [lb]
    downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
    split-brain-resolver { active-strategy = keep-majority, stable-after = 5s, down-all-when-unstable = on }
    sharding { state-store-mode = ddata, remember-entities = off }
  }
  coordinated-shutdown.phases.service-unbind.timeout = 20s
}
EOF
}

write_haproxy_config() {
  cat >"$RUN/haproxy.cfg" <<EOF
# generated by ops/bench/run.sh; nbthread left at HAProxy's default (one per CPU it may run on)
global
  maxconn $HAP_MAXCONN
  maxpipes $HAP_MAXPIPES

defaults
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s

frontend web
  mode http
  bind 127.0.0.1:$P_HAP_HTTP
  maxconn $HAP_MAXCONN
  default_backend be_web

backend be_web
  mode http
  http-reuse always
  # Drover splices the rest of a large response body (drover.io.splice, on by default): HAProxy does too,
  # forced (splice-auto's guess seldom splices these responses; forced it served 64 KiB for 36 vs 43 us of CPU)
  option splice-response
  server n1 127.0.0.1:$P_BACKEND

frontend raw
  mode tcp
  bind 127.0.0.1:$P_HAP_TCP
  maxconn $HAP_MAXCONN
  default_backend be_raw

backend be_raw
  mode tcp
  server n1 127.0.0.1:$P_BACKEND

frontend rawiperf
  mode tcp
  bind 127.0.0.1:$P_HAP_IPERF
  default_backend be_iperf

backend be_iperf
  mode tcp
  server i1 127.0.0.1:$P_IPERF

frontend websticky
  mode http
  bind 127.0.0.1:$P_HAP_STICKY
  maxconn $HAP_MAXCONN
  default_backend be_sticky

backend be_sticky
  mode http
  http-reuse always
  option splice-response
  cookie SRV insert indirect nocache
  server n1 127.0.0.1:$P_BACKEND cookie n1
EOF
}

write_nginx_proxy_config() {
  local d="$RUN/nginx-proxy"
  mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<EOF
# generated by ops/bench/run.sh: nginx as the proxy under test (one worker: it is pinned to one CPU)
$(nginx_stream_load_line)
$USER_LINE
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $d/nginx.pid;
error_log $d/error.log warn;
daemon off;
events { worker_connections $NGX_WORKER_CONNS; }
http {
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  upstream be_web {
    server 127.0.0.1:$P_BACKEND;
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$P_NGX_HTTP backlog=4096;
    location / {
      proxy_pass http://be_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_max_temp_file_size 0;   # never spool responses to disk
    }
  }
  # nginx OSS has no cookie insertion (that is nginx Plus's "sticky cookie"): hash on the cookie instead
  upstream be_sticky {
    hash \$cookie_srv consistent;
    server 127.0.0.1:$P_BACKEND;
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$P_NGX_STICKY backlog=4096;
    location / {
      proxy_pass http://be_sticky;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_max_temp_file_size 0;
    }
  }
}
stream {
  upstream be_raw { server 127.0.0.1:$P_BACKEND; }
  upstream be_iperf { server 127.0.0.1:$P_IPERF; }
  server { listen 127.0.0.1:$P_NGX_TCP backlog=4096; proxy_pass be_raw; proxy_timeout 600s; }
  server { listen 127.0.0.1:$P_NGX_IPERF backlog=4096; proxy_pass be_iperf; proxy_timeout 600s; }
}
EOF
}

start_target() {
  local t=$1
  case $t in
    direct) return 0 ;;
    drover)
      bg drover "$CPU_PROXY" "$RUN/logs/drover.log" env "${DROVER_ENV[@]}" dotnet "$DROVER_DLL" --config "$RUN/drover.hocon"
      ;;
    haproxy)
      haproxy -c -f "$RUN/haproxy.cfg" >"$RUN/logs/haproxy-check.log" 2>&1 || die "haproxy config rejected: $(tail -5 "$RUN/logs/haproxy-check.log")"
      bg haproxy "$CPU_PROXY" "$RUN/logs/haproxy.log" haproxy -db -f "$RUN/haproxy.cfg"
      ;;
    nginx)
      local d="$RUN/nginx-proxy"
      nginx -t -q -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" >"$RUN/logs/nginx-proxy-t.log" 2>&1 ||
        die "nginx proxy config rejected: $(tail -3 "$RUN/logs/nginx-proxy-t.log")"
      bg nginx "$CPU_PROXY" "$RUN/logs/nginx.log" nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log"
      ;;
  esac
  local port
  for port in "$(http_port "$t")" "$(tcp_port "$t")" "$(iperf_port "$t")" "$(sticky_port "$t")"; do
    wait_port "$port" "$t" 90 || die "$t did not start listening on $port; last log lines: $(tail -5 "$RUN/logs/$t.log" 2>/dev/null; [[ $t != nginx ]] || tail -5 "$RUN/nginx-proxy/error.log" 2>/dev/null)"
  done
}

target_pid() { echo "${PID_OF[$1]:-}"; }

# ---------------------------------------------------------------- measurements
# record SCENARIO TARGET ROUND METRICS_JSON [EXTRA_JSON]: one line in samples.jsonl, one line on the console
record() {
  local line extra=${5:-}
  [[ -n $extra ]] || extra='{}'
  line=$(bl wrap "$1" "$2" "$3" "$4" "$extra")
  echo "$line" >>"$SAMPLES"
  log "  $1 $2 round $3: $("$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); m=s["metrics"]; print(s.get("error","") + " ".join(f"{k}={v:.4g}" if isinstance(v,float) else f"{k}={v}" for k,v in m.items()))' "$line")"
}

# order ROUND: the targets, rotated by round, so no target always runs first or last
order() {
  local r=$1 n=${#TARGETS[@]} i
  for ((i = 0; i < n; i++)); do echo "${TARGETS[(i + r - 1) % n]}"; done
}

wrk_once() {  # wrk_once SCENARIO TARGET ROUND PATH [wrk args...]
  local scen=$1 t=$2 r=$3 path=$4; shift 4
  local url="http://127.0.0.1:$(http_port "$t")$path" out="$RUN/logs/$scen.$t.r$r"
  if ((r == 1)); then
    load "$out.warmup.log" "$WARM" wrk -t1 -c"$CONNS" -d"${WARM}s" "$@" "$url"
  fi
  local a0 a1 pid c0="" cpu=""; pid=$(target_pid "$t")
  a0=$(backend_accepts)
  [[ -n $pid ]] && c0=$(bl cpu-ticks "$pid")
  load "$out.log" "$DUR" wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -s "$LIB/wrk-json.lua" "$@" "$url"
  [[ -n $c0 ]] && cpu=$(( $(bl cpu-ticks "$pid") - c0 ))
  a1=$(backend_accepts)
  record "$scen" "$t" "$r" "$(bl wrk "$out.log" "$cpu")" "{\"backend_accepts\": $((a1 - a0))}"
}

scenario_l7_1k() {
  local r t
  for ((r = 1; r <= ROUNDS; r++)); do for t in $(order "$r"); do wrk_once l7-1k "$t" "$r" /1k; done; done
}

scenario_l7_64k() {
  local r t
  for ((r = 1; r <= ROUNDS; r++)); do for t in $(order "$r"); do wrk_once l7-64k "$t" "$r" /64k; done; done
}

scenario_l7_close() {
  # wrk reconnects after every response that is not keep-alive, so "Connection: close" makes it
  # open one TCP connection per request (checked with the backend's accept counter on "direct").
  # Its own, longer warm-up (20 s): the start-up warm-up ran keep-alive only, so Drover's per-connection
  # code (Kestrel's accept and dispatch, the fast path's set-up) is still at tier 0, and on a
  # saturated core the background JIT takes seconds to catch up (seen in perf as QuickJitted frames
  # 2 to 7 s into a run after a 2 s warm-up). Every target gets the same.
  local r t WARM=$WARM_CLOSE
  for ((r = 1; r <= ROUNDS; r++)); do for t in $(order "$r"); do wrk_once l7-close "$t" "$r" /1k -H "Connection: close"; done; done
}

scenario_l7_rate() {
  local base; base=$(bl median "$SAMPLES" l7-1k haproxy rps)
  if [[ -z $base ]]; then
    if [[ -n ${BENCH_RATE:-} ]]; then
      base=$((BENCH_RATE * 2))
    elif has_target haproxy; then
      log "l7-rate: no l7-1k figure for HAProxy in this run; measuring it (${DUR}s)"
      local out="$RUN/logs/l7-rate.haproxy-max.log"
      load "$out" "$DUR" wrk -t1 -c"$CONNS" -d"${DUR}s" -s "$LIB/wrk-json.lua" "http://127.0.0.1:$P_HAP_HTTP/1k"
      base=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get("rps",""))' "$(bl wrk "$out")")
    fi
  fi
  [[ -n $base ]] || die "l7-rate needs HAProxy's l7-1k req/s (include the haproxy target) or BENCH_RATE"
  RATE_TOTAL=$("$PY" -c "print(int(float('$base') / 2))")
  local per_client; per_client=$("$PY" -c "print(round($RATE_TOTAL / $CONNS, 3))")
  log "l7-rate: offered $RATE_TOTAL req/s total = $CONNS clients x $per_client req/s (half of HAProxy's $base)"
  local r t
  for ((r = 1; r <= RATE_ROUNDS; r++)); do
    for t in $(order "$r"); do
      local out="$RUN/logs/l7-rate.$t.r$r"
      rm -f "$out.requests.tsv"
      if ((r == 1)); then
        # The same load, unmeasured, as every other scenario gets before round 1 (in one process,
        # Drover's first h2load run after the wrk warm-up cost 42 us per request, the next 35).
        load "$out.warmup.log" "$WARM_RATE" h2load --h1 -t1 -c"$CONNS" --rps="$per_client" -D "$WARM_RATE" \
          "http://127.0.0.1:$(http_port "$t")/1k"
      fi
      local pid c0="" cpu=""; pid=$(target_pid "$t")
      [[ -n $pid ]] && c0=$(bl cpu-ticks "$pid")
      load "$out.log" "$RATE_DUR" h2load --h1 -t1 -c"$CONNS" --rps="$per_client" --warm-up-time=1 -D "$RATE_DUR" \
        --log-file="$out.requests.tsv" "http://127.0.0.1:$(http_port "$t")/1k"
      [[ -n $c0 ]] && cpu=$(( $(bl cpu-ticks "$pid") - c0 ))
      touch "$out.requests.tsv"
      record l7-rate "$t" "$r" "$(bl h2load "$out.requests.tsv" "$out.log" "$RATE_DUR" "$cpu")" "{\"target_rps\": $RATE_TOTAL}"
      gzip -f "$out.requests.tsv"
    done
  done
}

scenario_l4_throughput() {
  local r t p
  for ((r = 1; r <= ROUNDS; r++)); do
    for t in $(order "$r"); do
      for p in 1 8; do
        local out="$RUN/logs/l4-throughput.$t.P$p.r$r.json"
        load "$out" "$IPERF_DUR" iperf3 -c 127.0.0.1 -p "$(iperf_port "$t")" -t "$IPERF_DUR" -O 1 -P "$p" -J
        record l4-throughput "$t" "$r" "$(bl iperf3 "$out" "_p$p")"
        sleep 0.2   # iperf3 -s serves one test at a time; let it reset
      done
    done
  done
}

scenario_l4_connrate() {
  # ab speaks HTTP/1.0 without keep-alive: every request is a new TCP connection, through the
  # L4 listener, to the nginx backend, which answers and closes.
  local r t
  for ((r = 1; r <= ROUNDS; r++)); do
    for t in $(order "$r"); do
      local url="http://127.0.0.1:$(tcp_port "$t")/1k" out="$RUN/logs/l4-connrate.$t.r$r"
      if ((r == 1)); then
        load "$out.warmup.log" "$WARM" ab -q -r -c "$AB_CONC" -t "$WARM" -n 100000000 "$url"
      fi
      local a0 a1
      a0=$(backend_accepts)
      load "$out.log" "$DUR" ab -q -r -c "$AB_CONC" -t "$DUR" -n 100000000 "$url"
      a1=$(backend_accepts)
      record l4-connrate "$t" "$r" "$(bl ab "$out.log")" "{\"backend_accepts\": $((a1 - a0))}"
    done
  done
}

scenario_l4_memory() {
  # Each proxy is restarted, warmed up through its L4 listener, then holds MEM_CONNS idle proxied
  # connections (client -> proxy -> nginx backend); RSS of the proxy's processes before and after.
  local t
  for t in "${TARGETS[@]}"; do
    [[ $t == direct ]] && continue
    log "l4-memory $t: restarting for a fresh process"
    stop_pid "$t"
    start_target "$t"
    local port; port=$(tcp_port "$t")
    local out="$RUN/logs/l4-memory.$t"
    load "$out.warmup.log" 30 ab -q -r -c 8 -n 2000 "http://127.0.0.1:$port/1k"
    sleep "$SETTLE"
    local pid; pid=$(target_pid "$t")
    local before; before=$(bl rss "$pid")
    local est0; est0=$(bl established-to "$P_BACKEND" "$pid")  # its own: the others close idle ones meanwhile
    : >"$out.log"
    bg idle-conns "$CPU_LOAD" "$out.log" "$PY" "$LIB/idle_conns.py" 127.0.0.1 "$port" "$MEM_CONNS"
    local i opened=""
    for ((i = 0; i < 1200; i++)); do
      opened=$(grep -o 'OPEN ok=[0-9]*' "$out.log" 2>/dev/null | cut -d= -f2 || true)
      [[ -n $opened ]] && break
      kill -0 "${PID_OF[idle-conns]}" 2>/dev/null || break
      sleep 0.1
    done
    local est=0
    for ((i = 0; i < 100; i++)); do   # until the proxy has connected them all to the backend
      est=$(( $(bl established-to "$P_BACKEND" "$pid") - est0 ))
      ((est >= ${opened:-0})) && break
      sleep 0.1
    done
    sleep "$SETTLE"
    local after; after=$(bl rss "$pid")
    stop_pid idle-conns
    local alive; alive=$(grep -o 'alive_at_end=[0-9]*' "$out.log" | cut -d= -f2 || true)
    if [[ -z $opened || $opened == 0 ]]; then
      record l4-memory "$t" 1 "{\"error\": \"idle connections failed: $(tail -1 "$out.log" | tr -d '\"')\"}"
      continue
    fi
    record l4-memory "$t" 1 "$("$PY" -c "
import json; b, a, n = $before, $after, $opened
print(json.dumps({'conns': n, 'rss_before_mib': b / 1024, 'rss_after_mib': a / 1024, 'kib_per_conn': (a - b) / n, 'backend_connections': $est, 'alive_at_end': ${alive:-None}}))")"
  done
}

# sticky_cookie TARGET: the Cookie header a returning client sends to TARGET's sticky listener
sticky_cookie() {
  case $1 in
    drover)
      # a real session: the cookie Drover issued on a first request (signed; names backend n1)
      local c
      c=$(curl -s -o /dev/null -D - "http://127.0.0.1:$P_DROVER_STICKY/1k" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(DROVER=[^;]*\).*/\1/p' | head -1)
      echo "$c" ;;
    haproxy) echo "SRV=n1" ;;
    nginx) echo "srv=n1" ;;
    direct) echo "" ;;
  esac
}

scenario_sticky() {
  # l7-1k again, through each proxy's sticky listener, every request carrying the session cookie
  # of a returning client: what keeping sessions costs on top of plain balancing. "direct" is the
  # plain backend (no session to keep), for the Drover/direct ratio.
  local r t
  declare -A cookie=()
  for t in "${TARGETS[@]}"; do cookie[$t]=$(sticky_cookie "$t"); done
  if in_list drover "${TARGETS[@]}" && [[ ${cookie[drover]} != DROVER=* ]]; then die "Drover's sticky listener issued no session cookie"; fi
  for ((r = 1; r <= ROUNDS; r++)); do
    for t in $(order "$r"); do
      local url="http://127.0.0.1:$(sticky_port "$t")/1k" out="$RUN/logs/sticky.$t.r$r"
      local -a hdr=()
      [[ -n ${cookie[$t]} ]] && hdr=(-H "Cookie: ${cookie[$t]}")
      if ((r == 1)); then
        # the start-up warm-up only loaded the plain listener: give the sticky one the same, so the
        # code only it runs (session cache, cookie handling) is as optimized as the rest (tiered PGO)
        local warm=$WARM
        [[ $t == direct ]] || warm=$WARM_STICKY
        load "$out.warmup.log" "$warm" wrk -t1 -c"$CONNS" -d"${warm}s" "${hdr[@]}" "$url"
      fi
      load "$out.log" "$DUR" wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -s "$LIB/wrk-json.lua" "${hdr[@]}" "$url"
      record sticky "$t" "$r" "$(bl wrk "$out.log")"
    done
  done
}

# ---------------------------------------------------------------- meta
MACHINE_NPROC=$(nproc)
MACHINE_CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)
MACHINE_KERNEL=$(uname -srm)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
PINNING_WHY="custom layout (BENCH_CPU_PROXY/LOAD/BACKEND)"
if [[ $CPU_PROXY != "$CPU_LOAD" && $CPU_LOAD == "$CPU_BACKEND" ]]; then
  PINNING_WHY="the proxy under test gets a core of its own, so the figure is what one core of each proxy does; the load generator and the backend share the other core in every run, \"direct\" included, so they cost the same for every target (README.md, CPU pinning)"
fi

quote_command() {
  local out="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
  done
  echo "${out# }"
}

write_meta() {
  local status=$1
  local wall=$(( $(date +%s) - STARTED_AT ))
  bl meta "$RUN/meta.json" \
    "run_id=$RUN_ID" "status=$status" "started=$(date -d "@$STARTED_AT" '+%Y-%m-%d %H:%M:%S %Z')" \
    "wall_seconds=$wall" "quick=$QUICK" "note=$NOTE" "command=$(quote_command ops/bench/run.sh "${CMD_ARGS[@]}")" \
    "git_commit=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [[ -n $(git -C "$REPO_ROOT" status --porcelain -- src 2>/dev/null) ]] && echo ' (src modified)')" \
    "scenarios[]=$(IFS=,; echo "${SCENARIOS[*]}")" "targets[]=$(IFS=,; echo "${TARGETS[*]}")" \
    "machine.nproc=$MACHINE_NPROC" "machine.cpu_model=$MACHINE_CPU" "machine.kernel=$MACHINE_KERNEL" \
    "machine.dotnet_sdk=$(dotnet --version 2>/dev/null || echo '?')" \
    "machine.dotnet_runtime=$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')" \
    "machine.loadavg_start=$LOADAVG_START" "machine.loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" \
    "machine.nofile_hard=$NOFILE" \
    "tools=$TOOLS" \
    "pinning.proxy=$CPU_PROXY" "pinning.load=$CPU_LOAD" "pinning.backend=$CPU_BACKEND" "pinning_why=$PINNING_WHY" \
    "params.duration_s=$DUR" "params.warmup_s=$WARM" "params.rounds=$ROUNDS" "params.connections=$CONNS" \
    "params.rate_total_rps=$RATE_TOTAL" "params.mem_conns=$MEM_CONNS" "params.mem_conns_wanted=$MEM_CONNS_WANTED" \
    "${META[@]}"
}

# ---------------------------------------------------------------- main
log "run folder: $RUN"
log "scenarios: ${SCENARIOS[*]}; targets: ${TARGETS[*]}; $( ((QUICK)) && echo quick || echo full) (${DUR}s runs, $ROUNDS round(s))"
ensure_tools
resolve_python
TOOLS="haproxy $(haproxy -v 2>/dev/null | head -1 | awk '{print $3}'), $(nginx -v 2>&1 | cut -d' ' -f3), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $(h2load --version 2>&1 | head -1 | awk '{print $2}' | sed 's|/| |'), $(iperf3 --version 2>&1 | head -1 | awk '{print $1" "$2}'), ab $(ab -V 2>&1 | head -1 | awk '{print $5}' | tr -d ',')"
log "machine: $MACHINE_NPROC CPUs, $MACHINE_CPU, $MACHINE_KERNEL, load $LOADAVG_START"
log "pinning: proxy CPU $CPU_PROXY, load generator CPU $CPU_LOAD, backend CPU $CPU_BACKEND"
if ((MEM_CONNS < MEM_CONNS_WANTED)); then
  log "open-files hard limit is $NOFILE: l4-memory holds $MEM_CONNS connections instead of $MEM_CONNS_WANTED (a proxy needs 2 descriptors per connection)"
fi

if has_target drover; then
  build_drover
  drover_env
  write_drover_config
  log "Drover: $DROVER_DLL, environment: ${DROVER_ENV[*]:-(none)}"
  # every variable Drover sees that tunes .NET or overrides its config
  while IFS= read -r kv; do META+=("drover_env.${kv%%=*}=${kv#*=}"); done < <(env "${DROVER_ENV[@]}" env | grep -E '^(DOTNET_|COMPlus_|DROVER__|AKKA__|CLUSTER_)' | grep -vE '^(DOTNET_CLI_|DOTNET_NOLOGO|DOTNET_GENERATE_ASPNET_CERTIFICATE|DOTNET_ROOT|DOTNET_SKIP_FIRST_TIME)' | sort || true)
fi
has_target haproxy && write_haproxy_config
has_target nginx && write_nginx_proxy_config

start_backend
for t in "${TARGETS[@]}"; do
  [[ $t == direct ]] && continue
  log "starting $t"
  start_target "$t"
  desc=$(bl threads "$(target_pid "$t")")
  META+=("processes.$t=$desc")
  log "$t up: $desc"
done
[[ $(backend_accepts) != -1 ]] || log "warning: backend stub_status unreadable; backend accept counts will be wrong"
# One warm-up for every proxy before any scenario (JIT and tiered PGO for Drover; the same for all).
for t in "${TARGETS[@]}"; do
  [[ $t == direct ]] && continue
  log "warm-up $t: wrk /1k ${WARM_START}s"
  load "$RUN/logs/warmup.$t.log" "$WARM_START" wrk -t1 -c"$CONNS" -d"${WARM_START}s" "http://127.0.0.1:$(http_port "$t")/1k"
done

METHOD_RUNS="$ROUNDS round(s) of ${DUR}s, targets alternating (order rotated each round), ${WARM}s warm-up per target before round 1 (and ${WARM_START}s of wrk /1k on every proxy after start)"
META+=("methods.l7-1k=wrk -t1 -c$CONNS -d${DUR}s --latency, GET /1k (1 KiB body), keep-alive; $METHOD_RUNS. p50/p99 from wrk's latency record (closed loop: includes queueing at 64 in flight). Proxy CPU per request: its user+system CPU time (process tree, /proc/PID/stat) over the wrk run / requests wrk counted.")
META+=("methods.l7-64k=wrk -t1 -c$CONNS -d${DUR}s, GET /64k (64 KiB body), keep-alive; $METHOD_RUNS. MiB/s = bytes wrk received (headers included) / duration. Proxy CPU per request as in l7-1k.")
META+=("methods.l7-close=wrk -t1 -c$CONNS -d${DUR}s -H 'Connection: close', GET /1k: wrk opens a new TCP connection for every request (the server closes after each response); the proxy keeps its backend connections pooled. $METHOD_RUNS, except that the warm-up before round 1 is ${WARM_CLOSE}s of this same load (per-connection code is not warmed by keep-alive traffic).")
META+=("methods.l7-rate=h2load --h1 -t1 -c$CONNS --rps=R -D ${RATE_DUR}s --warm-up-time=1s, GET /1k, R = (half of HAProxy's l7-1k req/s in this run) / $CONNS per client; h2load's summary has no percentiles, so p50/p99/p99.9 are computed from its --log-file (one row per request). Proxy CPU per request: the proxy's utime+stime (its whole process tree, from /proc) over the run and its 1 s warm-up, divided by the requests served in that time; at a fixed offered rate it moves much less with what else the machine runs than closed-loop req/s does, but a shared host's per-CPU speed still moves it (up to 40% for 10-40 s at a time, seen on HAProxy, Drover and the nginx backend alike): compare it as a ratio within one run; the best round is shown too, since that noise only adds. $RATE_ROUNDS round(s), targets alternating; before round 1 each target gets ${WARM_RATE}s of the same load, unmeasured.")
META+=("methods.l4-throughput=iperf3 -c through each target's TCP listener to iperf3 -s, -t ${IPERF_DUR}s -O 1 (first second omitted), -P 1 and -P 8, received bits/s; $ROUNDS round(s).")
META+=("methods.l4-connrate=ab -c $AB_CONC -t ${DUR}s, GET /1k over HTTP/1.0 without keep-alive through each target's TCP (L4) listener to the nginx backend: one new client connection and one new backend connection per request; $METHOD_RUNS.")
META+=("methods.l4-memory=each proxy restarted, warmed up (ab -n 2000 through its L4 listener), then $MEM_CONNS idle TCP connections opened through its L4 listener to the nginx backend and held (lib/idle_conns.py); RSS = VmRSS of the proxy's processes (nginx: master + worker) from /proc, ${SETTLE} s after all backend legs were established; per connection = (after - before) / connections.$( ((MEM_CONNS < MEM_CONNS_WANTED)) && echo " Not $MEM_CONNS_WANTED: the open-files hard limit here is $NOFILE and a proxy needs 2 descriptors per connection.")")
META+=("methods.sticky=as l7-1k (wrk -t1 -c$CONNS -d${DUR}s --latency, GET /1k, keep-alive; $METHOD_RUNS; each proxy's sticky listener first gets ${WARM_STICKY}s of wrk on it, as the plain one had after start), through a second listener of each proxy whose pool keeps sessions by cookie, every request carrying a returning client's cookie. Drover: sticky { mode = cookie } (the DROVER cookie it issued to a first request; on the fast path its HMAC is verified once per connection and cookie value, then the cached binding serves); HAProxy: cookie SRV insert indirect nocache, Cookie: SRV=n1; nginx OSS (no cookie insertion): hash \$cookie_srv consistent, Cookie: srv=n1; direct: the backend, no cookie. Ratio to plain balancing: each target's sticky req/s / its l7-1k req/s in this run.")

for s in "${SCENARIOS[@]}"; do
  log "scenario $s"
  case $s in
    l7-1k) scenario_l7_1k ;;
    l7-64k) scenario_l7_64k ;;
    l7-close) scenario_l7_close ;;
    l7-rate) scenario_l7_rate ;;
    l4-throughput) scenario_l4_throughput ;;
    l4-connrate) scenario_l4_connrate ;;
    l4-memory) scenario_l4_memory ;;
    sticky) scenario_sticky ;;
  esac
done

write_meta complete
"$PY" "$LIB/report.py" "$RUN" "$RESULTS_DIR"
REPORTED=1
log "done in $(( $(date +%s) - STARTED_AT )) s: $RESULTS_DIR/latest.md, $RESULTS_DIR/latest.json (run folder $RUN)"
cat "$RESULTS_DIR/latest.md"
