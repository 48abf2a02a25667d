#!/usr/bin/env python3
"""GET /api/v1/events under load, with python3's stdlib sockets:
- 100 Server-Sent Events subscribers while 1,000 simulated machines boot
  through the real boot listener (GET /ipxe renders the install script,
  then the done callback with its token): every subscriber gets an
  `event: machine` with state done for every one of the 1,000 MACs;
- one deliberately stalled subscriber (a 4 KiB SO_RCVBUF, never read) is
  dropped (ringboot_api_subscribers_dropped_total >= 1) and its connection
  closed by the server, while /metrics and the API keep answering;
- over [api] subscribers_max: 503 with a JSON reason;
- Last-Event-ID resumes from the buffer (no event at or before it again),
  one the buffer does not hold gets `event: reset`;
- SIGTERM with subscribers connected: ringboot exits 0."""
import http.client
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_lib  # noqa: E402
from http_lib import WORK, Fail, Server, expect, fail, note, pick_port  # noqa: E402

MACHINES = 1000
SUBSCRIBERS = 100
READ = "readreadreadread0123456789abcdef"
ADMIN = "adminadminadmin0123456789abcdef"
BUFFER = 131072  # [api] subscriber_buffer_bytes


def mac_of(i):
    return f"52:54:00:{i >> 16 & 0xff:02x}:{i >> 8 & 0xff:02x}:{i & 0xff:02x}"


