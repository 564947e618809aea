#!/usr/bin/env python3
"""Drover against HAProxy over many full runs: every round's own ratio, pooled.

usage: ops/bench/pooled.py SOURCE... [--md FILE]

SOURCE is a run folder that ops/bench/run.sh left (ops/bench/results/run-*), a results JSON
(ops/bench/results/latest.json, or a run folder's results.json), or git:REV for latest.json as
committed at REV (so that runs whose folders are gone still count). A run given twice (its folder and
its latest.json) counts once; quick runs and runs that did not complete are left out, and say so.

One full run has 5 or 6 rounds, and on a shared host a single round moves 10-30%, so one run's
ratio to HAProxy can land either side of 1.0 when the two proxies are close. Within a round the
targets take turns seconds apart, so each round's Drover/HAProxy ratio is free of the host's drift
between rounds; this pools those ratios over runs and gives, per figure:

  geometric mean of the per-round ratios, with a 95% bootstrap interval (resampling rounds, fixed
  seed: the same input prints the same interval), their median, and how many rounds Drover was ahead.

The interval says how far the mean could move with other rounds of the same kind; an interval that
contains 1.0 means the runs cannot tell the two proxies apart on that figure.
"""
import json
import math
import os
import random
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from report import SCENARIOS  # noqa: E402  (labels, units and which way is better)

BOOTSTRAP_SAMPLES = 4000
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def die(message):
    print(f"pooled.py: {message}", file=sys.stderr)
    sys.exit(2)


def parse_json(text, where):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        die(f"{where}: not JSON ({e})")


def load(source):
    """(meta, {(scenario, metric, target): [value per round, None where missing]}) of one source."""
    if source.startswith("git:"):
        rev = source[4:]
        try:
            text = subprocess.run(["git", "-C", REPO_ROOT, "show", f"{rev}:ops/bench/results/latest.json"],
                                  check=True, capture_output=True, text=True).stdout
        except subprocess.CalledProcessError as e:
            die(f"{source}: {e.stderr.strip() or 'git show failed'}")
        return from_results(parse_json(text, source), source)
    if os.path.isdir(source):
        meta_path, samples_path = os.path.join(source, "meta.json"), os.path.join(source, "samples.jsonl")
        if not os.path.exists(meta_path) or not os.path.exists(samples_path):
            die(f"{source}: no meta.json and samples.jsonl (not a run.sh folder?)")
        meta = parse_json(open(meta_path).read(), meta_path)
        series = {}
        for number, line in enumerate(open(samples_path), 1):
            if not line.strip():
                continue
            s = parse_json(line, f"{samples_path} line {number}")
            if not all(k in s for k in ("scenario", "target", "round", "metrics")):
                die(f"{samples_path} line {number}: not a run.sh sample (needs scenario, target, round, metrics)")
            for metric, value in s["metrics"].items():
                rounds = series.setdefault((s["scenario"], metric, s["target"]), [])
                while len(rounds) < s["round"]:
                    rounds.append(None)
                rounds[s["round"] - 1] = value
        return meta, series
    if os.path.isfile(source):
        return from_results(parse_json(open(source).read(), source), source)
    die(f"{source}: no such run folder or file")


def from_results(results, source):
    """A results JSON keeps each target's samples as a list in round order, with missing rounds left
    out, so a list is only known to line up with another's rounds when no target lacks a round:
    a figure where some target's list is shorter than the longest is not used from this source."""
    if "results" not in results or "run_id" not in results:
        die(f"{source}: not a run.sh results JSON (no run_id/results)")
    series = {}
    for scenario, entry in results["results"].items():
        for metric, row in entry.get("metrics", {}).items():
            samples = row.get("samples", {})
            rounds = max((len(v) for v in samples.values()), default=0)
            for target, values in samples.items():
                series[(scenario, metric, target)] = list(values) if len(values) == rounds else None
    return results, series


