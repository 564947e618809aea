# Shared by the drills: a cluster to drill on, steady sticky traffic, event tails, timings, the report.
# Sourced by ops/drills/*.sh; not run on its own.
#
# Knobs (environment): CLIENTS=6 client loops, SESSIONS=5 session keys per loop (X-Session header),
# INTERVAL=0.05 s between one loop's requests, READY_CHECK=on (with the admin endpoint: clients
# send only to nodes whose /readyz answered 200 within the last half second, as behind a
# Kubernetes Service or a cloud balancer; off: to every node that accepts connections),
# KEEP=1 leaves a cluster this drill started running, and ops/cluster.sh's STICKY, ADMIN,
# PORT_OFFSET for a cluster the drill starts.
set -euo pipefail
DRILLS_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../../lib/cluster-lib.sh
source "$DRILLS_HOME/../lib/cluster-lib.sh"

# The helpers' Python: the system one when there is one. A version manager's shim first in PATH
# (pyenv here) took 0.7 s to start when idle and 3 s during a drill, every time a helper ran.
PYTHON=${PYTHON:-$([[ -x /usr/bin/python3 ]] && echo /usr/bin/python3 || echo python3)}
CLIENTS=${CLIENTS:-6}
SESSIONS=${SESSIONS:-5}
INTERVAL=${INTERVAL:-0.05}
READY_CHECK=${READY_CHECK:-on}
DRILL_STARTED_CLUSTER=0
DRILL_BG=()

drill_log() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }

# Uses the running local cluster, or starts one (ops/cluster.sh up 3), and checks it is whole.
drill_init() {
  DRILL=$1
  local running=0
  if [[ -f $RUN/cluster.env ]]; then
    cl_load
    local name
    for name in $(cl_names); do cl_alive "$name" && running=1; done
  fi
  if ((!running)); then
    drill_log "no local cluster running: ops/cluster.sh up 3"
    "$DRILLS_HOME/../cluster.sh" up 3 >/dev/null || cl_die "could not start a local cluster (see the lines above)"
    DRILL_STARTED_CLUSTER=1
    cl_load
  fi
  DIR=$RUN/drills/$DRILL-$(date +%Y%m%d-%H%M%S)
  mkdir -p "$DIR"
  : >"$DIR/events"
  : >"$DIR/problems"
  trap drill_cleanup EXIT
  drill_whole 60 || cl_die "the cluster is not whole before the drill (ops/cluster.sh status)"
  drill_log "$DRILL: cluster of $NODES nodes and $BACKENDS backends, sticky: $STICKY, results in $DIR"
}

# Every node and backend runs; node 1 (or the first one alive) sees NODES members up and reachable;
# every node's pool has every backend up and ready.
drill_whole() {
  local timeout=${1:-60} deadline i name observer=""
  deadline=$((SECONDS + timeout))
  for name in $(cl_names); do
    if ! cl_alive "$name"; then
      drill_log "$name is not running: starting it"
      if [[ $name == lb* ]]; then cl_start_node "${name#lb}"; cl_wait_node "${name#lb}" 90; else cl_start_backend "${name#b}"; cl_wait_backend "${name#b}"; fi
    fi
  done
  for ((i = 1; i <= NODES; i++)); do cl_alive "lb$i" && { observer=$i; break; }; done
  cl_wait_members "$observer" "$NODES" "$timeout" >/dev/null || return 1
  for ((i = 1; i <= NODES; i++)); do
    until [[ $(cl_cli "$i" lb backends -p demo 2>/dev/null | grep -c ' | up | ready') == "$BACKENDS" ]]; do
      ((SECONDS < deadline)) || { drill_log "lb$i does not have all $BACKENDS backends up and ready"; return 1; }
      sleep 0.5
    done
  done
}

drill_cleanup() {
  local pid
  touch "$DIR/stop" 2>/dev/null || true
  # Background jobs of a script ignore SIGINT, so the tails get SIGTERM.
  for pid in "${DRILL_BG[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${DRILL_BG[@]}"; do wait "$pid" 2>/dev/null || true; done
  DRILL_BG=()
  if ((DRILL_STARTED_CLUSTER)) && [[ ${KEEP:-0} != 1 ]]; then
    drill_log "stopping the cluster this drill started (KEEP=1 keeps it)"
    "$DRILLS_HOME/../cluster.sh" down >/dev/null 2>&1 || true
  fi
}

# Records an event (fault, detect, recover, ...) at now, or at a given epoch-ms time.
mark() { echo "$1 ${2:-$(cl_now_ms)}" >>"$DIR/events"; }
event_time() { awk -v e="$1" '$1 == e { print $2; exit }' "$DIR/events"; }

# A promise broken, found by the drill itself (an exit code, a member that should not have gone).
broken() { drill_log "BROKEN: $*"; echo "$*" >>"$DIR/problems"; }

