# SPDX-License-Identifier: MIT
"""Connect COUNT times from the same guest port to HOST:PORT, reading each
reply until the server closes first, and print the slowest connect time.

Reusing the port at once is what a busy guest does after a passive close;
a gateway that still holds the old connection in TIME_WAIT would leave the
new SYN unanswered. Bounded: 3 s per connect.
"""
import errno
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
slowest = 0.0
for i in range(count):
    # The previous connection leaves LAST_ACK once the gateway acknowledges
    # the guest's FIN; until then the tuple is busy (EADDRNOTAVAIL).
    deadline = time.monotonic() + 1
    while True:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 40123))
        s.settimeout(3)
        start = time.monotonic()
        try:
            s.connect((host, port))
            break
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRNOTAVAIL or time.monotonic() > deadline:
                print(f"connect {i} failed: {e}")
                sys.exit(1)
            time.sleep(0.01)
    slowest = max(slowest, time.monotonic() - start)
    while s.recv(4096):
        pass
    s.close()
print(f"done {count} slowest {slowest:.3f}")
