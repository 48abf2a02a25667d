#!/usr/bin/python3
"""A deliberately slow TFTP reader for the hardening tests (standard library).

  hardening_slow_get.py HOST PORT NAME OUT [--delay S] [--opt NAME=VALUE]...

Downloads NAME with tftp_raw.fetch() but waits DELAY seconds before every
ACK it sends, so the transfer stays in flight for a while (across a SIGHUP
or a SIGTERM). Writes the bytes to OUT and prints one JSON line with the
OACK, the block count and the elapsed seconds.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tftp_raw  # noqa: E402


class SlowAcks:
    """A UDP socket whose ACKs leave `delay` seconds late."""

    def __init__(self, sock, delay):
        self.sock, self.delay = sock, delay

    def sendto(self, pkt, addr):
        if pkt[:2] == b"\x00\x04":
            time.sleep(self.delay)
        return self.sock.sendto(pkt, addr)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("name")
    ap.add_argument("out")
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--opt", action="append", default=[])
    a = ap.parse_args(argv)
    opts = [tuple(o.split("=", 1)) for o in a.opt]
    sock = SlowAcks(tftp_raw.udp_socket(a.host), a.delay)
    start = time.monotonic()
    try:
        oack, data, stats = tftp_raw.fetch(a.host, a.port, a.name, "octet", opts, sock=sock, timeout=3.0)
    except tftp_raw.TftpError as e:
        print("slow_get: %s" % e, file=sys.stderr)
        return 1
    finally:
        sock.sock.close()
    with open(a.out, "wb") as f:
        f.write(data)
    print(json.dumps(dict(oack=oack, blocks=stats["blocks"], timeouts=stats["timeouts"],
                          seconds=round(time.monotonic() - start, 3))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
