"""Helpers for the Python HTTP integration tests: a private work dir, ringboot
started on a locked free loopback port and killed by PID at exit, a raw
HTTP/1.1 response reader, and /metrics read by prometheus_client's parser."""
import atexit
import fcntl
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


class Fail(Exception):
    pass


def fail(msg):
    raise Fail(msg)


def expect(what, got, want):
    if got != want:
        fail(f"{what}: got {got!r}, expected {want!r}")


def note(msg):
    print(f"--- {msg}", flush=True)


_procs = []
_servers = []
_lock_fds = []
WORK = tempfile.mkdtemp(prefix="ringboot-it-http-")


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(WORK, ignore_errors=True)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
signal.signal(signal.SIGINT, lambda *_: sys.exit(130))


def pick_port():
    """A TCP/UDP port free on 127.0.0.1, locked like lib.sh's pick_port."""
    for _ in range(200):
        port = 20000 + random.randrange(20000)
        fd = os.open(f"/tmp/ringboot-itest-port-{port}.lock", os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            os.close(fd)
            continue
        _lock_fds.append(fd)
        return port
    fail("no free port found")


class Server:
    def __init__(self, ringboot, root, config=None, extra=()):
        self.port = pick_port()
        self.log = os.path.join(WORK, f"ringboot-{self.port}.log")
        args = [ringboot, "--root", root, "--tftp-listen", "off", "--http-listen", f"127.0.0.1:{self.port}",
                "--threads", "1", *extra]
        if config is not None:
            path = os.path.join(WORK, f"ringboot-{self.port}.toml")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        self.proc = subprocess.Popen(args, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        _procs.append(self.proc)
        _servers.append(self)
        for _ in range(100):
            if self.proc.poll() is not None:
                fail(f"ringboot exited at start: {self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        fail(f"ringboot did not listen on 127.0.0.1:{self.port} within ~10 s")

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def connect(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.headers} body={len(self.body)}B>"


class Reader:
    """Reads HTTP/1.1 responses off a socket, one after another."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _more(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError(f"connection closed with {len(self.buf)} unread bytes: {self.buf[:200]!r}")
        self.buf += chunk

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        if not version.startswith("HTTP/1."):
            fail(f"bad status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = 0 if head_only or int(status) in (204, 304) else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._more()
        body, self.buf = self.buf[:n], self.buf[n:]
        return Response(int(status), reason, headers, body)

    def at_eof(self, timeout=5):
        """True if the peer closes (EOF or reset) within timeout with nothing more sent."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        if chunk:
            fail(f"unexpected bytes after the response: {chunk[:200]!r}")
        return True


def request(method, path, headers=(), version="HTTP/1.1"):
    lines = [f"{method} {path} {version}"]
    if version == "HTTP/1.1":
        lines.append("Host: test")
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def fetch(server, method, path, headers=()):
    """One request on a fresh connection, Connection: close."""
    with server.connect() as s:
        s.sendall(request(method, path, list(headers) + ["Connection: close"]))
        return Reader(s).response(head_only=method == "HEAD")


def metrics(server, path="/metrics"):
    """{(name, frozenset(labels)): value} from /metrics via prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families
    r = fetch(server, "GET", path)
    expect("GET /metrics status", r.status, 200)
    out = {}
    for fam in text_string_to_metric_families(r.body.decode()):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def sample(m, name, **labels):
    key = (name, frozenset(labels.items()))
    if key not in m:
        fail(f"no sample {name}{labels} in /metrics")
    return m[key]


def run(main):
    """Runs main(), prints the verdict, exits non-zero on any failure."""
    try:
        main()
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for srv in _servers:
            print(f"==== {srv.log} (tail)\n{srv.log_tail()}", file=sys.stderr)
        sys.exit(1)
    except Exception:
        import traceback
        traceback.print_exc()
        print("FAIL: unexpected exception", file=sys.stderr)
        sys.exit(1)
