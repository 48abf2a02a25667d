#!/usr/bin/python3
"""A raw TFTP client for the integration tests (standard library only).

As a module: packet builders/parsers and fetch(), a full RRQ client with
windowsize (RFC 7440) that can drop DATA and skip ACKs on purpose.
As a command:
  tftp_raw.py ping HOST PORT            exit 0 when the server answers at all
  tftp_raw.py get HOST PORT NAME OUT [--mode octet|netascii] [--opt NAME=VALUE]...
              [--drop P] [--skip-ack P] [--seed N]
      writes the file as received (netascii bytes are not converted) and
      prints one JSON line: oack, blocks, dropped, skipped_acks, gap_acks, timeouts.
"""
import argparse
import json
import os
import random
import socket
import struct
import sys
import time

RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6
TRACE = bool(os.environ.get("TFTP_RAW_TRACE"))


def trace(*args):
    if TRACE:
        print("%.3f" % time.monotonic(), *args, file=sys.stderr, flush=True)


class TftpError(Exception):
    pass


def request(op, name, mode="octet", options=()):
    """An RRQ/WRQ; name and mode may be str or bytes; options a list of (name, value)."""
    def b(x):
        return x if isinstance(x, bytes) else str(x).encode()
    out = struct.pack("!H", op) + b(name) + b"\0" + b(mode) + b"\0"
    for k, v in options:
        out += b(k) + b"\0" + b(v) + b"\0"
    return out


def rrq(name, mode="octet", options=()):
    return request(RRQ, name, mode, options)


def ack(block):
    return struct.pack("!HH", ACK, block & 0xFFFF)


def error(code, message=""):
    return struct.pack("!HH", ERROR, code) + message.encode() + b"\0"


def parse(pkt):
    """(opcode, fields): DATA (block, payload), ACK (block,), ERROR (code, msg), OACK (dict)."""
    if len(pkt) < 2:
        return None, ()
    op = struct.unpack("!H", pkt[:2])[0]
    if op == DATA and len(pkt) >= 4:
        return op, (struct.unpack("!H", pkt[2:4])[0], pkt[4:])
    if op == ACK and len(pkt) >= 4:
        return op, (struct.unpack("!H", pkt[2:4])[0],)
    if op == ERROR and len(pkt) >= 4:
        return op, (struct.unpack("!H", pkt[2:4])[0], pkt[4:].split(b"\0")[0].decode("latin-1"))
    if op == OACK:
        parts = pkt[2:].split(b"\0")
        if parts and parts[-1] == b"":
            parts = parts[:-1]
        opts = {}
        for i in range(0, len(parts) - 1, 2):
            opts[parts[i].decode("latin-1").lower()] = parts[i + 1].decode("latin-1")
        return op, (opts, len(parts) % 2 == 0)
    return op, ()


def describe(pkt):
    op, f = parse(pkt)
    if op == DATA:
        return "DATA %d (%d bytes)" % (f[0], len(f[1]))
    if op == ACK:
        return "ACK %d" % f[0]
    if op == ERROR:
        return "ERROR %d %r" % f
    if op == OACK:
        return "OACK %r" % (f[0],)
    return "raw %r" % pkt[:40]


def udp_socket(host="127.0.0.1", timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host if host.startswith("127.") else "", 0))
    s.settimeout(timeout)
    return s


def recv_for(sock, seconds):
    """Every datagram that arrives within `seconds`: [(bytes, addr)]."""
    out = []
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return out
        sock.settimeout(left)
        try:
            out.append(sock.recvfrom(70000))
        except socket.timeout:
            return out


