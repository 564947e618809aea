#!/usr/bin/env bash
# Drill: partition — cut one node off from the others (without root: the fault palette black-holes
# its remoting links through Akka's throttler, `drover ... fault isolate`; clients and backends can
# still reach it).
#
# Promise:
#   - No request fails: the cut-off node serves until it downs itself, drains, and exits; clients
#     it then refuses go to the other nodes.
#   - No sticky session changes backend.
#   - The majority sees it unreachable within 10 s (detect); the split brain resolver (keep-majority)
#     removes it on the majority side and the cut-off node downs itself and exits with code 3, so
#     there is never a second cluster; restarted by a supervisor, it rejoins and the cluster is
#     whole within 60 s of the cut (recover).
# Needs the fault palette (ops/cluster.sh up with FAULTS=on, the default).
# Usage: ops/drills/partition.sh   (VICTIM=3)
source "$(dirname "$0")/lib/drill.sh"
drill_init partition
[[ $FAULTS == on ]] || cl_die "partition needs the fault palette: restart the cluster with FAULTS=on (ops/cluster.sh down; ops/cluster.sh up 3)"
node_drill_start 3

drill_log "drover 127.0.0.1:$(cl_cmd "$victim") fault isolate"
mark fault
cl_cli "$victim" fault isolate >&2 || { broken "fault isolate failed on lb$victim"; }
fault=$(event_time fault)
if t=$(wait_tail members "UnreachableMember $address" "$fault" 30); then mark detect "$t"; else broken "lb$observer never saw lb$victim unreachable"; fi
if t=$(wait_tail members "MemberRemoved $address" "$fault" 60); then mark removed "$t"; else broken "the majority never removed lb$victim"; fi
deadline=$((SECONDS + 60))
while cl_alive "lb$victim" && ((SECONDS < deadline)); do sleep 0.2; done
if cl_alive "lb$victim"; then
  broken "lb$victim is still running 60 s after being cut off: a second cluster"
  cl_stop "lb$victim" 30
else
  mark victim-exit
  code=$(cl_exit "lb$victim")
  [[ $code == 3 ]] || broken "lb$victim exited with code $code (expected 3: downed by the cluster)"
fi

rejoin_victim
report --max-failed 0 --movers none --max-detect 10 --max-recover 60
