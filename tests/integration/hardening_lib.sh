# shellcheck shell=bash
# Helpers for the hardening tests on top of lib.sh (sourced after it).

# start_rb ROOT ADDR PORT LOG NS HTTP_LISTEN [args...]: like start_ringboot,
# but with HTTP on HTTP_LISTEN ("off" or ADDR:PORT) instead of always off.
start_rb() {
  local root=$1 addr=$2 port=$3 log=$4 netns=$5 http=$6 _
  shift 6
  local -a pre=()
  [[ -n $netns ]] && pre=(ip netns exec "$netns")
  RINGBOOT_LOG=$log
  "${pre[@]}" "$RINGBOOT" --root "$root" --tftp-listen "$addr:$port" --http-listen "$http" --threads "${THREADS:-1}" \
    --log-level "${LOG_LEVEL:-info}" --set "state_dir=$STATE_DIR" "$@" >>"$log" 2>&1 &
  RINGBOOT_PID=$!
  PIDS+=("$RINGBOOT_PID")
  for _ in $(seq 100); do
    kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "ringboot exited at start: $(tail -n 5 "$log")"
    if "${pre[@]}" "$PY" "$HERE/tftp_raw.py" ping "$addr" "$port" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "ringboot did not answer TFTP on $addr:$port within ~10 s"
}

# wait_exit SECONDS: waits for ringboot to exit by itself; sets RC (its exit
# status) and ELAPSED (whole seconds).
wait_exit() {
  local limit=$1 start=$SECONDS
  while kill -0 "$RINGBOOT_PID" 2>/dev/null; do
    (( SECONDS - start <= limit )) || fail "ringboot still running ${limit}s later"
    sleep 0.1
  done
  RC=0
  wait "$RINGBOOT_PID" || RC=$?
  ELAPSED=$((SECONDS - start))
}

# status_field PID FIELD: a /proc/PID/status value (e.g. Uid, CapEff, VmRSS).
status_field() { awk -v f="$2:" '$1 == f {$1 = ""; sub(/^ /, ""); print; exit}' "/proc/$1/status"; }