# ---- traffic ----

# One client loop: requests go round-robin over the nodes' HTTP listeners, each with one of this
# loop's session keys in X-Session. A node that refuses the connection (stopped, crashed) is what a
# client with several addresses skips: the request goes to the next node and counts as a failover,
# not a failure. Anything else that is not a 2xx answer is a failure. One line per request:
#   start-ms loop seq session node status backend curl-exit failovers ms
client_loop() {
  local k=$1 n=0 out rc node tries failovers start end session ready=() j
  local ports=() i
  for ((i = 1; i <= NODES; i++)); do ports+=("$(cl_web "$i")"); done
  exec >>"$DIR/client-$k.log"
  while [[ ! -e $DIR/stop ]]; do
    session="s$k-$((n % SESSIONS))"
    node=$(((k + n) % NODES))
    # Behind a health-checking balancer: the next node that is ready, if any is.
    if [[ -f $DIR/ready ]] && read -r -a ready <"$DIR/ready" && [[ ${ready[*]} == *1* ]]; then
      for ((j = 0; j < NODES; j++)); do
        [[ ${ready[node]:-0} == 1 ]] && break
        node=$(((node + 1) % NODES))
      done
    fi
    failovers=0
    start=$(cl_now_ms)
    for ((tries = 0; tries < NODES; tries++)); do
      out=$(curl -sS -o /dev/null -H "X-Session: $session" --connect-timeout 1 --max-time 15 \
        -w '%{http_code}|%header{x-backend-id}|%{time_connect}' "http://127.0.0.1:${ports[node]}/" 2>/dev/null) && rc=0 || rc=$?
      # Refused (7), or no connection within the connect timeout (28 before connecting): next node.
      if ((rc == 7)) || { ((rc == 28)) && [[ $out == "000|"*"|0.000000" ]]; }; then
        failovers=$((failovers + 1))
        node=$(((node + 1) % NODES))
        continue
      fi
      break
    done
    end=$(cl_now_ms)
    IFS='|' read -r status backend _ <<<"${out:-000||0}"
    [[ -n $backend ]] || backend=-
    echo "$start $k $n $session lb$((node + 1)) $status $backend $rc $failovers $((end - start))"
    n=$((n + 1))
    sleep "$INTERVAL"
  done
}

# Polls every node's /readyz twice a second into DIR/ready ("1 0 1": lb1 and lb3 ready), the way a
# Kubernetes Service or a cloud load balancer follows readiness.
ready_loop() {
  local i states
  while [[ ! -e $DIR/stop ]]; do
    states=()
    for ((i = 1; i <= NODES; i++)); do
      if curl -fsS -o /dev/null --max-time 0.4 "http://127.0.0.1:$(cl_admin "$i")/readyz" 2>/dev/null; then states+=(1); else states+=(0); fi
    done
    echo "${states[*]}" >"$DIR/ready.tmp"
    mv -f "$DIR/ready.tmp" "$DIR/ready"
    sleep 0.5
  done
}

traffic_start() {
  local k
  rm -f "$DIR/stop" "$DIR/ready"
  if [[ $READY_CHECK == on && $ADMIN == on ]]; then
    ready_loop &
    DRILL_BG+=($!)
    local waited=0
    until [[ -f $DIR/ready ]] || ((waited++ > 50)); do sleep 0.1; done
  fi
  for ((k = 0; k < CLIENTS; k++)); do
    client_loop "$k" &
    DRILL_BG+=($!)
  done
  drill_log "traffic: $CLIENTS client loops, $((CLIENTS * SESSIONS)) sticky sessions (X-Session), round-robin over $NODES nodes$([[ -f $DIR/ready ]] && echo ", ready ones only (/readyz)")"
}

traffic_stop() {
  touch "$DIR/stop"
  wait_for_clients
}

wait_for_clients() {
  local pid remaining=()
  # Client loops end at their next request; tails run until cleanup.
  for pid in "${DRILL_BG[@]}"; do
    if [[ -n ${TAIL_PIDS[$pid]:-} ]]; then remaining+=("$pid"); else wait "$pid" 2>/dev/null || true; fi
  done
  DRILL_BG=("${remaining[@]}")
}

# ---- what the nodes say ----

declare -A TAIL_PIDS=()

# Streams `drover ... cluster tail` (or `log tail`) from node I into DIR/NAME.tail.
tail_start() { # I cluster|log NAME
  "$BIN_CLI" "127.0.0.1:$(cl_cmd "$1")" "$2" tail >"$DIR/$3.tail" 2>&1 &
  DRILL_BG+=($!)
  TAIL_PIDS[$!]=1
  # The tail prints the current state first: wait for it, so later lines are news.
  local waited=0
  until [[ -s $DIR/$3.tail ]] || ((waited++ > 50)); do sleep 0.1; done
}

