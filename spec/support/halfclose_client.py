# SPDX-License-Identifier: MIT
"""Half-close test client: connect to HOST:PORT, send BYTES of a fixed
pattern, shut down writing, read the reply and print it with the expected
values: "sent <n> <sha256> reply <reply>".
"""
import hashlib
import socket
import sys

host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
payload = bytes(i % 251 for i in range(size))
conn = socket.create_connection((host, port), timeout=30)
conn.sendall(payload)
conn.shutdown(socket.SHUT_WR)
reply = b""
while True:
    chunk = conn.recv(4096)
    if not chunk:
        break
    reply += chunk
print(f"sent {size} {hashlib.sha256(payload).hexdigest()} "
      f"reply {reply.decode().strip()}")