def events_request(extra=()):
    lines = ["GET /api/v1/events HTTP/1.1", "Host: test", f"Authorization: Bearer {READ}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Subscriber:
    """One SSE connection: the head, then events parsed as they come."""

    def __init__(self, port, extra=(), rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(events_request(extra))
        self.buf = b""
        self.head = None
        self.events = []  # (event, id, data) in order, for the small checks
        self.done = set()  # MACs seen with state done
        self.closed = False
        self.keep = False

    def feed(self, chunk):
        if not chunk:
            self.closed = True
            return
        self.buf += chunk
        if self.head is None:
            if b"\r\n\r\n" not in self.buf:
                return
            self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            self.head = self.head.decode("latin-1")
        while b"\n\n" in self.buf:
            block, self.buf = self.buf.split(b"\n\n", 1)
            event, ident, data = "message", None, []
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(": ")
                if field == "event":
                    event = value
                elif field == "id":
                    ident = int(value)
                elif field == "data":
                    data.append(value)
            data = "\n".join(data)
            if event == "machine" and '"state":"done"' in data:  # cheap: 100 readers in one thread
                at = data.index('"mac":"') + 7
                self.done.add(data[at:at + 17])
            if self.keep or event != "machine":
                self.events.append((event, ident, data))

    def read_some(self):
        try:
            self.feed(self.sock.recv(1 << 20))
        except BlockingIOError:
            pass
        except ConnectionResetError:
            self.closed = True

    def wait_for(self, predicate, what, bound=30):
        self.sock.settimeout(1)
        end = time.monotonic() + bound
        while not predicate():
            if self.closed or time.monotonic() > end:
                fail(f"{what}: not seen (closed={self.closed}, head={self.head!r}, events={self.events[:5]})")
            try:
                self.feed(self.sock.recv(1 << 20))
            except socket.timeout:
                pass


def api_get(port, path, token=READ):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def metrics(server):
    """/metrics as {sample line's name and labels: value}; 200 required."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    c.request("GET", "/metrics")
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    expect("GET /metrics", r.status, 200)
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def metric(server, name):
    value = metrics(server).get(name)
    if value is None:
        fail(f"no sample {name} in /metrics")
    return value


class TwoWorkers(Server):
    """http_lib's Server with two worker threads and the API listener: a
    subscriber on either worker counts against one subscribers_max."""

    def __init__(self, ringboot, root, config, api_port):
        self.port = pick_port()
        self.log = os.path.join(WORK, f"ringboot-{self.port}.log")
        path = os.path.join(WORK, "ringboot.toml")
        with open(path, "w") as f:
            f.write(config)
        args = [ringboot, "--root", root, "--tftp-listen", "off", "--http-listen", f"127.0.0.1:{self.port}",
                "--api-listen", f"127.0.0.1:{api_port}", "--threads", "2", "--config", path]
        self.proc = subprocess.Popen(args, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        http_lib._procs.append(self.proc)
        for _ in range(100):
            if self.proc.poll() is not None:
                fail(f"ringboot exited at start: {self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", api_port), timeout=1).close()
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        fail("ringboot did not listen within ~10 s")


class Driver(threading.Thread):
    """Boots machines [first, last) through /ipxe and the done callback."""

    def __init__(self, port, macs):
        super().__init__(daemon=True)
        self.port, self.macs, self.error = port, macs, None

    def run(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            for mac in self.macs:
                c.request("GET", f"/ipxe?mac={mac}&buildarch=x86_64&platform=efi")
                r = c.getresponse()
                script = r.read().decode()
                if r.status != 200:
                    raise Fail(f"/ipxe {mac}: {r.status}")
                at = script.find("ringboot.done=")
                if at < 0:
                    raise Fail(f"/ipxe {mac}: no done_url in {script[:300]!r}")
                url = script[at + len("ringboot.done="):].split()[0]
                path = url[url.index("/api/"):]
                c.request("POST", path, body=b"", headers={"Content-Length": "0"})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    raise Fail(f"done {mac}: {r.status}")
                if r.getheader("Connection", "").lower() == "close" or r.will_close:
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            c.close()
        except Exception as e:  # reported by the main thread
            self.error = e


def main(ringboot):
    root = os.path.join(WORK, "root")
    os.makedirs(os.path.join(root, "debian12"))
    with open(os.path.join(root, "debian12", "linux"), "wb") as f:
        f.write(b"k" * 4096)
    tokens = os.path.join(WORK, "tokens")
    with open(tokens, "w") as f:
        f.write(f"admin {ADMIN} ops\nread {READ}\n")
    os.chmod(tokens, 0o600)
    api_port = pick_port()
    config = f"""
state_dir = "{WORK}/state"

[api]
tokens_file = "{tokens}"
subscribers_max = {SUBSCRIBERS + 1}
subscriber_buffer_bytes = {BUFFER}
events_buffer = 8192
events_keepalive_ms = 1000

[http]
send_timeout_ms = 600000

[fleet]
machines_max = 4096

[[profile]]
name = "debian12"
kernel = "{{{{http_base}}}}/debian12/linux"
cmdline = "auto=true ringboot.done={{{{done_url}}}}"

[[group]]
name = "all"
match = {{ mac = "52:54:00" }}
profile = "debian12"
once = true
"""
    server = TwoWorkers(ringboot, root, config, api_port)

    note("one stalled subscriber (4 KiB receive buffer, never read), then 100 healthy ones")
    stalled = Subscriber(api_port, rcvbuf=4096)
    subs = [Subscriber(api_port) for _ in range(SUBSCRIBERS)]
    for s in subs:
        s.wait_for(lambda s=s: any(e[0] == "hello" for e in s.events), "event: hello")
        status_line = s.head.split("\r\n")[0]
        expect("the stream's status", status_line, "HTTP/1.1 200 OK")
        if "content-type: text/event-stream" not in s.head.lower():
            fail(f"no text/event-stream in {s.head!r}")
        hello = next(e for e in s.events if e[0] == "hello")
        expect("hello's data", json.loads(hello[2]), {"machines": 0})
        s.sock.setblocking(False)
    subs[0].keep = True  # its ids, for the resume check

    note("over subscribers_max: 503 with a JSON reason")
    status, ctype, body = api_get(api_port, "/api/v1/events")
    expect("the 102nd stream", status, 503)
    expect("its Content-Type", ctype, "application/json")
    if "subscribers_max" not in json.loads(body)["error"]:
        fail(f"503 reason: {body!r}")
    expect("the subscribers gauge", metric(server, "ringboot_api_subscribers"), SUBSCRIBERS + 1)

    note(f"{MACHINES} machines boot through /ipxe and done while the subscribers read")
    macs = [mac_of(i) for i in range(1, MACHINES + 1)]
    drivers = [Driver(server.port, macs[i::4]) for i in range(4)]
    for d in drivers:
        d.start()
    sel = selectors.DefaultSelector()
    for s in subs:
        sel.register(s.sock, selectors.EVENT_READ, s)
    want = set(macs)
    end = time.monotonic() + 300
    checks = 0
    while any(len(s.done) < MACHINES for s in subs):
        if time.monotonic() > end:
            short = [(i, MACHINES - len(s.done)) for i, s in enumerate(subs) if len(s.done) < MACHINES]
            fail(f"subscribers missing done events (index, missing): {short[:10]}; "
                 f"drivers: {[str(d.error) for d in drivers if d.error]}")
        for key, _ in sel.select(timeout=0.5):
            key.data.read_some()
        for i, s in enumerate(subs):
            if s.closed:
                fail(f"healthy subscriber {i} was closed after {len(s.done)} done events")
        if any(d.error for d in drivers):
            fail(f"driving the machines failed: {[str(d.error) for d in drivers if d.error]}")
        checks += 1
        if checks % 20 == 0:  # the server keeps answering while it streams
            status, _, _ = api_get(api_port, "/api/v1/machines?state=done")
            expect("GET /api/v1/machines while streaming", status, 200)
            metrics(server)
    for d in drivers:
        d.join()
    for i, s in enumerate(subs):
        if s.done != want:
            fail(f"subscriber {i}: {len(want - s.done)} MACs never seen done")

    note("the stalled subscriber was dropped and its connection closed by the server")
    dropped = 0
    for _ in range(300):
        dropped = metric(server, "ringboot_api_subscribers_dropped_total")
        if dropped >= 1:
            break
        time.sleep(0.1)
    if dropped < 1:
        fail("ringboot_api_subscribers_dropped_total stayed 0 with a stalled subscriber")
    stalled.sock.settimeout(10)
    got = 0
    try:
        while True:
            chunk = stalled.sock.recv(1 << 16)
            if not chunk:
                break
            got += len(chunk)
    except ConnectionResetError:
        pass
    except socket.timeout:
        fail(f"the stalled subscriber's connection is still open after {got} bytes")
    note(f"the stalled subscriber read {got} bytes before the server's close")
    status, _, body = api_get(api_port, "/api/v1/machines?state=done")
    expect("GET /api/v1/machines after", status, 200)
    expect("machines done", json.loads(body)["count"], MACHINES)
    sent = metric(server, "ringboot_api_events_sent_total")
    if sent < SUBSCRIBERS * MACHINES:
        fail(f"ringboot_api_events_sent_total {sent} < {SUBSCRIBERS * MACHINES}")

    note("Last-Event-ID: a resume from the buffer repeats nothing; one it does not hold is a reset")
    ids = [e[1] for e in subs[0].events if e[0] == "machine"]
    for s in subs:
        s.sock.close()
    for _ in range(100):
        if metric(server, "ringboot_api_subscribers") == 0:
            break
        time.sleep(0.1)
    expect("the subscribers gauge once they all left", metric(server, "ringboot_api_subscribers"), 0)
    middle = ids[len(ids) // 2]
    resumed = Subscriber(api_port, extra=[f"Last-Event-ID: {middle}"])
    resumed.keep = True
    last_id = ids[-1]
    resumed.wait_for(lambda: any(e[1] == last_id for e in resumed.events if e[0] == "machine"),
                     f"the resumed stream reaching id {last_id}")
    got_ids = [e[1] for e in resumed.events if e[0] == "machine"]
    if min(got_ids) <= middle:
        fail(f"the resumed stream repeated id {min(got_ids)} <= Last-Event-ID {middle}")
    hello = resumed.events[0]
    expect("the resumed hello's id", (hello[0], hello[1]), ("hello", middle))
    reset = Subscriber(api_port, extra=["Last-Event-ID: 1"])
    reset.wait_for(lambda: any(e[0] == "reset" for e in reset.events), "event: reset for an id not held")
    resumed.sock.close()
    reset.sock.close()

    note("SIGTERM with subscribers connected: ringboot exits 0")
    last = [Subscriber(api_port) for _ in range(3)]
    for s in last:
        s.wait_for(lambda s=s: any(e[0] == "hello" for e in s.events), "event: hello")
    server.proc.send_signal(signal.SIGTERM)
    try:
        rc = server.proc.wait(timeout=30)
    except Exception:
        fail("ringboot did not exit within 30 s of SIGTERM with subscribers connected")
    expect("ringboot's exit status", rc, 0)
    for s in last:
        s.wait_for(lambda s=s: s.closed, "the server closing the stream at shutdown", bound=10)
    print("api_events: ok")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: api_events.py RINGBOOT")
    try:
        main(sys.argv[1])
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
