#!/usr/bin/env bash
# Drill: backend-crash — kill -9 one backend under steady sticky traffic, then start it again.
#
# Promise:
#   - No request fails: connect failures and resets before a response are retried on another backend.
#   - Only the sessions bound to the killed backend change backend (they rebind once); no other does.
#   - A node takes it out of rotation within 3 s (detect: passive ejection after 5 failures in a
#     row, or 1 s probes with fall = 2).
#   - Started again 4 s after the kill, it is back in rotation on every node within 15 s of the kill
#     (recover). Its probes pass about 2 s after the restart (rise = 2), but the passive ejection
#     that took it out lasts its eject-time (10 s), and an ejected backend comes back only when that
#     runs out: so the bound is the ejection's end plus a few seconds, not the restart.
# Usage: ops/drills/backend-crash.sh   (VICTIM=2: backend bN)
source "$(dirname "$0")/lib/drill.sh"
drill_init backend-crash
victim=b${VICTIM:-2}
observer=1

tail_start "$observer" log logs
traffic_start
sleep 4

drill_log "kill -9 $victim"
mark fault
cl_kill "$victim"
fault=$(event_time fault)
if t=$(wait_tail logs "pool demo: backend $victim (cluster verdict )?up -> " "$fault" 20); then mark detect "$t"; else broken "lb$observer never took $victim out of rotation"; fi
sleep 3

drill_log "starting $victim again"
cl_start_backend "${victim#b}"
cl_wait_backend "${victim#b}"
mark restarted
wait_backend_everywhere "$victim" ".* | up | ready" 30 "$victim is not back in rotation"
mark recover
sleep 3
traffic_stop
report --max-failed 0 --movers "$victim" --max-detect 3 --max-recover 15
