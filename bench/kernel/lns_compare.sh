#!/bin/bash
# LNS comparison in one QEMU guest run (scripts/vm-run, Debian's stock kernel with l2tp/ppp):
# vpdnd --data-plane kernel, vpdnd --data-plane user-space and, when ACCEL_PPPD names an
# installed accel-pppd, accel-ppp, each as the LNS for client-initiated CHAP users.
# Set-up (vpdn-dial --l2tp, one tunnel), per LNS and user count:
#   setup rate, p50/p99 (vpdn-dial's own figures), sessions in a pppN on the LNS,
#   kernel slab growth per session (/proc/meminfo Slab, all sessions up vs before),
#   teardown: the users hang up (SIGTERM to vpdn-dial) until the LNS holds no pppN and no
#   kernel tunnel or session and its descriptors are back (bounded).
# Throughput (see "throughput" below): sessions set up and held by vpdn-dial, their data
# sent by one udp-blast for every session (up: the LAC's L2TP data messages themselves, from
# a raw socket; down: UDP to the users' addresses), carried datagrams counted and dropped
# by nftables where they arrive, so the LNS, alone on its CPU, is what limits; up
# (user->LNS->server) and down, 64 and 1,400 octet IP packets (1,400 fits every pppN MTU,
# so nothing fragments), through one session (BENCH_REPEAT runs) and
# BENCH_SESSIONS sessions at once; each line with the guest's CPU use and which side
# limits; then tables and the ratios kernel/accel-ppp and kernel/user space against their
# targets (0.95x, 2x). Only ratios within one run mean anything: TCG is slow and the host
# is shared. Exits non-zero when a throughput measurement did not happen.
#
#   bench/kernel/lns_compare.sh [USERS...]        (default: 1000 3000)
#   throughput only:  BENCH_SETUP=0 ACCEL_PPPD=... bench/kernel/lns_compare.sh 100
#   env: ACCEL_PPPD=/path/to/sbin/accel-pppd  (its modules where it was installed)
#        BENCH_RATE (dials/s, default 200), BENCH_CONCURRENCY (default 200),
#        BENCH_SECONDS (each throughput measurement, default 5), VPDND_BUILD_DIR (default build),
#        BENCH_SESSIONS (sessions at once, default 100; 1 = only the one-session runs;
#        at most the largest USERS), BENCH_REPEAT (one-session runs, default 2),
#        BENCH_PPS (udp-blast's offered datagrams/s over all sessions, default 0: unpaced),
#        BENCH_ONLY (some of: accel-ppp kernel user-space), BENCH_TPUT=0 (no throughput),
#        BENCH_PERF=1 (perf's top symbols during each throughput measurement, if installed),
#        BENCH_DEBUG=1 (accel-ppp logs verbosely; links, neighbours, routes after each
#        throughput test), BENCH_SAMPLE=1 (where the LNS waits:
#        its threads' kernel stacks sampled while users dial),
#        BENCH_VM_TIMEOUT (guest limit, default 1800 s), BENCH_TEARDOWN_LIMIT (default 120 s),
#        BENCH_SMP (guest vCPUs; default 3 with throughput, else 2)
# Runs itself in the guest (vpdnd, vpdn-dial and udp-blast from the build dir; nft from the
# host).
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
  # Three vCPUs when throughput is measured (the LNS, the generator, the sinks: one each).
  smp=${BENCH_SMP:-$([ "${BENCH_TPUT:-1}" = 1 ] && echo 3 || echo 2)}
  "$repo/scripts/vm-run" --timeout "${BENCH_VM_TIMEOUT:-1800}" --mem 2048 --smp "$smp" -- \
    env "BENCH_RATE=${BENCH_RATE:-200}" "BENCH_ONLY=${BENCH_ONLY:-}" "BENCH_DEBUG=${BENCH_DEBUG:-0}" "BENCH_TPUT=${BENCH_TPUT:-1}" "BENCH_REPEAT=${BENCH_REPEAT:-2}" "BENCH_PPS=${BENCH_PPS:-0}" "BENCH_PERF=${BENCH_PERF:-0}" "BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-200}" \
    "BENCH_SECONDS=${BENCH_SECONDS:-5}" \
    "BENCH_SESSIONS=${BENCH_SESSIONS:-100}" "BENCH_SETUP=${BENCH_SETUP:-1}" \
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
rate=$BENCH_RATE conc=$BENCH_CONCURRENCY secs_each=$BENCH_SECONDS

