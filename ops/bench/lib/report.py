#!/usr/bin/env python3
"""Turns a run folder (meta.json + samples.jsonl) into results.json and results.md.

usage: report.py RUN_DIR [RESULTS_DIR]  -- with RESULTS_DIR, also copies them to RESULTS_DIR/latest.{json,md}
Each figure is the median of the run's rounds (rows marked "best round": the minimum); every sample
is kept in the JSON.
"""
import json
import os
import shutil
import statistics
import sys

TARGETS = [("direct", "direct"), ("drover", "Drover"), ("haproxy", "HAProxy"), ("nginx", "nginx")]

# scenario id -> (title, [(metric, label, unit, better)])  better: "higher" | "lower" | None (informative)
SCENARIOS = {
    "l7-1k": ("L7 keep-alive, 1 KiB", [
        ("rps", "requests/s", "req/s", "higher"),
        ("p50_ms", "p50 latency", "ms", "lower"),
        ("p99_ms", "p99 latency", "ms", "lower"),
        ("cpu_us_per_req", "proxy CPU per request", "µs", "lower"),
    ]),
    "l7-64k": ("L7 keep-alive, 64 KiB", [
        ("rps", "requests/s", "req/s", "higher"),
        ("mib_s", "throughput", "MiB/s", "higher"),
        ("cpu_us_per_req", "proxy CPU per request", "µs", "lower"),
    ]),
    "l7-close": ("L7 new connection per request, 1 KiB", [
        ("rps", "requests/s", "req/s", "higher"),
        ("cpu_us_per_req", "proxy CPU per request", "µs", "lower"),
    ]),
    "l7-rate": ("L7 latency at a fixed rate, 1 KiB", [
        ("target_rps", "offered rate", "req/s", None),
        ("achieved_rps", "achieved rate", "req/s", "higher"),
        ("p50_ms", "p50 latency", "ms", "lower"),
        ("p99_ms", "p99 latency", "ms", "lower"),
        ("p999_ms", "p99.9 latency", "ms", "lower"),
        ("cpu_us_per_req", "proxy CPU per request", "µs", "lower"),
        # The host's own noise only ever adds CPU time, so the cheapest round is the closest to what
        # the proxy itself costs; shown next to the median, never instead of it.
        ("cpu_us_per_req_best", "proxy CPU per request, best round", "µs", "lower", ("cpu_us_per_req", min)),
    ]),
    "l4-throughput": ("L4 TCP throughput (iperf3)", [
        ("gbit_s_p1", "1 stream (-P 1)", "Gbit/s", "higher"),
        ("gbit_s_p8", "8 streams (-P 8)", "Gbit/s", "higher"),
    ]),
    "l4-connrate": ("L4 new connections/s (ab, 1 KiB)", [
        ("rps", "connections/s", "conn/s", "higher"),
    ]),
    "l4-memory": ("L4 idle connections, proxy RSS", [
        ("conns", "idle connections held", "conns", None),
        ("rss_before_mib", "RSS before", "MiB", None),
        ("rss_after_mib", "RSS holding them", "MiB", "lower"),
        ("kib_per_conn", "RSS per connection", "KiB", "lower"),
    ]),
    "sticky": ("L7 keep-alive 1 KiB, sticky by cookie (wrk)", [
        ("rps", "requests/s", "req/s", "higher"),
        ("p50_ms", "p50 latency", "ms", "lower"),
        ("p99_ms", "p99 latency", "ms", "lower"),
    ]),
}


def fmt(value, unit):
    if value is None:
        return "–"
    if unit in ("req/s", "conn/s", "conns"):
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:.3f}" if value < 1 else f"{value:.2f}"
    if unit == "Gbit/s":
        return f"{value:.2f}"
    if unit in ("MiB/s", "MiB", "µs"):
        return f"{value:,.1f}"
    if unit == "KiB":
        return f"{value:.2f}"
    return f"{value:g}"


def per_round_ratio(samples, scenario, metric, target, other):
    """The median over rounds of target's figure over other's figure in the same round, or None.

    Targets take turns within each round, so a round's two figures were measured seconds apart and
    the host's drift between rounds (up to 40% here) cancels out of their ratio; the ratio of the two
    medians can instead pair a fast round of one target with a slow round of the other."""
    def by_round(t):
        return {s["round"]: s["metrics"][metric] for s in samples
                if s["scenario"] == scenario and s["target"] == t and s["metrics"].get(metric) is not None}
    mine, theirs = by_round(target), by_round(other)
    ratios = [mine[r] / theirs[r] for r in sorted(set(mine) & set(theirs)) if theirs[r]]
    return statistics.median(ratios) if ratios else None


