#!/usr/bin/env python3
"""Opens N idle TCP connections to host:port and holds them until SIGTERM/SIGINT.

Used by the l4-memory scenario: the connections go through a proxy's L4 listener to the
nginx backend; nothing is ever sent, so both legs stay idle. Prints one line
"OPEN ok=<n> failed=<m> seconds=<t>" once it has tried all N, then waits.
"""
import resource
import signal
import socket
import sys
import time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < hard:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

socks, failed, first_error = [], 0, None
start = time.monotonic()
for i in range(n):
    if stop:
        break
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((host, port))
        socks.append(s)
    except OSError as e:
        failed += 1
        first_error = first_error or repr(e)
        s.close()
        if failed >= 100:
            break
    # let the proxy's accept loop keep up with a plain sequential client
    if i % 500 == 499:
        time.sleep(0.01)

msg = f"OPEN ok={len(socks)} failed={failed} seconds={time.monotonic() - start:.2f}"
if first_error:
    msg += f" first_error={first_error}"
print(msg, flush=True)

while not stop:
    time.sleep(0.2)

# A proxy that closed a connection would show as readable-EOF; count the survivors for the log.
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            continue
        alive += 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print(f"CLOSE alive_at_end={alive}", flush=True)
for s in socks:
    s.close()