tag=$$
ns_user=vlc-user-$tag ns_lns=vlc-lns-$tag ns_srv=vlc-srv-$tag
namespaces=("$ns_user" "$ns_lns" "$ns_srv")
work=$(mktemp -d /tmp/vlc.XXXXXX)
telnet_port=24123
veth_prefix=vlc$tag
source "$repo/tests/e2e/lib.sh"
e2e_begin ip timeout ss
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
echo "guest: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
for m in l2tp_ppp l2tp_netlink ppp_generic dummy; do modprobe "$m" || fail "modprobe $m"; done

make_namespaces
veth "$ns_user" eth0 "$ns_lns" eth0
in_ns "$ns_user" ip addr add 10.250.0.2/24 dev eth0
in_ns "$ns_lns" ip addr add 10.250.0.1/24 dev eth0
# The server the users' traffic goes to through their sessions (10.251.0.1), behind the LNS
# in a namespace of its own, so that the LNS forwards both ways (a packet the LNS itself
# sent or received would have its LNS work done in the generator's system call).
veth_prefix=vls$tag veth "$ns_srv" eth0 "$ns_lns" srv0
in_ns "$ns_srv" ip addr add 10.252.0.2/24 dev eth0
in_ns "$ns_srv" ip addr add 10.251.0.1/32 dev lo
in_ns "$ns_srv" ip route add default via 10.252.0.1
in_ns "$ns_lns" ip addr add 10.252.0.1/24 dev srv0
in_ns "$ns_lns" ip route add 10.251.0.0/24 via 10.252.0.2
in_ns "$ns_lns" sysctl -qw net.ipv4.ip_forward=1
# Neighbours fixed: under a flood, an ARP reply queued behind the datagrams can be dropped,
# and the path would fail for a reason that is not the LNS's.
mac() { in_ns "$1" cat "/sys/class/net/$2/address"; }
in_ns "$ns_lns" ip neigh replace 10.250.0.2 lladdr "$(mac "$ns_user" eth0)" dev eth0 nud permanent
in_ns "$ns_user" ip neigh replace 10.250.0.1 lladdr "$(mac "$ns_lns" eth0)" dev eth0 nud permanent
in_ns "$ns_lns" ip neigh replace 10.252.0.2 lladdr "$(mac "$ns_srv" eth0)" dev srv0 nud permanent
in_ns "$ns_srv" ip neigh replace 10.252.0.1 lladdr "$(mac "$ns_lns" srv0)" dev eth0 nud permanent
# The guest's CPUs split between the sides (throughput): cpu1 for the LNS; cpu0 for the
# generator; with three or more vCPUs cpu2 for the sinks (the users' and the server's
# receive), else cpu0 for them too. RPS puts each side's receive processing on its CPU:
# what reaches the LNS's veths is handled on cpu1, what reaches the users' and the
# server's on the sinks' CPU; the LNS process (vpdnd, accel-pppd) runs on cpu1.
lns_cpu=1 rest_cpu=0 sink_cpu=0
[ "$(nproc)" -ge 3 ] && sink_cpu=2
if [ "$(nproc)" -ge 2 ]; then
  for x in "$ns_lns eth0 2" "$ns_lns srv0 2" "$ns_user eth0 $((1 << sink_cpu))" "$ns_srv eth0 $((1 << sink_cpu))"; do
    read -r ns dev mask <<<"$x"
    in_ns "$ns" sh -c "echo $mask >/sys/class/net/$dev/queues/rx-0/rps_cpus" ||
      fail "RPS on $dev in $ns"
  done
else
  lns_cpu=0
fi

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

# The throughput runs' variants: no LCP echo from the LNS (vpdn-dial sends none either),
# since the users' side drops the LNS's data messages, and with them its LCP.
sed 's/^ remote address pool 1$/&\n timer hold 0/' "$work/vpdnd.cfg" >"$work/vpdnd-tput.cfg"
grep -q '^ timer hold 0$' "$work/vpdnd-tput.cfg" || fail "vpdnd-tput.cfg: no timer hold 0"
sed 's/^lcp-echo-interval=30$/lcp-echo-interval=0/' "$work/accel-ppp.conf" >"$work/accel-ppp-tput.conf"

