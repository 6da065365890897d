# SPDX-License-Identifier: MIT
"""Half-close test server on 127.0.0.1:PORT.

For each connection: read until the client shuts down its sending side,
then reply with "<bytes received> <sha256 hex>" and close. A server that
answered before the client's FIN, or a relay that lost the FIN, shows up as
a wrong count or a hang. Stops by itself after 120 s.
"""
import hashlib
import socket
import sys

port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
srv.settimeout(120)
print("ready", flush=True)
try:
    while True:
        conn, _ = srv.accept()
        conn.settimeout(60)
        digest = hashlib.sha256()
        total = 0
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
        conn.sendall(f"{total} {digest.hexdigest()}\n".encode())
        conn.close()
except socket.timeout:
    pass
