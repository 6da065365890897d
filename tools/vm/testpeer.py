#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stand-in network for tools/vm/selftest: a QEMU stream or dgram peer.

It binds a unix socket the way sluice will and replies to the guest's DHCP
(with MTU option 26), ARP and ICMP echo requests, so the selftest can check
the VM's link, lease handling and large frames without sluice. It ignores
every other frame, sends only to its one QEMU peer, and exits after
--lifetime seconds or when QEMU disconnects.

When it exits it prints one summary line to stdout:
    peer: frames_in=N frames_out=N max_frame=N dhcp_acks=N echo_replies=N
"""

import argparse
import os
import signal
import socket
import struct
import sys
import time

GATEWAY_MAC = bytes.fromhex("525500000202")
GATEWAY_IP = socket.inet_aton("10.0.2.2")
GUEST_IP = socket.inet_aton("10.0.2.15")
NETMASK = socket.inet_aton("255.255.255.0")
BROADCAST_MAC = b"\xff" * 6
LEASE_SECONDS = 3600
# Frames are at most 65535 bytes of IP plus the Ethernet header. The receive
# buffer is a little larger, so an oversized frame shows up in max_frame.
MAX_FRAME = 65535 + 14 + 64

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
DHCP_MAGIC = bytes.fromhex("63825363")
DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, DHCP_ACK = 1, 2, 3, 5


def checksum(data):
    """Return the Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_packet(proto, src, dst, payload):
    """Return an IPv4 header with a valid checksum followed by payload."""
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0,
                         0x4000, 64, proto, 0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def udp_datagram(src, dst, sport, dport, payload):
    """Return a UDP header with a valid checksum followed by payload."""
    length = 8 + len(payload)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 17, length)
    header = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(pseudo + header + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, csum) + payload


def dhcp_options(raw):
    """Parse DHCP options into a dict of code to bytes."""
    options = {}
    i = 0
    while i < len(raw):
        code = raw[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(raw):
            break
        length = raw[i + 1]
        options[code] = raw[i + 2:i + 2 + length]
        i += 2 + length
    return options


class Peer:
    """Frame handler acting as DHCP server and ARP and ICMP echo responder."""

    def __init__(self, mtu):
        self.mtu = mtu
        self.stats = dict(frames_in=0, frames_out=0, max_frame=0,
                          dhcp_acks=0, echo_replies=0)

    def handle(self, frame):
        """Return the list of frames to send in reply to one frame."""
        self.stats["frames_in"] += 1
        self.stats["max_frame"] = max(self.stats["max_frame"], len(frame))
        if len(frame) < 14:
            return []
        ethertype = struct.unpack("!H", frame[12:14])[0]
        if ethertype == ETH_P_ARP:
            return self.handle_arp(frame)
        if ethertype == ETH_P_IP and len(frame) >= 34:
            proto = frame[23]
            if proto == 17:
                return self.handle_udp(frame)
            if proto == 1:
                return self.handle_icmp(frame)
        return []

    def handle_arp(self, frame):
        """Reply to ARP requests for every address except the guest's."""
        arp = frame[14:42]
        if len(arp) < 28:
            return []
        op = struct.unpack("!H", arp[6:8])[0]
        sender_mac, sender_ip = arp[8:14], arp[14:18]
        target_ip = arp[24:28]
        if op != 1 or target_ip == GUEST_IP:
            return []
        reply = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 2,
                            GATEWAY_MAC, target_ip, sender_mac, sender_ip)
        return [sender_mac + GATEWAY_MAC + struct.pack("!H", ETH_P_ARP) + reply]

    def handle_icmp(self, frame):
        """Reply to ICMP echo requests addressed to any host but the guest."""
        ihl = (frame[14] & 0x0F) * 4
        ip = frame[14:]
        total = struct.unpack("!H", ip[2:4])[0]
        src, dst = ip[12:16], ip[16:20]
        icmp = bytearray(ip[ihl:total])
        if len(icmp) < 8 or icmp[0] != 8 or dst == GUEST_IP:
            return []
        icmp[0] = 0
        icmp[2:4] = b"\0\0"
        icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
        self.stats["echo_replies"] += 1
        packet = ipv4_packet(1, dst, src, bytes(icmp))
        return [frame[6:12] + GATEWAY_MAC + struct.pack("!H", ETH_P_IP) + packet]

    def handle_udp(self, frame):
        """Reply to DHCP DISCOVER with OFFER and to REQUEST with ACK."""
        ihl = (frame[14] & 0x0F) * 4
        udp = frame[14 + ihl:]
        if len(udp) < 8 + 240:
            return []
        dport = struct.unpack("!H", udp[2:4])[0]
        bootp = udp[8:]
        if dport != 67 or bootp[0] != 1 or bootp[236:240] != DHCP_MAGIC:
            return []
        options = dhcp_options(bootp[240:])
        kind = options.get(53, b"\0")[0]
        if kind == DHCP_DISCOVER:
            reply_kind = DHCP_OFFER
        elif kind == DHCP_REQUEST:
            reply_kind = DHCP_ACK
            self.stats["dhcp_acks"] += 1
        else:
            return []
        return [self.dhcp_reply(bootp, reply_kind)]

    def dhcp_reply(self, request, kind):
        """Build the broadcast OFFER or ACK frame for a client request."""
        xid, chaddr = request[4:8], request[28:44]
        bootp = struct.pack("!BBBB4sHH4s4s4s4s16s64s128s", 2, 1, 6, 0, xid,
                            0, 0, b"\0" * 4, GUEST_IP, GATEWAY_IP,
                            b"\0" * 4, chaddr, b"", b"")
        options = (bytes([53, 1, kind]) + bytes([54, 4]) + GATEWAY_IP +
                   bytes([51, 4]) + struct.pack("!I", LEASE_SECONDS) +
                   bytes([1, 4]) + NETMASK + bytes([3, 4]) + GATEWAY_IP +
                   bytes([6, 4]) + GATEWAY_IP +
                   bytes([26, 2]) + struct.pack("!H", self.mtu) + b"\xff")
        payload = bootp + DHCP_MAGIC + options
        udp = udp_datagram(GATEWAY_IP, b"\xff" * 4, 67, 68, payload)
        packet = ipv4_packet(17, GATEWAY_IP, b"\xff" * 4, udp)
        return BROADCAST_MAC + GATEWAY_MAC + struct.pack("!H", ETH_P_IP) + packet


