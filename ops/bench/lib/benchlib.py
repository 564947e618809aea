#!/usr/bin/env python3
"""Small helpers for ops/bench/run.sh: free ports, process RSS, tool-output parsing.

Every parser prints one JSON object (a sample's metrics) on stdout; run.sh appends it,
wrapped with scenario/target/round, to the run's samples.jsonl.
"""
import json
import math
import os
import re
import socket
import sys


def free_ports(n):
    """Binds n sockets to port 0 at once (so they are distinct), closes them, prints the ports."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        print(" ".join(str(s.getsockname()[1]) for s in socks))
    finally:
        for s in socks:
            s.close()


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: split after the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def _status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


def _tree(pid, read):
    """Yields read(p) for pid and each of its descendants that is still there (nginx: master + workers)."""
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            value = read(p)
        except OSError:
            continue  # gone meanwhile
        yield value
        todo.extend(_children(p))


def _cpu_ticks_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kib(pid):
    """VmRSS of pid plus all its descendants, in KiB."""
    print(sum(_tree(pid, lambda p: _status_field(p, "VmRSS"))))


def cpu_ticks(pid):
    """utime + stime of pid and all its descendants, in clock ticks (for CPU per request)."""
    print(sum(_tree(pid, _cpu_ticks_of)))


def threads(pid):
    """Processes and threads of pid's tree, e.g. '1 process, 1 thread' (to record what 'default threads' became)."""
    counts = list(_tree(pid, lambda p: _status_field(p, "Threads")))
    print(f"{len(counts)} process(es), {sum(counts)} thread(s)")


def _socket_inodes(pid):
    """The inodes of the sockets that pid holds open."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def established_to(port, pid=None):
    """
    Counts established TCP connections whose remote port is `port` (i.e. towards a backend); with a
    pid, only those of that process and its descendants: the other proxies' kept-alive backend
    connections, which close on their own idle timers, would otherwise move the count.
    """
    owned = None
    if pid is not None:
        owned = set()
        for inodes in _tree(pid, _socket_inodes):
            owned |= inodes
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    rem, state, inode = parts[2], parts[3], parts[9]
                    if state == "01" and int(rem.split(":")[1], 16) == port and (owned is None or inode in owned):
                        count += 1
        except OSError:
            pass
    print(count)


def wrk(log, cpu_ticks_delta=""):
    """wrk run with lib/wrk-json.lua: the WRKJSON line, turned into metrics.
    cpu_ticks_delta: the proxy's CPU time (clock ticks) over the wrk run, if there is a proxy."""
    data = None
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("WRKJSON "):
                data = json.loads(line[len("WRKJSON "):])
    if data is None:
        print(json.dumps({"error": "no wrk summary (see " + os.path.basename(log) + ")"}))
        return
    seconds = data["duration_us"] / 1e6
    errors = data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"]
    out = {
        "rps": data["requests"] / seconds if seconds else 0,
        "mib_s": data["bytes"] / seconds / 2**20 if seconds else 0,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "p999_ms": data["p999_us"] / 1000,
        "requests": data["requests"],
        "socket_errors": errors,
        "non_2xx": data["status_errors"],
    }
    if cpu_ticks_delta and data["requests"]:
        # When the load generator's core is the limit, every proxy serves about what "direct" does and
        # req/s cannot tell them apart; the CPU each one spent per request still can.
        out["cpu_us_per_req"] = int(cpu_ticks_delta) * 1e6 / os.sysconf("SC_CLK_TCK") / data["requests"]
    print(json.dumps(out))


def _pct(sorted_values, p):
    if not sorted_values:
        return None
    # nearest rank: the smallest value with at least p% of the values at or below it
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100.0 * len(sorted_values)) - 1))
    return sorted_values[k]


