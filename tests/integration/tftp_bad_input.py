#!/usr/bin/python3
"""Bad input against a running ringboot (raw UDP on 127.0.0.1).

usage: tftp_bad_input.py TFTP_PORT METRICS_PORT ROOT
ROOT holds hello.txt (1000 bytes), probe.bin, passwd-link -> /etc/passwd,
etc-link -> /etc (the wrapper tftp_bad_input.sh sets this up).

Every case is run; each prints PASS or FAIL with what was sent and what came
back; the exit status is 1 when any failed.
"""
import os
import socket
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tftp_raw import (DATA, ERROR, OACK, WRQ, TftpError, ack, describe, error, fetch,  # noqa: E402
                      parse, recv_for, request, rrq, udp_socket)

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
METRICS_PORT = int(sys.argv[2])
ROOT = sys.argv[3]
HELLO = open(os.path.join(ROOT, "hello.txt"), "rb").read()
PROBE = open(os.path.join(ROOT, "probe.bin"), "rb").read()
PASSWD = open("/etc/passwd", "rb").read()
WAIT = 0.4  # how long "no reply" is watched for

failures = []


def result(name, ok, detail):
    print("%s  %-46s %s" % ("PASS" if ok else "FAIL", name, detail), flush=True)
    if not ok:
        failures.append("%s: %s" % (name, detail))


