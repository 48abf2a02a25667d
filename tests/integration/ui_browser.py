"""The /ui/ page in a real browser: headless Chromium (Debian's chromium and
chromium-driver, driven by python3-selenium) against a running ringboot on
loopback. The page is opened once and never reloaded while the test:
- checks the page's files and headers with http.client (types, CSP, nosniff,
  no-cache, ETag and 304, the /ui redirect, 404);
- signs in through the page's form (POST /ui/login) with the read token;
- drives simulated machines through the chain on the boot listener (GET
  /ipxe renders a machine's install script, whose done URL is then POSTed;
  an installer event with markup in it), and declares one with the admin
  API (PUT .../next-boot), and sees rows appear and a row's stage change
  (script -> done) live from /api/v1/events;
- filters by stage and label (rows hidden and shown, the URL's hash);
- opens a machine's timeline (the steps in order) and sees the installer's
  markup as text, never as an element;
- saves a screenshot (PNG) as the test's artifact.
Usage: ui_browser.py RINGBOOT ARTIFACT_DIR. A missing chromium, chromedriver
or selenium is a failure (scripts/setup --test installs them)."""
import atexit
import http.client
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_lib import WORK, Server, expect, fail, note, pick_port, run  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ADMIN = "adminadminadmin0123456789abcdef"
READ = "readreadreadread0123456789abcdef"
WAIT_S = 30  # how long a change may take to show; a bound against hanging, not a speed goal

_driver = None
_service = None


def _quit_browser():
    if _driver is not None:
        try:
            _driver.quit()
        except Exception:
            pass
    # The driver's process, by its PID, if quit() left it (it takes the browser with it).
    if _service is not None and _service.process is not None and _service.process.poll() is None:
        _service.process.kill()
        _service.process.wait()


atexit.register(_quit_browser)


def prerequisites():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3 module selenium")
    if missing:
        fail(f"missing {', '.join(missing)}: run scripts/setup --test (Debian packages chromium chromium-driver "
             f"python3-selenium)")


