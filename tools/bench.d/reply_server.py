#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Serve one short request per TCP connection, for bench-connect.

Usage: reply_server.py PORT MAX_SECONDS

Listens on 127.0.0.1:PORT. For each connection it reads one line,
writes "pong\\n" and closes, the way an HTTP/1.0 server ends a response.
Connections are served at once, without threads, so one silent client
does not delay the others; a connection silent for 10 s is closed. Prints
"ready" once it listens and exits after MAX_SECONDS in any case.
"""

import selectors
import socket
import sys
import time

SILENT_SECONDS = 10


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: reply_server.py PORT MAX_SECONDS", file=sys.stderr)
        return 2
    port = int(sys.argv[1])
    deadline = time.monotonic() + float(sys.argv[2])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    started = {}  # connection -> accept time
    requests = {}  # connection -> bytes received so far
    print("ready", flush=True)

    def finish(conn: socket.socket, reply: bool) -> None:
        sel.unregister(conn)
        del started[conn], requests[conn]
        try:
            if reply:
                conn.sendall(b"pong\n")
        except OSError:
            pass
        conn.close()

    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            sock = key.fileobj
            if sock is listener:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ)
                started[conn] = time.monotonic()
                requests[conn] = b""
                continue
            try:
                data = sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            requests[sock] += data
            if not data or b"\n" in requests[sock]:
                finish(sock, bool(data))
        now = time.monotonic()
        for conn in [c for c, t in started.items() if now - t > SILENT_SECONDS]:
            finish(conn, False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
