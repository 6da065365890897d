# SPDX-License-Identifier: MIT
"""TCP server on 127.0.0.1:PORT that accepts connections and holds them
open without answering, until the client closes; stops after 120 s."""
import selectors
import socket
import sys
import time

port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4096)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ)
print("ready", flush=True)
deadline = time.time() + 120
while time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        if key.fileobj is srv:
            conn, _ = srv.accept()
            conn.setblocking(False)
            sel.register(conn, selectors.EVENT_READ)
        else:
            try:
                if not key.fileobj.recv(65536):
                    raise OSError
            except OSError:
                sel.unregister(key.fileobj)
                key.fileobj.close()
