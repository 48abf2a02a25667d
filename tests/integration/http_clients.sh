#!/usr/bin/env bash
# Real HTTP clients (curl, wget) against ringboot: GET, HEAD, ranges,
# conditional requests, HTTP/1.0, keep-alive, Content-Type, errors, and a
# 5 GiB sparse file read near its end. Every check is byte-exact or asserted.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need wget dd truncate

ROOT=$WORK/root
mkdir -p "$ROOT/sub"
random_file "$ROOT/small.bin" 1000
random_file "$ROOT/sub/one.bin" $((1024 * 1024))
random_file "$ROOT/big.bin" $((40 * 1024 * 1024 + 12345))
: >"$ROOT/empty.bin"
printf '#!ipxe\nchain http://x/boot.efi\n' >"$ROOT/boot.ipxe"
random_file "$ROOT/boot.efi" 5000
random_file "$ROOT/vmlinuz" 3000
SPARSE=$ROOT/sparse.img
SPARSE_SIZE=5368709120
truncate -s 5G "$SPARSE"
MARK_AT=$((SPARSE_SIZE - 4096 - 17))
printf 'ringboot-end-marker-%s' "$TAG" | dd of="$SPARSE" bs=1 seek=$MARK_AT conv=notrunc status=none
FOUR_G=4294967296
printf 'across-4GiB-%s' "$TAG" | dd of="$SPARSE" bs=1 seek=$((FOUR_G - 6)) conv=notrunc status=none
expect "sparse file size" "$(stat -c %s "$SPARSE")" $SPARSE_SIZE

start_http "$ROOT" "$WORK/ringboot.log"
OUT=$WORK/out
mkdir -p "$OUT"

bytes_of() { if [[ -f $1 ]]; then stat -c %s "$1"; else echo 0; fi; }  # curl writes no file for an empty body
# get URLPATH OUTFILE [curl args...]: prints the status code; headers in OUTFILE.h
get() {
  local path=$1 out=$2
  shift 2
  rm -f "$out" "$out.h"
  curl -s --max-time 120 -D "$out.h" -o "$out" -w '%{http_code}' "$@" "$BASE$path" || fail "curl $* $path failed (exit $?)"
}

note "GET byte-exact: small, 1 MiB, ~40 MiB, zero-length"
for f in small.bin sub/one.bin big.bin empty.bin; do
  code=$(get "/$f" "$OUT/get")
  expect "GET /$f status" "$code" 200
  same "$ROOT/$f" "$OUT/get" "GET /$f"
  expect "GET /$f Content-Length" "$(header "$OUT/get.h" Content-Length)" "$(stat -c %s "$ROOT/$f")"
  expect "GET /$f Accept-Ranges" "$(header "$OUT/get.h" Accept-Ranges)" bytes
done

note "HEAD: Content-Length equals the size, no body"
for f in small.bin big.bin empty.bin; do
  code=$(get "/$f" "$OUT/head" -I)
  expect "HEAD /$f status" "$code" 200
  expect "HEAD /$f Content-Length" "$(header "$OUT/head.h" Content-Length)" "$(stat -c %s "$ROOT/$f")"
  # raw socket: everything the server sent up to its close, after the head
  expect "HEAD /$f bytes after the head" "$(raw_after_head HEAD "/$f")" 0
done

note "ranges: 0-99, 100-, -100"
SIZE=$(stat -c %s "$ROOT/sub/one.bin")
check_range() {  # SPEC SKIP COUNT FIRST LAST
  local spec=$1 skip=$2 count=$3 first=$4 last=$5 code
  code=$(get /sub/one.bin "$OUT/range" -r "$spec")
  expect "range $spec status" "$code" 206
  expect "range $spec Content-Range" "$(header "$OUT/range.h" Content-Range)" "bytes $first-$last/$SIZE"
  expect "range $spec Content-Length" "$(header "$OUT/range.h" Content-Length)" "$count"
  dd if="$ROOT/sub/one.bin" of="$OUT/range.want" bs=1 skip="$skip" count="$count" status=none iflag=skip_bytes,count_bytes
  same "$OUT/range.want" "$OUT/range" "range $spec"
}
check_range 0-99 0 100 0 99
check_range 100- 100 $((SIZE - 100)) 100 $((SIZE - 1))
check_range -100 $((SIZE - 100)) 100 $((SIZE - 100)) $((SIZE - 1))

