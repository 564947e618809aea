#!/usr/bin/env bash
# Drill: rolling-restart — restart every node, one at a time (SIGTERM, wait for exit, start, wait
# until it is up and the cluster whole), under steady sticky traffic.
#
# Promise:
#   - No request fails.
#   - No sticky session changes backend, although every node (and so every session's owner) restarts.
#   - Every node exits with code 0 and no member is ever seen unreachable (each leaves gracefully).
#   - The whole roll takes at most 40 s per node (recover: from the first SIGTERM to the cluster
#     whole after the last node).
# Usage: ops/drills/rolling-restart.sh
source "$(dirname "$0")/lib/drill.sh"
drill_init rolling-restart

traffic_start
sleep 4
mark fault
for ((i = 1; i <= NODES; i++)); do
  observer=$((i == NODES ? 1 : i + 1))
  address=$(member "$i")
  tail_start "$observer" cluster "step-$i"
  step=$(cl_now_ms)
  drill_log "restarting lb$i (SIGTERM)"
  cl_stop "lb$i" 40
  code=$(cl_exit "lb$i")
  [[ $code == 0 ]] || broken "lb$i exited with code $code on SIGTERM (expected 0)"
  cl_start_node "$i"
  cl_wait_node "$i" 90
  cl_wait_members "$observer" "$NODES" 60 >/dev/null || broken "the cluster was not whole after restarting lb$i"
  [[ -n $(tail_time "step-$i" "UnreachableMember $address" "$step") ]] && broken "lb$i was seen unreachable while it restarted"
done
mark recover
sleep 3
traffic_stop
report --max-failed 0 --movers none --max-recover $((40 * NODES)) --note "detect: not applicable (planned restarts)"
