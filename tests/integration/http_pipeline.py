#!/usr/bin/python3
"""Pipelined and fragmented HTTP/1.1 requests over a raw socket, and HTTP/1.0
keep-alive semantics. Usage: http_pipeline.py path/to/ringboot"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_lib import WORK, Reader, Server, expect, fail, note, request, run  # noqa: E402


def main():
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        fail(f"usage: {sys.argv[0]} path/to/ringboot")
    root = os.path.join(WORK, "root")
    os.makedirs(root)
    files = {"a.txt": os.urandom(10), "b.bin": os.urandom(70_000), "c.bin": os.urandom(3 * 1024 * 1024 + 7),
             "d.ipxe": b"#!ipxe\necho hi\n"}
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    srv = Server(sys.argv[1], root)

    note("5 pipelined requests in one write, answered in order")
    reqs = [("GET", "/a.txt", 200, files["a.txt"]),
            ("GET", "/c.bin", 200, files["c.bin"]),  # spliced body while the rest waits
            ("GET", "/missing", 404, None),
            ("HEAD", "/b.bin", 200, b""),
            ("GET", "/b.bin", 200, files["b.bin"]),
            ("GET", "/d.ipxe", 206, files["d.ipxe"][2:6])]
    blob = b"".join(request(m, p, ["Range: bytes=2-5"] if p == "/d.ipxe" else []) for m, p, _, _ in reqs)
    with srv.connect() as s:
        s.sendall(blob)
        rd = Reader(s)
        for i, (method, path, status, body) in enumerate(reqs):
            r = rd.response(head_only=method == "HEAD")
            expect(f"pipelined #{i} {method} {path} status", r.status, status)
            if body is not None:
                if r.body != body:
                    fail(f"pipelined #{i} {method} {path}: body differs ({len(r.body)} vs {len(body)} bytes)")
            if method == "HEAD":
                expect(f"pipelined #{i} HEAD Content-Length", r.header("content-length"), str(len(files["b.bin"])))
            expect(f"pipelined #{i} Connection", r.header("connection"), "keep-alive")
        # the connection is still usable afterwards
        s.sendall(request("GET", "/a.txt", ["Connection: close"]))
        r = rd.response()
        expect("after pipeline status", r.status, 200)
        expect("after pipeline body", r.body, files["a.txt"])
        expect("after pipeline Connection", r.header("connection"), "close")
        if not rd.at_eof(5):
            fail("Connection: close request: the server did not close")

    note("pipeline ending in Connection: close: all answered, then closed")
    with srv.connect() as s:
        s.sendall(request("GET", "/a.txt") + request("GET", "/b.bin") + request("GET", "/a.txt", ["Connection: close"]) +
                  request("GET", "/a.txt"))  # after the close: must not be answered
        rd = Reader(s)
        for i, name in enumerate(["a.txt", "b.bin", "a.txt"]):
            r = rd.response()
            expect(f"#{i} status", r.status, 200)
            expect(f"#{i} body", r.body, files[name])
        expect("last Connection", r.header("connection"), "close")
        if not rd.at_eof(5):
            fail("a request after Connection: close was answered or the connection stayed open")

    note("one request split across many small writes")
    with srv.connect() as s:
        raw = request("GET", "/b.bin", ["User-Agent: split-writer", "Accept: */*"])
        for i in range(0, len(raw), 3):
            s.sendall(raw[i:i + 3])
            time.sleep(0.01)
        rd = Reader(s)
        r = rd.response()
        expect("split request status", r.status, 200)
        if r.body != files["b.bin"]:
            fail(f"split request: body differs ({len(r.body)} bytes)")
        # and a second one on the same connection, split mid-header and mid-CRLF
        raw = request("GET", "/a.txt")
        for piece in (raw[:5], raw[5:17], raw[17:-3], raw[-3:-1], raw[-1:]):
            s.sendall(piece)
            time.sleep(0.05)
        r = rd.response()
        expect("second split request status", r.status, 200)
        expect("second split request body", r.body, files["a.txt"])

    note("HTTP/1.0 without keep-alive: Connection: close, then EOF")
    with srv.connect() as s:
        s.sendall(request("GET", "/b.bin", version="HTTP/1.0"))
        rd = Reader(s)
        r = rd.response()
        expect("HTTP/1.0 status", r.status, 200)
        if r.body != files["b.bin"]:
            fail("HTTP/1.0: body differs")
        expect("HTTP/1.0 Connection", r.header("connection"), "close")
        if not rd.at_eof(5):
            fail("HTTP/1.0 without keep-alive: the server did not close")

    note("HTTP/1.0 with Connection: keep-alive: kept open, second request served")
    with srv.connect() as s:
        s.sendall(request("GET", "/a.txt", ["Connection: keep-alive"], version="HTTP/1.0"))
        rd = Reader(s)
        r = rd.response()
        expect("HTTP/1.0 keep-alive status", r.status, 200)
        expect("HTTP/1.0 keep-alive Connection", r.header("connection"), "keep-alive")
        s.sendall(request("GET", "/d.ipxe", version="HTTP/1.0"))
        r = rd.response()
        expect("HTTP/1.0 second status", r.status, 200)
        expect("HTTP/1.0 second body", r.body, files["d.ipxe"])
        if not rd.at_eof(5):
            fail("HTTP/1.0 second request (no keep-alive): the server did not close")

    if not srv.alive():
        fail("ringboot died")
    note("http_pipeline: all checks passed")


if __name__ == "__main__":
    run(main)