def metrics():
    text = urllib.request.urlopen("http://%s:%d/metrics" % (HOST, METRICS_PORT), timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("ringboot_tftp_") and " " in line:
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def first_then_rest(s, wait):
    """The first datagram within `wait` s, and then whatever follows within 0.2 s."""
    first = recv_for_first(s, wait)
    return first + recv_for(s, 0.2) if first else []


def recv_for_first(s, wait):
    s.settimeout(wait)
    try:
        return [s.recvfrom(70000)]
    except socket.timeout:
        return []


def exchange(payload, wait=WAIT):
    """Sends payload from a fresh port; returns [(packet, addr)]: the first reply
    within `wait` s and what follows it within 0.2 s."""
    s = udp_socket(HOST)
    try:
        s.sendto(payload, (HOST, PORT))
        return first_then_rest(s, wait)
    finally:
        s.close()


def summary(replies):
    return ", ".join(describe(p) for p, _ in replies) or "no reply"


def abort_transfers(replies):
    """Ends any transfer a reply started (ERROR 0 to its port) so it does not linger."""
    s = udp_socket(HOST)
    for p, addr in replies:
        if parse(p)[0] in (DATA, OACK) and addr[1] != PORT:
            s.sendto(error(0, "test done"), addr)
    s.close()


def expect_error_or_drop(name, payload, codes, allow_drop=True):
    """The reply is one ERROR with a code in `codes` from the listening port, or nothing."""
    replies = exchange(payload, WAIT if allow_drop else 3.0)
    abort_transfers(replies)
    kinds = [parse(p) for p, _ in replies]
    if not replies:
        result(name, allow_drop, "sent %r: no reply%s" % (payload[:60], "" if allow_drop else " (ERROR expected)"))
        return
    ok = (len(replies) == 1 and kinds[0][0] == ERROR and kinds[0][1][0] in codes)
    leaked = any(PASSWD[:64] in p for p, _ in replies)
    result(name, ok and not leaked, "sent %r: got %s (want ERROR %s%s)" % (
        payload[:60], summary(replies), "/".join(map(str, codes)), " or drop" if allow_drop else ""))


def expect_silence(name, payload):
    replies = exchange(payload)
    abort_transfers(replies)
    result(name, not replies, "sent %r: got %s (want no reply)" % (payload[:60], summary(replies)))


# --- malformed requests ---------------------------------------------------------------
def malformed():
    # RFC 1350: a malformed request is answered with ERROR 4 (illegal operation)
    # or dropped; it must never start a transfer.
    expect_error_or_drop("1-byte packet", b"\x01", [4])
    expect_error_or_drop("3-byte packet (RRQ + 1 byte)", b"\x00\x01h", [4])
    expect_error_or_drop("unknown opcode 9", b"\x00\x09hello.txt\x00octet\x00", [4])
    expect_error_or_drop("unknown opcode 0", b"\x00\x00hello.txt\x00octet\x00", [4])
    expect_error_or_drop("RRQ without any NUL", b"\x00\x01hello.txtoctet", [4])
    expect_error_or_drop("RRQ, mode without NUL", b"\x00\x01hello.txt\x00octet", [4])
    expect_error_or_drop("RRQ, no mode", b"\x00\x01hello.txt\x00", [4])
    expect_error_or_drop("mode \"mail\"", rrq("hello.txt", "mail"), [4, 0])
    expect_error_or_drop("mode \"binary\"", rrq("hello.txt", "binary"), [4, 0])
    # Session packets sent to the listening port belong to no transfer: never answered
    # (answering a stray ACK/DATA could start a storm; an ERROR is never answered).
    expect_silence("ACK to the listening port", ack(1))
    expect_silence("DATA to the listening port", b"\x00\x03\x00\x01abc")
    expect_silence("ERROR to the listening port", error(0, "x"))
    expect_error_or_drop("OACK to the listening port", b"\x00\x06blksize\x00512\x00", [4])


# --- options ------------------------------------------------------------------------------
def transfer_with(name, options, check_oack):
    """Fetches hello.txt with `options`; check_oack(oack or None) -> error text or None."""
    try:
        oack, data, _ = fetch(HOST, PORT, "hello.txt", options=options, timeout=1.0, tries=4)
    except TftpError as e:
        result(name, False, "options %r: %s" % (options, e))
        return
    problem = check_oack(oack)
    if data != HELLO:
        problem = (problem + "; " if problem else "") + "file differs (%d bytes)" % len(data)
    result(name, problem is None, "options %r -> %s%s" % (
        options, "OACK %r" % oack if oack is not None else "no OACK (DATA 1)", ": " + problem if problem else ""))


def no_oack(oack):
    return None if oack is None else "an OACK for options that are all invalid or unknown"


def without(*names):
    def check(oack):
        if oack is None:
            return None
        bad = [n for n in names if n in oack]
        return "invalid option(s) %s answered in the OACK" % bad if bad else None
    return check


def within(opt, lo, hi):
    def check(oack):
        if oack is None or opt not in oack:
            return None
        v = oack[opt]
        return None if v.isdigit() and lo <= int(v) <= hi else "%s=%s outside %d..%d" % (opt, v, lo, hi)
    return check


def options():
    transfer_with("blksize 0", [("blksize", "0")], no_oack)
    transfer_with("blksize 7", [("blksize", "7")], no_oack)
    transfer_with("blksize 99999999999", [("blksize", "99999999999")], within("blksize", 8, 65464))
    transfer_with("blksize -1", [("blksize", "-1")], no_oack)
    transfer_with("windowsize 0", [("windowsize", "0")], no_oack)
    transfer_with("windowsize 70000", [("windowsize", "70000")], within("windowsize", 1, 65535))
    transfer_with("timeout 0", [("timeout", "0")], no_oack)
    transfer_with("timeout 256", [("timeout", "256")], no_oack)
    transfer_with("tsize abc", [("tsize", "abc")],
                  lambda o: None if o is None or o.get("tsize", str(len(HELLO))) == str(len(HELLO))
                  else "tsize=%s" % o["tsize"])
    transfer_with("20 unknown options", [("x-opt%d" % i, "v%d" % i) for i in range(20)], no_oack)
    transfer_with("unknown options + blksize 8", [("x-a", "1"), ("blksize", "8"), ("x-b", "2")],
                  lambda o: None if o == {"blksize": "8"} else "want OACK {blksize: 8}, got %r" % (o,))
    transfer_with("valid + invalid mixed", [("blksize", "0"), ("tsize", "0"), ("windowsize", "0")],
                  lambda o: None if o == {"tsize": str(len(HELLO))} else "want OACK {tsize: %d}, got %r" % (
                      len(HELLO), o))
    # An option name with no value: "blksize\0" and then the packet ends.
    for label, raw in (("option name without value", rrq("hello.txt") + b"blksize\x00"),
                       ("option name without NUL", rrq("hello.txt") + b"blksize")):
        s = udp_socket(HOST)
        s.sendto(raw, (HOST, PORT))
        replies = first_then_rest(s, 3.0)
        first = parse(replies[0][0]) if replies else (None, ())
        as_plain = first[0] == DATA and first[1][0] == 1 and first[1][1] == HELLO[:512]
        as_error = first[0] == ERROR and first[1][0] == 4
        ok = len(replies) == 1 and (as_plain or as_error)
        result(label, ok, "sent %r: got %s (want DATA 1 of 512 bytes, or ERROR 4)" % (raw, summary(replies)))
        for p, addr in replies:
            if addr[1] != PORT:
                s.sendto(error(0, "done"), addr)
        s.close()
    # RRQ with only tsize: the OACK holds only tsize (never an unrequested option).
    s = udp_socket(HOST)
    s.sendto(rrq("probe.bin", options=[("tsize", "0")]), (HOST, PORT))
    replies = first_then_rest(s, 3.0)
    got = [parse(p) for p, _ in replies]
    ok = len(got) == 1 and got[0][0] == OACK and got[0][1][0] == {"tsize": str(len(PROBE))}
    result("tsize only -> OACK with tsize only", ok, "got %s (want OACK {tsize: %d})" % (summary(replies), len(PROBE)))
    for p, addr in replies:
        s.sendto(error(0, "done"), addr)
    s.close()


# --- paths --------------------------------------------------------------------------------
def paths():
    cases = [
        ("../etc/passwd", b"../etc/passwd"),
        ("/../../etc/passwd", b"/../../etc/passwd"),
        ("..\\..\\etc\\passwd", b"..\\..\\etc\\passwd"),
        ("a/../../x", b"a/../../x"),
        ("dir/../hello.txt ('..' refused)", b"dir/../hello.txt"),
        ("symlink -> /etc/passwd", b"passwd-link"),
        ("symlink to a directory outside", b"etc-link/passwd"),
        ("/etc/passwd (relative to the root)", b"/etc/passwd"),
        ("2000-byte name", b"x" * 2000),
        ("2000-byte ../ name", b"../" * 666 + b"ab"),
        ("control character in name", b"hello\x01.txt"),
    ]
    for label, name in cases:
        # An oversized request may also be dropped as malformed.
        expect_error_or_drop("path " + label, rrq(name), [1, 2], allow_drop=len(name) > 512)
    # A NUL inside the name ends it: what follows is read as the mode, which is bad.
    expect_error_or_drop("name with embedded NUL", b"\x00\x01hello.txt\x00/etc/passwd\x00octet\x00", [1, 2, 4],
                         allow_drop=False)
    expect_error_or_drop("name with embedded NUL (2)", b"\x00\x01../etc/passwd\x00hello.txt\x00octet\x00",
                         [1, 2, 4], allow_drop=False)
    # Uploads are off: a WRQ is refused with ERROR 2 (access violation).
    expect_error_or_drop("WRQ (uploads off)", request(WRQ, "upload.bin", "octet"), [2], allow_drop=False)
    expect_error_or_drop("WRQ over an existing file", request(WRQ, "hello.txt", "octet"), [2], allow_drop=False)
    expect_error_or_drop("WRQ with options", request(WRQ, "x", "octet", [("blksize", "1468"), ("tsize", "10")]),
                         [2], allow_drop=False)
    if os.path.exists(os.path.join(ROOT, "upload.bin")):
        result("WRQ left no file", False, "upload.bin was created in the root")


# --- sessions -----------------------------------------------------------------------------
def duplicate_rrq():
    s = udp_socket(HOST)
    req = rrq("probe.bin")
    s.sendto(req, (HOST, PORT))
    s.sendto(req, (HOST, PORT))
    replies = recv_for_first(s, 3.0)
    replies += recv_for(s, 0.4)  # a second stream, if any, would show up here
    ports = sorted({a[1] for p, a in replies if parse(p)[0] in (DATA, OACK)})
    data1 = sum(1 for p, _ in replies if parse(p)[0] == DATA and parse(p)[1][0] == 1)
    ok = len(ports) == 1 and data1 == 1 and all(parse(p)[0] == DATA for p, _ in replies)
    result("duplicated RRQ: one transfer", ok, "two identical RRQs from port %d: got %s from server port(s) %s "
           "(want one DATA 1 from one port)" % (s.getsockname()[1], summary(replies), ports))
    for p in ports:
        s.sendto(error(0, "done"), (HOST, p))
    s.close()


def edk2_probe():
    opts = [("tsize", "0"), ("blksize", "1468"), ("windowsize", "4")]
    s = udp_socket(HOST)
    s.sendto(rrq("probe.bin", options=opts), (HOST, PORT))
    replies = recv_for_first(s, 3.0)  # answered at once, before any resend of the OACK
    got = [parse(p) for p, _ in replies]
    want = {"tsize": str(len(PROBE)), "blksize": "1468", "windowsize": "4"}
    ok = len(got) == 1 and got[0][0] == OACK and got[0][1][0] == want
    result("EDK2 size probe: OACK", ok, "RRQ %r: got %s (want OACK %r)" % (opts, summary(replies), want))
    if replies:
        s.sendto(error(8, "User aborted the transfer"), replies[0][1])
        after = recv_for(s, WAIT)
        result("EDK2 size probe: ERROR 8 ends it quietly", not after,
               "after ERROR 8 got %s (want nothing)" % summary(after))
    s.close()
    opts = [("blksize", "1468"), ("windowsize", "4")]
    try:
        oack, data, st = fetch(HOST, PORT, "probe.bin", options=opts, timeout=1.0, tries=4)
        ok = oack == {"blksize": "1468", "windowsize": "4"} and data == PROBE
        result("EDK2 second RRQ: windowed transfer", ok, "RRQ %r: OACK %r, %d bytes%s" % (
            opts, oack, len(data), "" if data == PROBE else " (DIFFERS)"))
    except TftpError as e:
        result("EDK2 second RRQ: windowed transfer", False, str(e))


def wrong_tid():
    stray = udp_socket(HOST)
    seen = {}

    def poke(sock, server):
        stray.sendto(ack(1), server)
        seen["replies"] = first_then_rest(stray, 3.0)

    try:
        _, data, _ = fetch(HOST, PORT, "probe.bin", timeout=1.0, tries=4, on_first=poke)
        replies = seen.get("replies", [])
        got = [parse(p) for p, _ in replies]
        ok = len(got) == 1 and got[0][0] == ERROR and got[0][1][0] == 5
        result("wrong TID gets ERROR 5", ok, "ACK 1 from another port to the session port: got %s" % summary(replies))
        result("wrong TID: transfer continues", data == PROBE, "%d of %d bytes, %s" % (
            len(data), len(PROBE), "identical" if data == PROBE else "DIFFERENT"))
    except TftpError as e:
        result("wrong TID: transfer continues", False, str(e))
    stray.close()


def garbage_in_session():
    """Garbage to a session port is ignored; the transfer still completes."""
    def poke(sock, server):
        for junk in (b"\x00", b"\x00\x09zzz", b"\x00\x03\x00\x01data", b"\x00\x01x\x00octet\x00"):
            sock.sendto(junk, server)
    try:
        _, data, _ = fetch(HOST, PORT, "probe.bin", timeout=1.0, tries=4, on_first=poke)
        result("garbage from the peer inside a session", data == PROBE, "%d bytes %s" % (
            len(data), "identical" if data == PROBE else "DIFFERENT"))
    except TftpError as e:
        result("garbage from the peer inside a session", False, str(e))


def main():
    before = metrics()
    malformed()
    options()
    paths()
    duplicate_rrq()
    edk2_probe()
    wrong_tid()
    garbage_in_session()
    after = metrics()

    def delta(key):
        return after.get(key, 0) - before.get(key, 0)
    # Counted: malformed requests, refusals, the duplicate and the probe.
    m = delta("ringboot_tftp_malformed_total")
    result("malformed packets counted", m >= 13, "ringboot_tftp_malformed_total +%d (want >= 13)" % m)
    r = delta('ringboot_tftp_refused_total{reason="access"}') + delta('ringboot_tftp_refused_total{reason="not_found"}')
    result("refusals counted", r >= 12, "ringboot_tftp_refused_total{access,not_found} +%d (want >= 12)" % r)
    d = delta('ringboot_tftp_refused_total{reason="duplicate"}')
    result("duplicate RRQ counted", d >= 1, 'ringboot_tftp_refused_total{reason="duplicate"} +%d' % d)
    p = delta('ringboot_tftp_transfers_total{result="probe"}')
    result("size probe counted as a probe", p >= 1, 'ringboot_tftp_transfers_total{result="probe"} +%d' % p)
    if failures:
        print("\n%d case(s) failed:" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
