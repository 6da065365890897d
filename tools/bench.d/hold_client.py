#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Open many idle TCP connections and hold them, for bench-rss.

Usage: hold_client.py ADDRESS PORT CONNECTIONS HOLD_SECONDS

Opens CONNECTIONS connections to ADDRESS:PORT one after the other (each
connect times out after 5 s) and sends one short line on each, so that
every connection has carried data as a kept-alive connection has. Prints
"open N" when all are established, keeps them idle for HOLD_SECONDS,
closes them and prints "closed". Exits 1, after closing what it opened,
if a connection could not be made.
"""

import socket
import sys
import time


def main() -> int:
    if len(sys.argv) != 5:
        print("usage: hold_client.py ADDRESS PORT CONNECTIONS HOLD_SECONDS",
              file=sys.stderr)
        return 2
    address, port = sys.argv[1], int(sys.argv[2])
    count, hold = int(sys.argv[3]), float(sys.argv[4])
    conns = []
    status = 0
    start = time.monotonic()
    try:
        for _ in range(count):
            conn = socket.create_connection((address, port), timeout=5)
            conns.append(conn)
            conn.sendall(b"hello\n")
    except OSError as e:
        print(f"connection {len(conns) + 1} of {count} to {address}:{port} "
              f"failed: {e}", flush=True)
        status = 1
    if status == 0:
        print(f"open {len(conns)} in {time.monotonic() - start:.2f} s",
              flush=True)
        time.sleep(hold)
    for conn in conns:
        conn.close()
    print("closed", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
