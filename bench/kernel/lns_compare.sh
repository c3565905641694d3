#!/bin/bash
# LNS comparison in one QEMU guest run (scripts/vm-run, Debian's stock kernel with l2tp/ppp):
# vpdnd --data-plane kernel, vpdnd --data-plane user-space and, when ACCEL_PPPD names an
# installed accel-pppd, accel-ppp, each as the LNS for client-initiated CHAP users dialled
# by vpdn-dial --l2tp (one tunnel). Per LNS and user count it prints
#   setup rate, p50/p99 (vpdn-dial's own figures), sessions in a pppN on the LNS,
#   kernel slab growth per session (/proc/meminfo Slab, all sessions up vs before),
#   teardown: the users hang up (SIGTERM to vpdn-dial) until the LNS holds no pppN and no
#   kernel tunnel or session and its descriptors are back (bounded),
# and iperf3 UDP throughput user->LNS (up) and LNS->user (down) with 64 and 1,400 octet IP
# packets (UDP payload 36 and 1,372: 1,400 fits the pppN MTU of both LNSes, so neither
# fragments; Mbit/s are iperf3's, of UDP payload), through one session (-b 0) and through BENCH_SESSIONS sessions at once (fixed
# offered rate), each with the guest's CPU use and which side limits it (vpdn-dial, the
# LNS, the guest's CPUs); then tables. Only ratios within one run mean anything: TCG is slow
# and the host is shared.
#
#   bench/kernel/lns_compare.sh [USERS...]        (default: 1000 3000)
#   env: ACCEL_PPPD=/path/to/sbin/accel-pppd  (its modules where it was installed)
#        BENCH_RATE (dials/s, default 200), BENCH_CONCURRENCY (default 200),
#        BENCH_IPERF_SECONDS (default 5), VPDND_BUILD_DIR (default build),
#        BENCH_SESSIONS (sessions at once, default 100; 1 = only the one-session run),
#        BENCH_MANY_MBIT_64 / BENCH_MANY_MBIT_1400 (aggregate offered with many sessions,
#        default BENCH_MANY_OFFER (2) times the run's best one-session figure),
#        BENCH_ONLY (some of: accel-ppp kernel user-space), BENCH_IPERF=0 (no iperf3),
#        BENCH_DEBUG=1 (accel-ppp logs verbosely), BENCH_SAMPLE=1 (where the LNS waits:
#        its threads' kernel stacks sampled while users dial),
#        BENCH_VM_TIMEOUT (guest limit, default 1800 s), BENCH_TEARDOWN_LIMIT (default 120 s)
# Runs itself in the guest (vpdnd and vpdn-dial from the build dir; iperf3 from the host).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ "${1:-}" != --in-guest ]; then
  accel=${ACCEL_PPPD:-}
  if [ -n "$accel" ]; then
    accel=$(readlink -f "$accel")
    [ -x "$accel" ] || { echo "ACCEL_PPPD=$ACCEL_PPPD is not an executable" >&2; exit 2; }
  fi
  # The guest reads a copy (in the build dir: the guest's /tmp is its own), so this file
  # may be edited while a run is under way.
  build=${VPDND_BUILD_DIR:-$repo/build}
  copy=$(mktemp "$build/lns_compare.XXXXXX.sh")
  cp "$0" "$copy"
  trap 'rm -f "$copy"' EXIT
  "$repo/scripts/vm-run" --timeout "${BENCH_VM_TIMEOUT:-1800}" --mem 2048 -- \
    env "BENCH_RATE=${BENCH_RATE:-200}" "BENCH_ONLY=${BENCH_ONLY:-}" "BENCH_DEBUG=${BENCH_DEBUG:-0}" "BENCH_IPERF=${BENCH_IPERF:-1}" "BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-200}" \
    "BENCH_IPERF_SECONDS=${BENCH_IPERF_SECONDS:-5}" \
    "BENCH_SESSIONS=${BENCH_SESSIONS:-100}" "BENCH_SETUP=${BENCH_SETUP:-1}" "BENCH_MANY_OFFER=${BENCH_MANY_OFFER:-2}" "BENCH_MANY_MBIT_64=${BENCH_MANY_MBIT_64:-}" "BENCH_MANY_MBIT_1400=${BENCH_MANY_MBIT_1400:-}" \
    "BENCH_SAMPLE=${BENCH_SAMPLE:-0}" "BENCH_TEARDOWN_LIMIT=${BENCH_TEARDOWN_LIMIT:-120}" VPDND_BUILD_DIR="$build" \
    bash "$copy" --in-guest "$repo" "${accel:-none}" "${@:-1000 3000}"
  exit