note "unsatisfiable range: 416 with Content-Range bytes */SIZE"
code=$(get /sub/one.bin "$OUT/r416" -r 999999999-)
expect "range 999999999- status" "$code" 416
expect "range 999999999- Content-Range" "$(header "$OUT/r416.h" Content-Range)" "bytes */$SIZE"

note "conditional: If-None-Match -> 304, If-Modified-Since -> 304"
code=$(get /small.bin "$OUT/c1")
expect "first GET status" "$code" 200
ETAG=$(header "$OUT/c1.h" ETag)
LASTMOD=$(header "$OUT/c1.h" Last-Modified)
[[ -n $ETAG && -n $LASTMOD ]] || fail "GET /small.bin: no ETag ('$ETAG') or Last-Modified ('$LASTMOD')"
code=$(get /small.bin "$OUT/c2" -H "If-None-Match: $ETAG")
expect "If-None-Match status" "$code" 304
expect "If-None-Match body bytes" "$(bytes_of "$OUT/c2")" 0
expect "304 ETag" "$(header "$OUT/c2.h" ETag)" "$ETAG"
code=$(get /small.bin "$OUT/c3" -H "If-Modified-Since: $LASTMOD")
expect "If-Modified-Since status" "$code" 304
expect "If-Modified-Since body bytes" "$(bytes_of "$OUT/c3")" 0
code=$(get /small.bin "$OUT/c4" -H 'If-None-Match: "no-such-tag"')
expect "If-None-Match (other tag) status" "$code" 200
same "$ROOT/small.bin" "$OUT/c4" "If-None-Match (other tag)"
code=$(get /small.bin "$OUT/c5" -H "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT")
expect "If-Modified-Since (old date) status" "$code" 200
same "$ROOT/small.bin" "$OUT/c5" "If-Modified-Since (old date)"

note "--http1.0: served, then closed"
curl -s --max-time 20 --http1.0 -v -D "$OUT/h10.h" -o "$OUT/h10" "$BASE/sub/one.bin" 2>"$OUT/h10.v" || fail "curl --http1.0 failed"
same "$ROOT/sub/one.bin" "$OUT/h10" "--http1.0 GET"
expect "--http1.0 Connection header" "$(header "$OUT/h10.h" Connection)" close
grep -qi "closing connection" "$OUT/h10.v" || fail "--http1.0: curl did not see the connection closed: $(tail -3 "$OUT/h10.v")"

note "keep-alive: two URLs in one curl reuse one connection"
conns=$(curl -s --max-time 30 -o "$OUT/ka1" -o "$OUT/ka2" -w '%{num_connects}\n' "$BASE/small.bin" "$BASE/sub/one.bin") ||
  fail "keep-alive curl failed"
same "$ROOT/small.bin" "$OUT/ka1" "keep-alive first"
same "$ROOT/sub/one.bin" "$OUT/ka2" "keep-alive second"
expect "keep-alive connections opened (per transfer: $(echo $conns))" "$(echo "$conns" | awk '{s += $1} END {print s}')" 1

note "wget byte-exact"
wget -q -T 60 -O "$OUT/wget" "$BASE/big.bin" || fail "wget $BASE/big.bin failed (exit $?)"
same "$ROOT/big.bin" "$OUT/wget" "wget GET /big.bin"
wget -q -T 20 -O "$OUT/wget0" "$BASE/empty.bin" || fail "wget $BASE/empty.bin failed (exit $?)"
same "$ROOT/empty.bin" "$OUT/wget0" "wget GET /empty.bin"

note "Content-Type"
get /boot.ipxe "$OUT/ct" >/dev/null
expect "Content-Type .ipxe" "$(header "$OUT/ct.h" Content-Type)" "text/plain; charset=utf-8"
get /boot.efi "$OUT/ct" >/dev/null
expect "Content-Type .efi" "$(header "$OUT/ct.h" Content-Type)" "application/efi"
get /vmlinuz "$OUT/ct" >/dev/null
expect "Content-Type (no extension)" "$(header "$OUT/ct.h" Content-Type)" "application/octet-stream"
get /small.bin "$OUT/ct" >/dev/null
expect "Content-Type .bin" "$(header "$OUT/ct.h" Content-Type)" "application/octet-stream"

