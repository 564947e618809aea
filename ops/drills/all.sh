#!/usr/bin/env bash
# Runs every drill in sequence on one local cluster (started here if none runs, stopped at the end
# if started here; KEEP=1 keeps it) and prints one summary table, also written as Markdown to
# ops/run/drills/summary.md. Exits 1 when any drill broke its promise (each drill's own report
# says which promise and why), 0 when all kept theirs.
# Usage: ops/drills/all.sh [DRILL...]   (default: all seven; ops/cluster.sh's STICKY, ADMIN and
#        PORT_OFFSET apply to a cluster started here)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/cluster-lib.sh"

drills=("$@")
((${#drills[@]})) || drills=(backend-crash backend-drain node-pause node-leave node-crash partition rolling-restart)
for d in "${drills[@]}"; do [[ -x $here/$d.sh ]] || cl_die "no drill '$d' (drills: $(cd "$here" && ls *.sh | grep -v all.sh | sed 's/\.sh$//' | tr '\n' ' '))"; done

started=0
running=0
if [[ -f $RUN/cluster.env ]]; then
  cl_load
  for name in $(cl_names); do cl_alive "$name" && running=1; done
fi
if ((!running)); then
  "$here/../cluster.sh" up 3
  started=1
fi
cl_load
finish() { ((started)) && [[ ${KEEP:-0} != 1 ]] && "$here/../cluster.sh" down >/dev/null 2>&1 || true; }
trap finish EXIT

mkdir -p "$RUN/drills"
export DRILL_RESULTS=$RUN/drills/results-$(date +%Y%m%d-%H%M%S).tsv
: >"$DRILL_RESULTS"
begin=$SECONDS
for d in "${drills[@]}"; do
  echo
  echo "======== $d ========"
  before=$(wc -l <"$DRILL_RESULTS")
  "$here/$d.sh" || true
  # A drill that died before its report still gets a row.
  (($(wc -l <"$DRILL_RESULTS") > before)) || printf '%s\t-\t-\t-\t-\t-\t-\t-\tBROKEN\tthe drill did not finish (see its output)\n' "$d" >>"$DRILL_RESULTS"
done
total=$((SECONDS - begin))

header=$'drill\tsent\tfailed\tfailovers\tsessions moved\tdetect\trecover\tslowest\tpromise'
echo
echo "Summary: ${#drills[@]} drills in ${total}s on $NODES nodes and $BACKENDS backends (sticky: $STICKY; $(date '+%F %H:%M'))"
{ echo "$header"; cut -f1-9 "$DRILL_RESULTS"; } | column -t -s $'\t'
awk -F'\t' '$10 != "" { print "  " $1 ": " $10 }' "$DRILL_RESULTS"
{
  echo "| drill | sent | failed | failovers | sessions moved | detect | recover | slowest | promise |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$DRILL_RESULTS"
  echo
  echo "${#drills[@]} drills in ${total} s; $NODES nodes, $BACKENDS backends, sticky: $STICKY; $(date '+%F')."
  awk -F'\t' '$10 != "" { print "- " $1 ": " $10 }' "$DRILL_RESULTS"
} >"$RUN/drills/summary.md"
echo "(Markdown: $RUN/drills/summary.md)"
! cut -f9 "$DRILL_RESULTS" | grep -q BROKEN
