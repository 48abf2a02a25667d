#!/usr/bin/env bash
# Installs a ringboot .deb on this machine as an operator would, checks what
# it installed, removes it, checks what stays, purges it and checks what goes.
#   tests/package/check.sh build-package/ringboot_<version>_<arch>.deb   (root; scripts/package --check)
# A ringboot package left by an earlier run (installed, half-installed or
# only its config) is purged first. Any failure: "package check: FAIL: ..."
# on stderr and exit 1, the package left as it was for inspection.
set -euo pipefail
# dpkg and the maintainer scripts want the sbin directories, whatever PATH CI has.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

fail() { echo "package check: FAIL: $*" >&2; exit 1; }
note() { echo "package check: $*"; }

[[ $# -eq 1 ]] || { echo "usage: tests/package/check.sh PACKAGE.deb" >&2; exit 2; }
deb=$1
[[ -f $deb ]] || fail "no such package: $deb (scripts/package builds it)"
[[ $(id -u) -eq 0 ]] || fail "needs root: it installs the package with dpkg -i"
for tool in dpkg dpkg-deb dpkg-query apt-get systemd-analyze getent stat; do
  command -v "$tool" >/dev/null || fail "$tool not found (scripts/setup --package installs what is missing)"
done

BIN=/usr/sbin/ringboot
CONFIG=/etc/ringboot/ringboot.toml
UNIT=/lib/systemd/system/ringboot.service
STATE=/var/lib/ringboot

name=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
[[ $name == ringboot ]] || fail "$deb is package '$name', not ringboot"
[[ -n $version ]] || fail "$deb has no Version"
# Depends: adduser for postinst, the rest from dpkg-shlibdeps (the libraries
# the binary links, by package name prefix: the sonames move between releases).
IFS=, read -ra entries <<<"$depends"
for dep in adduser libc6 libstdc++ liburing libmimalloc libfmt libtomlplusplus libcurl4; do
  found=0
  for entry in "${entries[@]}"; do [[ ${entry# } == "$dep"* ]] && found=1; done
  [[ $found -eq 1 ]] || fail "Depends lacks $dep: '$depends'"
done
dpkg-deb -I "$deb" conffiles | grep -qxF "$CONFIG" || fail "$CONFIG is not a conffile in $deb"

status() { dpkg-query -W -f='${db:Status-Status}' ringboot 2>/dev/null || true; }
left=$(status)
if [[ -n $left && $left != not-installed ]]; then
  note "purging the ringboot package ($left) left by an earlier run"
  dpkg --purge ringboot >/dev/null || fail "could not purge the ringboot left by an earlier run"
fi

note "installing $deb ($version)"
if ! dpkg -i "$deb"; then
  note "dpkg -i failed; apt-get install -f for the dependencies"
  DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >/dev/null || fail "apt-get install -f could not finish the install"
fi
[[ $(status) == installed ]] || fail "ringboot is '$(status)' after dpkg -i, not installed"

note "binary: $BIN --version"
[[ -x $BIN ]] || fail "$BIN is not installed"
out=$("$BIN" --version) || fail "$BIN --version exited non-zero: $out"
[[ $out == "ringboot $version" ]] || fail "$BIN --version says '$out', the package is $version"

note "config: $BIN --check-config --config $CONFIG"
[[ -f $CONFIG ]] || fail "$CONFIG is not installed"
dpkg-query -W -f='${Conffiles}\n' ringboot | grep -q "^ $CONFIG " || fail "dpkg does not list $CONFIG as a conffile"
out=$("$BIN" --check-config --config "$CONFIG" 2>&1) || fail "the installed config does not pass --check-config: $out"
[[ $out == "$CONFIG: ok" ]] || fail "--check-config on $CONFIG said '$out'"

note "unit: systemd-analyze verify $UNIT"
[[ -f $UNIT ]] || fail "$UNIT is not installed"
for line in "ExecStart=$BIN --config $CONFIG" 'User=ringboot' 'Group=ringboot' 'StateDirectory=ringboot' \
  'StateDirectoryMode=0750' "ReadWritePaths=$STATE"; do
  grep -qxF "$line" "$UNIT" || fail "$UNIT lacks the line '$line'"
done
rc=0
out=$(systemd-analyze verify "$UNIT" 2>&1) || rc=$?
[[ $rc -eq 0 && -z $out ]] || fail "systemd-analyze verify $UNIT (exit $rc): $out"

note "user and state directory"
entry=$(getent passwd ringboot) || fail "no ringboot user"
IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
[[ $uid -lt 1000 ]] || fail "ringboot is not a system user (uid $uid)"
[[ $shell == */nologin || $shell == /bin/false ]] || fail "ringboot has a login shell: $shell"
getent group ringboot >/dev/null || fail "no ringboot group"
[[ -d $STATE ]] || fail "$STATE does not exist"
[[ $(stat -c '%a %U %G' "$STATE") == "750 ringboot ringboot" ]] ||
  fail "$STATE is $(stat -c '%a %U:%G' "$STATE"), not 750 ringboot:ringboot"
[[ -d /srv/boot ]] || fail "/srv/boot, the config's root and the unit's ReadOnlyPaths, does not exist"

note "remove: binary and unit go, config and data stay"
touch "$STATE/leases"
chown ringboot:ringboot "$STATE/leases"
dpkg --remove ringboot >/dev/null || fail "dpkg --remove ringboot failed"
[[ $(status) == config-files ]] || fail "ringboot is '$(status)' after dpkg --remove, not config-files"
[[ ! -e $BIN ]] || fail "$BIN is still there after dpkg --remove"
[[ ! -e $UNIT ]] || fail "$UNIT is still there after dpkg --remove"
[[ -f $CONFIG ]] || fail "dpkg --remove deleted the conffile $CONFIG"
[[ -f $STATE/leases ]] || fail "dpkg --remove deleted $STATE/leases"

note "purge: config and data go"
dpkg --purge ringboot >/dev/null || fail "dpkg --purge ringboot failed"
left=$(status)
[[ -z $left || $left == not-installed ]] || fail "ringboot is '$left' after dpkg --purge"
[[ ! -e $BIN ]] || fail "$BIN is still there after dpkg --purge"
[[ ! -e $CONFIG ]] || fail "$CONFIG is still there after dpkg --purge"
[[ ! -e $STATE ]] || fail "$STATE is still there after dpkg --purge"

note "ok: $deb installs, checks, removes and purges"