fi
repo=$2
shift 2
# vm-run's result share: the host can follow the run there while the console is buffered.
[ -d /run/vm ] && [ -w /run/vm ] && exec > >(tee -a /run/vm/lns_compare.progress) 2>&1
accel=$1
shift
counts=$*
[ "$accel" = none ] && accel=
rate=$BENCH_RATE conc=$BENCH_CONCURRENCY iperf_s=$BENCH_IPERF_SECONDS

tag=$$
ns_user=vlc-user-$tag ns_lns=vlc-lns-$tag
namespaces=("$ns_user" "$ns_lns")
work=$(mktemp -d /tmp/vlc.XXXXXX)
telnet_port=24123
veth_prefix=vlc$tag
source "$repo/tests/e2e/lib.sh"
e2e_begin ip iperf3 timeout ss
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
echo "guest: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
for m in l2tp_ppp l2tp_netlink ppp_generic dummy; do modprobe "$m" || fail "modprobe $m"; done

make_namespaces
veth "$ns_user" eth0 "$ns_lns" eth0
in_ns "$ns_user" ip addr add 10.250.0.2/24 dev eth0
in_ns "$ns_lns" ip addr add 10.250.0.1/24 dev eth0
# The iperf3 server's address on the LNS: the user reaches it through the session.
in_ns "$ns_lns" ip link add srv0 type dummy
in_ns "$ns_lns" ip addr add 10.251.0.1/32 dev srv0
in_ns "$ns_lns" ip link set srv0 up

max_users=0
for n in $counts; do [ "$n" -gt "$max_users" ] && max_users=$n; done

# ---- the LNS configurations ----------------------------------------------------------------
{
  cat <<CFG
sysname LNS
l2tp enable
ip pool 1 192.168.16.1 192.168.63.250
interface virtual-template 1
 ip address 192.168.0.1 255.255.0.0
 ppp authentication-mode chap
 remote address pool 1
l2tp-group 1
 tunnel name LNS
 undo tunnel authentication
 allow l2tp virtual-template 1
user-interface vty 0 4
 authentication-mode none
CFG
  for i in $(seq 1 "$max_users"); do printf 'local-user u%d\n password simple pw\n service-type ppp\n' "$i"; done
} >"$work/vpdnd.cfg"

for i in $(seq 1 "$max_users"); do printf 'u%d * pw *\n' "$i"; done >"$work/chap-secrets"
cat >"$work/accel-ppp.conf" <<CFG
[modules]
log_file
l2tp
auth_chap_md5
chap-secrets
ippool

[core]
log-error=$work/accel-core.log
thread-count=2

[ppp]
verbose=0
mtu=1400
mru=1400
ipv4=require
ipv6=deny
lcp-echo-interval=30
lcp-echo-failure=3

[l2tp]
verbose=${BENCH_DEBUG:-0}
bind=10.250.0.1
hello-interval=60

[client-ip-range]
10.250.0.0/24

[ip-pool]
gw-ip-address=192.168.0.1
192.168.16.0/20
192.168.32.0/19

[chap-secrets]
chap-secrets=$work/chap-secrets

[log]
log-file=$work/accel.log
log-emerg=$work/accel-emerg.log
level=$([ "${BENCH_DEBUG:-0}" = 1 ] && echo 5 || echo 1)
CFG

