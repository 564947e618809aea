#!/usr/bin/env bash
# Drill: node-pause — SIGSTOP one node for PAUSE seconds (default 8: longer than the failure
# detector's acceptable pause of 3 s, shorter than detection plus the split brain resolver's
# stable-after of 5 s), then SIGCONT. A stalled VM or a long GC pause looks like this.
#
# Promise:
#   - No request fails: requests that reach the frozen node wait and are answered after it resumes.
#     (None waits longer than the pause plus 3 s.)
#   - No sticky session changes backend.
#   - The other nodes see it unreachable while it is frozen (detect, within the pause), and
#     reachable again within 10 s of the SIGCONT (recover): it stays a member, nobody is downed.
# A longer pause (PAUSE=20) is a different drill: the others down the frozen node, which exits with
# code 3 when it resumes; that is the partition drill's path.
# Usage: ops/drills/node-pause.sh   (VICTIM=2 PAUSE=8)
source "$(dirname "$0")/lib/drill.sh"
drill_init node-pause
pause=${PAUSE:-8}
node_drill_start 2
pid=$(cl_pid "lb$victim")

drill_log "SIGSTOP lb$victim (pid $pid) for ${pause}s"
mark fault
kill -STOP "$pid"
sleep "$pause"
kill -CONT "$pid"
mark resumed
drill_log "SIGCONT lb$victim"
fault=$(event_time fault)
if t=$(tail_time members "UnreachableMember $address" "$fault") && [[ -n $t ]]; then mark detect "$t"; else broken "lb$observer never saw the frozen lb$victim unreachable"; fi
if t=$(wait_tail members "ReachableMember $address" "$fault" 30); then mark recover "$t"; else broken "lb$victim never became reachable again"; fi
sleep 2
[[ -n $(tail_time members "Member(Downed|Removed) $address" "$fault") ]] && broken "lb$victim was downed for a ${pause}s pause"
cl_alive "lb$victim" || broken "lb$victim exited after the pause (code $(cl_exit "lb$victim"))"
cl_wait_members "$observer" "$NODES" 30 >/dev/null || broken "the cluster is not whole after the pause"
sleep 2
traffic_stop
report --max-failed 0 --movers none --max-detect "$pause" --max-recover 10 --recover-from resumed --max-slowest $((pause + 3))
