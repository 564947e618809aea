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
#   - Every node reports the drain complete within 5 s of the command (detect).
#   - Started again and `lb ready`-ed 4 s after its stop, it is back in rotation on every node within
#     15 s of the stop (recover). With sticky sessions, its sessions still reach it after the drain;
#     once it is stopped their connect failures eject it passively (and are retried elsewhere), and
#     an ejected backend comes back when its eject-time (10 s) runs out, `lb ready` or not.
# Usage: ops/drills/backend-drain.sh   (VICTIM=3: backend bN)
source "$(dirname "$0")/lib/drill.sh"
drill_init backend-drain
victim=b${VICTIM:-3}

traffic_start
sleep 4

drill_log "drover 127.0.0.1:$(cl_cmd 1) lb drain -p demo -b $victim"
mark fault
cl_cli 1 lb drain -p demo -b "$victim" >&2 || broken "lb drain failed"
wait_backend_everywhere "$victim" ".* | drain (drained) |" 20 "$victim was never reported drained"
mark detect
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
wait_backend_everywhere "$victim" ".* | up | ready" 30 "$victim is not back in rotation"
mark recover
sleep 3
traffic_stop
early=()
[[ $STICKY != off ]] && early=(--no-move-before stopped)
report --max-failed 0 --movers "$victim" "${early[@]}" --max-detect 5 --max-recover 15 --recover-from stopped
