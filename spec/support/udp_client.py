# SPDX-License-Identifier: MIT
"""UDP client: send PAYLOAD to HOST:PORT and print the reply, or an
"error <name>" line (ECONNREFUSED, EHOSTUNREACH, timeout) so specs can check
how a refused flow looks to the guest.
"""
import socket
import sys

host, port, payload = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.connect((host, port))
sock.settimeout(3)
try:
    sock.send(payload.encode())
    data = sock.recv(65535)
    print("reply", data.decode(errors="replace"))
except socket.timeout:
    print("error timeout")
except OSError as e:
    import errno
    print("error", errno.errorcode.get(e.errno, str(e.errno)))
