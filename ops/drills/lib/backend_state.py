#!/usr/bin/env python3
"""backend_state.py --pool P --backend B --state up-ready|drained --after MS [--wait S] FILE...

When did backend B of pool P reach STATE on every node, by the nodes' own clocks? Each FILE is one
node's `drover ... log tail` capture (lines start 'YYYY-MM-DD HH:MM:SS.fff'), started before the
fault, while the backend was up and ready there. The pool actor's own lines (actor path
/user/lb/pool-P) are replayed in order:

  pool P: backend B up -> ejected: ...               this node's passive health (up | ejected | down)
  pool P: backend B cluster verdict down -> up       the cluster's verdict
  pool P: backend B admin state ready -> drain       the admin state (ready | drain | maint)
  pool P: backend B drain complete (drain): ...      nothing in flight: `(drained)`

which is everything `lb backends` shows for the backend's health and admin columns:
  up-ready  health "up" (this node's and the cluster's verdict both up) and admin "ready"
  drained   admin drain or maint, drain complete since the admin state last changed

A node's time is its last change into STATE after AFTER (epoch ms), and it must still be in STATE at
the end of its capture. Prints the latest node's time (epoch ms) on stdout and one line per node on
stderr; with --wait, rereads the files until every node is in STATE or S seconds have passed. Exits 1
when some node is not. One process for the whole wait: starting Python once per poll costs
seconds on a loaded machine."""
import argparse
import re
import sys
import time

from tail_time import stamp_ms  # one reading of a log line's time stamp for both scripts


def node_time(path, pool, backend, state, after):
    """(in STATE now, ms of the last change into STATE after AFTER or None, last relevant line)."""
    prefix = re.escape(f"/user/lb/pool-{pool}: pool {pool}: backend {backend} ")
    health_re = re.compile(prefix + r"(up|down|ejected) -> (up|down|ejected)\b")
    verdict_re = re.compile(prefix + r"cluster verdict (up|down|ejected) -> (up|down|ejected)\b")
    admin_re = re.compile(prefix + r"admin state (\w+) -> (\w+)")
    drained_re = re.compile(prefix + r"drain complete")
    local, cluster, admin, drained = "up", "up", "ready", False

    def holds():
        if state == "up-ready":
            return local == "up" and cluster == "up" and admin == "ready"
        return admin != "ready" and drained

    was = holds()
    since = None
    last = ""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                t = stamp_ms(line)
                if t is None:
                    continue
                if m := verdict_re.search(line):
                    cluster = m.group(2)
                elif m := health_re.search(line):
                    local = m.group(2)
                elif m := admin_re.search(line):
                    admin, drained = m.group(2), False
                elif drained_re.search(line):
                    drained = True
                else:
                    continue
                last = line.strip()
                now = holds()
                if now and not was and t >= after:
                    since = t
                was = now
    except FileNotFoundError:
        return False, None, "(no capture)"
    return was, since, last


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--state", required=True, choices=["up-ready", "drained"])
    parser.add_argument("--after", type=int, required=True)
    parser.add_argument("--wait", type=float, default=0)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    deadline = time.time() + args.wait
    while True:
        results = [(path, *node_time(path, args.pool, args.backend, args.state, args.after)) for path in args.files]
        done = all(now and since is not None for _, now, since, _ in results)
        if done or time.time() >= deadline:
            break
        time.sleep(0.1)
    for path, now, since, last in results:
        when = time.strftime("%H:%M:%S", time.localtime(since / 1000)) + f".{since % 1000:03d}" if since else "-"
        print(f"{path}: {args.backend} {args.state} {'since ' + when if now and since else 'NOT YET'}; last: {last}",
              file=sys.stderr)
    if not done:
        sys.exit(1)
    print(max(since for _, _, since, _ in results))


if __name__ == "__main__":
    main()
