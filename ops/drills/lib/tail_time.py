#!/usr/bin/env python3
"""tail_time.py FILE REGEX AFTER_MS [WAIT_S]: epoch ms of the first line of a `drover ... cluster tail`
or `log tail` capture that matches REGEX and was logged at or after AFTER_MS; prints nothing if none.
Lines start with the node's local time, 'YYYY-MM-DD HH:MM:SS.fff'. With WAIT_S, rereads the file
every 0.1 s until such a line is there or WAIT_S seconds have passed, and exits 1 if none came: one
process for the whole wait, since starting Python once per poll costs seconds on a loaded machine."""
import re
import sys
import time

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) ")


def stamp_ms(line):
    m = STAMP.match(line)
    if not m:
        return None
    return int(time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))) * 1000 + int(m.group(2))


def first(path, pattern, after):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                t = stamp_ms(line)
                if t is not None and t >= after and pattern.search(line):
                    return t
    except FileNotFoundError:
        pass
    return None


def main():
    path, pattern, after = sys.argv[1], re.compile(sys.argv[2]), int(sys.argv[3])
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else None
    deadline = time.time() + (wait or 0)
    while True:
        t = first(path, pattern, after)
        if t is not None:
            print(t)
            return
        if wait is None:
            return
        if time.time() >= deadline:
            sys.exit(1)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
