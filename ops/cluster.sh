#!/usr/bin/env bash
# A local Drover cluster on loopback: N nodes and three demo backends, each its own process.
#
#   ops/cluster.sh up [N]          build once (Release), start 3 backends and N nodes (default 3), print every endpoint
#   ops/cluster.sh status          processes, `cluster show`, and `lb backends -p demo` from every node
#   ops/cluster.sh down            stop everything `up` started, by recorded pid: SIGTERM, SIGKILL after 30 s
#   ops/cluster.sh logs [NAME] [-f]   the last lines of every log, or one log (lb2, b1, ...), -f to follow
#   ops/cluster.sh cli NAME ARGS   the drover CLI against a node: ops/cluster.sh cli lb1 cluster show
#   ops/cluster.sh start|stop|kill NAME    one node or backend (stop: SIGTERM and wait; kill: SIGKILL)
#
# Node I (1-based) listens on: remoting 4052+I (4053, 4054, ...), command host 9109+I (9110, ...),
# admin 9900+I (9901, ...), HTTP 8079+I (8080, ...), TCP 8179+I (8180, ...); backend bK on 9000+K.
# Options, as environment variables for `up`:
#   PORT_OFFSET=0          added to every port above (two clusters on one machine)
#   STICKY=header:X-Session   the demo pool's sticky mode (issue 5: cookie | header:NAME | client-ip |
#                          learn-cookie:NAME); STICKY=off hashes the X-Session header instead
#                          (balance = consistent-hash), for builds without sticky sessions
#   ADMIN=on               bind each node's admin endpoint (drover.admin.bind; /metrics, /healthz,
#                          /readyz); ADMIN=off for builds without it
#   FAULTS=on              the fault palette (drover.cmd.fault-injection, throttler transport) that
#                          the partition drill needs; for drills only
#   SKIP_BUILD=1           reuse the build already in the run folder
#   DROVER_RUN=ops/run     the run folder (pids, logs, configs, build); git ignores ops/run
# Nodes and backends run in sessions of their own (setsid): closing this terminal or Ctrl+C does
# not stop them; `down` does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/cluster-lib.sh
source "$here/lib/cluster-lib.sh"

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

build() {
  mkdir -p "$RUN/bin"
  cl_say "building (Release) into $RUN/bin ..."
  local out
  for project in Drover.Node:node Drover.Cli:cli; do
    if ! out=$(cd "$CL_ROOT" && dotnet publish "src/${project%%:*}" -c Release -o "$RUN/bin/${project##*:}" --nologo -v quiet 2>&1); then
      echo "$out" | tail -n 30 >&2
      cl_die "build of src/${project%%:*} failed"
    fi
  done
}

write_config() {
  local pool_balance sticky_line admin_note=""
  if [[ $STICKY == off ]]; then
    pool_balance='balance = consistent-hash, hash-key = "header:X-Session"'
    sticky_line='# STICKY=off: no sticky block; consistent hashing on X-Session keeps sessions on one backend'
  else
    pool_balance='balance = round-robin'
    sticky_line="sticky { mode = \"$STICKY\" }   # issue 5; STICKY=off removes it"
  fi
  [[ $ADMIN == on ]] || admin_note='# ADMIN=off: no drover.admin.bind in the environment'
  local backends="" k
  for ((k = 1; k <= BACKENDS; k++)); do
    backends+="        { id = b$k, address = \"127.0.0.1:$(cl_backend "$k")\" }"$'\n'
  done
  local faults=""
  if [[ $FAULTS == on ]]; then
    faults=$'  # Drills only: the fault palette (fault blackhole/isolate/heal) over Akka\'s throttler transport.\n  cmd.fault-injection = on'
  fi
  cat >"$RUN/cluster.hocon" <<EOF
# Written by ops/cluster.sh up. Every node reads this file; what differs per node (remoting port,
# seeds, listener, command and admin ports) comes from environment variables (lbI/env), the same
# variables docker/docker-compose.yml sets.
drover {
  listeners {
    web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = demo } ] }
    raw { mode = tcp, bind = "127.0.0.1:0", pool = demo-tcp }
  }
  pools.demo {
    $pool_balance
    $sticky_line
    backends = [
$backends    ]
    health.active { interval = 1s, timeout = 500ms, rise = 2, fall = 2 }
    timeouts { connect = 1s, response = 10s }
  }
  # The TCP listener's pool: the same backends (a header cannot make a TCP connection sticky).
  pools.demo-tcp {
    balance = least-connections
    backends = [
$backends    ]
    health.active { type = tcp, interval = 1s, timeout = 500ms, rise = 2, fall = 2 }
  }
$faults
  $admin_note
}
EOF
  if [[ $FAULTS == on ]]; then
    echo 'akka.remote.dot-netty.tcp.applied-adapters = [trttl]   # member addresses: akka.trttl.tcp://drover@HOST:PORT' >>"$RUN/cluster.hocon"
  fi
}

