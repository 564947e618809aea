# Functions behind ops/cluster.sh, also sourced by the drills (ops/drills/*.sh).
# Everything lives in one run folder ($DROVER_RUN, default ops/run, git-ignored):
#   bin/node, bin/cli          the Release build (Drover.Node, drover)
#   cluster.env                what `up` was asked for (node count, port offset, options)
#   cluster.hocon              the config every node reads; per-node settings come from the environment
#   lbI/ and bK/               per process: pid, exit (once it ended), log, env (nodes), logstart
# Processes are only ever signalled by the pid recorded here, and only when that pid still runs
# our own build (checked in /proc), so nothing this script did not start is touched.

CL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=$(realpath -m "${DROVER_RUN:-$CL_ROOT/ops/run}")
BIN_NODE=$RUN/bin/node/Drover.Node
BIN_CLI=$RUN/bin/cli/drover

cl_die() { echo "cluster: $*" >&2; exit 1; }
cl_say() { echo "cluster: $*" >&2; }
cl_now_ms() { local t=${EPOCHREALTIME/./}; echo "${t:0:13}"; }

# ---- what `up` recorded ----

cl_load() {
  [[ -f $RUN/cluster.env ]] || cl_die "no local cluster in $RUN (start one: ops/cluster.sh up 3)"
  # shellcheck disable=SC1091
  source "$RUN/cluster.env"
}

# Ports of node I (1-based) and backend K; PORT_OFFSET moves them all (two clusters on one machine).
cl_remoting() { echo $((4052 + $1 + PORT_OFFSET)); }
cl_cmd()      { echo $((9109 + $1 + PORT_OFFSET)); }
cl_admin()    { echo $((9900 + $1 + PORT_OFFSET)); }
cl_web()      { echo $((8079 + $1 + PORT_OFFSET)); }
cl_raw()      { echo $((8179 + $1 + PORT_OFFSET)); }
cl_backend()  { echo $((9000 + $1 + PORT_OFFSET)); }

cl_address() { echo "127.0.0.1:$(cl_remoting "$1")"; }

cl_seeds() {
  local i seeds=()
  for ((i = 1; i <= NODES; i++)); do seeds+=("$(cl_address "$i")"); done
  (IFS=,; echo "${seeds[*]}")
}

cl_names() {
  local i
  for ((i = 1; i <= BACKENDS; i++)); do echo "b$i"; done
  for ((i = 1; i <= NODES; i++)); do echo "lb$i"; done
}

# ---- processes ----

# The recorded pid of NAME if that process is alive and is our build; nothing otherwise.
cl_pid() {
  local file=$RUN/$1/pid pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  local cmdline state
  # The process may end between any two reads: every failure means "not running".
  { cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline") && state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status"); } 2>/dev/null || return 0
  # A zombie or a reused pid running something else is not ours.
  [[ $cmdline == *"$RUN/bin/node/Drover.Node"* && $state != Z ]] || return 0
  echo "$pid"
}

cl_alive() { [[ -n $(cl_pid "$1") ]]; }

# Exit code of NAME's last run ("" while it runs or before it ever ran).
cl_exit() { [[ -f $RUN/$1/exit ]] && cat "$RUN/$1/exit" || true; }

cl_launch() { # NAME CMD... (environment already exported by the caller's subshell)
  local name=$1 dir=$RUN/$1
  shift
  mkdir -p "$dir"
  touch "$dir/log"
  wc -l <"$dir/log" >"$dir/logstart"
  echo "=== $(date '+%F %T') start: $*" >>"$dir/log"
  rm -f "$dir/exit" "$dir/pid"
  setsid "$CL_ROOT/ops/lib/run-one.sh" "$dir" "$@" >/dev/null 2>&1 </dev/null &
  local waited=0
  until [[ -s $dir/pid || -f $dir/exit ]]; do
    sleep 0.05
    ((++waited < 200)) || cl_die "$name did not start (see $dir/log)"
  done
}

# Lines NAME logged since its last start.
cl_log_since_start() {
  local dir=$RUN/$1
  tail -n +$(($(cat "$dir/logstart" 2>/dev/null || echo 0) + 1)) "$dir/log" 2>/dev/null
}

cl_start_backend() {
  local k=$1
  cl_alive "b$k" && cl_die "b$k already runs (pid $(cl_pid "b$k"))"
  cl_launch "b$k" "$BIN_NODE" demo-backend --bind "127.0.0.1:$(cl_backend "$k")" --id "b$k"
}

cl_wait_backend() {
  local k=$1 deadline=$((SECONDS + ${2:-30}))
  until curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$(cl_backend "$k")/healthz" 2>/dev/null; do
    cl_alive "b$k" || { cl_log_since_start "b$k" | tail -n 5 >&2; cl_die "backend b$k exited (code $(cl_exit "b$k"))"; }
    ((SECONDS < deadline)) || cl_die "backend b$k not answering on 127.0.0.1:$(cl_backend "$k") after ${2:-30}s"
    sleep 0.2
  done
}

