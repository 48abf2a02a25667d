#!/usr/bin/env bash
# Confinement to the boot root (issue 7), TFTP and HTTP on 127.0.0.1.
# Plants, inside the root: absolute and relative symlinks to a file and a
# directory outside it, a symlink chain, symlinks to /etc and /proc/self, a
# hard link to a file outside it (same filesystem), a FIFO, a device node, a
# directory; then asks for them and for `..` sequences, percent-encoded,
# double-encoded, overlong-UTF-8 and backslash escapes, absolute paths, long
# names and NUL bytes (hardening_confinement.py). No body may ever contain
# the outside file's unique marker or /etc/passwd; ringboot must stay up.
#
# Hard links: openat2(RESOLVE_BENEATH) cannot tell a hard link from any other
# file - a hard link in the root IS in the root. Whoever can write the root
# decides what is served; the test asserts that ringboot serves it (and
# documents it), with a marker of its own.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
source "$HERE/hardening_lib.sh"
need ln mkfifo mknod

ROOT=$WORK/root
OUT=$WORK/outside
mkdir -p "$ROOT/deep/er" "$ROOT/sub" "$OUT/dir"
MARKER="OUTSIDE-MARKER-$TAG-$RANDOM$RANDOM"
LINKED_MARKER="HARDLINKED-MARKER-$TAG-$RANDOM$RANDOM"
printf '%s\n' "$MARKER" >"$OUT/secret.txt"
printf '%s\n' "$MARKER" >"$OUT/dir/secret.txt"
printf '%s\n' "$LINKED_MARKER" >"$OUT/linked.txt"
echo "inside ok" >"$ROOT/ok.txt"
echo "inside sub" >"$ROOT/sub/inner.txt"
ln -s "$OUT/secret.txt" "$ROOT/abs_file"            # absolute, to a file outside
ln -s "$OUT" "$ROOT/abs_dir"                        # absolute, to a directory outside
ln -s ../outside/secret.txt "$ROOT/rel_file"        # relative, leaves the root
ln -s ../outside "$ROOT/rel_dir"
ln -s ../../../outside/secret.txt "$ROOT/deep/er/up"
ln -s ../rel_file "$ROOT/sub/chain"                 # inside -> inside -> outside
ln -s ok.txt "$ROOT/inside_link"                    # relative, stays inside: allowed
ln -s ../ok.txt "$ROOT/sub/inside_up"               # goes up but stays inside: allowed
ln -s "$ROOT/ok.txt" "$ROOT/abs_inside"             # absolute, even to inside: refused (BENEATH)
ln -s /etc "$ROOT/etc"
ln -s /etc/passwd "$ROOT/passwd"
ln -s /proc/self "$ROOT/self"
ln -s loop2 "$ROOT/loop1"
ln -s loop1 "$ROOT/loop2"
ln "$OUT/linked.txt" "$ROOT/hardlink.txt" || fail "cannot hard-link within $WORK"
[[ $(stat -c %i "$OUT/linked.txt") == $(stat -c %i "$ROOT/hardlink.txt") ]] || fail "hard link not made"
mkfifo "$ROOT/fifo"
mknod "$ROOT/zero" c 1 5 2>/dev/null || note "mknod not permitted here: device node case skipped"

PORT=$(pick_port)
HPORT=$(pick_port)
start_rb "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot.log" "" "127.0.0.1:$HPORT"
"$PY" "$HERE/hardening_confinement.py" 127.0.0.1 "$PORT" "$HPORT" "$MARKER" "$LINKED_MARKER" "$OUT" "$ROOT" \
  >"$WORK/probe.log" 2>&1 || { cat "$WORK/probe.log"; fail "confinement probe failed"; }
cat "$WORK/probe.log"
ringboot_alive || fail "ringboot died during the probe"
stop_ringboot TERM
echo "PASS hardening_confinement"
