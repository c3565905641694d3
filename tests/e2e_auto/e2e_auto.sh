#!/usr/bin/env bash
# End-to-end l2tp-auto-client: the box itself dials an LNS.
#
#   cli (vpdnd, l2tp-auto-client) ──veth 10.241.1.0/24── lns (vpdnd, client-initiated LNS)
#
# The LNS is configured like startup-config/default.cfg (client-initiated, no tunnel
# authentication, a local PPP user); the client box has `interface virtual-template 1` with
# `l2tp-auto-client l2tp-group 1` and `ppp chap user/password`. Checks: vt1 on the client
# gets the LNS pool address, the client pings the LNS's template address through the
# tunnel, both boxes list the session, `undo l2tp-auto-client` removes the address and the
# LNS session (CDN), configuring it again dials again, a tunnel reset by the LNS is
# redialled after the back-off, `undo l2tp enable` on the client tears it down.
#
# Exit: 0 pass, 1 fail, 77 skipped (not root, tool or binary missing).
# Env: VPDND_BUILD_DIR (default <repo>/build), E2E_KEEP=1 keeps the work dir.
# Namespaces are named vac-<role>-<pid> and removed on exit, whatever happens.
set -uo pipefail
# One { ... } block: bash parses all of it before running it (see tests/e2e/e2e.sh).
{

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dial=""  # both ends are vpdnd

l2tp_port=26501  # the client's `l2tp listen-port`; the LNS listens on 1701 in its own
                 # namespace (a LAC always dials the LNS's port 1701)
source "$repo/tests/e2e/lib.sh"
e2e_init vac 26523 cli lns
e2e_begin ip expect telnet ping timeout

step "topology"
two_boxes "$ns_cli" 10.241.1.2/24 "$ns_lns" 10.241.1.1/24

client_lns_cfg 192.168.241 chap box1 box1pw >"$work/lns.cfg"
cat >"$work/cli.cfg" <<CFG
sysname BOX
l2tp enable
l2tp listen-port $l2tp_port
l2tp-group 1
 tunnel name BOX
 undo tunnel authentication
 start l2tp ip 10.241.1.1 fullusername box1
interface virtual-template 1
 ppp chap user box1
 ppp chap password simple box1pw
 l2tp-auto-client l2tp-group 1
$(cli_vty)
CFG

step "start vpdnd LNS and auto client"
start_box "$ns_lns" lns
start_box "$ns_cli" cli
wait_for 10 port_open "$ns_lns" || fail "LNS telnet not listening"
wait_for 10 port_open "$ns_cli" || fail "client telnet not listening"

step "auto client comes up"
vt1_addr() { in_ns "$ns_cli" ip -4 -o addr show dev vt1 2>/dev/null | grep -q "inet 192.168.241.[0-9]*/32"; }
wait_for 30 vt1_addr || fail "vt1 on the client has no address from the LNS pool: $(in_ns "$ns_cli" ip -4 addr show dev vt1 2>&1)"
addr=$(in_ns "$ns_cli" ip -4 -o addr show dev vt1 | sed -n 's/.*inet \([0-9.]*\)\/32.*/\1/p' | head -1)
echo "client vt1 address $addr"
in_ns "$ns_cli" ip route show dev vt1 | grep -q "192.168.241.1 " || fail "no route to the LNS side on vt1: $(in_ns "$ns_cli" ip route)"

step "ping the LNS template address through the tunnel"
in_ns "$ns_cli" ping -c 3 -W 2 -I "$addr" 192.168.241.1 >"$work/ping.txt" 2>&1 || fail "ping: $(cat "$work/ping.txt")"
grep -q " 0% packet loss" "$work/ping.txt" || fail "ping lost packets: $(cat "$work/ping.txt")"

step "display l2tp session on both boxes"
cli "$ns_cli" "display l2tp session" >"$work/cli-display.txt" 2>&1 || fail "client display: $(cat "$work/cli-display.txt")"
tr -d '\r' <"$work/cli-display.txt" | grep -q "Total session = 1" || fail "client display: $(cat "$work/cli-display.txt")"
tr -d '\r' <"$work/cli-display.txt" | grep -q "box1" || fail "client display has no user: $(cat "$work/cli-display.txt")"
cli "$ns_lns" "display l2tp session" >"$work/lns-display.txt" 2>&1 || fail "LNS display: $(cat "$work/lns-display.txt")"
tr -d '\r' <"$work/lns-display.txt" | grep -q "Total session = 1" || fail "LNS display: $(cat "$work/lns-display.txt")"
tr -d '\r' <"$work/lns-display.txt" | grep -q "$addr" || fail "LNS display has no $addr: $(cat "$work/lns-display.txt")"

step "undo l2tp-auto-client tears it down"
cli "$ns_cli" "system-view" "interface virtual-template 1" "undo l2tp-auto-client" "return" >"$work/undo.txt" 2>&1 \
  || fail "undo: $(cat "$work/undo.txt")"
no_lns_session() { cli "$ns_lns" "display l2tp session" 2>/dev/null | tr -d '\r' | grep -q "Total session = 0"; }
wait_for 15 no_lns_session || fail "LNS still lists the session: $(cli "$ns_lns" "display l2tp session")"
vt1_gone() { ! in_ns "$ns_cli" ip -4 -o addr show dev vt1 2>/dev/null | grep -q "inet 192.168.241"; }
wait_for 5 vt1_gone || fail "client still has the address: $(in_ns "$ns_cli" ip -4 addr)"

step "configured again: dials again"
cli "$ns_cli" "system-view" "interface virtual-template 1" "l2tp-auto-client l2tp-group 1" "return" >"$work/redo.txt" 2>&1 \
  || fail "redo: $(cat "$work/redo.txt")"
wait_for 30 vt1_addr || fail "no address after configuring l2tp-auto-client again"

step "the LNS resets the tunnel: the client retries (5 s) and comes back"
cli "$ns_lns" "reset l2tp tunnel name BOX" >"$work/reset.txt" 2>&1 || fail "reset: $(cat "$work/reset.txt")"
wait_for 5 vt1_gone || fail "client kept the address after the LNS reset the tunnel"
start=$SECONDS
wait_for 30 vt1_addr || fail "client did not dial again after the reset"
echo "back up after $((SECONDS - start)) s"
[ $((SECONDS - start)) -ge 3 ] || fail "redialled without back-off"
in_ns "$ns_cli" ping -c 2 -W 2 192.168.241.1 >"$work/ping2.txt" 2>&1 || fail "ping after redial: $(cat "$work/ping2.txt")"

step "undo l2tp enable on the client tears it down"
cli "$ns_cli" "system-view" "undo l2tp enable" "return" >"$work/undo-enable.txt" 2>&1 \
  || fail "undo l2tp enable: $(cat "$work/undo-enable.txt")"
wait_for 15 no_lns_session || fail "LNS still lists the session after undo l2tp enable: $(cli "$ns_lns" "display l2tp session")"
wait_for 5 vt1_gone || fail "client still has the address after undo l2tp enable"
echo "PASS"
exit 0
}
