#!/bin/bash
# LNS memory per established session and CPU at rest.
# For each COUNT: a fresh netns vbm-lns-$$ holds a vpdnd LNS (local auth, /16 pool,
# `tunnel timer hello 60`) and `vpdn-dial --l2tp 127.0.0.1` (client-initiated: LAC and
# user at once, one tunnel). Reads vpdnd's VmRSS before dialing and once all COUNT
# sessions are established (per session = delta / COUNT); then, with the sessions held,
# reads utime+stime of vpdnd over WINDOW seconds and prints % of one core.
# Usage: sudo bench/e2e/lns_memory.sh [COUNT...]          (default: 1000 10000)
#   WINDOW=S (default 90; 0 = memory only), CONC=C (vpdn-dial --concurrency, default 500),
#   RATE=R (default 5000), HOLD=S (`ppp timer hold S` on the template, LCP echo interval;
#   default: vpdnd's 10 s), TUNNELS=N (vpdn-dial --tunnels: users over N tunnels from N
#   source ports, default 1), VPDND_BUILD_DIR (default build). One /16 pool: at most 65,000
#   sessions (a pool holds at most 65,536 addresses). Bounded (timeout), cleans up.
set -uo pipefail
{
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(1000 10000)
window=${WINDOW:-90} conc=${CONC:-500} rate=${RATE:-5000}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VPDND_BUILD_DIR:-$repo/build}
vpdnd=$build/vpdnd dial=$build/vpdn-dial
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip timeout; do command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
[ -x "$vpdnd" ] && [ -x "$dial" ] || { echo "SKIP: build $vpdnd and $dial first"; exit 77; }
ns=vbm-lns-$$
work=$(mktemp -d /tmp/vbm.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "work dir kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
in_ns() { ip netns exec "$ns" "$@"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
anon_kib() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }  # heap etc., no code pages
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime
hz=$(getconf CLK_TCK)

run() {
  local count=$1 lns dialp rss0 rss1 anon0 anon1 t0 t1 c0 c1 est i
  ip netns add "$ns" && in_ns ip link set lo up || return 1
  {
    cat <<CFG
sysname LNS
l2tp enable
ip pool 1 10.200.0.10 10.200.255.250
domain system
 authentication ppp local
interface Virtual-Template1
 ppp authentication-mode chap
 ip address 10.200.0.1 255.255.0.0
 remote address pool 1
l2tp-group 1
 undo tunnel authentication
 tunnel timer hello 60
 allow l2tp virtual-template 1
CFG
    [ -n "${HOLD:-}" ] && printf 'interface Virtual-Template1\n ppp timer hold %s\n' "$HOLD"
    for i in $(seq 1 "$count"); do printf 'local-user user%d\n password simple pw\n service-type ppp\n' "$i"; done
    echo return
  } >"$work/lns.cfg"
  ip netns exec "$ns" "$vpdnd" --no-console --telnet-port 0 --config "$work/lns.cfg" >"$work/lns-$count.log" 2>&1 &
  lns=$!  # ip netns exec execs: this is vpdnd itself (not a subshell)
  pids+=("$lns")
  # Ready when UDP 1701 is bound in the namespace.
  for _ in $(seq 1 150); do in_ns ss -Hlun 'sport = :1701' | grep -q . && break; sleep 0.2; done
  in_ns ss -Hlun 'sport = :1701' | grep -q . || { echo "FAIL: LNS not listening"; tail "$work/lns-$count.log"; return 1; }
  sleep 1
  rss0=$(rss_kib "$lns") anon0=$(anon_kib "$lns")
  t0=$(date +%s.%N)
  ip netns exec "$ns" timeout $((window + 200 + count / 200)) "$dial" --l2tp 127.0.0.1 --user 'user{n}' --password pw --count "$count" \
    --tunnels "${TUNNELS:-1}" --rate "$rate" --concurrency "$conc" --hold -1 --timeout 60 >"$work/dial-$count.log" 2>&1 &
  dialp=$!
  pids+=("$dialp")
  est=0
  for _ in $(seq 1 $((count / 200 > 180 ? count / 200 : 180))); do
    sleep 1
    est=$(grep -o 'established=[0-9]*' "$work/dial-$count.log" | tail -n 1 | cut -d= -f2)
    est=${est:-0}
    [ "$est" -ge "$count" ] && break
    kill -0 "$dialp" 2>/dev/null || break
  done
  t1=$(date +%s.%N)
  if [ "$est" -lt "$count" ]; then
    echo "FAIL: count=$count only $est established"; tail -n 5 "$work/dial-$count.log"; return 1
  fi
  sleep 2  # let the last IPCP exchanges settle
  rss1=$(rss_kib "$lns") anon1=$(anon_kib "$lns")
  local setup
  setup=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  awk -v n="$count" -v a="$rss0" -v b="$rss1" -v s="$setup" -v x="$anon0" -v y="$anon1" 'BEGIN {
    printf "count=%d established=%d setup_s=%s rss_before_kib=%d rss_established_kib=%d delta_kib=%d per_session_bytes=%.0f anon_delta_kib=%d anon_per_session_bytes=%.0f\n",
      n, n, s, a, b, b - a, (b - a) * 1024 / n, y - x, (y - x) * 1024 / n }'
  if [ "$window" -gt 0 ]; then
    # Start the window 10 s after setup so the tail of setup is not counted.
    sleep 10
    c0=$(cpu_ticks "$lns") t0=$(date +%s.%N)
    sleep "$window"
    c1=$(cpu_ticks "$lns") t1=$(date +%s.%N)
    awk -v n="$count" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v r="$(rss_kib "$lns")" 'BEGIN {
      w = t1 - t0; cpu = (c1 - c0) / hz
      printf "count=%d rest_window_s=%.1f cpu_s=%.2f cpu_pct_of_one_core=%.3f rss_end_kib=%d\n", n, w, cpu, 100 * cpu / w, r }'
    grep -o 'up=[0-9]* established=[0-9]* failed=[0-9]*' "$work/dial-$count.log" | tail -n 1 | sed "s/^/count=$count still: /"
  fi
  kill -TERM "$dialp" "$lns" 2>/dev/null
  wait "$dialp" "$lns" 2>/dev/null
  pids=()
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del "$ns"
}

echo "== lns_memory: counts=${counts[*]} window=${window}s concurrency=$conc rate=$rate hold=${HOLD:-default} tunnels=${TUNNELS:-1} build=$build"
rc=0
for c in "${counts[@]}"; do run "$c" || rc=1; done
exit $rc
}