lns_pid=
# start_lns KIND [CPU [tput]]: CPU given, the LNS runs on that CPU only; tput: the
# throughput configuration (no LCP echo from the LNS: the users' side drops data messages).
start_lns() {
  local pin=() cfg=
  [ -n "${2:-}" ] && pin=(taskset -c "$2")
  [ "${3:-}" = tput ] && cfg=-tput
  case $1 in
    kernel | user-space)
      ip netns exec "$ns_lns" "${pin[@]}" "$vpdnd" --no-console --telnet-port $telnet_port --telnet-bind 127.0.0.1 \
        --data-plane "$1" --config "$work/vpdnd$cfg.cfg" >"$work/lns-$1.log" 2>&1 &
      lns_pid=$!
      wait_for 60 port_open "$ns_lns" || fail "vpdnd ($1) not listening"
      ;;
    accel-ppp)
      ip netns exec "$ns_lns" "${pin[@]}" "$accel" -c "$work/accel-ppp$cfg.conf" >"$work/lns-accel.log" 2>&1 &
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

# ---- throughput: sessions from vpdn-dial, their data from one generator ------------------
# The users' side must cost less per packet than the LNS, or it is the users that a figure
# measures. vpdn-dial sets the sessions up (LAC and users in one process, one tunnel) and
# keeps them: its LCP echo is off (--echo 0) and so is the LNS's for these runs (vpdnd
# `timer hold 0`, accel-ppp lcp-echo-interval=0), so nothing is due on LCP while the data
# flows, and the tunnel's control messages (T bit 1) still reach vpdn-dial. It writes each
# session's ids (--sessions-file). Then one udp-blast (tools/udp-blast: one thread,
# sendmmsg) sends for every session at once:
#   up: the LAC's L2TP data messages themselves (udp-blast --l2tp: raw socket, from the
#       tunnel's address and UDP port, the LNS's tunnel and session ids, PPP IPv4, the
#       user's datagram to the server 10.251.0.1), so no PPP or L2TP work is done on the
#       users' side; the server's namespace counts and drops them (nftables);
#   down: UDP from the server to the users' addresses; the users' namespace counts and
#       drops the LNS's L2TP data messages (UDP from the LNS, T bit 0) at its link's ingress,
#       before vpdn-dial's socket would have to read them.
# Carried = the nftables counter's packets over the time udp-blast says it sent. Unpaced
# (BENCH_PPS=0, default): the generator offers what cpu0 can send, and the counter says
# what got through the LNS on cpu1.
blast=$build/udp-blast
tput_dial_pid=
sess_addrs=()
sessions_file=$work/sessions
# The sessions in vpdn-dial's file (lines of udp-blast --l2tp).
sessions_in_file() { grep -c '^lac=' "$sessions_file" 2>/dev/null || echo 0; }
users_up() {  # users_up N: N users dial; false unless every one is up with its address
  local n=$1
  : >"$sessions_file"
  ip netns exec "$ns_user" taskset -c $rest_cpu "$dial" --l2tp 10.250.0.1 --hostname LAC \
    --user 'u{n}' --password pw --chap --count "$n" --rate "$rate" --concurrency "$conc" \
    --timeout 120 --hold -1 --echo 0 --sessions-file "$sessions_file" \
    >"$work/dial-tput.log" 2>&1 &
  tput_dial_pid=$!
  pids+=("$tput_dial_pid")
  enough() { [ "$(sessions_in_file)" -ge "$1" ] || ! alive "$tput_dial_pid"; }
  wait_for 300 enough "$n"
  mapfile -t sess_addrs < <(sed -n 's/.* address=\([0-9.]*\).*/\1/p' "$sessions_file")
  [ "${#sess_addrs[@]}" -ge "$n" ]
}
# SIGTERM: vpdn-dial hangs every user up (LCP Terminate, CDN, StopCCN) and exits.
users_down() {
  local t0=$SECONDS
  [ -n "$tput_dial_pid" ] || return 0
  kill -TERM "$tput_dial_pid" 2>/dev/null
  for _ in $(seq 1 100); do alive "$tput_dial_pid" || break; sleep 0.2; done
  kill -KILL "$tput_dial_pid" 2>/dev/null
  wait "$tput_dial_pid" 2>/dev/null
  tput_dial_pid=
  echo "-- users hung up in $((SECONDS - t0)) s"
}

