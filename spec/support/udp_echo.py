# SPDX-License-Identifier: MIT
"""UDP echo server on 127.0.0.1:PORT for the end-to-end specs.

Replies to each datagram with b"echo:" + payload and stops by itself after
SECONDS (default 120) so a failed spec cannot leave it running.
"""
import socket
import sys

port = int(sys.argv[1])
lifetime = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", port))
sock.settimeout(lifetime)
print("ready", flush=True)
try:
    while True:
        data, peer = sock.recvfrom(65535)
        sock.sendto(b"echo:" + data, peer)
except socket.timeout:
    pass
