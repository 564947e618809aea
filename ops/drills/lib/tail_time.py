#!/usr/bin/env python3
"""tail_time.py FILE REGEX AFTER_MS: epoch ms of the first line of a `drover ... cluster tail` or
`log tail` capture that matches REGEX and was logged at or after AFTER_MS; prints nothing if none.
Lines start with the node's local time, 'YYYY-MM-DD HH:MM:SS.fff'."""
import re
import sys
import time

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) ")


def stamp_ms(line):
    m = STAMP.match(line)
    if not m:
        return None
    return int(time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))) * 1000 + int(m.group(2))


def main():
    path, pattern, after = sys.argv[1], re.compile(sys.argv[2]), int(sys.argv[3])
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                t = stamp_ms(line)
                if t is not None and t >= after and pattern.search(line):
                    print(t)
                    return
    except FileNotFoundError:
        pass


if __name__ == "__main__":
    main()
