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
source "$repo/tests/e2e/lib.sh"
e2e_init vsr 24023 user lac lns
e2e_begin ip expect timeout
make_namespaces
veth "$ns_user" eth0 "$ns_lac" eth1
veth "$ns_lac" eth2 "$ns_lns" eth1
in_ns "$ns_lac" ip addr add 10.241.1.1/24 dev eth2
in_ns "$ns_lns" ip addr add 10.241.1.2/24 dev eth1
{
  pppoe_lac_cfg 10.241.1.2
  local_users "$count"
} >"$work/lac.cfg"
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
$(cli_vty)
$(local_users "$count")
CFG
start_box "$ns_lns" lns
start_box "$ns_lac" lac
for n in $ns_lns $ns_lac; do wait_for 20 port_open "$n" || fail "$n telnet not listening"; done
tun=()
[ "${TUN:-0}" = 1 ] && tun=(--tun)
echo "== dial count=$count rate=$rate concurrency=$conc ${tun[*]}"
in_ns "$ns_user" timeout 120 "$dial" --pppoe eth0 --user 'u{n}@corp.com' --password pw --count "$count" \
  --rate "$rate" --concurrency "$conc" --hold 2 --timeout 30 --quiet "${tun[@]}" >"$work/dial.log" 2>&1
rc=$?
tail -n 3 "$work/dial.log"
for n in $ns_lac $ns_lns; do
  echo "---- $n: display l2tp statistics"
  cli "$n" "display l2tp statistics" 2>&1 | tr -d '\r' | grep -v '^$' | tail -n 30
done
exit $rc
}