lns_pid=
start_lns() {  # start_lns KIND
  case $1 in
    kernel | user-space)
      ip netns exec "$ns_lns" "$vpdnd" --no-console --telnet-port $telnet_port --telnet-bind 127.0.0.1 \
        --data-plane "$1" --config "$work/vpdnd.cfg" >"$work/lns-$1.log" 2>&1 &
      lns_pid=$!
      wait_for 60 port_open "$ns_lns" || fail "vpdnd ($1) not listening"
      ;;
    accel-ppp)
      ip netns exec "$ns_lns" "$accel" -c "$work/accel-ppp.conf" >"$work/lns-accel.log" 2>&1 &
      lns_pid=$!
      udp_bound() { in_ns "$ns_lns" ss -Hlun 'sport = :1701' | grep -q .; }
      wait_for 30 udp_bound || fail "accel-pppd not bound to 1701: $(tail -5 "$work/lns-accel.log")"
      ;;
  esac
  pids+=("$lns_pid")
}
# From sysfs, not an rtnetlink dump: polled while thousands of pppN go, a dump would hold
# the lock their deletion needs.
ppp_links() { in_ns "$ns_lns" ls /sys/class/net 2>/dev/null | grep -c '^ppp'; }
kernel_tunnels() { in_ns "$ns_lns" ip l2tp show tunnel 2>/dev/null | grep -c '^Tunnel'; }
kernel_sessions() { in_ns "$ns_lns" ip l2tp show session 2>/dev/null | grep -c '^Session'; }
nothing_left() { [ "$(ppp_links)" -eq 0 ] && [ "$(kernel_tunnels)" -eq 0 ] && [ "$(kernel_sessions)" -eq 0 ]; }
lns_fds() { ls "/proc/$lns_pid/fd" 2>/dev/null | wc -l; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
ms_now() { date +%s%3N; }

# stop_lns: SIGTERM, then the time until no pppN and no kernel tunnel is left (bounded).
stop_lns() {
  local t0=$(ms_now) left
  kill -TERM "$lns_pid" 2>/dev/null
  local end=$((SECONDS + ${BENCH_TEARDOWN_LIMIT:-120}))
  while [ $SECONDS -lt $end ]; do nothing_left && ! alive "$lns_pid" && break; sleep 0.1; done
  teardown_ms=$(($(ms_now) - t0))
  left="$(ppp_links) pppN, $(kernel_tunnels) tunnel(s)"
  alive "$lns_pid" && { kill -KILL "$lns_pid"; left="$left, LNS killed"; }
  wait "$lns_pid" 2>/dev/null
  teardown_left=$left
}

# Where the LNS's threads sleep (BENCH_SAMPLE=1): their kernel stacks every 20 ms, each
# line led by the thread's name (main: the process's first thread). Read with shell
# builtins only: a process per thread and sample would take the guest's CPUs from the LNS
# and sample a few times a second.
sample_stacks() {
  local name t st f line frames
  while alive "$lns_pid"; do
    for t in /proc/$lns_pid/task/*; do
      read -r name <"$t/comm" 2>/dev/null || continue
      [ "${t##*/}" = "$lns_pid" ] && name=main
      read -r st <"$t/stat" 2>/dev/null || continue
      st=${st##*) }
      [ "${st%% *}" = R ] && { echo "$name: running"; continue; }
      frames=
      f=0
      while read -r _ line && [ $f -lt 6 ]; do
        frames+=" ${line%%+*}"
        f=$((f + 1))
      done <"$t/stack" 2>/dev/null
      echo "$name:$frames"
    done
    sleep 0.02
  done
}

# ---- setup rate, pppN, slab, teardown ------------------------------------------------------
results=()
setup_run() {  # setup_run KIND COUNT
  local kind=$1 n=$2 dial_pid slab0 slab1 inppp est line
  step "$kind: $n users"
  start_lns "$kind"
  sync
  echo 2 >/proc/sys/vm/drop_caches
  sleep 1
  local fds0=$(lns_fds)
  slab0=$(slab_kb)
  ip netns exec "$ns_user" "$dial" --l2tp 10.250.0.1 --hostname LAC --user 'u{n}' --password pw --chap \
    --count "$n" --rate "$rate" --concurrency "$conc" --timeout 120 --hold -1 \
    >"$work/dial-$kind-$n.log" 2>&1 &
  dial_pid=$!
  pids+=("$dial_pid")
  local sampler=
  [ "${BENCH_SAMPLE:-0}" = 1 ] && { sample_stacks >"$work/stacks-$kind-$n.txt" 2>/dev/null & sampler=$!; }
  settled() {  # every user up or failed
    local p
    p=$(grep -a '^\[' "$work/dial-$kind-$n.log" | tail -n 1)
    [[ $p =~ established=([0-9]+)\ failed=([0-9]+) ]] || return 1
    [ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -ge "$n" ]
  }
  local t0=$SECONDS
  until settled || [ $((SECONDS - t0)) -ge 900 ]; do
    sleep 5
    grep -a '^\[' "$work/dial-$kind-$n.log" | tail -n 1
  done
  settled || echo "$kind: not every user settled within 900 s"
  # LNS-side moves into the kernel lag the user's IPCP by a little.
  for _ in $(seq 1 50); do [ "$(ppp_links)" -ge "$n" ] && break; sleep 0.2; done
  inppp=$(ppp_links)
  slab1=$(slab_kb)
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null
    echo "-- $kind: where the LNS's threads were (samples)"
    grep -v '^$' "$work/stacks-$kind-$n.txt" | sort | uniq -c | sort -rn | head -n 12
  fi
  # Teardown: the users hang up (vpdn-dial: LCP Terminate, CDN, StopCCN; it prints its
  # summary), until the LNS holds no pppN and no kernel tunnel; then the LNS stops.
  [ "${BENCH_SAMPLE:-0}" = 1 ] && { sample_stacks >"$work/stacks-down-$kind-$n.txt" 2>/dev/null & sampler=$!; }
  local t0=$(ms_now) end=$((SECONDS + ${BENCH_TEARDOWN_LIMIT:-120}))
  kill -TERM "$dial_pid" 2>/dev/null
  # Nothing left: no pppN, no kernel tunnel or session, and the LNS's descriptors back to
  # their count before the users came, give or take the few sockets an LNS opens on first
  # use and keeps (vpdnd: genetlink and rtnetlink; a leak would be one or more per session).
  # When each part was done (ms from the hang-up): the users' side exited, no pppN, no
  # kernel session, the LNS's descriptors back.
  local t_dial= t_ppp= t_sess= t_fds=
  while [ $SECONDS -lt $end ]; do
    [ -z "$t_dial" ] && ! alive "$dial_pid" && t_dial=$(($(ms_now) - t0))
    [ -z "$t_ppp" ] && [ "$(ppp_links)" -eq 0 ] && t_ppp=$(($(ms_now) - t0))
    [ -z "$t_sess" ] && [ "$(kernel_sessions)" -eq 0 ] && t_sess=$(($(ms_now) - t0))
    [ -z "$t_fds" ] && [ "$(lns_fds)" -le $((fds0 + 8)) ] && t_fds=$(($(ms_now) - t0))
    nothing_left && [ "$(lns_fds)" -le $((fds0 + 8)) ] && ! alive "$dial_pid" && break
    sleep 0.3
  done
  local hangup_ms=$(($(ms_now) - t0))
  echo "$kind: teardown timeline (ms): users' side gone ${t_dial:-?}, no pppN ${t_ppp:-?}, no kernel session ${t_sess:-?}, descriptors back ${t_fds:-?}"
  local hangup_left="$(ppp_links) pppN, $(kernel_tunnels) tunnel(s), $(kernel_sessions) session(s), fds $(lns_fds)/$fds0"
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null
    echo "-- $kind: where the LNS's threads were while users hung up (samples)"
    grep -v '^$' "$work/stacks-down-$kind-$n.txt" | sort | uniq -c | sort -rn | head -n 12
  fi
  kill -KILL "$dial_pid" 2>/dev/null
  wait "$dial_pid" 2>/dev/null
  grep -a "kernel data plane" "$work/lns-$kind.log" 2>/dev/null | tail -n 3
  stop_lns
  teardown_ms=$hangup_ms teardown_left=$hangup_left
  line=$(grep -a '^established=' "$work/dial-$kind-$n.log" | tail -n 1)
  [ -n "$line" ] || line="established=? (no summary: $(tail -n 2 "$work/dial-$kind-$n.log" | tr '\n' ' '))"
  est=$(sed -n 's/^established=\([0-9]*\).*/\1/p' <<<"$line")
  local per=0
  [ "${est:-0}" -gt 0 ] && per=$(((slab1 - slab0) * 1024 / est))
  if [ "${est:-0}" -lt "$n" ] || [ "${BENCH_DEBUG:-0}" = 1 ]; then
    echo "-- $kind: dial log tail"; tail -n 5 "$work/dial-$kind-$n.log"
    echo "-- $kind: LNS log tail"; tail -n 15 "$work"/lns-"${kind%%-ppp}"*.log "$work"/accel*.log 2>/dev/null
  fi
  echo "$kind users=$n $line in_pppN=$inppp slab_per_session=${per}B teardown=${teardown_ms}ms left=[$teardown_left]"
  results+=("$kind|$n|$line|$inppp|$per|$teardown_ms|$teardown_left")
  sleep 2
}

# ---- throughput through one session ---------------------------------------------------------
tput=()
iperf_run() {  # iperf_run KIND
  local kind=$1 dial_pid addr r
  step "$kind: iperf3 through one session"
  start_lns "$kind"
  in_ns "$ns_lns" iperf3 -s -B 10.251.0.1 -D --logfile "$work/iperf-server.log" \
    --pidfile "$work/iperf.pid"
  ip netns exec "$ns_user" "$dial" --l2tp 10.250.0.1 --hostname LAC --user 'u{n}' --password pw --chap \
    --count 1 --hold -1 --tun --route 10.251.0.0/24 >"$work/dial-$kind-iperf.log" 2>&1 &
  dial_pid=$!
  pids+=("$dial_pid")
  tun_addr() { in_ns "$ns_user" ip -o -4 addr show dev vdial0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n1; }
  have_addr() { [ -n "$(tun_addr)" ]; }
  wait_for 60 have_addr || echo "$kind: no session address after 60 s"
  addr=$(tun_addr)
  sleep 2  # the LNS moves the session into the kernel just after IPCP
  [ "$kind" = user-space ] || link_info "$kind"
  r="$kind"
  for dir in up down; do
    for len in 64 1400; do
      local rev=() bps s0 s1 t0
      [ $dir = down ] && rev=(-R)
      s0=$(cpu_sample "$dial_pid") t0=$(ms_now)
      # Carried, not sent: the receiver's bytes (sum_received), as Mbit/s and datagrams/s.
      bps=$(in_ns "$ns_user" timeout $((iperf_s + 20)) iperf3 -c 10.251.0.1 -B "$addr" -u -b 0 \
        -l $((len - 28)) -t "$iperf_s" "${rev[@]}" -J 2>/dev/null | python3 -c '
import json, sys
try:
    e = json.load(sys.stdin)["end"]
    s = e.get("sum_received") or e["sum"]
    c = e.get("cpu_utilization_percent", {})
    print("%.1f %d %.0f %.0f" % (s["bits_per_second"] / 1e6, s["bytes"] / ('$len' - 28) / s["seconds"],
                                 c.get("host_total", 0), c.get("remote_total", 0)))
except Exception:
    print("fail")')
      s1=$(cpu_sample "$dial_pid")
      echo "$kind $dir ${len}B: ${bps%% *} Mbit/s $(cut -d' ' -f2 <<<"$bps") pkt/s (iperf3 -b 0; iperf3 client/server CPU $(cut -d' ' -f3,4 <<<"$bps" | tr ' ' /) %)"
      echo "  $(cpu_report "$s0" "$s1" "$(python3 -c "print(($(ms_now) - $t0) / 1000)")")"
      r="$r|${bps% * *}"
    done
  done
  tput+=("$r")
  kill -TERM "$(cat "$work/iperf.pid")" 2>/dev/null
  # The users hang up first: an LNS stopped under live sessions waits for them to time out.
  kill -TERM "$dial_pid" 2>/dev/null
  for _ in $(seq 1 100); do alive "$dial_pid" || break; sleep 0.1; done
  kill -KILL "$dial_pid" 2>/dev/null
  wait "$dial_pid" 2>/dev/null
  stop_lns
}

# ---- CPU use over a window: which side saturates ---------------------------------------
# The generator (vpdn-dial, one thread, user-space L2TP on the users' side) shares the
# guest's CPUs with the LNS and iperf3, so a figure only compares LNSes when neither
# vpdn-dial nor the guest as a whole is the limit; each throughput line says which it is.
proc_ticks() {  # proc_ticks PID...: user+system clock ticks of these processes (all threads)
  local t=0 p v
  for p in "$@"; do
    v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + ${v:-0}))
  done
  echo $t
}
# One line: /proc/stat's user nice system idle iowait irq softirq, then the ticks of
# vpdn-dial, the LNS, every iperf3 and the ksoftirqd threads.
# IPERF_PIDS: the same set at both ends of a window (a process gone in between would
# subtract its ticks); default every iperf3 now.
cpu_sample() {  # cpu_sample DIAL_PID [IPERF_PIDS]
  local st
  st=$(awk '/^cpu / {print $2, $3, $4, $5, $6, $7, $8}' /proc/stat)
  # shellcheck disable=SC2046,SC2086
  echo "$st $(proc_ticks "$1") $(proc_ticks "$lns_pid") $(proc_ticks ${2:-$(pgrep -x iperf3)}) $(proc_ticks $(pgrep '^ksoftirqd/'))"
}
cpu_report() {  # cpu_report SAMPLE0 SAMPLE1 SECONDS -> "cpu: ... limit: ..."
  python3 - "$1" "$2" "$3" "$(nproc)" "$(getconf CLK_TCK)" <<'PY'
import sys
a, b = (list(map(int, s.split())) for s in sys.argv[1:3])
secs, ncpu, hz = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
d = [y - x for x, y in zip(a, b)]
tot = sum(d[:7]) or 1
pct = lambda i: 100.0 * d[i] / tot  # share of all the guest's CPUs
user, system, idle, soft = pct(0) + pct(1), pct(2), pct(3) + pct(4), pct(6)
one = lambda i: 100.0 * d[i] / (secs * hz)  # share of one CPU
dial, lns, iperf, ksoft = one(7), one(8), one(9), one(10)
if dial >= 85:
    limit = "vpdn-dial (the generator) at %.0f%% of its one CPU" % dial
elif lns >= 85:
    limit = "the LNS process at %.0f%% of a CPU" % lns
elif idle < 10:
    top = max((soft, "softirq (packet forwarding, both sides)"), (system, "system calls"),
              (user, "user space"))
    limit = "guest CPUs (%d) busy, most in %s" % (ncpu, top[1])
else:
    limit = "no CPU limit (guest %.0f%% idle)" % idle
print("cpu: guest %.0f%% busy of %d CPUs (user %.0f, sys %.0f, softirq %.0f, idle %.0f); "
      "of one CPU: vpdn-dial %.0f%%, LNS %.0f%%, iperf3 %s, ksoftirqd %.0f%% -> limit: %s"
      % (100 - idle, ncpu, user, system, soft, idle, dial, lns,
         # an iperf3 that ended inside the window took its ticks along
         "%.0f%%" % iperf if iperf >= 0 else "? (one ended)", ksoft, limit))
PY
}

