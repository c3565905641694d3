#!/usr/bin/env bash
# End-to-end MS-CHAP-V2 (RFC 2759) in user space:
#
#   user (vpdn-dial --l2tp --mschapv2 --tun) ──veth 10.243.1.0/24── lns (vpdnd)
#
# The LNS's template has `ppp authentication-mode ms-chap-v2` and a local user. Checks:
# the right password gets an address from the LNS pool (vpdn-dial checked the LNS's
# authenticator response, or it would not come up), pings the LNS's template address, the
# LNS lists the session with MS-CHAP-V2; a wrong password fails with E=691 in the client's
# output, is logged by the LNS, and leaves no session and no address behind.
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, tool or binary missing).
# Env: VPDND_BUILD_DIR (default <repo>/build), E2E_KEEP=1 keeps the work dir.
# Namespaces are named vms-<role>-<pid> and removed on exit, whatever happens.
set -uo pipefail
{

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

source "$repo/tests/e2e/lib.sh"
e2e_init vms 26623 user lns
e2e_begin ip expect telnet ping timeout

step "topology"
two_boxes "$ns_user" 10.243.1.2/24 "$ns_lns" 10.243.1.1/24

client_lns_cfg 192.168.243 ms-chap-v2 alice alicepw >"$work/lns.cfg"

step "start vpdnd LNS"
start_box "$ns_lns" lns
wait_for 10 port_open "$ns_lns" || fail "LNS telnet not listening"
cli "$ns_lns" "display current-configuration" | tr -d '\r' | grep -q "ppp authentication-mode ms-chap-v2" \
  || fail "display current-configuration lacks the MS-CHAP-V2 mode"

tun_addrs() {
  in_ns "$ns_user" ip -o -4 addr show | awk '$2 != "lo" && $2 != "eth0" {print $2, $4}'
}

step "dial with MS-CHAP-V2 and the right password"
ip netns exec "$ns_user" "$dial" --l2tp 10.243.1.1 --hostname LAC --user alice --password alicepw \
  --mschapv2 --hold -1 --tun >"$work/dial.log" 2>&1 &
dial_pid=$!
pids+=($dial_pid)
have_session() { [ "$(tun_addrs | wc -l)" -ge 1 ]; }
wait_for 30 have_session || fail "no session address on a TUN: $(cat "$work/dial.log")"
dev=$(tun_addrs | head -n1 | awk '{print $1}')
addr=$(tun_addrs | head -n1 | awk '{print $2}' | cut -d/ -f1)
case $addr in 192.168.243.*) ;; *) fail "address $addr is not from the LNS pool";; esac
lns_route() { in_ns "$ns_lns" ip route show | grep -q "^$addr dev"; }
wait_for 15 lns_route || fail "LNS installed no route to $addr"

step "ping the LNS through the session"
in_ns "$ns_user" ip route replace 192.168.243.1/32 dev "$dev" src "$addr"
in_ns "$ns_user" ping -c 3 -W 2 -I "$addr" 192.168.243.1 >"$work/ping.txt" 2>&1 || fail "ping: $(cat "$work/ping.txt")"
grep -q " 0% packet loss" "$work/ping.txt" || fail "ping lost packets: $(cat "$work/ping.txt")"

step "the LNS lists the user"
cli "$ns_lns" "display l2tp session" >"$work/display.txt" 2>&1
tr -d '\r' <"$work/display.txt" | grep -q "alice" || fail "display l2tp session: $(cat "$work/display.txt")"

step "hang up"
kill -TERM "$dial_pid" 2>/dev/null
wait "$dial_pid" 2>/dev/null
no_lns_session() { cli "$ns_lns" "display l2tp session" 2>/dev/null | tr -d '\r' | grep -q "Total session = 0"; }
wait_for 15 no_lns_session || fail "LNS still lists the session after the hang-up"

step "dial with a wrong password: E=691, nothing left behind"
ip netns exec "$ns_user" timeout 30 "$dial" --l2tp 10.243.1.1 --hostname LAC --user alice \
  --password wrong --mschapv2 --hold 0 --timeout 15 --tun >"$work/dial-wrong.log" 2>&1
rc=$?
[ $rc -ne 0 ] || fail "vpdn-dial succeeded with a wrong password: $(cat "$work/dial-wrong.log")"
grep -q "E=691" "$work/dial-wrong.log" || fail "no E=691 in the client's output: $(cat "$work/dial-wrong.log")"
grep "E=691" "$work/dial-wrong.log" | head -n1
wait_for 15 no_lns_session || fail "LNS kept a session after the failed authentication"
[ "$(tun_addrs | wc -l)" -eq 0 ] || fail "an address was left on a TUN: $(tun_addrs)"
grep -q "MS-CHAP-V2 authentication failed for user alice" "$work/lns.log" \
  || fail "LNS did not log the failure with the user name: $(tail -n 20 "$work/lns.log")"
echo "PASS"
exit 0
}
