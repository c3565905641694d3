#!/bin/bash
# The L2TP control-plane benchmark of docs/PERFORMANCE.md: runs build/bench/l2tp_load
# against vpdnd and against Debian's xl2tpd as LNS, each fresh per run, and prints the
# figures. Both daemons run inside a network namespace created here (vpdnd opens a TUN for
# its virtual template), on 127.0.0.1 only; everything is removed on exit.
#
#   bench/l2tp_load/compare.sh [--vpdnd build/vpdnd] [--load build/bench/l2tp_load] [--quick]
#
# Needs root (netns). --quick uses small counts (for a smoke run).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
vpdnd="$here/build/vpdnd"
load="$here/build/bench/l2tp_load"
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --vpdnd) vpdnd=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    *) echo "usage: $0 [--vpdnd PATH] [--load PATH] [--quick]" >&2; exit 2 ;;
  esac
done
[ -x "$load" ] || { echo "missing $load (build with -DVPDND_BENCH=ON)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root for the network namespace" >&2; exit 2; }

ns="l2tpbench$$"
dir=$(mktemp -d /tmp/l2tp-compare-XXXXXX)
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && sleep 0.5 && kill -9 "$daemon" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
ip netns add "$ns" && ip netns exec "$ns" ip link set lo up || exit 2
secret=bench-secret

cat > "$dir/vpdnd.cfg" <<CFG
 sysname LNSBENCH
 l2tp enable
 l2tp listen-port 1701
 ip pool 1 10.96.0.10 10.96.250.250
domain system
interface Virtual-Template1
 ppp authentication-mode chap
 ip address 10.96.0.1 255.255.0.0
 remote address pool 1
l2tp-group 1
 tunnel authentication
 tunnel password simple $secret
 allow l2tp virtual-template 1
return
CFG
cat > "$dir/xl2tpd.conf" <<CFG
[global]
port = 1702
listen-addr = 127.0.0.1
auth file = $dir/l2tp-secrets
access control = no
[lns default]
ip range = 10.98.0.10-10.98.200.200
local ip = 10.98.0.1
hostname = xl2tpd-lns
challenge = yes
require authentication = no
length bit = yes
pppoptfile = $dir/ppp.opts
CFG
echo "* * $secret" > "$dir/l2tp-secrets"; chmod 600 "$dir/l2tp-secrets"
echo noauth > "$dir/ppp.opts"

start_vpdnd() {
  ip netns exec "$ns" "$vpdnd" --config "$dir/vpdnd.cfg" --telnet-port 0 --no-console > "$dir/vpdnd.log" 2>&1 &
  daemon=$!; port=1701; sleep 1.5
}
start_xl2tpd() {
  ip netns exec "$ns" xl2tpd -D -c "$dir/xl2tpd.conf" -p "$dir/xl2tpd.pid" -C "$dir/l2tp-control" > "$dir/xl2tpd.log" 2>&1 &
  daemon=$!; port=1702; sleep 1
}
stop_daemon() {
  [ -n "$daemon" ] || return
  kill "$daemon" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; daemon=""
}
run() {  # name start-function l2tp_load-args...
  local name=$1 start=$2; shift 2
  echo "== $name: $*"
  $start
  ip netns exec "$ns" timeout 300 "$load" --target 127.0.0.1:$port --secret $secret --pid "$daemon" \
    --concurrency 128 "$@" | grep -v '^l2tp_load target='
  stop_daemon
}

if [ $quick = 1 ]; then big=2000; mid=500; tps=10; spt=20; hold=5; else big=50000; mid=5000; tps=100; spt=300; hold=70; fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -x "$vpdnd" ]; then
  run "vpdnd 1000 tunnels" start_vpdnd --tunnels 1000 --timeout 60
  run "vpdnd $big tunnels" start_vpdnd --tunnels $big --timeout 200
  run "vpdnd $tps x $spt sessions" start_vpdnd --tunnels $tps --sessions $spt --timeout 120
  run "vpdnd $((big / 2)) tunnels held ${hold}s (Hello)" start_vpdnd --tunnels $((big / 2)) --hold $hold --timeout 300
else
  echo "== vpdnd: $vpdnd not built, skipped"
fi
if command -v xl2tpd > /dev/null; then
  run "xl2tpd 1000 tunnels" start_xl2tpd --tunnels 1000 --timeout 60
  run "xl2tpd $mid tunnels" start_xl2tpd --tunnels $mid --timeout 200
  # xl2tpd forks a pppd per call and dies past ~1,018 sessions (select() and FD_SETSIZE).
  run "xl2tpd 40 x 20 sessions" start_xl2tpd --tunnels 40 --sessions 20 --timeout 120
else
  echo "== xl2tpd: not installed, skipped"
fi