# Datagrams the guest's receive backlogs dropped (every CPU's /proc/net/softnet_stat
# second column, hex): a CPU too slow to drain what RPS queues for it.
backlog_drops() {
  local s=0 d
  while read -r _ d _; do s=$((s + 16#$d)); done </proc/net/softnet_stat
  echo $s
}
backlog_drops_per_cpu() {  # "D0 D1 ...": each CPU's drops so far
  local d out=
  while read -r _ d _; do out+="$((16#$d)) "; done </proc/net/softnet_stat
  echo "$out"
}
# The sinks: nftables at the receiving link's ingress (netdev family, before IP's receive
# path, so dropping costs the sink's CPU little), one counting rule each.
nft_count() {  # nft_count NS -> packets counted by the bench's rule
  in_ns "$1" nft list chain netdev vlcbench in 2>/dev/null |
    sed -n 's/.*packets \([0-9]*\) bytes.*/\1/p' | head -n 1
}
counters_on() {
  local ns
  for ns in "$ns_srv" "$ns_user"; do
    in_ns "$ns" nft add table netdev vlcbench || fail "nftables netdev table in $ns"
    in_ns "$ns" nft add chain netdev vlcbench in '{ type filter hook ingress device eth0 priority 0; }' ||
      fail "nftables ingress chain in $ns"
  done
  # Up: the users' datagrams at the server. Down: the LNS's L2TP data messages (the first
  # octet after the UDP header has T = 0, RFC 2661 §3.1) at the users' side; its control
  # messages go on to vpdn-dial.
  in_ns "$ns_srv" nft add rule netdev vlcbench in ip daddr 10.251.0.1 udp dport 9 counter drop
  in_ns "$ns_user" nft add rule netdev vlcbench in ip saddr 10.250.0.1 udp sport 1701 \
    @th,64,1 0 counter drop
}
counters_off() { local ns; for ns in "$ns_srv" "$ns_user"; do in_ns "$ns" nft delete table netdev vlcbench; done; }

# ---- CPU use over a window: which side limits ----------------------------------------------
proc_ticks() {  # proc_ticks PID...: user+system clock ticks of these processes (all threads)
  local t=0 p v
  for p in "$@"; do
    v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + ${v:-0}))
  done
  echo $t
}
# Per CPU (cpuN lines of /proc/stat: user nice system idle iowait irq softirq), then the
# ticks of the LNS, of vpdn-dial and of the ksoftirqd threads.
cpu_sample() {
  # shellcheck disable=SC2046
  echo "$(awk '/^cpu[0-9]/ {printf "%s %s %s %s %s %s %s ", $2, $3, $4, $5, $6, $7, $8}' /proc/stat)$(proc_ticks "$lns_pid") $(proc_ticks ${tput_dial_pid:-}) $(proc_ticks $(pgrep '^ksoftirqd/'))"
}
# cpu_report SAMPLE0 SAMPLE1 SECONDS GEN_USER_S GEN_SYS_S -> "cpu: ..." (samples taken
# while the generator sends). cpu$lns_cpu does the LNS's work alone (its process, its
# receive processing through RPS); cpu$rest_cpu the generator's, cpu$sink_cpu the sinks'.
# Under TCG on a shared host a vCPU's busy share is a lower bound (ticks its host thread
# missed while descheduled are lost, idle time is measured by the clock), so the limit is
# judged by where packets were lost instead (limit_of).
cpu_report() {
  awk -v a="$1" -v b="$2" -v secs="$3" -v gu="$4" -v gs="$5" -v hz="$(getconf CLK_TCK)" \
    -v ncpu="$(nproc)" -v lc="$lns_cpu" -v rc="$rest_cpu" -v sc="$sink_cpu" 'BEGIN {
    n = split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= n; i++) d[i] = y[i] - x[i]
    for (c = 0; c < ncpu; c++) {
      o = c * 7; tot = 0
      for (k = 1; k <= 7; k++) tot += d[o + k]
      if (tot <= 0) tot = 1
      busy[c] = 100 - 100 * (d[o + 4] + d[o + 5]) / tot
      line[c] = sprintf("cpu%d %.0f%% busy (user %.0f, sys %.0f, softirq %.0f)", c, busy[c],
        100 * (d[o + 1] + d[o + 2]) / tot, 100 * d[o + 3] / tot, 100 * d[o + 7] / tot)
    }
    o = ncpu * 7
    lns = 100 * d[o + 1] / (secs * hz); users = 100 * d[o + 2] / (secs * hz)
    ks = 100 * d[o + 3] / (secs * hz)
    gen = 100 * (gu + gs) / secs
    s = "cpu: LNS " line[lc] "; generator " line[rc]
    if (sc != rc) s = s "; sinks " line[sc]
    printf "%s; of one CPU: udp-blast %.0f%% (user %.0f), LNS process %.0f%%, vpdn-dial %.0f%%, ksoftirqd %.0f%%\n", s, gen, 100 * gu / secs, lns, users, ks
  }'
}

