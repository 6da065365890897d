# SPDX-License-Identifier: MIT
"""Play a misbehaving guest on a QEMU stream socket.

Usage: badframes.py SOCKET MODE
  frames     send, in one connection: an empty frame, a 5-byte frame, a
             2000-byte frame (over a 1500 MTU), 200 frames of random bytes
             of random sizes, ARP/IPv4/UDP/TCP/DHCP headers with random
             tails, then close cleanly
  oversize   send a length prefix of 65536 + 14 (over any frame), then
             wait for sluice to close the connection
  truncated  send a prefix announcing 1000 bytes, 10 bytes of it, and close
  noise      send 64 KiB of random bytes as the stream itself
Prints "done MODE" and, for oversize, "closed by peer" when sluice reset
the link. Random data comes from a fixed seed, so a failure can be replayed.
"""
import random
import socket
import struct
import sys
import time

path, mode = sys.argv[1], sys.argv[2]
rng = random.Random(20261204)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(path)
sock.settimeout(5)

GUEST_MAC = bytes.fromhex("020000000015")
SLUICE_MAC = bytes.fromhex("02736c756963")


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def eth(ethertype, body, dst=SLUICE_MAC):
    return dst + GUEST_MAC + struct.pack(">H", ethertype) + body


def noise(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def ipv4_header(proto, length):
    return (bytes([0x45, 0, length >> 8, length & 0xff, 0, 0, 0, 0, 64,
                   proto, 0, 0]) + bytes([10, 0, 2, 15]) +
            bytes([10, 0, 2, 2]))


if mode == "frames":
    out = frame(b"") + frame(noise(5)) + frame(eth(0x0800, noise(1986)))
    for _ in range(200):
        out += frame(noise(rng.randint(1, 1514)))
    for proto in (1, 6, 17):
        for _ in range(50):
            body = ipv4_header(proto, rng.randint(20, 600)) + noise(
                rng.randint(0, 600))
            out += frame(eth(0x0800, body))
    for _ in range(50):
        out += frame(eth(0x0806, noise(rng.randint(0, 40)), b"\xff" * 6))
    sock.sendall(out)
    time.sleep(0.5)
elif mode == "oversize":
    sock.sendall(struct.pack(">I", 65536 + 14) + noise(100))
    try:
        while sock.recv(4096):
            pass
        print("closed by peer")
    except ConnectionResetError:
        print("closed by peer")
    except socket.timeout:
        print("still open after 5 s")
elif mode == "truncated":
    sock.sendall(struct.pack(">I", 1000) + noise(10))
elif mode == "noise":
    sock.sendall(noise(65536))
    time.sleep(0.5)
sock.close()
print("done", mode)
