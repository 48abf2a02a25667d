# Shared by the DHCP integration tests: namespaces, ringboot, cleanup.
# Every packet stays inside namespaces this test creates; names carry a
# per-run tag so tests run in parallel. Sourced; the test sets RINGBOOT.
set -euo pipefail

PY=/usr/bin/python3  # Debian's python3-scapy lives in the system interpreter
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAG=$(printf '%04x%02x' $(($$ & 0xffff)) $((RANDOM & 0xff)))
WORK=$(mktemp -d "/tmp/ringboot-dhcp-$TAG.XXXX")
STATE_DIR=$WORK/state  # ringboot's state_dir (lib.sh says why)
NAMESPACES=()
PIDS=()
CLEANUP_HOOKS=()  # functions the test adds, run first

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

need() {  # a missing tool is a failure, not a skip
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || fail "required tool '$tool' is missing (scripts/setup --test installs it)"
  done
}
need ip ss "$PY"
[[ $(id -u) -eq 0 ]] || fail "needs root (network namespaces)"
"$PY" -c 'import scapy' 2>/dev/null || fail "python3-scapy is missing for $PY (scripts/setup --test)"
[[ -x "${RINGBOOT:-}" ]] || fail "usage: $0 path/to/ringboot"

cleanup() {
  local rc=$?
  set +e
  for hook in "${CLEANUP_HOOKS[@]}"; do $hook; done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  for ns in "${NAMESPACES[@]}"; do
    # Daemons a client started in the namespace (dhclient, dhcpcd) die with it.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$WORK"/*.log; do [[ -f $f ]] && { echo "==== $f (tail)"; tail -n 40 "$f"; }; done
  fi
  [[ -n ${KEEP:-} ]] || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { echo "rbd$TAG-$1"; }
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

RINGBOOT_PID=
# start_ringboot CONFIG LOG: runs ringboot in namespace "srv", waits until it serves DHCP.
# RINGBOOT_ARGS: more options, word-split (e.g. "--metrics-listen 127.0.0.1:9100").
# DHCP_PORT: the port that says DHCP is serving (67; 547 for DHCPv6).
start_ringboot() {
  local config=$1 log=$2
  mkdir -p "$WORK/root"
  # ip netns exec execs ringboot: $! is ringboot itself, so signals reach it.
  ip netns exec "$(ns srv)" "$RINGBOOT" --config "$config" --root "$WORK/root" --tftp-listen off --http-listen off \
    --threads 1 --log-level "${LOG_LEVEL:-info}" --set "state_dir=$STATE_DIR" ${RINGBOOT_ARGS:-} >>"$log" 2>&1 &
  RINGBOOT_PID=$!
  PIDS+=("$RINGBOOT_PID")
  for _ in $(seq 100); do
    if ! kill -0 "$RINGBOOT_PID" 2>/dev/null; then fail "ringboot exited at start: $(tail -n 5 "$log")"; fi
    # The port is bound after the lease file is replayed: DHCP is serving.
    [[ -n $(inns srv ss -Hlun "sport = :${DHCP_PORT:-67}") ]] && return 0
    sleep 0.1
  done
  fail "ringboot did not start DHCP within 10 s"
}
# stop_ringboot [SIGNAL]
stop_ringboot() {
  local signal=${1:-TERM}
  kill "-$signal" "$RINGBOOT_PID"
  for _ in $(seq 100); do kill -0 "$RINGBOOT_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$RINGBOOT_PID" 2>/dev/null && fail "ringboot did not stop on SIG$signal"
  wait "$RINGBOOT_PID" 2>/dev/null || true
}
