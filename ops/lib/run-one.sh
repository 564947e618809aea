#!/usr/bin/env bash
# run-one.sh DIR CMD [ARGS...]: runs CMD with its process id in DIR/pid, its output appended to
# DIR/log and, once it ends, its exit code in DIR/exit (137 after kill -9). ops/cluster.sh starts
# each node and backend through this, in a session of its own (setsid), so that Ctrl+C in the
# terminal that started it does not reach it and `down` can stop exactly what was started.
dir=$1
shift
rm -f "$dir/exit"
# exec keeps the pid that sh wrote: DIR/pid is the process itself, not a wrapper.
sh -c 'echo $$ > "$0"; exec "$@"' "$dir/pid" "$@" >>"$dir/log" 2>&1 </dev/null
echo $? > "$dir/exit"