def fetch(host, port, name, mode="octet", options=(), drop=0.0, skip_ack=0.0, seed=1,
          sock=None, timeout=1.5, tries=12, on_first=None):
    """Downloads `name`; returns (oack dict or None, bytes, stats dict).

    drop: probability to ignore a received DATA packet (never the same block
    twice in a row, so the transfer always ends).
    skip_ack: probability (window mode) to not send the ACK that ends a window:
    the server then times out and resends from the block after the last ACK.
    A gap (block after a missing one) is answered at once with an ACK of the
    last in-order block, as EDK2 does: the server must roll its window back.
    on_first(sock, server_addr): called once with the first reply's source.
    """
    rnd = random.Random(seed)
    own = sock is None
    if own:
        sock = udp_socket(host)
    stats = dict(blocks=0, dropped=0, skipped_acks=0, gap_acks=0, timeouts=0, server_ports=[])
    req = rrq(name, mode, options)
    sock.sendto(req, (host, port))
    server = None
    oack = None
    blksize, windowsize = 512, 1
    got = bytearray()
    expected = 1          # index (unwrapped) of the next block we need
    last_acked = 0        # index of the last block we ACKed
    gap_acked_for = -1    # one gap ACK per stall, like EDK2
    misses = 0
    last_dropped = -1
    reacked_for = -1      # one re-ACK per stall when old blocks come again
    deadline = time.monotonic() + timeout  # moved on by progress only, not by duplicates
    try:
        while True:
            try:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                pkt, addr = sock.recvfrom(70000)
            except socket.timeout:
                deadline = time.monotonic() + timeout
                misses += 1
                stats["timeouts"] += 1
                if misses > tries:
                    raise TftpError("timed out waiting for block %d of %r" % (expected, name))
                if server is None:
                    sock.sendto(req, (host, port))
                else:
                    sock.sendto(ack(expected - 1), server)
                    trace("timeout: ACK", expected - 1)
                    last_acked = expected - 1
                continue
            trace("recv", describe(pkt))
            if server is None:
                server = addr
                stats["server_ports"].append(addr[1])
                if on_first:
                    on_first(sock, addr)
            elif addr != server:
                if addr[1] not in stats["server_ports"]:
                    stats["server_ports"].append(addr[1])
                continue
            op, f = parse(pkt)
            if op == ERROR:
                raise TftpError("server sent ERROR %d %r for %r" % (f[0], f[1], name))
            if op == OACK:
                if expected != 1:
                    continue
                oack = f[0]
                blksize = int(oack.get("blksize", 512))
                windowsize = int(oack.get("windowsize", 1))
                sock.sendto(ack(0), server)
                deadline = time.monotonic() + timeout
                misses = 0
                continue
            if op != DATA:
                raise TftpError("unexpected packet %s" % describe(pkt))
            block, payload = f
            misses = 0
            last = len(payload) < blksize
            if block != expected & 0xFFFF:
                if windowsize == 1:
                    # Lockstep: a duplicate of the previous block means our ACK was lost.
                    if block == (expected - 1) & 0xFFFF:
                        sock.sendto(ack(expected - 1), server)
                    continue
                ahead = (block - expected) & 0xFFFF
                if ahead >= 0x8000 and reacked_for != expected:
                    # An old block again: the server missed our last ACK (or we
                    # withheld it): say once where we are.
                    reacked_for = expected
                    sock.sendto(ack(expected - 1), server)
                    trace("old block: ACK", expected - 1)
                    last_acked = expected - 1
                if 0 < ahead < 0x8000 and gap_acked_for != expected:
                    gap_acked_for = expected
                    stats["gap_acks"] += 1
                    sock.sendto(ack(expected - 1), server)
                    trace("gap: ACK", expected - 1)
                    last_acked = expected - 1
                continue
            if drop and expected != last_dropped and rnd.random() < drop:
                last_dropped = expected  # never the same block twice in a row
                stats["dropped"] += 1
                trace("dropped", expected)
                continue
            got += payload
            stats["blocks"] += 1
            deadline = time.monotonic() + timeout
            expected += 1
            gap_acked_for = -1
            if last:
                sock.sendto(ack(expected - 1), server)
                break
            if expected - 1 - last_acked >= windowsize:
                if windowsize > 1 and skip_ack and rnd.random() < skip_ack:
                    stats["skipped_acks"] += 1
                    trace("skipped ACK", expected - 1)
                    continue
                sock.sendto(ack(expected - 1), server)
                trace("window: ACK", expected - 1)
                last_acked = expected - 1
    finally:
        if own:
            sock.close()
    return oack, bytes(got), stats


def ping(host, port):
    s = udp_socket(host, 0.3)
    try:
        s.sendto(rrq("ringboot-itest-ping-does-not-exist"), (host, port))
        s.recvfrom(2048)
        return True
    except (socket.timeout, ConnectionRefusedError):
        return False
    finally:
        s.close()


def main(argv):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ping")
    p.add_argument("host")
    p.add_argument("port", type=int)
    g = sub.add_parser("get")
    g.add_argument("host")
    g.add_argument("port", type=int)
    g.add_argument("name")
    g.add_argument("out")
    g.add_argument("--mode", default="octet")
    g.add_argument("--opt", action="append", default=[])
    g.add_argument("--drop", type=float, default=0.0)
    g.add_argument("--skip-ack", type=float, default=0.0)
    g.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.cmd == "ping":
        return 0 if ping(a.host, a.port) else 1
    opts = [tuple(o.split("=", 1)) for o in a.opt]
    try:
        oack, data, stats = fetch(a.host, a.port, a.name, a.mode, opts, a.drop, a.skip_ack, a.seed)
    except TftpError as e:
        print("tftp_raw: %s" % e, file=sys.stderr)
        return 1
    with open(a.out, "wb") as f:
        f.write(data)
    stats["oack"] = oack
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
