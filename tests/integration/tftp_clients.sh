#!/usr/bin/env bash
# Real TFTP clients against ringboot on loopback, every download compared
# byte for byte with its source:
#   tftp-hpa (with and without -v; netascii), atftp (blksize 1468,
#   windowsize 16, tsize, alone and together), curl (plain, --tftp-blksize),
#   busybox tftp (plain, -b 1468), and a raw client (backslash path, netascii
#   bytes on the wire);
#   files: empty, 1 byte, 512 bytes, 1468*4 bytes, ~1 MiB, > 32 MiB at
#   blksize 512 (block numbers wrap), nested, leading-slash and backslash paths;
#   each transfer's log line names the file, its bytes and result=ok;
#   atftp asking windowsize 64 at blksize 4096 and 8192 (16 MiB): the window
#   answered fits a default client receive buffer, so retransmits stay under
#   1 % of the blocks (a window that overflowed it lost its tail every time).
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
need tftp atftp curl busybox head
busybox --list | grep -x tftp >/dev/null || fail "this busybox has no tftp applet"

ROOT=$WORK/root
OUT=$WORK/out
mkdir -p "$ROOT/dir/sub" "$OUT"
: >"$ROOT/empty"
head -c 1 /dev/urandom >"$ROOT/one"
head -c 512 /dev/urandom >"$ROOT/b512"
head -c $((1468 * 4)) /dev/urandom >"$ROOT/b5872"
head -c 1000003 /dev/urandom >"$ROOT/m1"
head -c $((35 * 1024 * 1024 + 1234)) /dev/urandom >"$ROOT/big"  # 71,683 blocks of 512: wraps past 65535
head -c $((16 * 1024 * 1024 + 77)) /dev/urandom >"$ROOT/m16"
head -c 3000 /dev/urandom >"$ROOT/dir/sub/file"
head -c 700 /dev/urandom >"$ROOT/dir/file"
# Text for netascii: LF lines, a CRLF, bare CRs, spanning several 512-byte blocks.
"$PY" - "$ROOT/text.txt" <<'PY'
import sys
lines = [("line %d of the netascii test" % i) for i in range(120)]
body = "\n".join(lines) + "\nwindows\r\nbare\rcr\r\rend\n"
open(sys.argv[1], "wb").write(body.encode())
PY

PORT=$(pick_port)
start_ringboot "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot.log" ""

declare -A LOGGED=()  # log pattern -> transfers expected so far
N=0
# check_log NAME BYTES WHAT: one more "file=NAME bytes=BYTES ... result=ok" line.
# The logged bytes count what was sent, retransmissions included: exact when
# retransmits=0 (on a loaded machine a 20 ms RTO can fire even on loopback).
check_log() {
  # bytes= is what the client acknowledged: the file size exactly, retransmits or not.
  local pat="tftp\.transfer client=127\.0\.0\.1:[0-9]+ file=\"$1\" bytes=$2 sent_bytes=[0-9]+ .* result=ok"
  LOGGED[$pat]=$(( ${LOGGED[$pat]:-0} + 1 ))
  await_log "$pat" "${LOGGED[$pat]}" "$3: log line"
}

# fetch CLIENT REMOTE SRC [LOGGED_NAME]: downloads REMOTE with CLIENT, compares with SRC.
fetch() {
  local client=$1 remote=$2 src=$3 name=${4:-$2}
  local out="$OUT/$((N += 1))"
  local what="$client get '$remote'"
  local -a cmd
  case $client in
    hpa)          cmd=(tftp -m binary 127.0.0.1 "$PORT" -c get "$remote" "$out") ;;
    hpa-v)        cmd=(tftp -v -m binary 127.0.0.1 "$PORT" -c get "$remote" "$out") ;;
    atftp)        cmd=(atftp -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    atftp-blk)    cmd=(atftp --option "blksize 1468" -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    atftp-win)    cmd=(atftp --option "windowsize 16" -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    atftp-tsize)  cmd=(atftp --option "tsize" -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    atftp-all)    cmd=(atftp --option "tsize" --option "blksize 1468" --option "windowsize 16"
                       -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    atftp-4k64)   cmd=(atftp --option "blksize 4096" --option "windowsize 64" -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    atftp-8k64)   cmd=(atftp --option "blksize 8192" --option "windowsize 64" -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    # curl sends tsize/blksize/timeout by default and (7.88) rejects an OACK
    # with tsize 0 (exit 71, "invalid tsize"): a zero-length file is fetched
    # with --tftp-no-options instead (see the empty-file case below).
    curl)         cmd=(curl -sS -o "$out" "tftp://127.0.0.1:$PORT/$remote") ;;
    curl-noopt)   cmd=(curl -sS --tftp-no-options -o "$out" "tftp://127.0.0.1:$PORT/$remote") ;;
    curl-blk)     cmd=(curl -sS --tftp-blksize 1468 -o "$out" "tftp://127.0.0.1:$PORT/$remote") ;;
    busybox)      cmd=(busybox tftp -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    busybox-blk)  cmd=(busybox tftp -b 1468 -g -r "$remote" -l "$out" 127.0.0.1 "$PORT") ;;
    raw)          cmd=("$PY" "$HERE/tftp_raw.py" get 127.0.0.1 "$PORT" "$remote" "$out") ;;
    *) fail "unknown client $client" ;;
  esac
  timeout 120 "${cmd[@]}" >"$WORK/client.out" 2>&1 || fail "$what: exit $? ($(tail -n 3 "$WORK/client.out"))"
  # curl does not create the output file for an empty body.
  [[ $client == curl* && ! -e $out && ! -s $src ]] && : >"$out"
  same "$src" "$out" "$what"
  check_log "$name" "$(stat -c %s "$src")" "$what"
  # The options each client asks for are what was negotiated (files > 1 block).
  if (( $(stat -c %s "$src") > 1468 )); then
    local want=${NEGOTIATED[$client]:-}
    [[ -z $want ]] || grep -E "file=\"$name\" bytes=[0-9]+ sent_bytes=[0-9]+ $want " "$RINGBOOT_LOG" >/dev/null ||
      fail "$what: no log line with '$want' for $name"
  fi
  rm -f "$out"
}

