#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time short TCP connections one after the other, for bench-connect.

Usage: connect_client.py ADDRESS PORT CONNECTIONS MAX_SECONDS

Each connection connects, sends "ping\\n", reads the reply until the
server closes, and closes. A connection fails when a step takes more
than 2 s. Connections run one at a time, so the rate is the inverse of
the mean time per connection. Prints one line:

  connections N failed F seconds S rate R rate_ok K median_ms M p99_ms P

R is completed connections per second over the whole run. K is the same
over the time spent in completed connections only, so it leaves out the
timeouts of failed ones. M and P are the median and 99th percentile of
the time per completed connection. The client stops when MAX_SECONDS
have passed and counts the connections it did not make as failed. Exits
1 when any connection failed or was not made.
"""

import socket
import sys
import time

# Seconds a connect or a read may take before the connection counts as
# failed. Linux retransmits a SYN after 1 s, so a connection that needed one
# retransmission still succeeds.
TIMEOUT = 2


def one_connection(address: str, port: int) -> bool:
    with socket.create_connection((address, port), timeout=TIMEOUT) as conn:
        conn.sendall(b"ping\n")
        reply = b""
        while True:
            data = conn.recv(4096)
            if not data:
                break
            reply += data
    return reply == b"pong\n"


def percentile(sorted_values: list, p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def main() -> int:
    if len(sys.argv) != 5:
        print("usage: connect_client.py ADDRESS PORT CONNECTIONS MAX_SECONDS",
              file=sys.stderr)
        return 2
    address, port = sys.argv[1], int(sys.argv[2])
    count, limit = int(sys.argv[3]), float(sys.argv[4])
    times = []
    failed = 0
    first_error = None

    start = time.monotonic()
    for _ in range(count):
        if time.monotonic() - start > limit:
            break
        t0 = time.monotonic()
        try:
            ok = one_connection(address, port)
        except OSError as e:
            ok = False
            first_error = first_error or str(e)
        if ok:
            times.append(time.monotonic() - t0)
        else:
            failed += 1
    elapsed = time.monotonic() - start

    times.sort()
    not_run = count - len(times) - failed
    print(f"connections {len(times)} failed {failed + not_run} "
          f"seconds {elapsed:.3f} rate {len(times) / elapsed:.1f} "
          f"rate_ok {len(times) / max(sum(times), 1e-9):.1f} "
          f"median_ms {percentile(times, 50) * 1000:.3f} "
          f"p99_ms {percentile(times, 99) * 1000:.3f}", flush=True)
    if first_error:
        print(f"first error: {first_error}", flush=True)
    return 0 if failed + not_run == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
