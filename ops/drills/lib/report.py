#!/usr/bin/env python3
"""report.py DIR --drill NAME [checks]: reads a drill's client logs, events and problems, prints its
table, appends a row to $DRILL_RESULTS (for all.sh), and exits 1 when the drill's promise is broken.

Client log line: start-ms loop seq session node status backend curl-exit failovers ms
Events (DIR/events): NAME EPOCH-MS, e.g. fault, detect, recover.
Problems (DIR/problems): promises the drill script found broken itself, one per line.
"""
import argparse
import collections
import glob
import os
import sys


def load_requests(directory):
    requests = []
    for path in glob.glob(os.path.join(directory, "client-*.log")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) != 10:
                    continue
                start, loop, seq, session, node, status, backend, rc, failovers, ms = parts
                requests.append({
                    "start": int(start), "session": session, "node": node, "status": status,
                    "backend": backend, "rc": int(rc), "failovers": int(failovers), "ms": int(ms),
                })
    requests.sort(key=lambda r: r["start"])
    return requests


def load_events(directory):
    events = {}
    with open(os.path.join(directory, "events"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] not in events:
                events[parts[0]] = int(parts[1])
    return events


def ok(request):
    return request["status"].startswith("2") and request["backend"] != "-"


def seconds(events, name, since="fault"):
    if name not in events or since not in events:
        return None
    return (events[name] - events[since]) / 1000.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--drill", required=True)
    parser.add_argument("--sticky", default="")
    parser.add_argument("--clients", default="")
    parser.add_argument("--max-failed", type=int, default=0)
    parser.add_argument("--movers", default="none", help="the one backend whose sessions may move, or none")
    parser.add_argument("--no-move-before", default=None, help="event before which not even the movers' sessions may move")
    parser.add_argument("--max-detect", type=float, default=None)
    parser.add_argument("--max-recover", type=float, default=None)
    parser.add_argument("--recover-from", default="fault", help="the event recovery is timed from (default: the fault)")
    parser.add_argument("--detect-from", default="fault", help="the event detection is timed from (default: the fault)")
    parser.add_argument("--recover-after-step", action="append", default=[], metavar="EVENT:SECONDS",
                        help="a step of the drill itself (a restart, a drover call) that recovery has to wait for: "
                             "when it came so late that --max-recover cannot hold, recovery within SECONDS of it keeps the promise")
    parser.add_argument("--max-slowest", type=float, default=None, help="seconds; the slowest request")
    parser.add_argument("--note", default="")
    args = parser.parse_args()

    requests = load_requests(args.dir)
    events = load_events(args.dir)
    with open(os.path.join(args.dir, "problems"), encoding="utf-8") as f:
        problems = [line.strip() for line in f if line.strip()]

    fault = events.get("fault")
    sent = len(requests)
    failed = [r for r in requests if not ok(r)]
    failovers = sum(r["failovers"] for r in requests)
    slowest = max((r["ms"] for r in requests), default=0) / 1000.0

    # Each session's backends in order; a change is a request answered by another backend than the
    # session's previous answered request.
    last = {}
    before_fault = {}
    first_started = {}
    moves = collections.defaultdict(list)
    for r in requests:
        if not ok(r):
            continue
        s = r["session"]
        if s in last and last[s] != r["backend"]:
            moves[s].append((r["start"], last[s], r["backend"], r["ms"]))
        last[s] = r["backend"]
        # A session's backend at the fault: its last request answered before it. A request that
        # started just before the fault may meet it (and be retried on another backend): a move
        # caused by the fault. A session with no answer before the fault is taken as on the backend
        # of its first request that started before it.
        if fault is not None and r["start"] + r["ms"] < fault:
            before_fault[s] = r["backend"]
        elif fault is not None and r["start"] < fault:
            first_started.setdefault(s, r["backend"])

    sessions = len(last)
    for s, b in first_started.items():
        before_fault.setdefault(s, b)
    allowed = {s for s, b in before_fault.items() if b == args.movers}
    moved = sorted(moves)
    illegal = [s for s in moved if s not in allowed]
    early = []
    if args.no_move_before and args.no_move_before in events:
        cut = events[args.no_move_before]
        # Early only when the moving request was answered before the cut: one started just before
        # it (a curl's start is logged before its connection reaches a node) may meet the stop.
        early = [s for s in moved if s in allowed and moves[s][0][0] + moves[s][0][3] < cut]

    detect = seconds(events, "detect", args.detect_from)
    recover = seconds(events, "recover", args.recover_from)
    # The bound, moved later by a drill step that came late (e.g. a `drover` process that took 10 s to
    # start on a loaded machine): the promise is then "within SECONDS of that step".
    recover_bound = args.max_recover
    late_steps = []
    if args.max_recover is not None and args.recover_from in events:
        for spec in args.recover_after_step:
            name, _, secs = spec.partition(":")
            if name in events:
                due = (events[name] - events[args.recover_from]) / 1000.0 + float(secs)
                if due > recover_bound:
                    recover_bound = due
                    late_steps.append(f"'{name}' came {due - float(secs):.1f} s after '{args.recover_from}', so the bound is {secs} s after it: {due:.1f} s")

    if sent == 0:
        problems.append("no requests were sent (the client loops did not run)")
    if fault is None:
        problems.append("the fault was never injected")
    if len(failed) > args.max_failed:
        problems.append(f"{len(failed)} failed requests (promise: at most {args.max_failed})")
    if illegal:
        problems.append(f"{len(illegal)} sessions moved that were not on {args.movers}: " +
                        ", ".join(f"{s} {moves[s][0][1]}->{moves[s][0][2]}" for s in illegal[:5]))
    if early:
        problems.append(f"{len(early)} sessions left {args.movers} before '{args.no_move_before}' (sticky: a draining backend keeps its sessions)")
    if args.max_detect is not None and (detect is None or detect > args.max_detect):
        problems.append(f"detection {'never happened' if detect is None else f'took {detect:.1f} s'} (promise: within {args.max_detect:g} s)")
    if args.max_recover is not None and (recover is None or recover > recover_bound):
        problems.append(f"recovery {'never happened' if recover is None else f'took {recover:.1f} s'} (promise: within {recover_bound:g} s)")
    if args.max_slowest is not None and slowest > args.max_slowest:
        problems.append(f"the slowest request took {slowest:.1f} s (promise: at most {args.max_slowest:g} s)")

    verdict = "kept" if not problems else "BROKEN"
    fmt = lambda v: "-" if v is None else f"{v:.1f} s"
    row = [args.drill, str(sent), str(len(failed)), str(failovers), f"{len(moved)}/{sessions}", fmt(detect), fmt(recover), f"{slowest:.1f} s", verdict]
    header = ["drill", "sent", "failed", "failovers", "sessions moved", "detect", "recover", "slowest", "promise"]
    widths = [max(len(h), len(c)) for h, c in zip(header, row)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(f"sticky: {args.sticky}; clients send to {args.clients}; sessions may move only from: {args.movers}"
          + (f" ({len(allowed)} were on it)" if args.movers != "none" else "")
          + (f"; detect is timed from '{args.detect_from}'" if args.detect_from != "fault" else "")
          + (f"; recover is timed from '{args.recover_from}'" if args.recover_from != "fault" else "")
          + "".join(f"; {n}" for n in late_steps)
          + (f"; {args.note}" if args.note else ""))
    for name in sorted(events, key=events.get):
        if fault is not None:
            print(f"  {name:<16} {(events[name] - fault) / 1000.0:+7.1f} s")
    for r in failed[:5]:
        print(f"  failed: {r['node']} {r['session']} status {r['status']} curl exit {r['rc']} after {r['ms']} ms "
              f"({(r['start'] - fault) / 1000.0:+.1f} s from the fault)" if fault else "")
    for p in problems:
        print(f"  BROKEN: {p}")
    print(f"details: {args.dir}")

    results = os.environ.get("DRILL_RESULTS")
    if results:
        with open(results, "a", encoding="utf-8") as f:
            f.write("\t".join(row + ["; ".join(problems)]) + "\n")
    sys.exit(0 if not problems else 1)


if __name__ == "__main__":
    main()
