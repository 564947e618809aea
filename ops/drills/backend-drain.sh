#!/usr/bin/env bash
# Drill: backend-drain — `drover ... lb drain` one backend, wait until every node reports it
# drained (`(drained)` in `lb backends`: nothing in flight, "drain complete" logged), stop it
# (SIGTERM), then start it again and `lb ready` it.
#
# Promise:
#   - No request fails.
#   - Only the sessions bound to the drained backend change backend. With sticky sessions they keep
#     it while it drains and move only once it is stopped; with STICKY=off (hashing) they move at
#     the drain.
#   - Every node reports the drain complete within 5 s of lb1 applying the command (detect): the
#     write-all to the others, then a drain check at once and every 100 ms while anything is in
#     flight. The `drover` process's own start before lb1 applies it is the drill's (event 'applied').
#   - Started again and `lb ready`-ed 4 s after its stop, it is back in rotation on every node within
#     15 s of the stop (recover). With sticky sessions, its sessions still reach it after the drain;
#     once it is stopped their connect failures eject it passively (and are retried elsewhere), and
#     an ejected backend comes back when its eject-time (10 s) runs out, `lb ready` or not.
#   Times come from the nodes' own log lines (`log tail` on every node): detect is the last node's
#   "drain complete", recover the last node's return to up and ready; both are confirmed afterwards
#   with `lb backends` on every node (events "drained-confirmed", "confirmed"; each `drover` call
#   takes seconds on a loaded machine, so those moments are later). See README.md.
# Usage: ops/drills/backend-drain.sh   (VICTIM=3: backend bN)
source "$(dirname "$0")/lib/drill.sh"
drill_init backend-drain
victim=b${VICTIM:-3}

tail_all_logs
traffic_start
sleep 4

drill_log "drover 127.0.0.1:$(cl_cmd 1) lb drain -p demo -b $victim"
mark fault
fault=$(event_time fault)
cl_cli 1 lb drain -p demo -b "$victim" >&2 || broken "lb drain failed"
# When lb1 applied it (the CLI's own start and connect come before).
if t=$(wait_tail logs-lb1 "/user/lb/pool-demo: pool demo: backend $victim admin state ready -> drain" "$fault" 5); then mark applied "$t"; else broken "lb1 never logged the drain"; fi
if t=$(backend_state_time "$victim" drained "$fault" 20); then mark detect "$t"; else broken "$victim was never drained on every node (logs)"; fi
wait_backend_everywhere "$victim" ".* | drain (drained) |" 20 "$victim was never reported drained"
mark drained-confirmed
sleep 3

drill_log "stopping $victim (SIGTERM)"
mark stopped
cl_stop "$victim" 30
[[ $(cl_exit "$victim") == 0 ]] || broken "$victim exited with code $(cl_exit "$victim") on SIGTERM"
sleep 3

drill_log "starting $victim again, then lb ready"
cl_start_backend "${victim#b}"
cl_wait_backend "${victim#b}"
mark ready
cl_cli 1 lb ready -p demo -b "$victim" >&2 || broken "lb ready failed"
if t=$(wait_tail logs-lb1 "/user/lb/pool-demo: pool demo: backend $victim admin state drain -> ready" "$(event_time ready)" 5); then mark ready-applied "$t"; fi
if t=$(backend_state_time "$victim" up-ready "$(event_time stopped)" 30); then mark recover "$t"; else broken "$victim is not back in rotation on every node (logs)"; fi
wait_backend_everywhere "$victim" ".* | up | ready" 30 "$victim is not back in rotation"
mark confirmed
sleep 3
traffic_stop
early=()
[[ $STICKY != off ]] && early=(--no-move-before stopped)
# detect: from lb1 applying the drain (the `drover` process's start before it is the drill's, shown
# as 'applied'). recover: 15 s from the stop, or, if the drill's own restart or `lb ready` came too
# late for that, 3 s after the backend answered (rise = 2 checks 1 s apart) / 1 s after lb ready.
report --max-failed 0 --movers "$victim" "${early[@]}" --max-detect 5 --detect-from applied \
  --max-recover 15 --recover-from stopped --recover-after-step ready:3 --recover-after-step ready-applied:1