# limit_of OFFERED CARRIED SECONDS DROPS0 DROPS1 -> which side held the carried rate
# down, by where packets were lost: nothing (under 3%) lost -> the generator (it offered
# no more); the sinks' CPU's backlog dropped most of what was lost -> the sinks; else the
# LNS (lost in its CPU's backlog or inside the LNS: a socket or TUN queue).
limit_of() {
  awk -v o="$1" -v c="$2" -v secs="$3" -v d0="$4" -v d1="$5" -v lc="$lns_cpu" -v sc="$sink_cpu" 'BEGIN {
    n = split(d0, x, " "); split(d1, y, " ")
    lost = o > 0 ? 100 * (o - c) / o : 0
    if (lost < 3) { print "limit: the generator (all it offered arrived)"; exit }
    ds = y[sc + 1] - x[sc + 1]
    if (sc != lc && ds > (o - c) * secs / 2)
      printf "limit: the sinks (%.0f%% of what was offered lost, most in cpu%d backlog)\n", lost, sc
    else
      printf "limit: the LNS (%.0f%% of what was offered lost at or in it)\n", lost
  }'
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

# Where the guest's CPU time goes while the kernel LNS forwards (BENCH_PERF=1 and perf
# installed): the top symbols of a system-wide sample.
perf_top() {  # perf_top SECONDS
  command -v perf >/dev/null || return 0
  perf record -a -g -o "$work/perf.data" -- sleep "$1" >/dev/null 2>&1 || return 0
  perf report -i "$work/perf.data" --no-children --sort comm,sym --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -n 15 | sed 's/^/  perf: /'
}

