# bench/lib.sh: shell shared by the bench scripts (fleet_ipxe, fleet_overhead, the DHCP
# compares; sourced, not run).
# Each script sets HERE and REPO before sourcing it.

bench_need() {  # bench_need NAME "how to get it" TOOL...: exits 2 naming the first missing tool
  local name=$1 hint=$2
  shift 2
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: '$tool' is missing ($hint)" >&2; exit 2; }
  done
}

# bench_build DIR TARGET...: configures and builds DIR (Release, -Werror, the bench tools) when a
# target is missing or REBUILD=1.
bench_build() {
  local dir=$1 missing=0 t
  shift
  for t in "$@"; do
    case $t in
      ringboot) [[ -x $dir/ringboot ]] || missing=1 ;;
      *) [[ -x $dir/bench/$t ]] || missing=1 ;;
    esac
  done
  if ((missing)) || [[ ${REBUILD:-0} == 1 ]]; then
    cmake -S "$REPO" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DRINGBOOT_WERROR=ON -DRINGBOOT_BENCH=ON \
      -DRINGBOOT_TESTS=OFF >/dev/null
    cmake --build "$dir" -j"$(nproc)" --target "$@" >/dev/null
  fi
}

# bench_stop PID: SIGTERM, up to 5 s for it to go, then SIGKILL; reaps it.
bench_stop() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# bench_fleet_profile: the Debian profile and the install group of the fleet benches (TOML on
# stdout): a kernel, two initrds and a command line with the preseed URL and {{done_url}}, for the
# machines of 52:54:00. ONCE: the group's once (default false).
bench_fleet_profile() {
  cat <<TOML
[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
initrd = ["{{http_base}}/debian12/initrd.gz", "{{http_base}}/firmware.cpio.gz"]
cmdline = "auto=true priority=critical preseed/url={{http_base}}/preseed/{{mac_hyphens}}.cfg hostname={{hostname}} ringboot.done={{done_url}}"

[[group]]
name = "installers"
match = { mac = "52:54:00" }
profile = "debian12"
once = ${ONCE:-false}
TOML
}

# bench_metric URL NAME: the value of one sample line of a /metrics page (NAME with its labels).
bench_metric() {
  curl -fsS "$1" 2>/dev/null | awk -v m="$2" '$1 == m { print $2 }'
}

# bench_median: the median of the numbers on stdin, one a line.
bench_median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# bench_perfdhcp_stat FILE EXCHANGE FIELD: one number of perfdhcp's statistics, FIELD ("sent
# packets", "received packets", "avg delay") of the section "Statistics for: EXCHANGE"
# (DISCOVER-OFFER, REQUEST-ACK; SOLICIT-ADVERTISE, REQUEST-REPLY); empty when absent.
bench_perfdhcp_stat() {
  awk -v ex="$2" -v field="$3" '
    /Statistics for:/ { current = ($0 ~ ex) }
    current && index($0, field ":") == 1 { sub(/^[^:]*: */, ""); print $1; exit }' "$1"
}

# bench_wait_udp NAMESPACE PORT PID NAME LOG: waits (10 s at most) until a socket in NAMESPACE is
# bound to UDP PORT; exits 1 naming NAME (with LOG's tail) if PID dies first or it never binds.
bench_wait_udp() {
  local ns=$1 port=$2 pid=$3 name=$4 log=$5
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { echo "$name exited at start:" >&2; tail -n 5 "$log" >&2; exit 1; }
    [[ -n $(ip netns exec "$ns" ss -Hlun "sport = :$port") ]] && return 0
    sleep 0.1
  done
  echo "$name did not bind UDP port $port in 10 s" >&2
  exit 1
}