def geometric_interval(logs, rng):
    means = sorted(statistics.fmean(rng.choices(logs, k=len(logs))) for _ in range(BOOTSTRAP_SAMPLES))
    return math.exp(means[int(0.025 * BOOTSTRAP_SAMPLES)]), math.exp(means[int(0.975 * BOOTSTRAP_SAMPLES) - 1])


def main(argv):
    sources, md_path = [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if a == "--md":
            if i + 1 >= len(argv):
                die("--md needs a file")
            md_path = argv[i + 1]
            i += 2
            continue
        if a.startswith("-"):
            die(f"unknown option {a} (see --help)")
        sources.append(a)
        i += 1
    if not sources:
        die("no SOURCE given (see --help)")

    runs, skipped = {}, []
    for source in sources:
        meta, series = load(source)
        run_id = meta.get("run_id", source)
        if meta.get("quick"):
            skipped.append(f"{run_id} ({source}): a --quick run")
        elif meta.get("status") != "complete":
            skipped.append(f"{run_id} ({source}): status {meta.get('status')!r}")
        elif run_id not in runs:
            runs[run_id] = (meta, series)
    if not runs:
        die("no complete full run among the sources: " + "; ".join(skipped))

    rng = random.Random(20261207)
    rows, zeros = [], []
    for scenario, (title, metrics) in SCENARIOS.items():
        for metric, label, unit, better, *derived in metrics:
            if better is None or derived:
                continue  # informative rows, and rows that are not a per-round median
            logs, used = [], 0
            for meta, series in runs.values():
                mine, theirs = series.get((scenario, metric, "drover")), series.get((scenario, metric, "haproxy"))
                if not mine or not theirs:
                    continue
                pairs = [(d, h) for d, h in zip(mine, theirs) if d and h]
                # A figure of 0 (no request served) has no ratio; it is a failed round, so say so below.
                failed = sum(1 for d, h in zip(mine, theirs) if d == 0 or h == 0)
                if failed:
                    zeros.append(f"{title} {label}: {failed} round(s) of {meta.get('run_id', '?')} with a figure of 0")
                if pairs:
                    used += 1
                    logs.extend(math.log(d / h) for d, h in pairs)
            if len(logs) < 2:
                continue
            low, high = geometric_interval(logs, rng)
            ahead = sum(1 for x in logs if (x > 0 if better == "higher" else x < 0))
            rows.append((title, f"{label} ({unit})", better, used, len(logs), math.exp(statistics.fmean(logs)),
                         low, high, math.exp(statistics.median(logs)), ahead))

    lines = [
        "# Drover / HAProxy, per-round ratios pooled over runs",
        "",
        "Made by `ops/bench/pooled.py " + " ".join(sources) + "`.",
        "",
        "Runs: " + ", ".join(f"`{run_id}` ({meta.get('git_commit', '?')})" for run_id, (meta, _) in sorted(runs.items())) + ".",
        "",
        "Each round's Drover figure over HAProxy's in the same round, pooled over the runs: their geometric "
        "mean with a 95% bootstrap interval, their median, and the rounds in which Drover was ahead. "
        "Higher is better for rates, lower for latency and CPU. An interval that contains 1.00 means "
        "these rounds cannot tell the two apart on that figure.",
        "",
        "| scenario | metric | better | runs | rounds | geometric mean | 95% interval | median | Drover ahead |",
        "|---|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for title, metric, better, used, n, mean, low, high, median, ahead in rows:
        lines.append(f"| {title} | {metric} | {better} | {used} | {n} | {mean:.3f} | {low:.3f} - {high:.3f} | {median:.3f} | {ahead}/{n} |")
    if skipped:
        lines += ["", "Left out: " + "; ".join(skipped) + "."]
    if zeros:
        lines += ["", "Rounds with a figure of 0, not pooled (a failed round, see that run's Warnings): " + "; ".join(zeros) + "."]
    text = "\n".join(lines) + "\n"
    if md_path:
        with open(md_path, "w") as f:
            f.write(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