def recv_exact(conn, length, deadline):
    """Read exactly length bytes from a stream socket, or None on EOF."""
    data = b""
    while len(data) < length:
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = conn.recv(length - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_stream(path, peer, deadline):
    """Serve one QEMU connection, where each frame has a 4-byte length prefix."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    server.settimeout(max(0.1, deadline - time.monotonic()))
    conn, _ = server.accept()
    server.close()
    while time.monotonic() < deadline:
        header = recv_exact(conn, 4, deadline)
        if header is None:
            return
        frame = recv_exact(conn, struct.unpack("!I", header)[0], deadline)
        if frame is None:
            return
        for reply in peer.handle(frame):
            conn.sendall(struct.pack("!I", len(reply)) + reply)
            peer.stats["frames_out"] += 1


def serve_dgram(path, peer, deadline):
    """Serve frames as unix datagrams, replying to the sender's address."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        frame, sender = sock.recvfrom(MAX_FRAME)
        for reply in peer.handle(frame):
            sock.sendto(reply, sender)
            peer.stats["frames_out"] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("stream", "dgram"))
    parser.add_argument("socket", help="unix socket path to bind")
    parser.add_argument("--mtu", type=int, default=65520,
                        help="MTU sent in DHCP option 26 (default: 65520)")
    parser.add_argument("--lifetime", type=float, default=120,
                        help="seconds before the peer exits (default: 120)")
    args = parser.parse_args()

    # SIGTERM from the selftest ends the peer through the same cleanup.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    peer = Peer(args.mtu)
    deadline = time.monotonic() + args.lifetime
    serve = serve_stream if args.mode == "stream" else serve_dgram
    try:
        serve(args.socket, peer, deadline)
    except (socket.timeout, ConnectionError) as err:
        print("peer: stopped: %s" % (err or "timed out"), file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        if os.path.exists(args.socket):
            os.unlink(args.socket)
        print("peer: " + " ".join("%s=%d" % kv for kv in peer.stats.items()),
              flush=True)


if __name__ == "__main__":
    main()
