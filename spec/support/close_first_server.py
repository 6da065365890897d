# SPDX-License-Identifier: MIT
"""TCP server on 127.0.0.1:PORT that sends "hi" to each connection and
closes it at once (the server closes first); stops after 120 s."""
import socket
import sys

port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
srv.settimeout(120)
print("ready", flush=True)
try:
    while True:
        conn, _ = srv.accept()
        conn.sendall(b"hi")
        conn.close()
except socket.timeout:
    pass