check_ports() {
  local busy=() port
  local listening
  listening=$(ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
  for port in "$@"; do
    grep -qx "$port" <<<"$listening" && busy+=("$port")
  done
  ((${#busy[@]} == 0)) || cl_die "ports already in use: ${busy[*]} (another cluster? ops/cluster.sh status; or PORT_OFFSET=100 ops/cluster.sh up)"
}

print_endpoints() {
  local i k
  echo
  printf '%-5s %-7s %-22s %-16s %-16s %-16s %-16s\n' NAME PID REMOTING COMMAND ADMIN HTTP TCP
  for ((i = 1; i <= NODES; i++)); do
    printf '%-5s %-7s %-22s %-16s %-16s %-16s %-16s\n' "lb$i" "$(cl_pid "lb$i" || true)" "$(cl_address "$i")" \
      "127.0.0.1:$(cl_cmd "$i")" "$([[ $ADMIN == on ]] && echo "127.0.0.1:$(cl_admin "$i")" || echo off)" \
      "127.0.0.1:$(cl_web "$i")" "127.0.0.1:$(cl_raw "$i")"
  done
  for ((k = 1; k <= BACKENDS; k++)); do
    printf '%-5s %-7s %-22s\n' "b$k" "$(cl_pid "b$k" || true)" "http://127.0.0.1:$(cl_backend "$k")"
  done
  echo
  echo "sticky: $STICKY   admin: $ADMIN   fault palette: $FAULTS   run folder: $RUN"
  echo
  echo "Try:"
  echo "  $BIN_CLI 127.0.0.1:$(cl_cmd 1) cluster show        # or: ops/cluster.sh cli lb1 cluster show"
  echo "  $BIN_CLI 127.0.0.1:$(cl_cmd 1) lb backends -p demo"
  echo "  curl -H 'X-Session: alice' http://127.0.0.1:$(cl_web 1)/   # then the same on :$(cl_web 2): same backend"
  [[ $ADMIN == on ]] && echo "  curl http://127.0.0.1:$(cl_admin 1)/readyz; curl -s http://127.0.0.1:$(cl_admin 1)/metrics | head"
  echo "  ops/cluster.sh status | logs lb1 -f | down"
}

cmd_up() {
  local n=${1:-3}
  [[ $n =~ ^[1-9][0-9]?$ ]] || cl_die "up: N must be a number of nodes from 1 to 99, not '$n'"
  # The options asked for now, before the last run's cluster.env is read.
  local offset=${PORT_OFFSET:-0} sticky=${STICKY:-header:X-Session} admin=${ADMIN:-on} faults=${FAULTS:-on}
  if [[ -f $RUN/cluster.env ]]; then
    cl_load
    local name
    for name in $(cl_names); do
      cl_alive "$name" && cl_die "a cluster is already running from $RUN ($name, pid $(cl_pid "$name")): ops/cluster.sh status, or ops/cluster.sh down first"
    done
  fi
  NODES=$n
  BACKENDS=3
  PORT_OFFSET=$offset
  STICKY=$sticky
  ADMIN=$admin
  FAULTS=$faults
  [[ $PORT_OFFSET =~ ^[0-9]+$ ]] || cl_die "PORT_OFFSET must be a number, not '$PORT_OFFSET'"
  [[ $ADMIN == on || $ADMIN == off ]] || cl_die "ADMIN must be on or off, not '$ADMIN'"
  [[ $FAULTS == on || $FAULTS == off ]] || cl_die "FAULTS must be on or off, not '$FAULTS'"

  local ports=() i k
  for ((i = 1; i <= NODES; i++)); do
    ports+=("$(cl_remoting "$i")" "$(cl_cmd "$i")" "$(cl_web "$i")" "$(cl_raw "$i")")
    [[ $ADMIN == on ]] && ports+=("$(cl_admin "$i")")
  done
  for ((k = 1; k <= BACKENDS; k++)); do ports+=("$(cl_backend "$k")"); done
  check_ports "${ports[@]}"

  mkdir -p "$RUN"
  if [[ ${SKIP_BUILD:-0} == 1 && -x $BIN_NODE && -x $BIN_CLI ]]; then
    cl_say "SKIP_BUILD=1: using the build in $RUN/bin"
  else
    build
  fi
  cat >"$RUN/cluster.env" <<EOF
NODES=$NODES
BACKENDS=$BACKENDS
PORT_OFFSET=$PORT_OFFSET
STICKY=$STICKY
ADMIN=$ADMIN
FAULTS=$FAULTS
EOF
  write_config

  for ((k = 1; k <= BACKENDS; k++)); do cl_start_backend "$k"; done
  for ((k = 1; k <= BACKENDS; k++)); do cl_wait_backend "$k"; done
  # Every node lists every node as a seed, so a restarted first node joins the others instead of
  # forming a cluster of its own.
  for ((i = 1; i <= NODES; i++)); do cl_start_node "$i"; done
  local failed=0
  for ((i = 1; i <= NODES; i++)); do
    (cl_wait_node "$i" 90) || { failed=1; break; }
  done
  if ((failed)); then
    cl_say "stopping what started"
    cmd_down >/dev/null
    exit 1
  fi
  local took
  took=$(cl_wait_members 1 "$NODES" 90) || { cl_say "the nodes did not form one cluster; see ops/cluster.sh logs"; exit 1; }
  cl_say "$NODES nodes up in one cluster (${took}s after the last node was ready)"
  print_endpoints
}

cmd_status() {
  cl_load
  local name pid i
  echo "processes ($RUN):"
  for name in $(cl_names); do
    pid=$(cl_pid "$name")
    if [[ -n $pid ]]; then
      if [[ $(awk '/^State:/ { print $2 }' "/proc/$pid/status") == T ]]; then echo "  $name  pid $pid  STOPPED (SIGSTOP)"; else echo "  $name  pid $pid  running"; fi
    else
      echo "  $name  not running$([[ -n $(cl_exit "$name") ]] && echo " (last exit code $(cl_exit "$name"))")"
    fi
  done
  for ((i = 1; i <= NODES; i++)); do
    cl_alive "lb$i" || continue
    echo
    echo "\$ drover 127.0.0.1:$(cl_cmd "$i") cluster show"
    timeout 15 "$BIN_CLI" "127.0.0.1:$(cl_cmd "$i")" cluster show || echo "(no answer from lb$i)"
    break
  done
  for ((i = 1; i <= NODES; i++)); do
    cl_alive "lb$i" || continue
    echo
    echo "\$ drover 127.0.0.1:$(cl_cmd "$i") lb backends -p demo      # lb$i"
    timeout 15 "$BIN_CLI" "127.0.0.1:$(cl_cmd "$i")" lb backends -p demo || echo "(no answer from lb$i)"
  done
}

cmd_down() {
  [[ -f $RUN/cluster.env ]] || { cl_say "nothing to stop (no $RUN/cluster.env)"; return 0; }
  cl_load
  local name pids=() stopped=0
  # Nodes first (they leave the cluster one after another, gracefully), then the backends.
  for name in $(cl_names | sort -r); do
    [[ -n $(cl_pid "$name") ]] || continue
    cl_say "stopping $name (pid $(cl_pid "$name"))"
    cl_stop "$name" "${STOP_TIMEOUT:-30}" &
    pids+=($!)
    stopped=$((stopped + 1))
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}"
  cl_say "stopped $stopped processes"
}

cmd_logs() {
  cl_load
  local follow=0 name=""
  for arg in "$@"; do
    case $arg in -f) follow=1 ;; *) name=$arg ;; esac
  done
  if [[ -n $name ]]; then
    [[ -f $RUN/$name/log ]] || cl_die "no log for '$name' (names: $(cl_names | tr '\n' ' '))"
    if ((follow)); then exec tail -n 40 -F "$RUN/$name/log"; else tail -n 40 "$RUN/$name/log"; fi
    return
  fi
  ((follow)) && cl_die "logs -f needs a NAME (one of: $(cl_names | tr '\n' ' '))"
  for name in $(cl_names); do
    [[ -f $RUN/$name/log ]] || continue
    echo "==> $name ($RUN/$name/log) <=="
    tail -n 15 "$RUN/$name/log"
    echo
  done
}

one() { # NAME: check it is one of ours
  cl_load
  cl_names | grep -qx "$1" || cl_die "unknown name '$1' (names: $(cl_names | tr '\n' ' '))"
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  status) cmd_status ;;
  down) cmd_down ;;
  logs) shift; cmd_logs "$@" ;;
  cli)
    [[ $# -ge 3 ]] || cl_die "usage: ops/cluster.sh cli NAME COMMAND..."
    one "$2"; i=${2#lb}; shift 2; cl_cli "$i" "$@" ;;
  start)
    [[ $# -eq 2 ]] || cl_die "usage: ops/cluster.sh start NAME"
    one "$2"
    if [[ $2 == lb* ]]; then cl_start_node "${2#lb}"; cl_wait_node "${2#lb}" 90; else cl_start_backend "${2#b}"; cl_wait_backend "${2#b}"; fi
    cl_say "$2 started (pid $(cl_pid "$2"))" ;;
  stop) [[ $# -eq 2 ]] || cl_die "usage: ops/cluster.sh stop NAME"; one "$2"; cl_stop "$2" "${STOP_TIMEOUT:-30}"; cl_say "$2 exited with code $(cl_exit "$2")" ;;
  kill) [[ $# -eq 2 ]] || cl_die "usage: ops/cluster.sh kill NAME"; one "$2"; cl_kill "$2"; cl_say "$2 killed (exit code $(cl_exit "$2"))" ;;
  *) usage ;;
esac
