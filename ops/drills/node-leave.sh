#!/usr/bin/env bash
# Drill: node-leave — `drover ... cluster leave` on one node, then SIGTERM at once, as a Kubernetes
# preStop hook followed by the pod's termination does.
#
# Promise:
#   - No request fails (the leaving node finishes what it has; clients it refuses go elsewhere).
#   - No sticky session changes backend.
#   - The leave is graceful: no member ever sees the node unreachable, and it exits with code 0.
#   - The others see it leave within 5 s (detect); restarted, it is back and the cluster whole
#     within 45 s of the leave (recover).
# Usage: ops/drills/node-leave.sh   (VICTIM=3)
source "$(dirname "$0")/lib/drill.sh"
drill_init node-leave
node_drill_start 3

drill_log "drover 127.0.0.1:$(cl_cmd "$victim") cluster leave, then SIGTERM"
mark fault
cl_cli "$victim" cluster leave >&2 || broken "cluster leave failed on lb$victim"
cl_stop "lb$victim" 40
code=$(cl_exit "lb$victim")
mark exited
[[ $code == 0 ]] || broken "lb$victim exited with code $code after leaving (expected 0)"
fault=$(event_time fault)
if t=$(wait_tail members "Member(Left|Exited|Removed) $address" "$fault" 30); then mark detect "$t"; else broken "lb$observer never saw lb$victim leave"; fi
if t=$(wait_tail members "MemberRemoved $address" "$fault" 30); then mark removed "$t"; else broken "lb$victim was never removed"; fi
if [[ -n $(tail_time members "UnreachableMember $address" "$fault") ]]; then broken "lb$victim was seen unreachable: the leave was not graceful"; fi

rejoin_victim
report --max-failed 0 --movers none --max-detect 5 --max-recover 45
