#!/usr/bin/env bash
# Opt-in TFTP uploads ([tftp] upload_dir): tftp-hpa put and curl -T store
# files of 1 byte, exactly 512 bytes and 1 MiB byte for byte beneath the
# upload dir (relative to the config file); a second put of an existing name
# is refused (ERROR 6) and leaves the file intact; "../x" is refused; an
# upload over upload_bytes_max is refused and leaves no partial file; without
# upload_dir a put gets ERROR 2 (access violation) and nothing is written.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
need tftp curl head

ROOT=$WORK/root
UP=$WORK/uploads
SRC=$WORK/src
mkdir -p "$ROOT" "$UP" "$SRC"
head -c 1 /dev/urandom >"$SRC/one"
head -c 512 /dev/urandom >"$SRC/b512"
head -c $((1024 * 1024)) /dev/urandom >"$SRC/m1"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$SRC/big"
CONF=$WORK/up.toml
cat >"$CONF" <<TOML
[tftp]
upload_dir = "uploads"
upload_bytes_max = 2097152
TOML

PORT=$(pick_port)
start_ringboot "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot.log" "" --config "$CONF"

N=0
# put CLIENT SRC REMOTE: uploads SRC as REMOTE, compares the stored file.
put() {
  local client=$1 src=$2 remote=$3 out
  case $client in
    hpa) out=$(timeout 60 tftp -m binary 127.0.0.1 "$PORT" -c put "$src" "$remote" 2>&1) || true ;;
    curl) out=$(timeout 60 curl -sS -T "$src" "tftp://127.0.0.1:$PORT/$remote" 2>&1) || fail "curl -T $remote: $out" ;;
  esac
  [[ -z $out ]] || fail "$client put $remote: unexpected output: $out"
  cmp "$src" "$UP/$remote" || fail "$client put $remote: stored file differs"
  N=$((N + 1))
  await_log "tftp\.transfer client=127\.0\.0\.1:[0-9]+ file=\"$remote\" direction=upload bytes=$(stat -c %s "$src") .* result=ok" 1 \
    "$client put $remote: log line"
  note "ok: $client put $remote"
}

put hpa "$SRC/one" hpa-one
put hpa "$SRC/b512" hpa-b512
put hpa "$SRC/m1" hpa-m1
put curl "$SRC/one" curl-one
put curl "$SRC/b512" curl-b512
put curl "$SRC/m1" curl-m1
[[ ! -e $ROOT/hpa-one ]] || fail "an upload landed in the boot root"

note "a second put of an existing name is refused"
out=$(timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/b512" hpa-one 2>&1) || true
grep -qi "error code 6" <<<"$out" || fail "tftp-hpa put over an existing file: expected ERROR 6, got: $out"
cmp "$SRC/one" "$UP/hpa-one" || fail "the existing file was changed"
rc=0; out=$(timeout 30 curl -sS -T "$SRC/b512" "tftp://127.0.0.1:$PORT/curl-one" 2>&1) || rc=$?
[[ $rc -ne 0 ]] || fail "curl put over an existing file succeeded"
cmp "$SRC/one" "$UP/curl-one" || fail "the existing file was changed (curl)"

note "../x is refused"
out=$(timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/one" ../x 2>&1) || true
grep -qi "error code 2" <<<"$out" || fail "put ../x: expected ERROR 2, got: $out"
[[ ! -e $WORK/x ]] || fail "put ../x wrote outside the upload dir"

note "over upload_bytes_max: refused, no partial file"
rc=0; out=$(timeout 60 curl -sS -T "$SRC/big" "tftp://127.0.0.1:$PORT/big" 2>&1) || rc=$?
[[ $rc -ne 0 ]] || fail "curl put over upload_bytes_max succeeded"
out=$(timeout 60 tftp -m binary 127.0.0.1 "$PORT" -c put "$SRC/big" big2 2>&1) || true
grep -qi "error code 3" <<<"$out" || fail "tftp-hpa put over upload_bytes_max: expected ERROR 3, got: $out"
await_log "tftp\.transfer client=127\.0\.0\.1:[0-9]+ file=\"big2\" direction=upload .* result=failed" 1 "capped upload: log line"
[[ ! -e $UP/big && ! -e $UP/big2 ]] || fail "a refused upload left a file behind"
ringboot_alive || fail "ringboot died"
stop_ringboot

note "without upload_dir a put is refused with ERROR 2"
PORT2=$(pick_port)
start_ringboot "$ROOT" 127.0.0.1 "$PORT2" "$WORK/ringboot-off.log" ""
out=$(timeout 30 tftp -m binary 127.0.0.1 "$PORT2" -c put "$SRC/one" off-one 2>&1) || true
grep -qi "error code 2" <<<"$out" || fail "put without upload_dir: expected ERROR 2, got: $out"
grep -qi "uploads are disabled" <<<"$out" || fail "put without upload_dir: expected 'uploads are disabled', got: $out"
[[ ! -e $ROOT/off-one && ! -e $UP/off-one ]] || fail "a refused upload was written"
stop_ringboot
echo "PASS: tftp_upload ($N uploads)"
