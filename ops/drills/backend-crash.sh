#!/usr/bin/env bash
# Drill: backend-crash — kill -9 one backend under steady sticky traffic, then start it again.
#
# Promise:
#   - No request fails: connect failures and resets before a response are retried on another backend.
#   - Only the sessions bound to the killed backend change backend (they rebind once); no other does.
#   - A node takes it out of rotation within 3 s (detect: passive ejection after 5 failures in a
#     row, or 1 s probes with fall = 2).
#   - Started again 4 s after the kill, it is back in rotation on every node within 15 s of the kill
#     (recover). Its probes pass about 2 s after it answers (rise = 2), but if the data path ejected
#     it passively first (5 failures in a row on a node, within ~3 s of the kill), that ejection lasts
#     its eject-time (10 s) and an ejected backend comes back only when it runs out: at most ~13 s,
#     plus up to 1 s for the cluster verdict's sweep. See README.md for the arithmetic.
#   Times come from the nodes' own log lines (`log tail` on every node): detect is the observer's
#   first "up -> " line, recover the moment the last node's pool had it up (its own verdict and the
#   cluster's) and ready, confirmed afterwards with `lb backends` on every node (event "confirmed";
#   each `drover` call takes seconds on a loaded machine, so that moment is later).
# Usage: ops/drills/backend-crash.sh   (VICTIM=2: backend bN)
source "$(dirname "$0")/lib/drill.sh"
drill_init backend-crash
victim=b${VICTIM:-2}
observer=1

tail_all_logs
traffic_start
sleep 4

drill_log "kill -9 $victim"
mark fault
cl_kill "$victim"
fault=$(event_time fault)
if t=$(wait_tail "logs-lb$observer" "/user/lb/pool-demo: pool demo: backend $victim (cluster verdict )?up -> " "$fault" 20); then mark detect "$t"; else broken "lb$observer never took $victim out of rotation"; fi
sleep_until $((fault + 4000))

drill_log "starting $victim again"
mark started
cl_start_backend "${victim#b}"
cl_wait_backend "${victim#b}"
mark restarted
if t=$(backend_state_time "$victim" up-ready "$fault" 30); then mark recover "$t"; else broken "$victim is not back in rotation on every node (logs)"; fi
wait_backend_everywhere "$victim" ".* | up | ready" 30 "$victim is not back in rotation"
mark confirmed
sleep 3
traffic_stop
# recover: 15 s from the kill, or, if the drill's own restart came too late for that (a loaded
# machine), 3 s after the backend answered (rise = 2 checks 1 s apart, then the verdict's spread).
report --max-failed 0 --movers "$victim" --max-detect 3 --max-recover 15 --recover-after-step restarted:3
