# SPDX-License-Identifier: MIT
"""Send COUNT TCP SYNs from SRC to DST:PORT with distinct source ports,
through a raw socket, without ever completing a handshake. Used to check
that half-open connections cannot grow a gateway's memory. Bounded by
COUNT (at most 100000)."""
import socket
import struct
import sys

src, dst, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), min(
    int(sys.argv[4]), 100000)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s_addr, d_addr = socket.inet_aton(src), socket.inet_aton(dst)
for i in range(count):
    sport = 20000 + i % 40000
    tcp = struct.pack("!HHIIBBHHH", sport, port, i, 0, 5 << 4, 0x02, 65535,
                      0, 0)
    pseudo = s_addr + d_addr + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0,
                     64, 6, 0, s_addr, d_addr)
    sock.sendto(ip + tcp, (dst, 0))
print("sent", count)
