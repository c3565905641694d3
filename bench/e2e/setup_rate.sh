#!/bin/bash
# Full-call setup rate through a vpdnd LAC and a vpdnd LNS (three namespaces user - lac - lns).
# vpdn-dial --pppoe in user dials N users (PADI..IPCP, with L2TP LAC->LNS and proxy CHAP)
# and prints its summary line; afterwards both boxes' `display l2tp statistics`.
# Usage: sudo bench/e2e/setup_rate.sh [COUNT] [RATE] [CONCURRENCY]
#   VPDND_BUILD_DIR (default build) holds vpdnd and vpdn-dial. Bounded (timeout), cleans up.
#   TUN=1: vpdn-dial --tun (session addresses on a TUN in user, as tests/e2e/e2e.sh many).
# Derived from tests/e2e/e2e.sh (the "many" scenario); namespaces are named vsr-*.
set -uo pipefail
{
count=${1:-1000} rate=${2:-5000} conc=${3:-500}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VPDND_BUILD_DIR:-$repo/build}
vpdnd=$build/vpdnd dial=$build/vpdn-dial
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip expect timeout; do command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
[ -x "$vpdnd" ] && [ -x "$dial" ] || { echo "SKIP: build $vpdnd and $dial first"; exit 77; }
tag=$$
ns_user=vsr-user-$tag ns_lac=vsr-lac-$tag ns_lns=vsr-lns-$tag
work=$(mktemp -d /tmp/vsr.XXXXXX)
pids=()
telnet_port=24023
cleanup() {
  local p n
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for n in $ns_user $ns_lac $ns_lns; do
    ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  [ "${KEEP:-0}" = 1 ] && echo "work dir kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
for n in $ns_user $ns_lac $ns_lns; do ip netns add "$n" && in_ns "$n" ip link set lo up || exit 1; done
veth() {
  ip link add "vsr$tag-a" type veth peer name "vsr$tag-b" || exit 1
  ip link set "vsr$tag-a" netns "$1" && ip link set "vsr$tag-b" netns "$3"
  in_ns "$1" ip link set "vsr$tag-a" name "$2" && in_ns "$3" ip link set "vsr$tag-b" name "$4"
  in_ns "$1" ip link set "$2" up && in_ns "$3" ip link set "$4" up
}
veth "$ns_user" eth0 "$ns_lac" eth1
veth "$ns_lac" eth2 "$ns_lns" eth1
in_ns "$ns_lac" ip addr add 10.241.1.1/24 dev eth2
in_ns "$ns_lns" ip addr add 10.241.1.2/24 dev eth1
users() { for i in $(seq 1 "$count"); do printf 'local-user u%d@corp.com\n password simple pw\n service-type ppp\n' "$i"; done; }
cat >"$work/lac.cfg" <<CFG
sysname LAC
l2tp enable
domain corp.com
 authentication ppp local
interface virtual-template 1
 ppp authentication-mode chap
l2tp-group 1
 tunnel name LAC
 tunnel authentication
 tunnel password simple aabbcc
 start l2tp ip 10.241.1.2 domain corp.com
interface eth1
 pppoe-server bind virtual-template 1
user-interface vty 0 4
 authentication-mode none
$(users)
CFG
cat >"$work/lns.cfg" <<CFG
sysname LNS
l2tp enable
ip pool 1 192.168.0.10 192.168.15.250
interface virtual-template 1
 ip address 192.168.0.1 255.255.240.0
 ppp authentication-mode chap domain corp.com
 remote address pool 1
domain corp.com
 authentication ppp local
l2tp-group 1
 tunnel name LNS
 tunnel authentication
 tunnel password simple aabbcc
 allow l2tp virtual-template 1 remote LAC
user-interface vty 0 4
 authentication-mode none
$(users)
CFG
in_ns "$ns_lns" "$vpdnd" --no-console --telnet-port $telnet_port --telnet-bind 127.0.0.1 \
  --config "$work/lns.cfg" >"$work/lns.log" 2>&1 &
pids+=($!)
in_ns "$ns_lac" "$vpdnd" --no-console --telnet-port $telnet_port --telnet-bind 127.0.0.1 \
  --config "$work/lac.cfg" >"$work/lac.log" 2>&1 &
pids+=($!)
port_open() { in_ns "$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$telnet_port" 2>/dev/null; }
for n in $ns_lns $ns_lac; do
  for _ in $(seq 1 100); do port_open "$n" && break; sleep 0.2; done
  port_open "$n" || { echo "FAIL: $n telnet not listening"; tail "$work"/*.log; exit 1; }
done
tun=()
[ "${TUN:-0}" = 1 ] && tun=(--tun)
echo "== dial count=$count rate=$rate concurrency=$conc ${tun[*]}"
in_ns "$ns_user" timeout 120 "$dial" --pppoe eth0 --user 'u{n}@corp.com' --password pw --count "$count" \
  --rate "$rate" --concurrency "$conc" --hold 2 --timeout 30 --quiet "${tun[@]}" >"$work/dial.log" 2>&1
rc=$?
tail -n 3 "$work/dial.log"
for n in $ns_lac $ns_lns; do
  echo "---- $n: display l2tp statistics"
  in_ns "$n" timeout 20 expect -f "$repo/tests/e2e/cli.exp" 127.0.0.1 "$telnet_port" \
    "display l2tp statistics" 2>&1 | tr -d '\r' | grep -v '^$' | tail -n 30
done
exit $rc
}