note "404 and 405"
expect "GET missing status" "$(get /no/such/file "$OUT/e")" 404
expect "HEAD missing status" "$(get /nope.efi "$OUT/e" -I)" 404
for m in POST PUT DELETE; do
  code=$(get /small.bin "$OUT/e" -X "$m" --data-binary 'abc')
  expect "$m status" "$code" 405
  expect "$m Allow" "$(header "$OUT/e.h" Allow)" "GET, HEAD"
  code=$(get /small.bin "$OUT/e" -X "$m")
  expect "$m (no body) status" "$code" 405
done

note "5 GiB sparse file: HEAD and the last MiB"
code=$(get /sparse.img "$OUT/sp" -I)
expect "HEAD /sparse.img status" "$code" 200
expect "HEAD /sparse.img Content-Length" "$(header "$OUT/sp.h" Content-Length)" 5368709120
START=$((SPARSE_SIZE - 1024 * 1024))
code=$(get /sparse.img "$OUT/sp" -r "$START-")
expect "range $START- status" "$code" 206
expect "range $START- Content-Range" "$(header "$OUT/sp.h" Content-Range)" "bytes $START-$((SPARSE_SIZE - 1))/$SPARSE_SIZE"
dd if="$SPARSE" of="$OUT/sp.want" bs=1M skip=$((START / 1024 / 1024)) count=1 status=none
expect "sparse want size" "$(stat -c %s "$OUT/sp.want")" $((1024 * 1024))
same "$OUT/sp.want" "$OUT/sp" "range $START- of /sparse.img"
grep -q "ringboot-end-marker-$TAG" "$OUT/sp" || fail "the marker is not in the last MiB fetched"
code=$(get /sparse.img "$OUT/sp2" -r "$MARK_AT-$((MARK_AT + 99))")
expect "marker range status" "$code" 206
dd if="$SPARSE" of="$OUT/sp2.want" bs=1 skip=$MARK_AT count=100 status=none iflag=skip_bytes,count_bytes
same "$OUT/sp2.want" "$OUT/sp2" "marker range of /sparse.img"

# a range across the 4 GiB boundary, longer than one splice chunk (1 MiB)
R0=$((FOUR_G - 100)) R1=$((FOUR_G + 2 * 1024 * 1024))
code=$(get /sparse.img "$OUT/sp3" -r "$R0-$R1")
expect "range across 4 GiB status" "$code" 206
expect "range across 4 GiB Content-Range" "$(header "$OUT/sp3.h" Content-Range)" "bytes $R0-$R1/$SPARSE_SIZE"
dd if="$SPARSE" of="$OUT/sp3.want" bs=1M skip=$R0 count=$((R1 - R0 + 1)) status=none iflag=skip_bytes,count_bytes
same "$OUT/sp3.want" "$OUT/sp3" "range across 4 GiB of /sparse.img"
grep -q "across-4GiB-$TAG" "$OUT/sp3" || fail "the 4 GiB marker is not in the range fetched"

ringboot_alive || fail "ringboot died"

note "a turn's send budget: turn_bytes = chunk_bytes = 4 KiB, 6 parallel GETs of ~40 MiB, byte-exact"
# Every writable connection past the first 4 KiB of a turn waits for the next
# one: the bodies must still arrive whole, and the counter must show it waited.
start_http "$ROOT" "$WORK/ringboot-turn.log" --set http.turn_bytes=4096 --set http.chunk_bytes=4096
pids=()
for i in 1 2 3 4 5 6; do
  curl -s --max-time 120 -o "$OUT/turn.$i" "$BASE/big.bin" &
  pids+=($!)
done
for i in 1 2 3 4 5 6; do wait "${pids[$((i - 1))]}" || fail "parallel GET $i of /big.bin failed (curl exit $?)"; done
for i in 1 2 3 4 5 6; do same "$ROOT/big.bin" "$OUT/turn.$i" "parallel GET $i of /big.bin under turn_bytes=4096"; done
deferrals=$(curl -s "$BASE/metrics" | awk '$1 == "ringboot_http_turn_deferrals_total" { print $2 }')
[[ -n $deferrals && $deferrals -gt 0 ]] ||
  fail "ringboot_http_turn_deferrals_total is '$deferrals' after 6 bodies sent 4 KiB a turn (no connection waited)"
ringboot_alive || fail "ringboot died"
note "http_clients: all checks passed"
