#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Accept TCP connections on 127.0.0.1 and hold them open, for bench-rss.

Usage: hold_server.py PORT COUNT_FILE MAX_SECONDS

Accepts every connection on 127.0.0.1:PORT, reads and discards what the
peer sends and closes a connection only when the peer does. After every
change it writes the number of open connections to COUNT_FILE. Prints
"ready" once it listens and exits after MAX_SECONDS in any case.
"""

import os
import selectors
import socket
import sys
import time


def write_count(path: str, count: int) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{count}\n")
    os.replace(tmp, path)


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: hold_server.py PORT COUNT_FILE MAX_SECONDS",
              file=sys.stderr)
        return 2
    port, count_file = int(sys.argv[1]), sys.argv[2]
    deadline = time.monotonic() + float(sys.argv[3])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    count = 0
    write_count(count_file, count)
    print("ready", flush=True)

    while time.monotonic() < deadline:
        changed = False
        for key, _ in sel.select(timeout=0.5):
            sock = key.fileobj
            if sock is listener:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ)
                count += 1
                changed = True
                continue
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionError:
                data = b""
            if not data:
                sel.unregister(sock)
                sock.close()
                count -= 1
                changed = True
        if changed:
            write_count(count_file, count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
