#!/usr/bin/python3
"""A PXE-like DHCP client for the integration tests (scapy, Debian's python3-scapy).

  discover  broadcast a DISCOVER (option 93/60/77/175/97 as asked) from an
            interface without an address, collect every reply for its xid,
            optionally REQUEST the address an OFFER carried, and check the
            replies against --expect/--none-from. Exit 1 on any mismatch.
  pxe4011   unicast a PXE REQUEST to a proxy's port 4011 from a kernel
            socket bound to ADDR:PORT; check the ACK comes back to it.

Replies are parsed here from raw bytes, so the checks do not depend on
scapy's option names. Each reply is printed as JSON on stderr; --print
FIELD prints one field of the checked reply on stdout.
"""
import argparse
import json
import random
import socket
import struct
import sys
import time

COOKIE = b"\x63\x82\x53\x63"
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM"}


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def options_bytes(opts):
    out = b""
    for code, value in opts:
        out += bytes([code, len(value)]) + value
    return out + b"\xff"


def parse_reply(data):
    """A BOOTREPLY as a dict of the fields the tests look at."""
    if len(data) < 240 or data[236:240] != COOKIE:
        return None
    op, _, _, _, xid = struct.unpack("!BBBBI", data[:8])
    ip = lambda b: socket.inet_ntoa(b)
    reply = {
        "op": op, "xid": xid, "flags": struct.unpack("!H", data[10:12])[0],
        "ciaddr": ip(data[12:16]), "yiaddr": ip(data[16:20]), "siaddr": ip(data[20:24]),
        "giaddr": ip(data[24:28]), "chaddr": ":".join("%02x" % b for b in data[28:34]),
        "file": data[108:236].split(b"\0")[0].decode("latin-1"), "options": {},
    }
    i = 240
    raw = {}
    while i < len(data):
        code = data[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(data):
            break
        n = data[i + 1]
        raw[code] = raw.get(code, b"") + data[i + 2:i + 2 + n]  # RFC 3396: concatenate
        i += 2 + n
    for code, value in raw.items():
        reply["options"][str(code)] = value.hex()
    reply["type"] = TYPES.get(raw.get(53, b"\0")[0], "BOOTP")
    reply["server_id"] = ip(raw[54]) if 54 in raw and len(raw[54]) == 4 else ""
    reply["opt60"] = raw.get(60, b"").decode("latin-1")
    reply["opt66"] = raw.get(66, b"").decode("latin-1")
    reply["opt67"] = raw.get(67, b"").decode("latin-1")
    reply["has43"] = "yes" if 43 in raw else "no"
    reply["opt97"] = raw.get(97, b"").hex()
    reply["opt1"] = ip(raw[1]) if 1 in raw and len(raw[1]) == 4 else ""
    # The boot file: option 67 wins over the file field (it may hold a long URL).
    reply["bootfile"] = reply["opt67"] or reply["file"]
    return reply


def request_options(args, msg_type, extra=()):
    opts = [(53, bytes([msg_type]))]
    opts += list(extra)
    if args.arch is not None:
        opts.append((93, struct.pack("!H", args.arch)))
        opts.append((94, b"\x01\x03\x00"))
    vendor = args.vendor
    if vendor is None and args.arch is not None:
        vendor = "%s:Arch:%05d:UNDI:003016" % ("HTTPClient" if args.arch in (15, 16, 18, 19) else "PXEClient",
                                                args.arch)
    if vendor:
        opts.append((60, vendor.encode()))
    if args.user_class:
        opts.append((77, args.user_class.encode()))  # iPXE: the raw string, not RFC 3004
    if args.opt175:
        opts.append((175, b"\x13\x01\x01\x15\x01\x01"))  # 175.19 HTTP, 175.21 TFTP
    if args.uuid:
        opts.append((97, b"\x00" + bytes(range(16))))
    opts.append((55, bytes([1, 3, 6, 43, 60, 66, 67, 97, 175])))
    return opts


def bootp(mac, xid, opts, ciaddr="0.0.0.0", broadcast=True):
    header = struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, 0x8000 if broadcast else 0)
    header += socket.inet_aton(ciaddr) + b"\0" * 12
    header += mac_bytes(mac) + b"\0" * 10 + b"\0" * 64 + b"\0" * 128
    body = header + COOKIE + options_bytes(opts)
    return body + b"\0" * max(0, 300 - len(body))


