# shellcheck shell=bash
# Shared helpers for the integration tests (sourced; the test sets RINGBOOT).
# - a private work dir (mktemp), removed on exit;
# - ringboot started on a free loopback port (or inside a namespace) and
#   stopped by PID in an EXIT trap; namespaces the test made are deleted;
# - a missing tool is a failure with a clear message, never a silent skip;
# - every start helper gives ringboot a state_dir of its own, $STATE_DIR
#   ($WORK/state; a test may set another before it starts ringboot): the
#   machine store of a test with a fleet config (and the lease file of one
#   without dhcp.lease_file) never goes to /var/lib/ringboot, and never
#   outlives the test.
set -euo pipefail

PY=/usr/bin/python3  # Debian's interpreter: the tests use the standard library only
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAG=$(printf '%04x%02x' $(($$ & 0xffff)) $((RANDOM & 0xff)))
WORK=$(mktemp -d "/tmp/ringboot-it-$TAG.XXXX")
STATE_DIR=$WORK/state
NAMESPACES=()
PIDS=()
CLEANUP_HOOKS=()  # functions the test adds, run first

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

need() {  # a missing tool is a failure, not a skip
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || fail "required tool '$tool' is missing (scripts/setup --test installs it)"
  done
}
need_root() { [[ $(id -u) -eq 0 ]] || fail "$(basename "$0") needs root (${1:-network namespaces})"; }
need "$PY" ss cmp
[[ -x "${RINGBOOT:-}" ]] || fail "usage: $0 path/to/ringboot (got '${RINGBOOT:-}')"

_lib_cleanup() {
  local rc=$? hook pid ns
  set +e
  for hook in "${CLEANUP_HOOKS[@]}"; do $hook; done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  for ns in "${NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns delete "$ns" 2>/dev/null
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$WORK"/*.log; do [[ -f $f ]] && { echo "==== $f (tail)"; tail -n 40 "$f"; }; done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap _lib_cleanup EXIT
trap 'exit 130' INT TERM

# --- ports -------------------------------------------------------------------
# pick_port: prints a UDP port free on 127.0.0.1 and reserved for this test.
# The listening socket uses SO_REUSEPORT, so two ringboots could share a port:
# a lock file per port, held (fd open) until this shell exits, keeps parallel
# tests apart; the bind check keeps clear of anything else on the machine.
PORT_LOCK_FDS=()
pick_port() {
  local port fd _
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 20000))
    exec {fd}>"/tmp/ringboot-itest-port-$port.lock"
    if flock -n "$fd"; then
      if "$PY" - "$port" <<'PY' 2>/dev/null; then
import socket, sys
for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.close()
PY
        PORT_LOCK_FDS+=("$fd")
        echo "$port"
        return 0
      fi
    fi
    exec {fd}>&-
  done
  fail "no free UDP port found"
}

# --- ringboot ----------------------------------------------------------------
RINGBOOT_PID=
RINGBOOT_LOG=
# start_ringboot ROOT LISTEN_ADDR PORT LOG [NS] [extra ringboot args...]
#   Runs ringboot (in namespace NS when not empty) and waits until it answers
#   a TFTP request (ERROR 1 for a file that does not exist). TFTP_LISTEN and
#   HTTP_LISTEN, when set, replace --tftp-listen ADDR:PORT and --http-listen off
#   (several listeners: "127.0.0.1:P,[::1]:P"); the ping still goes to ADDR:PORT.
start_ringboot() {
  local root=$1 addr=$2 port=$3 log=$4 netns=${5:-}
  shift 5 || shift $#
  local -a pre=()
  [[ -n $netns ]] && pre=(ip netns exec "$netns")
  RINGBOOT_LOG=$log
  # exec: $! is ringboot itself (ip netns exec execs too), so signals reach it.
  "${pre[@]}" "$RINGBOOT" --root "$root" --tftp-listen "${TFTP_LISTEN:-$addr:$port}" \
    --http-listen "${HTTP_LISTEN:-off}" --threads 1 \
    --log-level "${LOG_LEVEL:-info}" --set "state_dir=$STATE_DIR" "$@" >>"$log" 2>&1 &
  RINGBOOT_PID=$!
  PIDS+=("$RINGBOOT_PID")
  local _
  for _ in $(seq 100); do
    kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "ringboot exited at start: $(tail -n 5 "$log")"
    if "${pre[@]}" "$PY" "$HERE/tftp_raw.py" ping "$addr" "$port" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "ringboot did not answer TFTP on $addr:$port within ~10 s"
}
ringboot_alive() { kill -0 "$RINGBOOT_PID" 2>/dev/null; }
# stop_ringboot [SIGNAL]: stops it by PID, fails if it does not go.
stop_ringboot() {
  local signal=${1:-TERM} _
  kill "-$signal" "$RINGBOOT_PID"
  for _ in $(seq 100); do kill -0 "$RINGBOOT_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$RINGBOOT_PID" 2>/dev/null && fail "ringboot did not stop on SIG$signal"
  wait "$RINGBOOT_PID" 2>/dev/null || true
}

# --- namespaces --------------------------------------------------------------
ns() { echo "rbt$TAG-$1"; }
make_ns() {
  local name; name=$(ns "$1")
  ip netns add "$name"
  NAMESPACES+=("$name")
  ip -n "$name" link set lo up
}
inns() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }
# link A IFA B IFB: a veth pair between namespaces A and B, both up.
link() {
  ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")"
  ip -n "$(ns "$1")" link set "$2" up
  ip -n "$(ns "$3")" link set "$4" up
}

# --- files and logs ----------------------------------------------------------
# same SRC GOT WHAT: byte-exact or fail.
same() {
  [[ -f $2 ]] || fail "$3: no output file $2"
  cmp -s "$1" "$2" || fail "$3: $2 differs from $1 ($(stat -c %s "$1") vs $(stat -c %s "$2") bytes; $(cmp "$1" "$2" 2>&1 | head -1))"
}
# log_count PATTERN: lines of the ringboot log matching an extended regex.
log_count() { grep -cE -- "$1" "$RINGBOOT_LOG" || true; }
# await_log PATTERN N WHAT: waits (≤5 s) until at least N log lines match.
await_log() {
  local _
  for _ in $(seq 50); do
    (( $(log_count "$1") >= $2 )) && return 0
    sleep 0.1
  done
  fail "$3: expected $2 log line(s) matching /$1/, found $(log_count "$1")"
}