def main():
    run_dir = sys.argv[1]
    results_dir = sys.argv[2] if len(sys.argv) > 2 else None
    meta = json.load(open(os.path.join(run_dir, "meta.json")))
    samples = []
    path = os.path.join(run_dir, "samples.jsonl")
    if os.path.exists(path):
        samples = [json.loads(line) for line in open(path) if line.strip()]

    results, warnings = {}, []
    for s in samples:
        problems = []
        if s.get("error"):
            problems.append(s["error"])
        m = s["metrics"]
        if m.get("socket_errors"):
            problems.append(f"{m['socket_errors']} socket errors")
        if m.get("non_2xx"):
            problems.append(f"{m['non_2xx']} non-2xx responses")
        if problems:
            warnings.append(f"{s['scenario']} / {s['target']} / round {s['round']}: " + "; ".join(problems))

    for scenario in meta["scenarios"]:
        title, metrics = SCENARIOS[scenario]
        entry = {"title": title, "method": meta.get("methods", {}).get(scenario, ""), "metrics": {}}
        for metric, label, unit, better, *derived in metrics:
            # a derived row aggregates another metric's samples its own way (default: the median)
            source, aggregate = derived[0] if derived else (metric, statistics.median)
            values, per_target = {}, {}
            for target, _ in TARGETS:
                xs = [s["metrics"][source] for s in samples
                      if s["scenario"] == scenario and s["target"] == target and s["metrics"].get(source) is not None]
                if xs:
                    per_target[target] = xs
                    values[target] = aggregate(xs)
            ratios = {}
            d = values.get("drover")
            for other in ("direct", "haproxy"):
                o = values.get(other)
                if d is not None and o:
                    ratios[f"drover/{other}"] = d / o
            if aggregate is statistics.median:
                paired = per_round_ratio(samples, scenario, source, "drover", "haproxy")
                if paired is not None:
                    ratios["drover/haproxy per round"] = paired
            entry["metrics"][metric] = {"label": label, "unit": unit, "better": better,
                                        "median": values, "samples": per_target, "ratios": ratios}
        if scenario == "sticky":
            # what keeping sessions costs each proxy: its sticky req/s over its own plain l7-1k req/s
            plain = {}
            for target, _ in TARGETS:
                xs = [s["metrics"]["rps"] for s in samples
                      if s["scenario"] == "l7-1k" and s["target"] == target and s["metrics"].get("rps")]
                if xs:
                    plain[target] = statistics.median(xs)
            sticky = entry["metrics"].get("rps", {}).get("median", {})
            entry["vs_plain"] = {t: sticky[t] / plain[t] for t in sticky if t in plain}
        if scenario in ("l7-close", "l4-connrate"):
            # how many connections the backend accepted per request: 1.00 on "direct" shows the
            # client really opened one connection per request
            per = []
            for target, name in TARGETS:
                acc = sum(s["metrics"].get("backend_accepts", 0) for s in samples
                          if s["scenario"] == scenario and s["target"] == target)
                req = sum(s["metrics"].get("requests", 0) for s in samples
                          if s["scenario"] == scenario and s["target"] == target)
                if req:
                    per.append(f"{name} {acc / req:.2f}")
            if per:
                entry["backend_connections_per_request"] = ", ".join(per)
                entry["method"] += " Backend connections opened per request: " + ", ".join(per) + "."
        results[scenario] = entry

    out = dict(meta)
    out["results"] = results
    out["warnings"] = warnings
    with open(os.path.join(run_dir, "results.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")

    md = []
    md.append("# Drover benchmark results\n")
    if meta.get("status", "complete") != "complete":
        md.append(f"> **Incomplete run: {meta['status']}.** Only the figures measured before it stopped.\n")
    if meta.get("quick"):
        md.append("> **Quick run (`--quick`): short runs, one round.** Numbers are for checking the harness "
                  "and for rough ratios only.\n")
    if meta.get("note"):
        md.append(f"> **Note:** {meta['note']}\n")
    md.append(f"Run `{meta['run_id']}`, {meta['started']}, wall time {meta.get('wall_seconds', '?')} s, "
              f"Drover commit `{meta['git_commit']}`, command `{meta['command']}`.\n")
    md.append("## Machine\n")
    mach = meta["machine"]
    md.append("| | |\n|---|---|")
    md.append(f"| CPUs (nproc) | {mach['nproc']} |")
    md.append(f"| CPU model | {mach['cpu_model']} |")
    md.append(f"| kernel | {mach['kernel']} |")
    md.append(f"| .NET | SDK {mach['dotnet_sdk']}, runtime {mach['dotnet_runtime']} |")
    md.append(f"| load average at start / end | {mach['loadavg_start']} / {mach.get('loadavg_end', '?')} |")
    md.append(f"| open-files limit (hard) | {mach['nofile_hard']} |")
    md.append(f"| tools | {meta['tools']} |\n")
    md.append("## CPU pinning (taskset, same for every target)\n")
    pin = meta["pinning"]
    md.append(f"- proxy under test (Drover, HAProxy, nginx): CPU {pin['proxy']}")
    md.append(f"- load generators (wrk, h2load, ab, iperf3 -c, idle-connection script): CPU {pin['load']}")
    md.append(f"- backends (nginx 1 worker, iperf3 -s): CPU {pin['backend']}")
    if meta.get("pinning_why"):
        md.append(f"- why: {meta['pinning_why']}")
    for target, desc in meta.get("processes", {}).items():
        md.append(f"- {target}: {desc}")
    md.append("")
    md.append("## Drover environment\n")
    env = meta.get("drover_env") or {}
    md.append(", ".join(f"`{k}={v}`" for k, v in sorted(env.items())) or "(none)")
    md.append("")
    md.append("## Results\n")
    md.append("Medians over the rounds (a \"best round\" row: the lowest). Ratios: Drover's figure divided by the other target's figure from this "
              "same run. For req/s, MiB/s, Gbit/s higher is better (ratio > 1: Drover ahead); for latency and "
              "memory lower is better (ratio > 1: Drover behind). \"Per round\": the median over rounds of Drover's "
              "figure over HAProxy's in the same round (the targets take turns within a round, so the host's drift "
              "between rounds cancels out).\n")
    md.append("| scenario | metric | direct | Drover | HAProxy | nginx | Drover/direct | Drover/HAProxy | Drover/HAProxy per round |")
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for scenario, entry in results.items():
        for metric, m in entry["metrics"].items():
            cells = [fmt(m["median"].get(t), m["unit"]) for t, _ in TARGETS]
            r = m["ratios"]
            rd = f"{r['drover/direct']:.2f}" if "drover/direct" in r and m["better"] else "–"
            rh = f"{r['drover/haproxy']:.2f}" if "drover/haproxy" in r and m["better"] else "–"
            rp = f"{r['drover/haproxy per round']:.2f}" if "drover/haproxy per round" in r and m["better"] else "–"
            md.append(f"| {entry['title']} | {m['label']} ({m['unit']}) | " + " | ".join(cells) + f" | {rd} | {rh} | {rp} |")
        if entry.get("vs_plain"):
            cells = [f"{entry['vs_plain'][t]:.2f}" if t in entry["vs_plain"] else "–" for t, _ in TARGETS]
            md.append(f"| {entry['title']} | req/s as a share of the same target's l7-1k (x) | " + " | ".join(cells) + " | – | – | – |")
    md.append("")
    md.append("## How each figure was measured\n")
    for scenario, entry in results.items():
        md.append(f"- **{scenario}** ({entry['title']}): {entry['method']}")
    md.append("")
    if warnings:
        md.append("## Warnings\n")
        md.extend(f"- {w}" for w in warnings)
        md.append("")
    with open(os.path.join(run_dir, "results.md"), "w") as f:
        f.write("\n".join(md))

    if results_dir is None:
        return
    os.makedirs(results_dir, exist_ok=True)
    shutil.copyfile(os.path.join(run_dir, "results.json"), os.path.join(results_dir, "latest.json"))
    shutil.copyfile(os.path.join(run_dir, "results.md"), os.path.join(results_dir, "latest.md"))


if __name__ == "__main__":
    main()
