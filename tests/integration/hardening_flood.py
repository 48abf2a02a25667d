#!/usr/bin/python3
"""A bounded TFTP request flood for hardening_tftp_flood.sh (standard library).

  hardening_flood.py DST_IP DST_PORT SRC_IPS NAME --count N --pps R --seconds S [--garbage F]

Sends RRQs for NAME to DST_IP:DST_PORT from raw IP packets (IP_HDRINCL):
each from one of SRC_IPS (comma-separated) and a random source port, so
every request looks like a new client transfer ID and no socket is held on
this side. A fraction F of the datagrams is garbage (bad opcodes, WRQs,
truncated RRQs). Stops after N datagrams or S seconds, whichever is first;
never faster than R per second. Prints the count sent.
"""
import argparse
import random
import socket
import struct
import sys
import time


def packet(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # checksum 0: none (IPv4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("dst")
    ap.add_argument("dport", type=int)
    ap.add_argument("srcs")
    ap.add_argument("name")
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--pps", type=float, default=5000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--garbage", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    rnd = random.Random(a.seed)
    srcs = a.srcs.split(",")
    rrq = b"\x00\x01" + a.name.encode() + b"\x00octet\x00blksize\x001468\x00tsize\x000\x00"
    junk = [b"\x00\x02" + a.name.encode() + b"\x00octet\x00", b"\x00\x09garbage", b"\x00\x01" + a.name.encode(),
            b"\x00\x04\x00\x01", b"\x00\x03\x00\x01hello", b"\x00"]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    start = time.monotonic()
    end = start + a.seconds
    sent = 0
    while sent < a.count:
        now = time.monotonic()
        if now >= end:
            break
        ahead = sent / a.pps - (now - start)
        if ahead > 0.001:
            time.sleep(ahead)
        payload = rnd.choice(junk) if a.garbage and rnd.random() < a.garbage else rrq
        pkt = packet(rnd.choice(srcs), a.dst, rnd.randrange(1024, 65536), a.dport, payload)
        try:
            s.sendto(pkt, (a.dst, 0))
            sent += 1
        except (BlockingIOError, OSError):
            time.sleep(0.001)  # the device queue is full: back off
    print(sent)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