def h2load(log, summary, duration, cpu_ticks_delta=""):
    """h2load --log-file rows (start_us, status, latency_us) to percentiles; summary = h2load's stdout.
    cpu_ticks_delta: the proxy's CPU time (clock ticks) spent during the run, if there is a proxy."""
    lat, ok, other = [], 0, 0
    with open(log) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            status, us = int(parts[1]), int(parts[2])
            lat.append(us)
            if 200 <= status < 400:
                ok += 1
            else:
                other += 1
    lat.sort()
    text = open(summary, errors="replace").read()
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", text)
    failed = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text)
    out = {
        "achieved_rps": float(m.group(3)) if m else (len(lat) / float(duration)),
        "p50_ms": _pct(lat, 50) / 1000 if lat else None,
        "p99_ms": _pct(lat, 99) / 1000 if lat else None,
        "p999_ms": _pct(lat, 99.9) / 1000 if lat else None,
        "max_ms": lat[-1] / 1000 if lat else None,
        "requests": len(lat),
        "non_2xx": other,
        "socket_errors": (int(failed.group(2)) + int(failed.group(3))) if failed else None,
    }
    if cpu_ticks_delta and lat:
        # CPU per request at a fixed offered rate: it moves much less than a closed-loop req/s
        # figure when other processes share the machine (compare it as a ratio within one run).
        # The CPU time spans h2load's 1 s warm-up too, at the same offered rate: count those requests.
        served = out["achieved_rps"] * (float(duration) + 1.0)
        out["cpu_us_per_req"] = int(cpu_ticks_delta) * 1e6 / os.sysconf("SC_CLK_TCK") / served
    if not lat:
        out["error"] = "h2load logged no requests (see " + os.path.basename(summary) + ")"
    print(json.dumps(out))


def iperf3(log, suffix=""):
    try:
        data = json.load(open(log))
    except (OSError, ValueError) as e:
        print(json.dumps({"error": f"iperf3 output unreadable: {e}"}))
        return
    if "error" in data:
        print(json.dumps({"error": "iperf3: " + data["error"]}))
        return
    end = data["end"]
    print(json.dumps({
        "gbit_s" + suffix: end["sum_received"]["bits_per_second"] / 1e9,
        "retransmits" + suffix: end.get("sum_sent", {}).get("retransmits"),
    }))


def ab(log):
    text = open(log, errors="replace").read()
    m = re.search(r"Requests per second:\s+([\d.]+)", text)
    if not m:
        tail = text.strip().splitlines()[-1:] or ["no output"]
        print(json.dumps({"error": "ab: " + tail[0]}))
        return
    def num(pattern):
        x = re.search(pattern, text)
        return int(x.group(1)) if x else 0
    print(json.dumps({
        "rps": float(m.group(1)),
        "requests": num(r"Complete requests:\s+(\d+)"),
        "socket_errors": num(r"Failed requests:\s+(\d+)"),
        "non_2xx": num(r"Non-2xx responses:\s+(\d+)"),
    }))


def wrap(scenario, target, rnd, metrics_json, extra_json="{}"):
    """Wraps a parser's metrics (plus extra metrics) into one samples.jsonl line."""
    metrics = json.loads(metrics_json)
    metrics.update(json.loads(extra_json or "{}"))
    error = metrics.pop("error", None)
    line = {"scenario": scenario, "target": target, "round": int(rnd), "metrics": metrics}
    if error:
        line["error"] = error
    print(json.dumps(line))


def median_metric(samples, scenario, target, metric):
    values = []
    with open(samples) as f:
        for line in f:
            s = json.loads(line)
            if s["scenario"] == scenario and s["target"] == target and s["metrics"].get(metric) is not None:
                values.append(s["metrics"][metric])
    if not values:
        print("")
        return
    values.sort()
    mid = len(values) // 2
    print(values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2)


def _typed(value):
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def meta(out, *pairs):
    """meta OUT key=value...: nested keys with '.', 'key[]=a,b' for lists; numbers become numbers."""
    data = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        node, parts = data, key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        last = parts[-1]
        if last.endswith("[]"):
            node[last[:-2]] = [v for v in value.split(",") if v]
        elif key in ("quick",):
            node[last] = value not in ("", "0", "false")
        elif key.startswith(("machine.", "params.", "pinning.")) or key == "wall_seconds":
            node[last] = _typed(value) if value != "" else None
        else:
            node[last] = value
    with open(out, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ports":
        free_ports(int(args[0]))
    elif cmd == "rss":
        rss_kib(int(args[0]))
    elif cmd == "cpu-ticks":
        cpu_ticks(int(args[0]))
    elif cmd == "threads":
        threads(int(args[0]))
    elif cmd == "established-to":
        established_to(int(args[0]), int(args[1]) if len(args) > 1 else None)
    elif cmd == "wrk":
        wrk(*args[:2])
    elif cmd == "h2load":
        h2load(*args)
    elif cmd == "iperf3":
        iperf3(*args)
    elif cmd == "ab":
        ab(args[0])
    elif cmd == "wrap":
        wrap(*args)
    elif cmd == "meta":
        meta(*args)
    elif cmd == "median":
        median_metric(*args)
    else:
        sys.exit(f"benchlib: unknown command {cmd}")


if __name__ == "__main__":
    main()