# What the LNS set its pppN and kernel L2TP session to (MTU, queue, sequencing): the
# per-packet work of the two kernel-path LNSes differs only through these.
link_info() {  # link_info KIND
  local p
  p=$(in_ns "$ns_lns" ls /sys/class/net 2>/dev/null | grep '^ppp' | head -n 1)
  [ -n "$p" ] || return 0
  echo "-- $1: $p: $(in_ns "$ns_lns" ip -d link show "$p" | sed -n '1p;/promisc/p' | tr -s ' ' | paste -sd' ')"
  echo "-- $1: $p qdisc: $(in_ns "$ns_lns" tc qdisc show dev "$p" | paste -sd' ')"
  echo "-- $1: l2tp: $(in_ns "$ns_lns" ip l2tp show session 2>/dev/null | head -n 6 | tr -s ' ' | paste -sd' ')"
  echo "-- $1: l2tp: $(in_ns "$ns_lns" ip l2tp show tunnel 2>/dev/null | head -n 4 | tr -s ' ' | paste -sd' ')"
}

# ---- throughput through many sessions at once ---------------------------------------------
# BENCH_SESSIONS users (default 100) dialled with --tun, one iperf3 server per session on
# the LNS (ports 5301...; a server serves one test at a time) and one client per session
# bound to its address, all at once. UDP at a fixed offered rate, not -b 0: a hundred
# unpaced senders would take the CPUs the forwarding needs and the figure would measure
# their loss. Offered (aggregate payload Mbit/s): BENCH_MANY_MBIT_64 / BENCH_MANY_MBIT_1400,
# default BENCH_MANY_OFFER (2) times the best one-session figure of the run for that size
# and direction. Carried: nftables counters where the datagrams are delivered (LNS side up,
# user side down) over BENCH_IPERF_SECONDS once every client runs, so the clients' staggered
# start does not count.
many=()
many_port0=5301
nft_count() {  # nft_count NS -> "packets bytes"
  in_ns "$1" nft list chain inet vlcbench in 2>/dev/null |
    sed -n 's/.*packets \([0-9]*\) bytes \([0-9]*\).*/\1 \2/p' | head -n 1
}
many_offer() {  # many_offer DIR LEN -> aggregate Mbit/s offered
  local v field r best=0
  [ "$1" = up ] && field=2 || field=4
  [ "$2" = 1400 ] && field=$((field + 1))
  v=BENCH_MANY_MBIT_$2
  if [ -n "${!v:-}" ]; then echo "${!v}"; return; fi
  for r in "${tput[@]}"; do
    v=$(cut -d'|' -f"$field" <<<"$r" | cut -d' ' -f1)
    [[ $v =~ ^[0-9.]+$ ]] && best=$(awk -v a="$best" -v b="$v" 'BEGIN {print (b > a ? b : a)}')
  done
  awk -v b="$best" -v d="${3:-0}" -v k="${BENCH_MANY_OFFER:-2}" 'BEGIN {printf "%.1f", (b > 0 ? b : d) * k}'
}
iperf_many() {  # iperf_many KIND N
  local kind=$1 n=$2 dial_pid addrs r p last dir len
  if [ "$n" -gt "$max_users" ]; then
    echo "$kind: $n sessions asked, the LNS knows $max_users users: $max_users sessions"
    n=$max_users
  fi
  step "$kind: iperf3 through $n sessions at once"
  start_lns "$kind"
  last=$((many_port0 + n - 1))
  in_ns "$ns_lns" bash -c "for p in \$(seq $many_port0 $last); do
    iperf3 -s -B 10.251.0.1 -p \$p -D --logfile $work/iperf-many-\$p.log --pidfile $work/iperf-many-\$p.pid
  done"
  for ns in "$ns_lns" "$ns_user"; do
    in_ns "$ns" nft add table inet vlcbench
    in_ns "$ns" nft add chain inet vlcbench in '{ type filter hook input priority 0; }'
  done
  in_ns "$ns_lns" nft add rule inet vlcbench in ip daddr 10.251.0.1 udp dport "$many_port0-$last" counter
  in_ns "$ns_user" nft add rule inet vlcbench in ip saddr 10.251.0.1 udp sport "$many_port0-$last" counter
  ip netns exec "$ns_user" "$dial" --l2tp 10.250.0.1 --hostname LAC --user 'u{n}' --password pw --chap \
    --count "$n" --rate "$rate" --concurrency "$conc" --timeout 120 --hold -1 --tun \
    --route 10.251.0.0/24 >"$work/dial-$kind-many.log" 2>&1 &
  dial_pid=$!
  pids+=("$dial_pid")
  tun_addrs() { in_ns "$ns_user" ip -o -4 addr show dev vdial0 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
  all_up() { [ "$(tun_addrs | wc -l)" -ge "$n" ]; }
  wait_for 300 all_up || echo "$kind: $(tun_addrs | wc -l) of $n sessions up after 300 s"
  addrs=$(tun_addrs | paste -sd' ')
  local up
  up=$(wc -w <<<"$addrs")
  for _ in $(seq 1 50); do [ "$kind" = user-space ] || [ "$(ppp_links)" -ge "$up" ] && break; sleep 0.2; done
  sleep 2  # the LNS moves each session into the kernel just after its IPCP
  [ "$kind" = user-space ] || link_info "$kind"
  r="$kind|$up"
  for dir in up down; do
    for len in 64 1400; do
      local flag='' offer per c0 c1 s0 s1 t0 t1 running fallback=100
      [ $dir = down ] && flag=-R
      [ $len = 64 ] && fallback=10
      offer=$(many_offer $dir $len $fallback)
      per=$(awk -v o="$offer" -v n="$up" 'BEGIN {printf "%d", o * 1e6 / n}')
      echo "  $dir ${len}B: starting $up clients, ${offer} Mbit/s offered in all"
      # One shell in the users' namespace starts every client (an exec per namespace entry
      # each would take seconds in the guest); each ends by itself if the bench cannot.
      ip netns exec "$ns_user" env ADDRS="$addrs" P0=$many_port0 B=$per L=$len R="$flag" T=$((iperf_s + 150)) \
        bash -c 'i=0; for a in $ADDRS; do
          iperf3 -c 10.251.0.1 -p $((P0 + i)) -B $a -u -b $B -l $((L - 28)) -t $T $R >/dev/null 2>&1 &
          i=$((i + 1)); done; wait' &
      local starter=$!
      clients_running() { [ "$(in_ns "$ns_user" ss -Htn state established dst 10.251.0.1 | wc -l)" -ge "$up" ]; }
      wait_for 90 clients_running
      running=$(in_ns "$ns_user" ss -Htn state established dst 10.251.0.1 | wc -l)
      sleep 2
      [ $dir = up ] && c_ns=$ns_lns || c_ns=$ns_user
      read -r c0 _ <<<"$(nft_count "$c_ns")"
      local ip_pids
      ip_pids=$(pgrep -x iperf3 | paste -sd' ')
      s0=$(cpu_sample "$dial_pid" "$ip_pids") t0=$(ms_now)
      sleep "$iperf_s"
      s1=$(cpu_sample "$dial_pid" "$ip_pids") t1=$(ms_now)
      read -r c1 _ <<<"$(nft_count "$c_ns")"
      for p in $(ip netns pids "$ns_user"); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = iperf3 ] && kill -TERM "$p" 2>/dev/null
      done
      for _ in $(seq 1 100); do alive "$starter" || break; sleep 0.1; done
      for p in $(ip netns pids "$ns_user"); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = iperf3 ] && kill -KILL "$p" 2>/dev/null
      done
      wait "$starter" 2>/dev/null
      local secs pkts mbit pps
      secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1000}')
      pkts=$((${c1:-0} - ${c0:-0}))
      pps=$(awk -v p="$pkts" -v s="$secs" 'BEGIN {printf "%d", p / s}')
      mbit=$(awk -v p="$pkts" -v l="$len" -v s="$secs" 'BEGIN {printf "%.1f", p * (l - 28) * 8 / s / 1e6}')
      echo "$kind $up sessions $dir ${len}B: ${mbit} Mbit/s ${pps} pkt/s (offered ${offer} Mbit/s, $running/$up clients running)"
      echo "  $(cpu_report "$s0" "$s1" "$secs")"
      r="$r|$mbit $pps"
      sleep 2  # the servers notice their clients gone before the next test
    done
  done
  many+=("$r")
  for p in $(seq $many_port0 $last); do kill -TERM "$(cat "$work/iperf-many-$p.pid" 2>/dev/null)" 2>/dev/null; done
  for ns in "$ns_lns" "$ns_user"; do in_ns "$ns" nft delete table inet vlcbench; done
  # The users hang up first: an LNS stopped under live sessions waits for them to time out.
  kill -TERM "$dial_pid" 2>/dev/null
  for _ in $(seq 1 100); do alive "$dial_pid" || break; sleep 0.1; done
  kill -KILL "$dial_pid" 2>/dev/null
  wait "$dial_pid" 2>/dev/null
  stop_lns
}