missing=()
tput1=() tputn=()
tput_run() {  # tput_run KIND N LABEL
  local kind=$1 n=$2 label=$3 r dir len
  step "$kind: throughput through $n session(s) ($label)"
  start_lns "$kind" "$lns_cpu" tput
  local t0=$SECONDS
  if ! users_up "$n"; then
    echo "$kind: only ${#sess_addrs[@]} of $n users came up"
    tail -n 5 "$work/dial-tput.log"
    missing+=("$kind: $n users did not all come up (${#sess_addrs[@]})")
  fi
  # The LNS moves each session into the kernel just after its IPCP.
  for _ in $(seq 1 50); do [ "$kind" = user-space ] || [ "$(ppp_links)" -ge "$n" ] && break; sleep 0.2; done
  sleep 1
  echo "-- ${#sess_addrs[@]} users up in $((SECONDS - t0)) s"
  [ "$kind" = user-space ] || link_info "$kind"
  counters_on
  local addrs
  addrs=$(IFS=,; echo "${sess_addrs[*]:0:$n}")
  head -n "$n" "$sessions_file" >"$work/sessions-$n"
  r="$kind|$label|${#sess_addrs[@]}"
  for dir in up down; do
    for len in 64 1400; do
      local gen_ns c_ns c0 c1 s0 s1 out perf_pid= args=()
      if [ $dir = up ]; then
        gen_ns=$ns_user c_ns=$ns_srv args=(--l2tp "$work/sessions-$n" --to 10.251.0.1)
      else
        gen_ns=$ns_srv c_ns=$ns_user args=(--from 10.251.0.1 --to "$addrs")
      fi
      if [ -z "$addrs" ]; then r="$r|fail"; continue; fi
      # Counted over the generator's whole run (its own start can take seconds in the
      # guest): the sink's counter before it starts and once it has ended and what was in
      # flight landed, over the time it says it sent.
      # The CPU shares are sampled from the generator's start line to its end.
      local bd0 w0 w1 gen_pid
      bd0=$(backlog_drops_per_cpu) c0=$(nft_count "$c_ns")
      : >"$work/blast.out"
      in_ns "$gen_ns" timeout $((secs_each + 30)) taskset -c $rest_cpu "$blast" "${args[@]}" \
        --size "$len" --seconds "$secs_each" --pps "${BENCH_PPS:-0}" >"$work/blast.out" 2>&1 &
      gen_pid=$!
      for _ in $(seq 1 300); do grep -q 'sending on' "$work/blast.out" && break; alive "$gen_pid" || break; sleep 0.05; done
      s0=$(cpu_sample) w0=$(ms_now)
      [ "${BENCH_PERF:-0}" = 1 ] && { perf_top "$((secs_each - 1))" >"$work/perf.txt" 2>&1 & perf_pid=$!; }
      wait "$gen_pid"
      s1=$(cpu_sample) w1=$(ms_now)
      sleep 0.5
      c1=$(nft_count "$c_ns")
      out=$(tail -n 1 "$work/blast.out")
      [ -n "$perf_pid" ] && wait "$perf_pid"
      local sent errs secs gu gs pkts pps mbit
      sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$out")
      errs=$(sed -n 's/.* send_errors=\([0-9]*\).*/\1/p' <<<"$out")
      secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$out")
      gu=$(sed -n 's/.* cpu_user_s=\([0-9.]*\).*/\1/p' <<<"$out")
      gs=$(sed -n 's/.* cpu_sys_s=\([0-9.]*\).*/\1/p' <<<"$out")
      if [ "${BENCH_DEBUG:-0}" = 1 ]; then
        local ns
        for ns in "$ns_user" "$ns_lns" "$ns_srv"; do
          echo "-- links in ${ns%%-*}-${ns#*-}:"
          in_ns "$ns" ip -s -o link | awk '{print "   " $2, $0}' | sed 's/  */ /g' | cut -c1-400
          in_ns "$ns" ip route | sed 's/^/   route /'
          in_ns "$ns" nstat -az 2>/dev/null | grep -E 'Drop|Err|InNoRoutes|Discard|OutNoRoutes|AddrErr' | awk '$2 > 0' | sed 's/^/   /'
        done
      fi
      pkts=$((${c1:-0} - ${c0:-0}))
      if [ -z "$sent" ] || [ -z "$secs" ] || [ "$pkts" -le 0 ]; then
        echo "$kind $n session(s) $dir ${len}B: NO MEASUREMENT (udp-blast: ${out:-nothing}; counted $pkts)"
        missing+=("$kind $label $dir ${len}B")
        r="$r|fail"
        continue
      fi
      pps=$(awk -v p="$pkts" -v s="$secs" 'BEGIN {printf "%d", p / s}')
      mbit=$(awk -v p="$pkts" -v l="$len" -v s="$secs" 'BEGIN {printf "%.1f", p * (l - 28) * 8 / s / 1e6}')
      echo "$kind $n session(s) $dir ${len}B: $mbit Mbit/s $pps pkt/s carried (softnet backlog drops in the window, per CPU: $(awk -v a="$bd0" -v b="$(backlog_drops_per_cpu)" 'BEGIN {n = split(a, x, " "); split(b, y, " "); for (i = 1; i <= n; i++) printf "%scpu%d %d", (i > 1 ? ", " : ""), i - 1, y[i] - x[i]}'))"
      local offered
      offered=$(awk -v p="$sent" -v s="$secs" 'BEGIN {printf "%d", p / s}')
      echo "  offered: udp-blast sent $offered pkt/s, $errs not sent -> $(limit_of "$offered" "$pps" "$secs" "$bd0" "$(backlog_drops_per_cpu)")"
      echo "  $(cpu_report "$s0" "$s1" "$(awk -v a="$w0" -v b="$w1" 'BEGIN {print (b - a) / 1000}')" "${gu:-0}" "${gs:-0}")"
      [ -s "$work/perf.txt" ] && cat "$work/perf.txt" && : >"$work/perf.txt"
      r="$r|$mbit $pps"
    done
  done
  [ "$n" -eq 1 ] && tput1+=("$r") || tputn+=("$r")
  counters_off
  # The users hang up first: an LNS stopped under live sessions waits for them to time out.
  users_down
  stop_lns
  echo "-- LNS stopped in ${teardown_ms} ms [$teardown_left]"
}
kinds=(kernel user-space)
[ -n "$accel" ] && kinds=(accel-ppp kernel user-space)
[ -n "${BENCH_ONLY:-}" ] && read -r -a kinds <<<"$BENCH_ONLY"
# BENCH_SETUP=0: throughput only (USERS still sets how many users the LNSes know).
[ "${BENCH_SETUP:-1}" = 1 ] || counts=
for n in $counts; do
  for k in "${kinds[@]}"; do setup_run "$k" "$n"; done