def http_call(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def check_files(api_port):
    note("the page's files: types, CSP, nosniff, no-cache, ETag and 304, /ui redirect, 404, no token needed")
    for path, ctype in (("/ui/", "text/html; charset=utf-8"), ("/ui/app.js", "text/javascript; charset=utf-8"),
                        ("/ui/style.css", "text/css; charset=utf-8")):
        status, h, body = http_call(api_port, "GET", path)
        expect(f"GET {path}", status, 200)
        expect(f"{path} Content-Type", h.get("content-type"), ctype)
        expect(f"{path} Content-Security-Policy", h.get("content-security-policy"), "default-src 'self'")
        expect(f"{path} X-Content-Type-Options", h.get("x-content-type-options"), "nosniff")
        expect(f"{path} Cache-Control", h.get("cache-control"), "no-cache")
        expect(f"{path} Content-Length", h.get("content-length"), str(len(body)))
        etag = h.get("etag") or fail(f"{path}: no ETag")
        status, h2, body2 = http_call(api_port, "GET", path, headers={"If-None-Match": etag})
        expect(f"{path} with If-None-Match", status, 304)
        expect(f"{path} 304 body", body2, b"")
        status, h2, body2 = http_call(api_port, "HEAD", path)
        expect(f"HEAD {path}", (status, body2, h2.get("content-length")), (200, b"", str(len(body))))
    status, h, _ = http_call(api_port, "GET", "/ui")
    expect("GET /ui", (status, h.get("location")), (301, "/ui/"))
    status, h, body = http_call(api_port, "GET", "/ui/nope.js")
    expect("GET /ui/nope.js", (status, h.get("content-type")), (404, "application/json"))
    json.loads(body)["error"]
    status, _, _ = http_call(api_port, "GET", "/api/v1/machines")
    expect("the data still wants a token", status, 401)


def boot(http_port, mac):
    """The machine's install script from /ipxe, as iPXE asks for it; its done URL."""
    status, _, body = http_call(http_port, "GET", f"/ipxe?mac={mac}&buildarch=x86_64&platform=efi")
    expect(f"GET /ipxe for {mac}", status, 200)
    script = body.decode()
    m = re.search(r"ringboot\.done=(\S+)", script) or fail(f"no done URL in {mac}'s script: {script}")
    return m.group(1)


def post_callback(url, body=b""):
    m = re.match(r"http://127\.0\.0\.1:(\d+)(/.*)$", url) or fail(f"a callback URL off loopback: {url}")
    status, _, reply = http_call(int(m.group(1)), "POST", m.group(2), body=body,
                                 headers={"Content-Type": "text/plain"})
    expect(f"POST {m.group(2).split('?')[0]}", status, 200)


def sign_in_by_form(driver, wait, token_input):
    from selenium.webdriver.common.by import By
    note("a wrong token is refused in place; the read token signs in (POST /ui/login, a session cookie)")
    token_input.send_keys("wrongwrongwrongwrong0123456789")
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait.until(lambda d: d.find_element(By.ID, "login-error").is_displayed())
    token_input = driver.find_element(By.ID, "token")
    token_input.clear()
    token_input.send_keys(READ)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait.until(lambda d: d.find_element(By.ID, "main").is_displayed())
    if READ in driver.current_url:
        fail(f"the token is in the URL: {driver.current_url}")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    session = cookies.get("ringboot_session") or fail(f"no ringboot_session cookie: {list(cookies)}")
    expect("the session cookie is HttpOnly", session.get("httpOnly"), True)


def main():
    if len(sys.argv) != 3:
        fail("usage: ui_browser.py RINGBOOT ARTIFACT_DIR")
    ringboot, artifacts = sys.argv[1], sys.argv[2]
    prerequisites()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    root = os.path.join(WORK, "root")
    os.makedirs(os.path.join(root, "debian12"))
    for name in ("linux", "initrd.gz"):
        with open(os.path.join(root, "debian12", name), "wb") as f:
            f.write(os.urandom(4096))
    tokens = os.path.join(WORK, "api-tokens")
    with open(tokens, "w") as f:
        f.write(f"admin {ADMIN} ops\nread {READ} viewer\n")
    os.chmod(tokens, 0o600)
    api_port = pick_port()
    config = f"""
state_dir = "{WORK}/state"
[api]
tokens_file = "{tokens}"
[[profile]]
name = "debian12"
kernel = "{{{{http_base}}}}/debian12/linux"
initrd = ["{{{{http_base}}}}/debian12/initrd.gz"]
cmdline = "auto=true ringboot.done={{{{done_url}}}} ringboot.events={{{{events_url}}}}"
[[profile]]
name = "rescue"
script = "#!ipxe\\nshell\\n"
[[group]]
name = "rack1"
match = {{ mac = "52:54:00" }}
profile = "debian12"
[[machine]]
mac = "52:54:00:00:00:99"
hostname = "node99"
labels = ["rack=a1", "gpu"]
"""
    srv = Server(ringboot, root, config, extra=("--api-listen", f"127.0.0.1:{api_port}", "--log-level", "info"))
    check_files(api_port)

    note("the browser: headless Chromium opens /ui/ and is asked for a token")
    global _driver, _service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1440,900", f"--user-data-dir={WORK}/chromium", "--no-first-run",
                "--disable-background-networking"):
        options.add_argument(arg)
    _service = Service(executable_path=CHROMEDRIVER, log_path=os.path.join(WORK, "chromedriver.log"))
    _driver = driver = webdriver.Chrome(service=_service, options=options)
    wait = WebDriverWait(driver, WAIT_S)
    base = f"http://127.0.0.1:{api_port}"
    driver.get(f"{base}/ui/")
    wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
    expect("the main view before signing in", driver.find_element(By.ID, "main").is_displayed(), False)
    token_input = driver.find_element(By.CSS_SELECTOR, "form[action='/ui/login'] input[name=token]")
    expect("the token input's type", token_input.get_attribute("type"), "password")

    sign_in_by_form(driver, wait, token_input)
    # From here on the page must never reload: this mark would be gone.
    driver.execute_script("window.ringbootTestMark = 'no reload';")
    want_conn = "live"
    try:
        wait.until(lambda d: d.find_element(By.ID, "conn").text == want_conn)
    except Exception:
        fail(f"the page's connection shows {driver.find_element(By.ID, 'conn').text!r}, expected {want_conn!r}")

    def row(mac):
        found = driver.find_elements(By.CSS_SELECTOR, f"#machine-rows tr[data-mac='{mac}']")
        return found[0] if found else None

    def stage_of(mac):
        r = row(mac)
        return r.find_element(By.CSS_SELECTOR, ".col-stage .stage").text if r is not None else None

    def wait_stage(mac, stage, why):
        try:
            wait.until(lambda d: stage_of(mac) == stage)
        except Exception:
            fail(f"{why}: {mac}'s row shows {stage_of(mac)!r}, expected {stage!r}")

    def visible_macs():
        return sorted(r.get_attribute("data-mac") for r in driver.find_elements(By.CSS_SELECTOR, "#machine-rows tr")
                      if r.is_displayed())

    wait_stage("52:54:00:00:00:99", "discovered", "the declared machine")

    note("machines boot: rows appear live with stage script; one declared by the admin API appears too")
    a, b, c = "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"
    done_a = boot(srv.port, a.replace(":", "-"))
    boot(srv.port, b.replace(":", "-"))
    wait_stage(a, "script", "a machine that fetched its script")
    wait_stage(b, "script", "another machine that fetched its script")
    status, _, reply = http_call(api_port, "PUT", f"/api/v1/machines/{c}/next-boot",
                                 body=json.dumps({"profile": "rescue", "once": True}),
                                 headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
    if status not in (200, 201):
        fail(f"PUT next-boot for {c}: {status} {reply!r}")
    wait_stage(c, "discovered", "a machine the admin API declared")
    row_a = row(a)
    expect("a's IP", row_a.find_element(By.CSS_SELECTOR, ".col-ip").text, "127.0.0.1")
    expect("a's arch", row_a.find_element(By.CSS_SELECTOR, ".col-arch").text, "x86_64/efi")

    note("the installer reports progress (with markup) and done: the same row changes to done in place")
    events_a = done_a.replace("/done?", "/events?")
    post_callback(events_a, b"<img src=x id=injected onerror=alert(1)> partitioning")
    wait_stage(a, "installing", "a machine whose installer reported progress")
    post_callback(done_a)
    wait_stage(a, "done", "a machine whose installer reported done")
    if row(a) != row_a:
        fail("the row was replaced, not updated in place")

    note("filters: stage done shows only the done machine, in the hash; label rack=a1 only node99")
    Select(driver.find_element(By.ID, "filter-stage")).select_by_value("done")
    wait.until(lambda d: visible_macs() == [a])
    if "stage=done" not in driver.execute_script("return location.hash"):
        fail(f"the stage filter is not in the hash: {driver.current_url}")
    Select(driver.find_element(By.ID, "filter-stage")).select_by_value("")
    wait.until(lambda d: visible_macs() == sorted([a, b, c, "52:54:00:00:00:99"]))
    Select(driver.find_element(By.ID, "filter-label")).select_by_value("rack=a1")
    wait.until(lambda d: visible_macs() == ["52:54:00:00:00:99"])
    Select(driver.find_element(By.ID, "filter-label")).select_by_value("")
    wait.until(lambda d: len(visible_macs()) == 4)

    note("a row's click opens its timeline: script, then the installer's progress and done, in order")
    row(a).click()
    panel = driver.find_element(By.ID, "panel")
    wait.until(lambda d: panel.is_displayed() and len(d.find_elements(By.CSS_SELECTOR, "#panel-timeline li.step")) >= 3)
    steps = [li.get_attribute("data-step") for li in driver.find_elements(By.CSS_SELECTOR, "#panel-timeline li.step")]
    want = ["script", "progress", "done"]
    if [s for s in steps if s in want] != want:
        fail(f"the timeline's steps are {steps}, expected {want} in order")
    events_text = driver.find_element(By.ID, "panel-events").text
    if "<img src=x id=injected" not in events_text:
        fail(f"the installer's event is not shown as text: {events_text!r}")
    if driver.find_elements(By.ID, "injected"):
        fail("the installer's markup became an element")

    expect("the page was never reloaded", driver.execute_script("return window.ringbootTestMark"), "no reload")
    os.makedirs(artifacts, exist_ok=True)
    shot = os.path.join(artifacts, "ui.png")
    driver.save_screenshot(shot)
    with open(shot, "rb") as f:
        expect("the screenshot is a PNG", f.read(8), b"\x89PNG\r\n\x1a\n")
    if not srv.alive():
        fail("ringboot exited")
    print(f"ui_browser: ok (screenshot {shot})")


if __name__ == "__main__":
    run(main)
