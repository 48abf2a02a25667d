#!/usr/bin/python3
"""The README's config reference is complete and valid: its TOML block is
accepted by `ringboot --check-config`, and every key of the schema (as
`ringboot --dump-config` prints it for that block) appears in the README
block under the same [section] or [[array]]."""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ringboot, readme = sys.argv[1], Path(sys.argv[2])


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


text = readme.read_text()
m = re.search(r"### Config \(TOML\)\n+```toml\n(.*?)```", text, re.S)
if not m:
    fail(f"{readme}: no ```toml block under '### Config (TOML)'")
block = m.group(1)


def keys_by_section(toml_text, commented_ok):
    """{section: set(keys)}; a line '# key = ...' counts when commented_ok."""
    out, section = {}, ""
    for line in toml_text.splitlines():
        s = line.strip()
        h = re.match(r"^\[\[?([\w.]+)\]\]?", s)
        if h:
            section = h.group(1)
            continue
        k = re.match(r"^(#\s*)?([a-z_][a-z0-9_]*)\s*=", s)
        if k and (commented_ok or not k.group(1)):
            out.setdefault(section, set()).add(k.group(2))
    return out


with tempfile.TemporaryDirectory() as work:
    config = Path(work) / "readme.toml"
    config.write_text(block)
    check = subprocess.run([ringboot, "--config", str(config), "--check-config"], capture_output=True, text=True)
    if check.returncode != 0:
        fail(f"the README's config block is rejected:\n{check.stdout}{check.stderr}")
    dump = subprocess.run([ringboot, "--config", str(config), "--dump-config"], capture_output=True, text=True)
    if dump.returncode != 0:
        fail(f"--dump-config failed: {dump.stderr}")
    dumped = Path(work) / "dump.toml"
    dumped.write_text(dump.stdout)
    again = subprocess.run([ringboot, "--config", str(dumped), "--check-config"], capture_output=True, text=True)
    if again.returncode != 0:
        fail(f"--check-config rejects --dump-config's output:\n{again.stdout}{again.stderr}")

schema = keys_by_section(dump.stdout, commented_ok=True)
documented = keys_by_section(block, commented_ok=True)
missing = [f"{sec + '.' if sec else ''}{key}" for sec, keys in schema.items() for key in sorted(keys)
           if key not in documented.get(sec, set())]
count = sum(len(k) for k in schema.values())
if count < 60:
    fail(f"only {count} keys in --dump-config: the parse of its output is broken")
if missing:
    fail(f"{readme}: the config reference misses {len(missing)} key(s) of the schema: {', '.join(missing)}")
print(f"ok: {count} keys, every one in the README's config reference")
