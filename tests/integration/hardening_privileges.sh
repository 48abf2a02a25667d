#!/usr/bin/env bash
# Privileges (issue 7). Root required.
#  1. --user nobody as root on loopback ports: after start every thread's
#     Uid/Gid is nobody's, no supplementary groups, CapEff/CapPrm/CapAmb are 0,
#     NoNewPrivs is 1; TFTP (tftp-hpa) and HTTP (curl) are still served; a
#     root-only file in the boot root is refused (it really is nobody); no
#     "running as root" warning.
#  2. As root without --user: ringboot.root warning logged.
#  3. --user with an unknown user: exit non-zero with a message, serves nothing.
#  4. deploy/ringboot.service: `systemd-analyze verify` on a copy whose
#     ExecStart points at this build is clean (no output, exit 0).
#  5. The unit's privilege model without systemd: as nobody with exactly the
#     unit's ambient/bounding capabilities and no_new_privs (setpriv), inside
#     a namespace this test creates, ringboot binds ports 67, 69 and 80 (DHCP
#     server on an interface, TFTP, HTTP) and serves.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
source "$HERE/hardening_lib.sh"
need_root "setuid, setpriv and namespaces"
need tftp curl ip setpriv systemd-analyze sed
SRC=$(cd "$HERE/../.." && pwd)

chmod 711 "$WORK"   # nobody may traverse to the boot root, not list the work dir
ROOT=$WORK/root
mkdir -p "$ROOT"
chmod 755 "$ROOT"
head -c 300000 /dev/urandom >"$ROOT/file.bin"
echo "root only" >"$ROOT/secret.txt"
chmod 644 "$ROOT/file.bin"
chmod 600 "$ROOT/secret.txt"
PORT=$(pick_port)
HPORT=$(pick_port)
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

check_dropped() {  # every thread of ringboot runs as nobody with no capabilities
  local task uid gid
  for task in /proc/"$RINGBOOT_PID"/task/*; do
    uid=$(awk '$1 == "Uid:" {print $2, $3, $4, $5}' "$task/status")
    gid=$(awk '$1 == "Gid:" {print $2, $3, $4, $5}' "$task/status")
    [[ $uid == "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" ]] || fail "thread ${task##*/}: Uid '$uid', expected nobody ($NOBODY_UID)"
    [[ $gid == "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" ]] || fail "thread ${task##*/}: Gid '$gid', expected $NOBODY_GID"
    [[ -z $(awk '$1 == "Groups:" {$1 = ""; print}' "$task/status" | tr -d ' ') ]] || fail "thread ${task##*/}: supplementary groups left"
    for cap in CapEff CapPrm CapAmb CapInh; do
      [[ $(awk -v f="$cap:" '$1 == f {print $2}' "$task/status") == 0000000000000000 ]] ||
        fail "thread ${task##*/}: $cap is $(awk -v f="$cap:" '$1 == f {print $2}' "$task/status"), expected 0"
    done
    [[ $(awk '$1 == "NoNewPrivs:" {print $2}' "$task/status") == 1 ]] || fail "thread ${task##*/}: NoNewPrivs not set"
  done
}

note "--user nobody: privileges dropped after binding, still serving"
start_rb "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot-user.log" "" "127.0.0.1:$HPORT" --user nobody
check_dropped
note "$(grep -E '^(Uid|Gid|CapEff|NoNewPrivs)' /proc/"$RINGBOOT_PID"/status | tr '\t\n' '  ')"
(cd "$WORK" && tftp 127.0.0.1 "$PORT" -m binary -c get file.bin tftp.out) >"$WORK/tftp.log" 2>&1 || fail "tftp-hpa failed as nobody"
same "$ROOT/file.bin" "$WORK/tftp.out" "tftp-hpa as nobody"
curl -sS -f -o "$WORK/http.out" "http://127.0.0.1:$HPORT/file.bin" || fail "curl failed as nobody"
same "$ROOT/file.bin" "$WORK/http.out" "curl as nobody"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HPORT/secret.txt")
[[ $code == 403 ]] || fail "a root-only (0600) file answered HTTP $code as nobody, expected 403"
"$PY" -c '
import sys; sys.path.insert(0, sys.argv[1]); import tftp_raw
try:
    tftp_raw.fetch("127.0.0.1", int(sys.argv[2]), "secret.txt", tries=2)
except tftp_raw.TftpError as e:
    sys.exit(0 if "ERROR 2" in str(e) else "unexpected: %s" % e)
sys.exit("secret.txt was served")' "$HERE" "$PORT" || fail "TFTP of a root-only file must be ERROR 2 as nobody"
check_dropped   # still, after serving (no thread regained anything)
grep -q 'ringboot.root' "$RINGBOOT_LOG" && fail "warned about root although --user was given"
stop_ringboot TERM

note "root without --user: warning"
start_rb "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot-root.log" "" off
await_log 'warn ringboot.root .*--user' 1 "root warning"
[[ $(awk '$1 == "Uid:" {print $2}' /proc/"$RINGBOOT_PID"/status) == 0 ]] || fail "expected ringboot to stay root without --user"
stop_ringboot TERM

note "--user with an unknown user: refuses to start"
rc=0
"$RINGBOOT" --root "$ROOT" --tftp-listen "127.0.0.1:$PORT" --http-listen off --threads 1 \
  --user ringboot-no-such-user-$TAG >"$WORK/nouser.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "ringboot started with an unknown --user"