# The per-node settings, as environment variables: the same ones docker/docker-compose.yml sets.
cl_node_env() {
  local i=$1
  echo "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1"   # as the Docker image and ops/bench run it
  echo "CLUSTER_IP=127.0.0.1"
  echo "CLUSTER_PORT=$(cl_remoting "$i")"
  echo "CLUSTER_SEEDS=$(cl_seeds)"
  echo "CLUSTER_ROLES=lb"
  echo "DROVER__LISTENERS__WEB__BIND=127.0.0.1:$(cl_web "$i")"
  echo "DROVER__LISTENERS__RAW__BIND=127.0.0.1:$(cl_raw "$i")"
  echo "DROVER__CMD__BIND=127.0.0.1:$(cl_cmd "$i")"
  if [[ $ADMIN == on ]]; then echo "DROVER__ADMIN__BIND=127.0.0.1:$(cl_admin "$i")"; fi
}

cl_start_node() {
  local i=$1
  cl_alive "lb$i" && cl_die "lb$i already runs (pid $(cl_pid "lb$i"))"
  mkdir -p "$RUN/lb$i"
  cl_node_env "$i" >"$RUN/lb$i/env"
  (
    set -a
    # shellcheck disable=SC1091
    source "$RUN/lb$i/env"
    set +a
    cl_launch "lb$i" "$BIN_NODE" --config "$RUN/cluster.hocon"
  )
}

# Explains a node that stopped at start: above all, config keys this build does not know yet.
cl_explain_failure() {
  local name=$1 log
  log=$(cl_log_since_start "$name")
  echo "$log" | grep -v '^===' | tail -n 12 >&2
  if grep -q "drover.pools.demo.sticky" <<<"$log"; then
    cl_say "this build rejects pools.NAME.sticky: sticky sessions (issue 5) are not in it yet."
    cl_say "run without them: STICKY=off ops/cluster.sh up (the pool then hashes X-Session instead)"
  fi
  if grep -q "drover.admin" <<<"$log"; then
    cl_say "this build rejects drover.admin: the admin endpoint (/metrics, /healthz, /readyz) is not in it yet."
    cl_say "run without it: ADMIN=off ops/cluster.sh up"
  fi
}

# Waits until node I has bound everything ("command host on" in its log since its last start).
cl_wait_node() {
  local i=$1 deadline=$((SECONDS + ${2:-60}))
  until cl_log_since_start "lb$i" | grep -q "drover: command host on"; do
    if ! cl_alive "lb$i"; then
      cl_explain_failure "lb$i"
      cl_die "lb$i exited with code $(cl_exit "lb$i") while starting (log: $RUN/lb$i/log)"
    fi
    ((SECONDS < deadline)) || cl_die "lb$i not ready after ${2:-60}s (log: $RUN/lb$i/log)"
    sleep 0.2
  done
  if [[ $ADMIN == on ]]; then
    until curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$(cl_admin "$i")/readyz" 2>/dev/null; do
      ((SECONDS < deadline)) || cl_die "lb$i: /readyz on 127.0.0.1:$(cl_admin "$i") not 200 after ${2:-60}s"
      sleep 0.2
    done
  fi
}

# Sends SIGTERM (after SIGCONT, in case a drill left it stopped) and waits; SIGKILL after the timeout.
cl_stop() {
  local name=$1 timeout=${2:-30} pid
  pid=$(cl_pid "$name")
  [[ -n $pid ]] || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while cl_alive "$name" && ((SECONDS < deadline)); do sleep 0.1; done
  if cl_alive "$name"; then
    cl_say "$name (pid $pid) still running ${timeout}s after SIGTERM: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Wait for the exit code, written by run-one.sh once the process is gone.
  deadline=$((SECONDS + 5))
  until [[ -f $RUN/$name/exit ]] || ((SECONDS >= deadline)); do sleep 0.05; done
}

cl_kill() {
  local name=$1 pid
  pid=$(cl_pid "$name")
  [[ -n $pid ]] || cl_die "$name is not running"
  kill -KILL "$pid"
  local deadline=$((SECONDS + 5))
  until [[ -f $RUN/$name/exit ]] || ((SECONDS >= deadline)); do sleep 0.05; done
}

# ---- asking the nodes ----

cl_cli() { # I ARGS...: the drover CLI against node I's command host
  local i=$1
  shift
  "$BIN_CLI" "127.0.0.1:$(cl_cmd "$i")" "$@"
}

# Node I's view as "members up reachable" (three numbers), or nothing when it does not answer.
cl_view() {
  local out
  out=$(timeout 10 "$BIN_CLI" "127.0.0.1:$(cl_cmd "$1")" cluster show 2>/dev/null) || return 0
  awk -F' [|] ' '/^akka/ { m++; if ($3 == "up") u++; if ($4 == "unreachable") x++ }
                 END { printf "%d %d %d\n", m, u, m - x }' <<<"$out"
}

# Waits until node I sees exactly COUNT members, all up and reachable. Prints the seconds it took.
cl_wait_members() {
  local i=$1 count=$2 timeout=${3:-60} start=$SECONDS view
  while :; do
    view=$(cl_view "$i")
    [[ $view == "$count $count $count" ]] && { echo $((SECONDS - start)); return 0; }
    ((SECONDS - start < timeout)) || { cl_say "lb$i sees '${view:-no answer}' (members up reachable), not $count after ${timeout}s"; return 1; }
    sleep 0.3
  done
}