declare -A NEGOTIATED=(
  [hpa]="blksize=512 windowsize=1" [atftp]="blksize=512 windowsize=1"
  [atftp-blk]="blksize=1468 windowsize=1" [atftp-win]="blksize=512 windowsize=16"
  [atftp-all]="blksize=1468 windowsize=16" [curl-blk]="blksize=1468 windowsize=1"
  [busybox]="blksize=512 windowsize=1" [busybox-blk]="blksize=1468 windowsize=1")
CLIENTS=(hpa hpa-v atftp atftp-blk atftp-win atftp-tsize atftp-all curl curl-blk busybox busybox-blk)
note "every client x small files"
for c in "${CLIENTS[@]}"; do
  for f in one b512 b5872 m1 dir/sub/file; do fetch "$c" "$f" "$ROOT/$f"; done
  if [[ $c == curl || $c == curl-blk ]]; then
    fetch curl-noopt empty "$ROOT/empty"
  else
    fetch "$c" empty "$ROOT/empty"
  fi
done

note "leading slash and backslash paths"
fetch hpa /dir/file "$ROOT/dir/file" dir/file
fetch atftp /dir/sub/file "$ROOT/dir/sub/file" dir/sub/file
fetch busybox /dir/file "$ROOT/dir/file" dir/file
fetch curl /dir/file "$ROOT/dir/file" dir/file  # URL path "//dir/file": curl sends "/dir/file"
fetch raw /dir/sub/file "$ROOT/dir/sub/file" dir/sub/file
fetch raw 'dir\file' "$ROOT/dir/file" dir/file
fetch raw 'dir\sub\file' "$ROOT/dir/sub/file" dir/sub/file
fetch hpa 'dir\sub\file' "$ROOT/dir/sub/file" dir/sub/file

note "netascii"
# tftp-hpa turns CR LF / CR NUL back into LF / CR: the result is the source.
# On the wire (and in the log's byte count) it is the RFC 764 form.
"$PY" - "$ROOT/text.txt" "$WORK/text.netascii" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(raw.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n"))
PY
NA_BYTES=$(stat -c %s "$WORK/text.netascii")
timeout 60 tftp -m netascii 127.0.0.1 "$PORT" -c get text.txt "$OUT/text.hpa" >"$WORK/client.out" 2>&1 ||
  fail "tftp-hpa netascii: $(cat "$WORK/client.out")"
same "$ROOT/text.txt" "$OUT/text.hpa" "tftp-hpa -m netascii (converted back to local text)"
check_log text.txt "$NA_BYTES" "tftp-hpa -m netascii"
"$PY" "$HERE/tftp_raw.py" get 127.0.0.1 "$PORT" text.txt "$OUT/text.wire" --mode netascii >/dev/null ||
  fail "raw netascii get failed"
same "$WORK/text.netascii" "$OUT/text.wire" "raw netascii (wire bytes vs unix2dos-style expected)"
check_log text.txt "$NA_BYTES" "raw netascii"

note "> 32 MiB at blksize 512: block numbers wrap"
fetch hpa big "$ROOT/big"
fetch atftp big "$ROOT/big"
fetch atftp-all big "$ROOT/big"
grep -E 'file="big" .*blksize=512 windowsize=1 .*result=ok' "$RINGBOOT_LOG" >/dev/null ||
  fail "no blksize=512 transfer of 'big' in the log"

note "windowsize 64 at blksize 4096 and 8192: each window fits the client's receive buffer"
# atftp keeps the default socket buffer (net.core.rmem_default, 212,992 bytes),
# charged per datagram with its truesize: 8448 bytes at blksize 4096, 16640 at
# 8192. A window of 32 or 16 (what a 128 KiB payload cap answered) overflows
# it, loses its tail and waits for a retransmit timeout, every window.
for c in atftp-4k64 atftp-8k64; do
  fetch "$c" m16 "$ROOT/m16"
  line=$(grep -E 'tftp\.transfer .*file="m16" .*result=ok' "$RINGBOOT_LOG" | tail -n 1)
  [[ $line =~ bytes=([0-9]+)\ .*blksize=([0-9]+)\ windowsize=([0-9]+)\ .*retransmits=([0-9]+) ]] ||
    fail "$c: no bytes/blksize/windowsize/retransmits in '$line'"
  bytes=${BASH_REMATCH[1]} blksize=${BASH_REMATCH[2]} window=${BASH_REMATCH[3]} resent=${BASH_REMATCH[4]}
  blocks=$((bytes / blksize + 1))
  note "$c: blksize=$blksize windowsize=$window, $resent retransmits for $blocks blocks"
  (( resent * 100 < blocks )) || fail "$c: $resent retransmits for $blocks blocks (windowsize $window): 1 % or more"
done

ringboot_alive || fail "ringboot is not running at the end"
note "PASS: $(log_count 'result=ok') transfers byte-exact"