grep -q "no such user" "$WORK/nouser.log" || fail "no message for an unknown user: $(cat "$WORK/nouser.log")"

note "deploy/ringboot.service: systemd-analyze verify"
UNIT_DIR=$WORK/unit
mkdir -p "$UNIT_DIR"
sed "s#^ExecStart=/usr/sbin/ringboot #ExecStart=$RINGBOOT #" "$SRC/deploy/ringboot.service" >"$UNIT_DIR/ringboot.service"
grep -q "^ExecStart=$RINGBOOT " "$UNIT_DIR/ringboot.service" || fail "ExecStart line not found in deploy/ringboot.service"
for key in 'ProtectSystem=strict' 'ReadOnlyPaths=/srv/boot' 'ReadWritePaths=/var/lib/ringboot' \
  'AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_NET_ADMIN' \
  'CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_NET_ADMIN' 'NoNewPrivileges=yes' 'User=ringboot' \
  'LimitNOFILE=65536' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure'; do
  grep -qxF "$key" "$UNIT_DIR/ringboot.service" || fail "deploy/ringboot.service lacks '$key'"
done
rc=0
systemd-analyze verify "$UNIT_DIR/ringboot.service" >"$WORK/verify.log" 2>&1 || rc=$?
[[ $rc -eq 0 && ! -s $WORK/verify.log ]] || fail "systemd-analyze verify (exit $rc): $(cat "$WORK/verify.log")"

note "the unit's capabilities, without root: DHCP 67, TFTP 69, HTTP 80 in a namespace"
make_ns priv
make_ns peer
link priv p0 peer q0
ip -n "$(ns priv)" addr add 10.231.0.1/24 dev p0
ip -n "$(ns peer)" addr add 10.231.0.2/24 dev q0
LEASES=$WORK/lease-dir
mkdir -p "$LEASES"
chown nobody:nogroup "$LEASES"
cat >"$WORK/unit.toml" <<TOML
[dhcp]
mode = "server"
interface = "p0"
server_address = "10.231.0.1"
lease_file = "$LEASES/leases"
[[dhcp.subnet]]
cidr = "10.231.0.0/24"
range = ["10.231.0.100", "10.231.0.150"]
lease_seconds = 600
TOML
chmod 644 "$WORK/unit.toml"
CAPS=+net_bind_service,+net_raw,+net_admin
: >"$WORK/ringboot-unit.log"
ip netns exec "$(ns priv)" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=$CAPS \
  --ambient-caps=$CAPS --bounding-set=-all,$CAPS --no-new-privs \
  "$RINGBOOT" --config "$WORK/unit.toml" --root "$ROOT" --tftp-listen 10.231.0.1:69 --http-listen 10.231.0.1:80 \
  --threads 1 >"$WORK/ringboot-unit.log" 2>&1 &
RINGBOOT_PID=$!
RINGBOOT_LOG=$WORK/ringboot-unit.log
PIDS+=("$RINGBOOT_PID")
for _ in $(seq 100); do
  kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "ringboot as nobody with the unit's capabilities exited: $(tail -n 5 "$RINGBOOT_LOG")"
  grep -q 'ringboot.started' "$RINGBOOT_LOG" && break
  sleep 0.1
done
grep -q 'ringboot.started' "$RINGBOOT_LOG" || fail "ringboot as nobody did not start"
[[ $(awk '$1 == "Uid:" {print $2}' /proc/"$RINGBOOT_PID"/status) == "$NOBODY_UID" ]] || fail "not running as nobody"
grep -q 'ringboot.root' "$RINGBOOT_LOG" && fail "warned about root when not root"
for p in 67 69; do [[ -n $(inns priv ss -Hlun "sport = :$p") ]] || fail "UDP port $p not bound as nobody"; done
[[ -n $(inns priv ss -Hltn 'sport = :80') ]] || fail "TCP port 80 not bound as nobody"
(cd "$WORK" && inns peer tftp 10.231.0.1 69 -m binary -c get file.bin unit-tftp.out) >>"$WORK/tftp.log" 2>&1 ||
  fail "tftp-hpa to port 69 failed"
same "$ROOT/file.bin" "$WORK/unit-tftp.out" "tftp port 69 as nobody"
inns peer curl -sS -f -o "$WORK/unit-http.out" http://10.231.0.1/file.bin || fail "curl to port 80 failed"
same "$ROOT/file.bin" "$WORK/unit-http.out" "http port 80 as nobody"
cat >"$WORK/udhcpc.sh" <<SH
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" > "$WORK/udhcpc.ip"
exit 0
SH
chmod +x "$WORK/udhcpc.sh"
need busybox
inns peer timeout 30 busybox udhcpc -i q0 -f -q -n -t 10 -T 1 -s "$WORK/udhcpc.sh" >"$WORK/udhcpc.log" 2>&1 ||
  fail "no DHCP lease from ringboot as nobody: $(tail -n 3 "$WORK/udhcpc.log")"
note "DHCP as nobody leased $(cat "$WORK/udhcpc.ip")"
stop_ringboot TERM
grep -q "^bind .* $(cat "$WORK/udhcpc.ip") " "$LEASES/leases" || fail "lease not in the lease file written as nobody"
echo "PASS hardening_privileges"