def exchange(args, payload, xid, wait):
    """Broadcasts payload from args.iface, collects every reply for xid during
    `wait` seconds; resends (up to --tries) while none came."""
    from scapy.all import AsyncSniffer, Ether, IP, UDP, Raw, sendp, conf
    conf.verb = 0
    seen = []

    def keep(p):
        if UDP not in p or p[UDP].dport != 68:
            return
        r = parse_reply(bytes(p[UDP].payload))
        if r and r["xid"] == xid:
            r["source"] = p[IP].src
            r["dest"] = "%s:%d" % (p[IP].dst, p[UDP].dport)
            seen.append(r)
    sniffer = AsyncSniffer(iface=args.iface, prn=keep, store=False)
    sniffer.start()
    time.sleep(0.5)
    frame = (Ether(src=args.mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
             UDP(sport=68, dport=67) / Raw(payload))
    for _ in range(args.tries):
        sendp(frame, iface=args.iface)
        time.sleep(wait)
        if seen:
            break
    sniffer.stop()
    return list(seen)


def check(replies, args, what):
    failures = []
    for rule in args.none_from or []:
        for r in replies:
            if r["server_id"] == rule or r["source"].split(":")[0] == rule:
                failures.append("%s from %s, expected no reply from it" % (r["type"], rule))
    if args.expect:
        chosen = [r for r in replies if r["type"] == what and
                  (not args.from_server or r["server_id"] == args.from_server)]
        if not chosen:
            failures.append("no %s%s" % (what, " from " + args.from_server if args.from_server else ""))
        else:
            r = chosen[0]
            if args.print:
                print(r.get(args.print, r["options"].get(args.print, "")))
            for e in args.expect:
                key, _, want = e.partition("=")
                got = r.get(key, r["options"].get(key, ""))
                if str(got) != want:
                    failures.append("%s %s=%r, expected %r" % (what, key, got, want))
    return failures


def cmd_discover(args):
    xid = random.getrandbits(32)
    replies = exchange(args, bootp(args.mac, xid, request_options(args, 1)), xid, args.wait)
    for r in replies:
        print(json.dumps(r, sort_keys=True), file=sys.stderr)
    what = "OFFER"
    if args.request:
        offers = [r for r in replies if r["type"] == "OFFER" and r["yiaddr"] != "0.0.0.0"]
        if not offers:
            print("FAIL: no OFFER with an address to REQUEST", file=sys.stderr)
            return 1
        o = offers[0]
        extra = [(50, socket.inet_aton(o["yiaddr"])), (54, socket.inet_aton(o["server_id"]))]
        replies = exchange(args, bootp(args.mac, xid, request_options(args, 3, extra)), xid, args.wait)
        for r in replies:
            print(json.dumps(r, sort_keys=True), file=sys.stderr)
        what = "ACK"
    failures = check(replies, args, what)
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


def cmd_pxe4011(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.bind, args.port))
    s.settimeout(args.wait)
    xid = random.getrandbits(32)
    opts = request_options(args, 3, [(43, b"\x47\x04\x80\x00\x00\x00\xff")])  # 43.71 boot item
    s.sendto(bootp(args.mac, xid, opts, ciaddr=args.bind, broadcast=False), (args.server, 4011))
    try:
        data, source = s.recvfrom(2048)
    except socket.timeout:
        print("FAIL: no reply on %s:%d within %ss" % (args.bind, args.port, args.wait), file=sys.stderr)
        return 1
    r = parse_reply(data)
    if r is None:
        print("FAIL: reply is not DHCP", file=sys.stderr)
        return 1
    r["source"] = "%s:%d" % source
    r["dest"] = "%s:%d" % (args.bind, args.port)
    print(json.dumps(r, sort_keys=True), file=sys.stderr)
    failures = [] if r["xid"] == xid else ["xid mismatch"]
    failures += check([r], args, "ACK")
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["discover", "pxe4011"])
    p.add_argument("--iface")
    p.add_argument("--mac", required=True)
    p.add_argument("--arch", type=int)
    p.add_argument("--vendor")
    p.add_argument("--user-class")
    p.add_argument("--opt175", action="store_true")
    p.add_argument("--uuid", action="store_true")
    p.add_argument("--request", action="store_true", help="REQUEST the first OFFER's address, check the ACK")
    p.add_argument("--wait", type=float, default=2.0)
    p.add_argument("--tries", type=int, default=3)
    p.add_argument("--from-server", help="check the reply whose option 54 is this address")
    p.add_argument("--expect", action="append", help="FIELD=VALUE (fields: see parse_reply, or an option code)")
    p.add_argument("--print", help="print this field of the checked reply on stdout")
    p.add_argument("--none-from", action="append", help="no reply of the checked type from this server")
    p.add_argument("--bind")
    p.add_argument("--port", type=int, default=68)
    p.add_argument("--server")
    args = p.parse_args()
    return cmd_discover(args) if args.command == "discover" else cmd_pxe4011(args)


if __name__ == "__main__":
    sys.exit(main())