# Epoch ms of the first line of DIR/NAME.tail matching the regex, logged at or after AFTER-ms.
tail_time() { # NAME REGEX AFTER-ms
  "$PYTHON" "$DRILLS_HOME/lib/tail_time.py" "$DIR/$1.tail" "$2" "$3"
}

# Waits until tail_time finds the line; prints its time. Fails after TIMEOUT seconds. One Python
# process polls the file: starting one per poll took up to 3 s each on the loaded 2-core machine,
# which delayed the drill's next step (e.g. a backend's restart) by as much.
wait_tail() { # NAME REGEX AFTER-ms TIMEOUT
  "$PYTHON" "$DRILLS_HOME/lib/tail_time.py" "$DIR/$1.tail" "$2" "$3" "$4"
}

# Streams every node's `log tail` into DIR/logs-lbI.tail (the nodes' own timestamps for the backend drills).
tail_all_logs() {
  local i
  for ((i = 1; i <= NODES; i++)); do tail_start "$i" log "logs-lb$i"; done
}

# Epoch ms at which BACKEND reached STATE (up-ready: `up | ready` in `lb backends`; drained:
# `(drained)`) on the last node to reach it, after AFTER-ms, by the nodes' own log timestamps (see
# lib/backend_state.py); waits up to TIMEOUT s. Needs tail_all_logs before the fault. Per-node
# times go to DIR/backend-state.log.
backend_state_time() { # BACKEND up-ready|drained AFTER-ms TIMEOUT
  local i files=()
  for ((i = 1; i <= NODES; i++)); do files+=("$DIR/logs-lb$i.tail"); done
  "$PYTHON" "$DRILLS_HOME/lib/backend_state.py" --pool demo --backend "$1" --state "$2" --after "$3" --wait "$4" \
    "${files[@]}" 2>>"$DIR/backend-state.log"
}

# Sleeps until epoch ms T (returns at once if it has passed).
sleep_until() { # T-ms
  local left=$(($1 - $(cl_now_ms)))
  ((left > 0)) && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
  return 0
}

# The member address of node I as the cluster prints it.
member() { cl_cli "$1" cluster status 2>/dev/null | awk -F' [|] ' '{ print $1 }'; }

# ---- steps the drills share ----

# A node drill's start: sets victim (VICTIM, else DEFAULT), observer (another node) and address (the
# victim's member address); tails the observer's `cluster tail` into DIR/members.tail; runs the
# traffic for 4 s before the fault.
node_drill_start() { # DEFAULT-VICTIM
  victim=${VICTIM:-$1}
  observer=$((victim == 1 ? 2 : 1))
  address=$(member "$victim")
  tail_start "$observer" cluster members
  traffic_start
  sleep 4
}

# Restarts lb$victim as a supervisor would; recover is when the observer sees it up again after its
# removal and the cluster whole. Then 3 s more traffic, and the traffic stops.
rejoin_victim() {
  local t
  drill_log "restarting lb$victim (a supervisor's job)"
  cl_start_node "$victim"
  cl_wait_node "$victim" 90
  mark restarted
  if t=$(wait_tail members "MemberUp $address" "$(event_time removed)" 60) && cl_wait_members "$observer" "$NODES" 30 >/dev/null; then
    mark recover "$t"
  else
    broken "lb$victim did not rejoin"
  fi
  sleep 3
  traffic_stop
}

# Waits until every node's `lb backends -p demo` shows BACKEND in STATE (a regex for what follows
# "BACKEND | ", e.g. ".* | up | ready"); a node still without it after TIMEOUT s breaks the promise.
# The nodes are asked one after the other, and each `drover` call took 2 to 4 s on the loaded 2-core
# machine (a .NET process starting, 0.4 s when idle): the moment this returns is up to ~10 s after
# the last node got there. The drills confirm states with it but time them by backend_state_time.
wait_backend_everywhere() { # BACKEND STATE-REGEX TIMEOUT WHAT-IS-BROKEN
  local deadline=$((SECONDS + $3)) i
  for ((i = 1; i <= NODES; i++)); do
    until cl_cli "$i" lb backends -p demo 2>/dev/null | grep -q "^$1 | $2"; do
      ((SECONDS < deadline)) || { broken "$4 on lb$i"; break; }
      sleep 0.2
    done
  done
}

# ---- the report ----

# report --max-failed N --movers none|BACKEND --max-detect S --max-recover S [--no-move-before EVENT]
report() {
  local clients="every node that accepts"
  [[ $READY_CHECK == on && $ADMIN == on ]] && clients="ready nodes (/readyz)"
  "$PYTHON" "$DRILLS_HOME/lib/report.py" "$DIR" --drill "$DRILL" --sticky "$STICKY" --clients "$clients" "$@"
}