kinds=(kernel user-space)
[ -n "$accel" ] && kinds=(accel-ppp kernel user-space)
[ -n "${BENCH_ONLY:-}" ] && read -r -a kinds <<<"$BENCH_ONLY"
# BENCH_SETUP=0: throughput only (USERS still sets how many users the LNSes know).
[ "${BENCH_SETUP:-1}" = 1 ] || counts=
for n in $counts; do
  for k in "${kinds[@]}"; do setup_run "$k" "$n"; done
done
[ "$BENCH_IPERF" = 1 ] && for k in "${kinds[@]}"; do iperf_run "$k"; done
[ "$BENCH_IPERF" = 1 ] && [ "${BENCH_SESSIONS:-100}" -gt 1 ] &&
  for k in "${kinds[@]}"; do iperf_many "$k" "${BENCH_SESSIONS:-100}"; done

echo
echo "| LNS | users | setup rate | p50 | p99 | sessions in pppN | slab per session | teardown (nothing left) |"
echo "|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
  IFS='|' read -r kind n line inppp per tdown left <<<"$r"
  rate_s=$(sed -n 's/.*setup_rate=\([0-9.]*\/s\).*/\1/p' <<<"$line")
  p50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  est=$(sed -n 's/^established=\([0-9]*\) failed=\([0-9]*\).*/\1 up, \2 failed/p' <<<"$line")
  echo "| $kind | $n ($est) | ${rate_s:-?} | ${p50:-?} ms | ${p99:-?} ms | $inppp | $((per / 1024)) KiB | $tdown ms [$left] |"
done
echo
echo "| LNS | up 64 B | up 1,400 B | down 64 B | down 1,400 B (Mbit/s pkt/s, UDP, one session) |"
echo "|---|---|---|---|---|"
for r in "${tput[@]}"; do
  IFS='|' read -r kind a b c d <<<"$r"
  echo "| $kind | $a | $b | $c | $d |"
done
[ ${#many[@]} -gt 0 ] && {
  echo
  echo "| LNS | sessions | up 64 B | up 1,400 B | down 64 B | down 1,400 B (Mbit/s pkt/s, UDP, all at once) |"
  echo "|---|---|---|---|---|---|"
  for r in "${many[@]}"; do
    IFS='|' read -r kind n a b c d <<<"$r"
    echo "| $kind | $n | $a | $b | $c | $d |"
  done
}
