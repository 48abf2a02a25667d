#!/usr/bin/python3
"""Confinement probe for hardening_confinement.sh (standard library only).

  hardening_confinement.py HOST TFTP_PORT HTTP_PORT MARKER LINKED_MARKER OUTSIDE ROOT

Sends hostile names over TFTP (raw RRQs, tftp_raw) and HTTP (raw sockets)
and checks every answer: no body may contain MARKER (the outside file) or
/etc/passwd's first line; files that are legitimately inside the root are
served byte-exact. Prints one line per request; exits 1 on any violation.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tftp_raw  # noqa: E402

HOST, TPORT, HPORT = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
MARKER, LINKED = sys.argv[4].encode(), sys.argv[5].encode()
OUTSIDE, ROOT = sys.argv[6], sys.argv[7]
with open("/etc/passwd", "rb") as f:
    PASSWD = f.readline().strip()
OK = b"inside ok\n"
failures = []


def leaked(body):
    return MARKER in body or (PASSWD and PASSWD in body) or b"PATH=" in body


# --- names tried on both protocols (bytes; the HTTP side sends them as the
# path, raw, after a leading "/" where they have none) --------------------
HOSTILE = [
    b"../outside/secret.txt", b"/../outside/secret.txt", b"./../outside/secret.txt",
    b"sub/../../outside/secret.txt", b"ok.txt/../../outside/secret.txt", b"sub/./../../outside/dir/secret.txt",
    b"../" * 40 + b"etc/passwd", b"..", b"../", b"/..", b"sub/..", b"...", b"..../outside/secret.txt",
    b"..\\outside\\secret.txt", b"\\..\\outside\\secret.txt", b"sub\\..\\..\\outside\\secret.txt",
    b"..%2foutside%2fsecret.txt", b"%2e%2e/outside/secret.txt", b"%2E%2E%2Foutside%2Fsecret.txt",
    b"%2e%2e%5coutside%5csecret.txt", b"%252e%252e/outside/secret.txt", b"..%252foutside%252fsecret.txt",
    b"%c0%ae%c0%ae/outside/secret.txt", b"\xc0\xae\xc0\xae/outside/secret.txt", b"%u002e%u002e/outside/secret.txt",
    OUTSIDE.encode() + b"/secret.txt", b"/" + OUTSIDE.encode().lstrip(b"/") + b"/secret.txt",
    b"//" + OUTSIDE.encode().lstrip(b"/") + b"/secret.txt", b"/etc/passwd", b"etc/passwd", b"passwd",
    b"abs_file", b"abs_dir/secret.txt", b"abs_dir/dir/secret.txt", b"rel_file", b"rel_dir/secret.txt",
    b"rel_dir/dir/secret.txt", b"deep/er/up", b"sub/chain", b"abs_inside", b"self/environ", b"self/root/etc/passwd",
    b"self/cwd/ok.txt", b"loop1", b"fifo", b"zero", b"deep", b"deep/", b"sub", b"", b"/",
    b"a" * 255, b"a" * 256, b"a/" * 300 + b"ok.txt", b"x" * 1400, b"../" * 400 + b"outside/secret.txt",
]
# Inside the root: must be served exactly (relative links that stay inside,
# and the hard link, which is inside by definition).
SERVED = {b"ok.txt": OK, b"inside_link": OK, b"sub/inside_up": OK, b"sub/../ok.txt": None,
          b"./ok.txt": OK, b"hardlink.txt": LINKED + b"\n", b"sub/inner.txt": b"inside sub\n"}


def tftp_probe(name, mode=b"octet"):
    """('data', bytes) | ('error', code, msg) | ('silent',)."""
    sock = tftp_raw.udp_socket(HOST, 1.0)
    try:
        oack, data, _ = tftp_raw.fetch(HOST, TPORT, name, mode, sock=sock, timeout=0.6, tries=1)
        return ("data", data)
    except tftp_raw.TftpError as e:
        text = str(e)
        if "server sent ERROR" in text:
            code = int(text.split("ERROR ")[1].split()[0])
            return ("error", code, text)
        return ("silent", text)
    finally:
        sock.close()


def tftp_raw_probe(datagram):
    """Sends one raw datagram to the TFTP port; collects what comes back for 0.6 s."""
    sock = tftp_raw.udp_socket(HOST, 1.0)
    try:
        sock.sendto(datagram, (HOST, TPORT))
        replies = tftp_raw.recv_for(sock, 0.6)
        for pkt, addr in replies:  # never leave a session dangling
            op, f = tftp_raw.parse(pkt)
            if op == tftp_raw.DATA:
                sock.sendto(tftp_raw.error(0, "probe"), addr)
        return [p for p, _ in replies]
    finally:
        sock.close()


def http_probe(raw_request):
    """(status or None, body) for one raw request on a fresh connection."""
    s = socket.create_connection((HOST, HPORT), timeout=3)
    try:
        s.sendall(raw_request)
        buf = b""
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            buf += chunk
        if not buf.startswith(b"HTTP/1."):
            return None, buf
        head, _, body = buf.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), body
    finally:
        s.close()


def get(path):
    return b"GET " + path + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"


def check(proto, name, result, expect_body=None):
    body = b""
    if proto == "tftp" and result[0] == "data":
        body = result[1]
    elif proto == "http":
        body = result[1] if result[0] == 200 else result[1]
    shown = name if len(name) <= 60 else name[:40] + b"...(%d bytes)" % len(name)
    summary = result[0] if proto == "http" else (result[0] if result[0] != "error" else "ERROR %d" % result[1])
    print("%-4s %-60r -> %s" % (proto, shown, summary))
    if leaked(body):
        failures.append("%s %r LEAKED outside content" % (proto, shown))
    if expect_body is not None:
        ok = (result[0] == "data" and result[1] == expect_body) if proto == "tftp" else \
             (result[0] == 200 and result[1] == expect_body)
        if not ok:
            failures.append("%s %r: expected it served (%r), got %r" % (proto, shown, expect_body, summary))
    elif proto == "tftp" and result[0] == "data" and name not in SERVED:
        failures.append("tftp %r: served %d bytes; expected a refusal" % (shown, len(body)))
    elif proto == "http" and result[0] == 200 and name not in SERVED and not name.startswith(b"HEAD"):
        failures.append("http %r: 200 with %d bytes; expected a refusal" % (shown, len(body)))


def main():
    # TFTP: hostile names as RRQ filenames, octet and netascii.
    for name in HOSTILE:
        if len(name) > 1400:
            continue  # below: raw datagrams
        check("tftp", name, tftp_probe(name))
    for name in (b"abs_file", b"rel_dir/secret.txt", b"../outside/secret.txt", b"self/environ"):
        check("tftp", name + b" (netascii)", tftp_probe(name, b"netascii"))
    for name, body in SERVED.items():
        check("tftp", name, tftp_probe(name), body if body is not None else None)
    # TFTP: NUL bytes and oversized datagrams, sent raw.
    raw = {
        b"NUL in name": b"\x00\x01ok.txt\x00../outside/secret.txt\x00octet\x00",
        b"NUL then traversal": b"\x00\x01../outside/secret.txt\x00\x00octet\x00",
        b"no terminators": b"\x00\x01../outside/secret.txt",
        b"name NUL-only": b"\x00\x01\x00octet\x00",
        b"60000-byte name": b"\x00\x01" + b"../" * 20000 + b"\x00octet\x00",
        b"1990-byte name": b"\x00\x01" + b"a" * 1990 + b"\x00octet\x00",
        b"WRQ over the marker": b"\x00\x02../outside/secret.txt\x00octet\x00",
    }
    for what, dgram in raw.items():
        replies = tftp_raw_probe(dgram)
        kinds = [tftp_raw.describe(p) for p in replies]
        print("tftp %-60r -> %s" % (what, kinds or "no answer"))
        for p in replies:
            op, f = tftp_raw.parse(p)
            if op == tftp_raw.DATA:
                failures.append("tftp raw %r: answered with DATA" % what)
            if leaked(p):
                failures.append("tftp raw %r LEAKED outside content" % what)
    with open(os.path.join(OUTSIDE, "secret.txt"), "rb") as f:
        if f.read().strip() != MARKER:
            failures.append("the WRQ changed the outside file")

    # HTTP: the same names as request targets, raw (no client normalisation).
    for name in HOSTILE:
        target = name if name.startswith(b"/") else b"/" + name
        check("http", name, http_probe(get(target)))
    for name, body in SERVED.items():
        check("http", name, http_probe(get(b"/" + name)), body if body is not None else None)
    extra = {
        b"absolute-form": get(b"http://t/../outside/secret.txt"),
        b"absolute-form abs_file": get(b"http://t/abs_file"),
        b"%00 then traversal": get(b"/ok.txt%00/../../outside/secret.txt"),
        b"%00 alone": get(b"/ok.txt%00"),
        b"raw NUL in target": get(b"/ok.txt\x00/../outside/secret.txt"),
        b"raw NUL in header": b"GET /rel_file HTTP/1.1\r\nHost: t\x00\r\nConnection: close\r\n\r\n",
        b"HEAD abs_file": b"HEAD /abs_file HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        b"Range on rel_file": b"GET /rel_file HTTP/1.1\r\nHost: t\r\nRange: bytes=0-5\r\nConnection: close\r\n\r\n",
        b"query and fragment": get(b"/../outside/secret.txt?x=1#y"),
        b"encoded slash query": get(b"/%3f/../outside/secret.txt"),
        b"backslash absolute": get(b"\\..\\outside\\secret.txt"),
        b"10000-byte path": get(b"/" + b"a" * 10000),
        b"HTTP/1.0 traversal": b"GET /../outside/secret.txt HTTP/1.0\r\n\r\n",
        b"OPTIONS *": b"OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        b"CONNECT": b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: t\r\n\r\n",
    }
    for what, req in extra.items():
        check("http", what, http_probe(req))
    # The query is not part of the path: this is ok.txt.
    check("http", b"?-hidden traversal", http_probe(get(b"/ok.txt?/../../outside/secret.txt")), OK)

    # Still serving after all that.
    check("tftp", b"ok.txt (after)", tftp_probe(b"ok.txt"), OK)
    check("http", b"ok.txt (after)", http_probe(get(b"/ok.txt")), OK)
    if failures:
        print("\n".join("VIOLATION: " + f for f in failures), file=sys.stderr)
        return 1
    print("no violation: nothing outside the root was served")
    return 0


if __name__ == "__main__":
    sys.exit(main())
