#!/bin/bash
# LNS memory per established session, CPU at rest, display latency and teardown.
# For each COUNT: a fresh netns vbm-lns-$$ holds a vpdnd LNS (local auth, `tunnel timer
# hello 60`, telnet on 127.0.0.1:2323 inside the namespace) and `vpdn-dial --l2tp 127.0.0.1`
# (client-initiated: LAC and user at once). Pools: a pool holds at most 65,536 addresses
# (Comware V5 allows 1,024), so COUNT users get ceil(COUNT / 65,000) templates, each with
# its own /16 pool 10.200.0.0, 10.201.0.0, ...; vpdn-dial names its tunnels lac1..lacN
# (--hostname 'lac{t}') and tunnel t goes to template ((t - 1) % templates) + 1 through
# `allow l2tp virtual-template K remote lacT` (template 1: group 1, the default).
# Reads vpdnd's VmRSS before dialing and once all COUNT sessions are established (per
# session = delta / COUNT); then, with the sessions held, reads utime+stime of vpdnd over
# WINDOW seconds and prints % of one core; then times `display l2tp session` over telnet
# (first output line, first table row, whole table; bench/e2e/cli_timing.py); then
# SIGTERMs vpdn-dial (its users hang up) and polls `display ip pool` until every address
# is free again: the teardown time.
# Usage: sudo bench/e2e/lns_memory.sh [COUNT...]          (default: 1000 10000)
#   WINDOW=S (default 90; 0 = no CPU window), CONC=C (vpdn-dial --concurrency, default 500),
#   RATE=R (default 5000), HOLD=S (`ppp timer hold S` on the templates, LCP echo interval;
#   default: vpdnd's 10 s), TUNNELS=N (vpdn-dial --tunnels: users over N tunnels from N
#   source ports, default 1), DIAL_ECHO=S (vpdn-dial --echo: the users' own LCP echo
#   interval, default 10; 0 = users that never probe, like Windows), CLI_TIMING=0 (skip
#   the display timing), TEARDOWN=0 (skip the teardown), SETUP_LIMIT=S (default
#   max(180, COUNT / 200); sessions not up by then are reported and the rest is measured
#   on those that are, while vpdn-dial still dials the rest), DIAL_TIMEOUT=S (vpdn-dial
#   --timeout, default 60), TEMPLATES=K (templates and pools instead of
#   ceil(COUNT / 65,000)), VPDND_BUILD_DIR (default build). Bounded (timeout), cleans up.
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
timing=$here/cli_timing.py
# A vpdn-dial without --echo (an older build) can neither name its tunnels nor stop probing:
# one template only then, and the users echo every 10 s.
dial_extra=(--hostname 'lac{t}' --echo "${DIAL_ECHO:-10}")
"$dial" --help 2>&1 | grep -q -- '--echo' || dial_extra=()
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
# Kernel receive-buffer drops per UDP socket in the namespace (ss's skmem d), so an
# overflow is pinned on vpdnd's L2TP socket or on one of vpdn-dial's.
socket_drops() {
  in_ns ss -Huanmp | awk -v tag="$1" '
    /users:/ { match($0, /users:\(\("[^"]*"/); who = substr($0, RSTART + 9, RLENGTH - 10); port = $4 }
    /skmem:/ { match($0, /rb[0-9]+/); rb = substr($0, RSTART + 2, RLENGTH - 2); match($0, /d[0-9]+\)/); d = substr($0, RSTART + 1, RLENGTH - 2)
               n[who]++; drops[who] += d; if (d > max[who]) { max[who] = d; at[who] = port }; buf[who] = rb }
    END { for (w in n) printf "%s udp socket drops: %s sockets=%d rcvbuf=%d drops=%d (most: %d on %s)\n", tag, w, n[w], buf[w], drops[w], max[w], at[w] }'
}

run() {
  local count=$1 lns dialp rss0 rss1 anon0 anon1 t0 t1 c0 c1 est i k t templates
  templates=${TEMPLATES:-$(((count + 64999) / 65000))}
  ip netns add "$ns" && in_ns ip link set lo up || return 1
  {
    echo "sysname LNS"
    echo "l2tp enable"
    for k in $(seq 1 "$templates"); do echo "ip pool $k 10.$((199 + k)).0.10 10.$((199 + k)).255.250"; done
    printf 'domain system\n authentication ppp local\n'
    for k in $(seq 1 "$templates"); do
      printf 'interface Virtual-Template%d\n ppp authentication-mode chap\n' "$k"
      printf ' ip address 10.%d.0.1 255.255.0.0\n remote address pool %d\n' $((199 + k)) "$k"
      [ -n "${HOLD:-}" ] && printf ' ppp timer hold %s\n' "$HOLD"
    done
    printf 'l2tp-group 1\n undo tunnel authentication\n tunnel timer hello 60\n allow l2tp virtual-template 1\n'
    for t in $(seq 1 "${TUNNELS:-1}"); do
      k=$(((t - 1) % templates + 1))
      [ "$k" -eq 1 ] && continue
      printf 'l2tp-group %d\n undo tunnel authentication\n tunnel timer hello 60\n' $((t + 1))
      printf ' allow l2tp virtual-template %d remote lac%d\n' "$k" "$t"
    done
    printf 'user-interface vty 0 4\n authentication-mode none\n'
    for i in $(seq 1 "$count"); do printf 'local-user user%d\n password simple pw\n service-type ppp\n' "$i"; done
    echo return
  } >"$work/lns.cfg"
  ip netns exec "$ns" "$vpdnd" --no-console --telnet-port 2323 --telnet-bind 127.0.0.1 \
    --config "$work/lns.cfg" >"$work/lns-$count.log" 2>&1 &
  lns=$!  # ip netns exec execs: this is vpdnd itself (not a subshell)
  pids+=("$lns")
  # Ready when UDP 1701 is bound in the namespace (a config of 100,000 users takes a while).
  for _ in $(seq 1 600); do in_ns ss -Hlun 'sport = :1701' | grep -q . && break; sleep 0.2; done
  in_ns ss -Hlun 'sport = :1701' | grep -q . || { echo "FAIL: LNS not listening"; tail "$work/lns-$count.log"; return 1; }
  sleep 1
  rss0=$(rss_kib "$lns") anon0=$(anon_kib "$lns")
  local limit=${SETUP_LIMIT:-$((count / 200 > 180 ? count / 200 : 180))}
  local dlog="$work/dial-$count.log"
  t0=$(date +%s.%N)
  ip netns exec "$ns" timeout $((window + limit + 600)) "$dial" --l2tp 127.0.0.1 --user 'user{n}' --password pw --count "$count" \
    --tunnels "${TUNNELS:-1}" "${dial_extra[@]}" --rate "$rate" --concurrency "$conc" \
    --hold -1 --timeout "${DIAL_TIMEOUT:-60}" >"$dlog" 2>&1 &
  dialp=$!
  pids+=("$dialp")
  est=0
  for _ in $(seq 1 "$limit"); do
    sleep 1
    est=$(grep -o 'established=[0-9]*' "$dlog" | tail -n 1 | cut -d= -f2)
    est=${est:-0}
    [ "$est" -ge "$count" ] && break
    # Every user dialled and none still in setup: the rest failed, waiting is no use.
    tail -n 1 "$dlog" | grep -q "started=$count dialing=0 " && break
    kill -0 "$dialp" 2>/dev/null || break
  done
  t1=$(date +%s.%N)
  local setup
  setup=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  local verdict=0
  if [ "$est" -lt "$count" ]; then
    # Not all up in time: say so, and measure the sessions that are (per session = per
    # established session from here on).
    echo "FAIL: count=$count only $est established in ${setup} s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    tail -n 3 "$dlog"
    in_ns python3 "$timing" 127.0.0.1 2323 run 'display l2tp statistics' 2>&1 | grep -i -E 'retrans|drop|Sessions|Tunnels' | head -n 20
    [ "$est" -gt 0 ] || return 1
    verdict=1
    count=$est
  fi
  sleep 2  # let the last IPCP exchanges settle
  rss1=$(rss_kib "$lns") anon1=$(anon_kib "$lns")
  awk -v n="$count" -v a="$rss0" -v b="$rss1" -v s="$setup" -v x="$anon0" -v y="$anon1" -v tu="${TUNNELS:-1}" -v tp="$templates" 'BEGIN {
    printf "count=%d established=%d tunnels=%d templates=%d setup_s=%s rate_per_s=%.0f rss_before_kib=%d rss_established_kib=%d delta_kib=%d per_session_bytes=%.0f anon_delta_kib=%d anon_per_session_bytes=%.0f\n",
      n, n, tu, tp, s, n / s, a, b, b - a, (b - a) * 1024 / n, y - x, (y - x) * 1024 / n }'
  echo "count=$count load after setup: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$window" -gt 0 ]; then
    # Start the window 10 s after setup so the tail of setup is not counted.
    sleep 10
    c0=$(cpu_ticks "$lns") t0=$(date +%s.%N)
    sleep "$window"
    c1=$(cpu_ticks "$lns") t1=$(date +%s.%N)
    # LCP echo exchanges in the window: the LNS probes each session every HOLD s (default
    # 10) and answers each user's probe every DIAL_ECHO s; nothing else runs at rest
    # (Hello every 60 s per tunnel is negligible), so CPU / exchanges is the cost of one.
    awk -v n="$count" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v r="$(rss_kib "$lns")" \
      -v hold="${HOLD:-10}" -v de="${DIAL_ECHO:-10}" 'BEGIN {
      w = t1 - t0; cpu = (c1 - c0) / hz
      xs = (hold > 0 ? n / hold : 0) + (de > 0 ? n / de : 0)
      printf "count=%d rest_window_s=%.1f cpu_s=%.2f cpu_pct_of_one_core=%.3f rss_end_kib=%d echo_exchanges_per_s=%.0f us_per_echo_exchange=%.2f\n",
        n, w, cpu, 100 * cpu / w, r, xs, (xs > 0 ? 1e6 * cpu / (xs * w) : 0) }'
    echo "count=$count load during the window: $(cut -d' ' -f1-3 /proc/loadavg)"
    grep -o 'up=[0-9]* established=[0-9]* failed=[0-9]*' "$dlog" | tail -n 1 | sed "s/^/count=$count still: /"
  fi
  socket_drops "count=$count after setup and rest:"
  if [ "${CLI_TIMING:-1}" != 0 ]; then
    for i in 1 2 3; do
      echo "count=$count display l2tp session (telnet, run $i): $(in_ns timeout 300 python3 "$timing" 127.0.0.1 2323 time display l2tp session 2>&1 | tail -n 1)"
    done
  fi
  if [ "${TEARDOWN:-1}" != 0 ]; then
    local inuse=-1 free=0 td
    t0=$(date +%s.%N)
    kill -TERM "$dialp" 2>/dev/null
    for _ in $(seq 1 600); do
      read -r free inuse < <(in_ns timeout 60 python3 "$timing" 127.0.0.1 2323 run 'display ip pool' 2>/dev/null |
        awk '$1 ~ /^[0-9]+$/ && NF >= 5 {f += $(NF - 1); u += $NF} END {print f + 0, u + 0}')
      [ "${inuse:--1}" -eq 0 ] && break
      sleep 0.5
    done
    t1=$(date +%s.%N)
    td=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
    echo "count=$count teardown_s=$td addresses_in_use_after=$inuse addresses_free_after=$free"
    socket_drops "count=$count after teardown:"
    in_ns python3 "$timing" 127.0.0.1 2323 run 'display l2tp statistics' 2>/dev/null | grep -E '^ (Tunnels|Sessions):' | sed "s/^/count=$count after teardown:/"
  fi
  kill -TERM "$dialp" "$lns" 2>/dev/null
  wait "$dialp" "$lns" 2>/dev/null
  pids=()
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del "$ns"
  return $verdict
}

echo "== lns_memory: counts=${counts[*]} window=${window}s concurrency=$conc rate=$rate hold=${HOLD:-default} tunnels=${TUNNELS:-1} dial_echo=${DIAL_ECHO:-10} build=$build"
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u +%H:%M:%S) UTC"
rc=0
for c in "${counts[@]}"; do run "$c" || rc=1; done
exit $rc
}
