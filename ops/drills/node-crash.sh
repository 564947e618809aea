#!/usr/bin/env bash
# Drill: node-crash — kill -9 one Drover node under steady sticky traffic.
#
# Promise:
#   - No request fails, except at most one per client loop: one that was in flight on the killed
#     node. (A client that finds the node gone tries the next node: a failover, not a failure.)
#   - No sticky session changes backend: its binding outlives the node that owned it.
#   - The other nodes see the node unreachable within 10 s (detect); the split brain resolver
#     removes it, and with the node restarted as a supervisor would, the cluster is whole again
#     within 45 s of the kill (recover).
# Usage: ops/drills/node-crash.sh   (VICTIM=2: which node; see lib/drill.sh for the traffic knobs)
source "$(dirname "$0")/lib/drill.sh"
drill_init node-crash
node_drill_start 2

drill_log "kill -9 lb$victim ($address)"
mark fault
cl_kill "lb$victim"
fault=$(event_time fault)
if t=$(wait_tail members "UnreachableMember $address" "$fault" 30); then mark detect "$t"; else broken "lb$observer never saw lb$victim unreachable"; fi
if t=$(wait_tail members "MemberRemoved $address" "$fault" 60); then mark removed "$t"; else broken "lb$victim was never removed from the cluster"; fi

rejoin_victim
report --max-failed "$CLIENTS" --movers none --max-detect 10 --max-recover 45
