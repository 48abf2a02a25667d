#!/usr/bin/env bash
# Start-up failures are reported, not crashed on:
# - io_uring blocked by a seccomp filter (a tiny launcher built here makes
#   io_uring_setup fail with EPERM, then execs ringboot): ringboot exits
#   non-zero, without a signal, and says "io_uring" and "seccomp";
# - --check-config on a config with errors prints file:line: for each and
#   exits non-zero (and 0 on a good one);
# - a boot root that does not exist: a clear error naming it, exit non-zero.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
need cc timeout

ROOT=$WORK/root
mkdir -p "$ROOT"
echo hello >"$ROOT/hello.txt"

# --- io_uring blocked by seccomp ---------------------------------------------------
cat >"$WORK/no_uring.c" <<'C'
// no_uring PROGRAM ARGS...: runs PROGRAM with io_uring_setup failing with EPERM.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH"
#endif

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror("PR_SET_NO_NEW_PRIVS"); return 3; }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) { perror("PR_SET_SECCOMP"); return 3; }
  // Self-check: the filter is in force.
  if (syscall(__NR_io_uring_setup, 1, NULL) != -1 || errno != EPERM) {
    fprintf(stderr, "no_uring: the seccomp filter did not take effect (errno %d)\n", errno);
    return 3;
  }
  execv(argv[1], argv + 1);
  perror("execv");
  return 4;
}
C
cc -O1 -Wall -Werror -o "$WORK/no_uring" "$WORK/no_uring.c" 2>"$WORK/cc.log" ||
  fail "could not build the seccomp launcher: $(cat "$WORK/cc.log")"

PORT=$(pick_port)
rc=0
timeout 20 "$WORK/no_uring" "$RINGBOOT" --root "$ROOT" --tftp-listen "127.0.0.1:$PORT" --http-listen off \
  --threads 1 --log-level info >"$WORK/no_uring.log" 2>&1 || rc=$?
note "ringboot under the seccomp filter: exit $rc: $(grep -i io_uring "$WORK/no_uring.log" | head -n 2)"
(( rc != 3 && rc != 4 )) || fail "the seccomp launcher itself failed: $(cat "$WORK/no_uring.log")"
(( rc != 124 )) || fail "ringboot kept running without io_uring (still up after 20 s)"
(( rc != 0 )) || fail "ringboot exited 0 without io_uring"
(( rc < 128 )) || fail "ringboot died of signal $((rc - 128)) without io_uring (a crash, not a message)"
grep -q "io_uring" "$WORK/no_uring.log" || fail "the error does not mention io_uring: $(cat "$WORK/no_uring.log")"
grep -qi "seccomp" "$WORK/no_uring.log" || fail "the error does not mention seccomp: $(cat "$WORK/no_uring.log")"
ls "$WORK"/core* >/dev/null 2>&1 && fail "a core file was left"

# --- --check-config --------------------------------------------------------------------
cat >"$WORK/bad.toml" <<TOML
root = "$ROOT"
[tftp]
listen = "127.0.0.1:$PORT"
blksize_max = "abc"
windowsize_max = 0
TOML
rc=0
timeout 20 "$RINGBOOT" --config "$WORK/bad.toml" --check-config >"$WORK/check.log" 2>&1 || rc=$?
(( rc != 0 && rc < 128 )) || fail "--check-config on a bad config: exit $rc ($(cat "$WORK/check.log"))"
grep -q "bad.toml:4:" "$WORK/check.log" || fail "--check-config did not print bad.toml:4: ($(cat "$WORK/check.log"))"
grep -q "bad.toml:5:" "$WORK/check.log" || fail "--check-config did not print bad.toml:5: ($(cat "$WORK/check.log"))"

printf '[tftp\nlisten = "127.0.0.1:%s"\n' "$PORT" >"$WORK/syntax.toml"
rc=0
timeout 20 "$RINGBOOT" --config "$WORK/syntax.toml" --check-config >"$WORK/check.log" 2>&1 || rc=$?
(( rc != 0 && rc < 128 )) || fail "--check-config on a syntax error: exit $rc ($(cat "$WORK/check.log"))"
grep -q "syntax.toml:1:" "$WORK/check.log" || fail "--check-config did not print syntax.toml:1: ($(cat "$WORK/check.log"))"

cat >"$WORK/good.toml" <<TOML
root = "$ROOT"
[tftp]
listen = "127.0.0.1:$PORT"
blksize_max = 1468
TOML
timeout 20 "$RINGBOOT" --config "$WORK/good.toml" --check-config >"$WORK/check.log" 2>&1 ||
  fail "--check-config on a good config: exit $? ($(cat "$WORK/check.log"))"

# --- a boot root that does not exist ---------------------------------------------------
rc=0
timeout 20 "$RINGBOOT" --root "$WORK/no-such-root" --tftp-listen "127.0.0.1:$PORT" --http-listen off --threads 1 \
  >"$WORK/noroot.log" 2>&1 || rc=$?
(( rc != 124 )) || fail "ringboot kept running with a missing root"
(( rc != 0 && rc < 128 )) || fail "missing root: exit $rc ($(cat "$WORK/noroot.log"))"
grep -q "no-such-root" "$WORK/noroot.log" || fail "missing root: the error does not name it ($(cat "$WORK/noroot.log"))"
grep -qiE "no such file|not found|does not exist" "$WORK/noroot.log" ||
  fail "missing root: the error does not say why ($(cat "$WORK/noroot.log"))"
note "PASS"