done
# Throughput: the one-session case BENCH_REPEAT times (the spread), LNSes interleaved so
# a change of host load hits each alike; then BENCH_SESSIONS sessions at once.
if [ "${BENCH_TPUT:-1}" = 1 ]; then
  [ -x "$blast" ] || fail "$blast not built (ninja -C build udp-blast)"
  command -v nft >/dev/null || fail "throughput needs nft (the sinks' counters)"
  [ "${BENCH_SESSIONS:-100}" -gt "$max_users" ] && fail "BENCH_SESSIONS=$BENCH_SESSIONS: the LNSes know $max_users users (USERS)"
  # No UDP segmentation offload towards the users: a GSO send (vpdnd's user-space path
  # sends runs of datagrams to one peer as one) would cross the veth as one buffer and the
  # users' sink would count it once; cut into its datagrams on the LNS's CPU, as a link
  # without the offload does, each is counted.
  in_ns "$ns_lns" ip link set dev eth0 gso_max_segs 1 || fail "gso_max_segs on the LNS's eth0"
  for rep in $(seq 1 "${BENCH_REPEAT:-2}"); do
    for k in "${kinds[@]}"; do tput_run "$k" 1 "run $rep"; done
  done
  if [ "${BENCH_SESSIONS:-100}" -gt 1 ]; then
    for k in "${kinds[@]}"; do tput_run "$k" "${BENCH_SESSIONS:-100}" "at once"; done
  fi
fi

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
tput_table() {  # tput_table TITLE ROW...
  local title=$1 r
  shift
  echo
  echo "| LNS | sessions | up 64 B | up 1,400 B | down 64 B | down 1,400 B ($title; Mbit/s of UDP payload, pkt/s carried) |"
  echo "|---|---|---|---|---|---|"
  for r in "$@"; do
    IFS='|' read -r kind label n a b c d <<<"$r"
    echo "| $kind ($label) | $n | $a | $b | $c | $d |"
  done
}
# kernel / accel-ppp and kernel / user space per column, of the mean pkt/s over the runs.
tput_ratios() {  # tput_ratios TITLE ROW...
  local title=$1
  shift
  printf '%s\n' "$@" | python3 -c '
import sys
title = sys.argv[1]
sums = {}
for line in sys.stdin:
    f = line.rstrip("\n").split("|")
    if len(f) < 7:
        continue
    for col, cell in enumerate(f[3:7]):
        if cell == "fail":
            continue
        sums.setdefault((f[0], col), []).append(float(cell.split()[1]))
mean = lambda k, c: (sum(sums[(k, c)]) / len(sums[(k, c)])) if (k, c) in sums else None
cols = ["up 64 B", "up 1,400 B", "down 64 B", "down 1,400 B"]
for other, target in (("accel-ppp", 0.95), ("user-space", 2.0)):
    parts = []
    for c, name in enumerate(cols):
        k, o = mean("kernel", c), mean(other, c)
        if k is None or o is None or o == 0:
            parts.append("%s: n/a" % name)
        else:
            r = k / o
            parts.append("%s: %.2fx %s" % (name, r, "met" if r >= target else "MISSED"))
    if any(not p.endswith("n/a") for p in parts):
        print("%s: kernel / %s (target >= %.2fx): %s" % (title, other, target, "; ".join(parts)))
' "$title"
}
[ ${#tput1[@]} -gt 0 ] && tput_table "one session, each run" "${tput1[@]}"
[ ${#tputn[@]} -gt 0 ] && tput_table "all sessions at once" "${tputn[@]}"
echo
[ ${#tput1[@]} -gt 0 ] && tput_ratios "one session" "${tput1[@]}"
[ ${#tputn[@]} -gt 0 ] && tput_ratios "${BENCH_SESSIONS:-100} sessions" "${tputn[@]}"
echo "load: $(cat /proc/loadavg) (guest)"
if [ ${#missing[@]} -gt 0 ]; then
  echo "FAIL: measurements that did not happen:"
  printf '  %s\n' "${missing[@]}"
  exit 1
fi
