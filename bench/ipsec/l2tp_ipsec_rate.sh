#!/usr/bin/env bash
# L2TP/IPsec client setup against a vpdnd LNS, in a kernel with ESP/L2TP/PPP:
#
#   scripts/vm-run --timeout 1800 -- bench/ipsec/l2tp_ipsec_rate.sh [CLIENTS]
#
# CLIENTS (default 6) Windows-like clients (tests/vm/l2tp_ipsec_client.sh: charon IKEv1
# main mode PSK + ESP transport, xl2tpd, pppd MS-CHAP v2), each in its own namespace on a
# bridge in the LNS's, dial at once; then, in the same run, the same clients dial plain
# L2TP after `undo ipsec apply policy`. Prints each client's setup time (IKE up, and
# start to ppp0 address) and how many clients per second the LNS brought up each way.
# Env: VPDND_BUILD_DIR, E2E_TIME_SCALE (waits x N), E2E_KEEP=1.
set -uo pipefail
{
n=${1:-6}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VPDND_BUILD_DIR:-$repo/build}
vpdnd=$build/vpdnd
client=$repo/tests/vm/l2tp_ipsec_client.sh
tag=$$
ns_l=vib-l-$tag
namespaces=("$ns_l")
for i in $(seq 1 "$n"); do namespaces+=("vib-c$i-$tag"); done
work=$(mktemp -d /tmp/vib-ipsec.XXXXXX)
chmod 755 "$work"
telnet_port=24223
veth_prefix=vib$tag
dial=""  # the clients are xl2tpd and pppd
source "$repo/tests/e2e/lib.sh"
source "$repo/tests/vm/ipsec_lib.sh"
e2e_begin ip expect telnet unshare xl2tpd pppd swanctl
warm_crypto 2>/dev/null || skip "this kernel has no ESP (run it in scripts/vm-run)"
psk=Bench-Psk

make_namespaces
in_ns "$ns_l" ip link add br0 type bridge
in_ns "$ns_l" ip addr add 10.242.0.1/16 dev br0
in_ns "$ns_l" ip link set br0 up
for i in $(seq 1 "$n"); do
  c=vib-c$i-$tag
  ip link add "vib$tag-$i" type veth peer name "vib$tag-$i-l"
  ip link set "vib$tag-$i" netns "$c"
  ip link set "vib$tag-$i-l" netns "$ns_l"
  in_ns "$c" ip link set "vib$tag-$i" name eth0
  in_ns "$c" ip addr add "10.242.1.$i/16" dev eth0
  in_ns "$c" ip link set eth0 up
  in_ns "$ns_l" ip link set "vib$tag-$i-l" master br0 up
done

cat >"$work/lns.cfg" <<EOF
sysname LNS
l2tp enable
ip pool 1 192.168.251.10 192.168.251.250
interface virtual-template 1
 ip address 192.168.251.1 255.255.255.0
 ppp authentication-mode ms-chap-v2
 remote address pool 1
domain corp.com
 authentication ppp local
local-user alice@corp.com
 password simple alicepw
 service-type ppp
l2tp-group 1
 tunnel name LNS
 undo tunnel authentication
 allow l2tp virtual-template 1
$(ipsec_dialin_cfg "$psk" br0)
user-interface vty 0 4
 authentication-mode none
EOF
mkdir -p "$work/l"
start_ipsec_box "$ns_l" l "$work/lns.cfg"
wait_for 60 port_open "$ns_l" || fail "LNS telnet not listening"
wait_for 60 test -S "$work/l/ipsec/charon.vici" || fail "the LNS's charon did not start"
wait_for 60 grep -q "event=ipsec-loaded" "$work/l.log" || fail "the LNS's charon has no configuration"
sessions() { cli "$ns_l" "display l2tp session" 2>/dev/null | tr -d '\r' | sed -n 's/.*Total session = \([0-9]*\).*/\1/p' | head -1; }

# round NAME [PSK...]: every client dials at once; waits for all ppp0 addresses.
round() {
  local name=$1 i start end up
  shift
  local cpids=()
  start=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    rm -rf "$work/$name-$i"
    ip netns exec "vib-c$i-$tag" "$client" "$work/$name-$i" 10.242.0.1 alice@corp.com alicepw "$@" \
      >/dev/null 2>&1 &
    cpids+=($!)
    pids+=($!)
  done
  all_up() { [ "$(cat "$work/$name"-*/events 2>/dev/null | grep -c '^ppp-up')" -ge "$n" ]; }
  wait_for 600 all_up || fail "$name: $(cat "$work/$name"-*/events 2>/dev/null | grep -c '^ppp-up') of $n clients up"
  end=$(date +%s.%N)
  up=$(sessions)
  for i in "${cpids[@]}"; do kill -TERM "$i" 2>/dev/null; done
  for i in "${cpids[@]}"; do wait "$i" 2>/dev/null; done
  no_sessions() { [ "$(sessions)" = 0 ]; }
  wait_for 60 no_sessions || fail "$name: sessions left after the hang-up"
  cat "$work/$name"-*/events | awk -v name="$name" -v n="$n" -v t="$(echo "$end $start" | awk '{print $1 - $2}')" -v up="$up" '
    $1 == "ike-up" { ike[++ni] = $2 } $1 == "ppp-up" { ppp[++np] = $2 }
    function sort(a, k,   i, j, x) { for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } }
    END {
      sort(ppp, np); sort(ike, ni)
      if (ni) printf "%s: IKE+ESP up per client: min %.1f s, median %.1f s, max %.1f s\n", name, ike[1], ike[int((ni + 1) / 2)], ike[ni]
      printf "%s: start to ppp0 address per client: min %.1f s, median %.1f s, max %.1f s\n", name, ppp[1], ppp[int((np + 1) / 2)], ppp[np]
      printf "%s: %d clients up (LNS listed %s sessions) in %.1f s: %.2f clients/s\n", name, np, up, t, np / t
    }'
}
echo "bench: $n clients, $(uname -r), $(nproc) CPUs"
round ipsec "$psk" aes128-sha1-modp2048 aes128-sha1
cli "$ns_l" "system-view" "interface br0" "undo ipsec apply policy" "return" >/dev/null 2>&1
sleep 2
round plain
echo "PASS"
exit 0
}
