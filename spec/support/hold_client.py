# SPDX-License-Identifier: MIT
"""Open N TCP connections to HOST:PORT one after another and hold them.

Prints one line per connection, "conn I ok" or "conn I error NAME", then,
if IDLE seconds are given, waits that long with every connection idle and
prints for each whether it still works ("conn I alive") or was reset
("conn I reset"). Everything is bounded: 5 s per connect, IDLE at most 60 s.
"""
import errno
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
idle = min(float(sys.argv[4]), 60.0) if len(sys.argv) > 4 else 0.0
conns = []
for i in range(count):
    try:
        conns.append(socket.create_connection((host, port), timeout=5))
        print(f"conn {i} ok", flush=True)
    except OSError as e:
        print(f"conn {i} error {errno.errorcode.get(e.errno, e.errno)}",
              flush=True)
if idle:
    time.sleep(idle)
    for i, c in enumerate(conns):
        try:
            c.settimeout(2)
            c.sendall(b"ping")
            data = c.recv(16)
            print(f"conn {i} {'alive' if data != b'' else 'closed'}")
        except socket.timeout:
            print(f"conn {i} alive")
        except OSError:
            print(f"conn {i} reset")
