#!/usr/bin/env bash
# End-to-end VPDN through real Linux interfaces.
#
#   user ──veth(PPPoE)── lac ──veth 10.240.1.0/24── lns ──veth 10.240.2.0/24── corp
#     └───────────────veth 10.240.3.0/24 (client-initiated only)──────┘
#
# user runs vpdn-dial (--pppoe eth0 or --l2tp 10.240.3.1) with --tun; lac and lns run
# build/vpdnd with configs written here; corp is a plain address (10.240.2.2) routed back via
# the LNS. The test pings corp from user, reads `display l2tp session` on the boxes over
# telnet, hangs up, and checks that nothing is left behind (routes, sessions, leases).
#
# Usage: e2e.sh SCENARIO    SCENARIO: nas | nas-mandatory-chap | nas-radius | client | many |
#                                     reset-lns | reset-lac | stop-lns | undo-enable |
#                                     cut-lns | cut-lac | reset-session-lns |
#                                     reset-session-lac | undo-vt | reset-pppoe | shutdown-vt |
#                                     flow-control (both l2tp-groups: data sequence numbers)
# Exit: 0 pass, 1 fail, 77 skipped (not root, tool or binary missing).
# Env: VPDND_BUILD_DIR (default <repo>/build), E2E_KEEP=1 keeps the work dir,
#      E2E_DATA_PLANE=auto|user-space|kernel: the LNS's --data-plane (default: vpdnd's). With
#      kernel, each session must be in a pppN on the LNS, the pings must cross it (its
#      counters), and no pppN, kernel L2TP tunnel or descriptor may outlive the calls; the
#      host needs the l2tp/ppp modules (tests/vm runs this in a VM that has them).
#      E2E_LAC_DATA_PLANE=kernel: the LAC's --data-plane; each user's PPPoE session must be
#      bridged to its L2TP session in the LAC's kernel (PPPoE and L2TP sessions there), the
#      pings must not cross the LAC's user-space switch, and nothing may outlive the calls.
# Every namespace is named vit-<role>-<pid> and removed on exit, whatever happens.
set -uo pipefail
# The whole script is one { ... } block, so bash parses all of it before running any of it.
# Bash otherwise reads a script as it goes: a run that overlaps an edit of this file (a
# save, a git checkout, a commit of the working tree in a shared checkout) resumes at a
# byte offset in the NEW text and fails in odd ways ("$2: unbound variable", a syntax
# error mid-word) a few seconds in. That is how reset-lac and stop-lns failed in a full
# ctest run while the undo-enable scenario was being added, and why they passed alone.
{

scenario=${1:-nas}
here=$(cd "$(dirname "$0")" && pwd)

source "$here/lib.sh"
e2e_init vit 24023 user lac lns corp
e2e_begin ip expect telnet ping timeout
if [ "$scenario" = nas-radius ]; then
  command -v freeradius >/dev/null || skip "freeradius not installed"
fi
data_plane=${E2E_DATA_PLANE:-}
lns_args=()
[ -n "$data_plane" ] && lns_args=(--data-plane "$data_plane")
kernel=0
[ "$data_plane" = kernel ] && kernel=1
lac_kernel=0
lac_args=()
[ "${E2E_LAC_DATA_PLANE:-}" = kernel ] && lac_kernel=1 lac_args=(--data-plane kernel)
# The LAC's kernel: PPPoE sessions (the pppoe module's table), L2TP sessions and tunnels;
# and the frames its user-space switch passed (display l2tp statistics).
lac_pppoe() { in_ns "$ns_lac" sh -c 'tail -n +2 /proc/net/pppoe 2>/dev/null' | grep -c .; }
lac_kernel_sessions() { in_ns "$ns_lac" ip l2tp show session | grep -c '^Session'; }
lac_kernel_tunnels() { in_ns "$ns_lac" ip l2tp show tunnel | grep -c '^Tunnel'; }
lac_switched() {  # frames the LAC's user-space switch passed, both ways
  cli "$ns_lac" "display l2tp statistics" 2>/dev/null | tr -d '\r' |
    sed -n 's/.*switched in user space: \([0-9]*\) to L2TP, \([0-9]*\) to users.*/\1 \2/p' |
    awk '{print $1 + $2}'
}
lac_kernel_empty() { [ "$(lac_pppoe)" -eq 0 ] && [ "$(lac_kernel_sessions)" -eq 0 ] && [ "$(lac_kernel_tunnels)" -eq 0 ]; }
check_lac_kernel_empty() {
  [ $lac_kernel = 1 ] || return 0
  wait_for 15 lac_kernel_empty || fail "LAC kernel state outlived the calls: $(lac_pppoe) PPPoE, $(lac_kernel_sessions) L2TP session(s), $(lac_kernel_tunnels) tunnel(s)"
  echo "LAC kernel: no PPPoE or L2TP session, no tunnel left"
}
# What the LNS holds in its namespace's kernel: pppN links, L2TP tunnels and sessions, and
# the pppN counters (summed over every pppN).
ppp_links() { in_ns "$ns_lns" ip -o link show type ppp | grep -c ': ppp'; }
kernel_tunnels() { in_ns "$ns_lns" ip l2tp show tunnel | grep -c '^Tunnel'; }
kernel_sessions() { in_ns "$ns_lns" ip l2tp show session | grep -c '^Session'; }
ppp_counter() {  # ppp_counter rx_packets|tx_packets
  in_ns "$ns_lns" sh -c "cat /sys/class/net/ppp*/statistics/$1 2>/dev/null" | awk '{s += $1} END {print s + 0}'
}
# The LNS's descriptors (and what each is), leaving out the sockets a box opens with its
# first call and keeps: netlink (the kernel data plane's genetlink and rtnetlink sockets)
# and unconnected UDP (the RADIUS client's). A call's own (/dev/ppp, its PPPoL2TP socket,
# a kernel tunnel's connected UDP socket, a telnet session) all count.
kept_inodes() {
  {
    awk 'NR > 1 {print $NF}' "/proc/$lns_pid/net/netlink"
    awk 'NR > 1 && $3 == "00000000:0000" {print $10}' "/proc/$lns_pid/net/udp"
  } 2>/dev/null | awk '{printf " %s", $1} END {print " "}'
}
fd_list() {  # "FD TARGET" lines
  ls -l "/proc/$lns_pid/fd" 2>/dev/null | awk -v kept="$(kept_inodes)" '/ -> / {
    t = $NF; i = t; gsub(/[^0-9]/, "", i)
    if (t ~ /^socket:/ && index(kept, " " i " ")) next
    print $(NF - 2), t }'
}
lns_fds() { fd_list | wc -l; }
# Settled: the same count twice a second apart (a telnet session that just closed is gone).
lns_fds_settled() { local a; a=$(lns_fds); sleep 1; [ "$(lns_fds)" = "$a" ]; }
kernel_empty() { [ "$(ppp_links)" -eq 0 ] && [ "$(kernel_tunnels)" -eq 0 ] && [ "$(kernel_sessions)" -eq 0 ]; }
# After the calls: nothing of theirs left in the LNS's kernel.
check_kernel_empty() {
  [ $kernel = 1 ] || return 0
  wait_for 15 kernel_empty || fail "LNS kernel state outlived the calls: $(ppp_links) pppN, $(kernel_tunnels) tunnel(s), $(kernel_sessions) session(s): $(in_ns "$ns_lns" ip -o link show type ppp; in_ns "$ns_lns" ip l2tp show tunnel)"
  echo "kernel: no pppN, no L2TP tunnel or session left on the LNS"
  if [ "$scenario" != stop-lns ]; then
    cli "$ns_lns" "display l2tp statistics" >"$work/lns-statistics.txt" 2>&1
    grep -q "Data plane backend: kernel.* 0 sessions and 0 tunnels in the kernel" "$work/lns-statistics.txt" \
      || fail "LNS statistics: $(grep "Data plane" "$work/lns-statistics.txt")"
    grep -q "teardown errors" "$work/lns-statistics.txt" \
      && fail "LNS kernel teardown failed: $(grep "Data plane" "$work/lns-statistics.txt")"
  fi
  return 0
}

# On failure the boxes' own counters say where a packet or a call was dropped (best effort:
# a box may be gone already, so each is bounded and may print nothing).
fail_context() {
  local n
  for n in $ns_lns $ns_lac; do
    ip netns pids "$n" >/dev/null 2>&1 || continue
    echo "---- $n: display l2tp statistics / session"
    ip netns exec "$n" timeout $((10 * time_scale)) expect -f "$here/cli.exp" 127.0.0.1 "$telnet_port" \
      "display l2tp statistics" "display l2tp session" 2>&1 | tr -d '\r' | grep -v '^$' | tail -n 40
  done
}

# ---- topology ------------------------------------------------------------------------
step "topology"
make_namespaces
veth "$ns_user" eth0 "$ns_lac" eth1
veth "$ns_lac" eth2 "$ns_lns" eth1
veth "$ns_lns" eth2 "$ns_corp" eth0
veth "$ns_user" eth1 "$ns_lns" eth3
in_ns "$ns_lac" ip addr add 10.240.1.1/24 dev eth2
in_ns "$ns_lns" ip addr add 10.240.1.2/24 dev eth1
in_ns "$ns_lns" ip addr add 10.240.2.1/24 dev eth2
in_ns "$ns_lns" ip addr add 10.240.3.1/24 dev eth3
in_ns "$ns_user" ip addr add 10.240.3.2/24 dev eth1
in_ns "$ns_corp" ip addr add 10.240.2.2/24 dev eth0
in_ns "$ns_corp" ip route add default via 10.240.2.1
in_ns "$ns_lns" sysctl -qw net.ipv4.ip_forward=1

# ---- configs -------------------------------------------------------------------------
case $scenario in
  nas | nas-mandatory-chap | nas-radius | client | many | reset-lns | reset-lac | stop-lns | undo-enable | \
    cut-lns | cut-lac | reset-session-lns | reset-session-lac | undo-vt | reset-pppoe | shutdown-vt | \
    flow-control) ;;
  *) echo "unknown scenario $scenario"; exit 2 ;;
esac
mandatory=""
[ "$scenario" = nas-mandatory-chap ] && mandatory=" mandatory-chap"
# flow-control: Ns/Nr on data both ways (with the kernel data plane, the kernel numbers the
# LNS's from the move on: the LAC drops data out of sequence, so the pings show it lines up).
flow=""
[ "$scenario" = flow-control ] && flow=" tunnel flow-control"
count=1
# many: E2E_COUNT users (default 200) dialled at E2E_RATE per second (default 100).
[ "$scenario" = many ] && count=${E2E_COUNT:-200}

# many: one local user per emulated user (u1..u200@corp.com), on both boxes.
many_users=""
[ "$scenario" = many ] && many_users=$(local_users "$count")
{
  pppoe_lac_cfg 10.240.1.2 "$flow"
  local_user alice@corp.com alicepw
  echo "$many_users"
} >"$work/lac.cfg"

lns_auth=" authentication ppp local"
radius_block=""
if [ "$scenario" = nas-radius ]; then
  lns_auth=" authentication ppp radius-scheme r1
 accounting ppp radius-scheme r1"
  radius_block="radius scheme r1
 primary authentication 127.0.0.1 24812
 primary accounting 127.0.0.1 24813
 key authentication simple testing123
 key accounting simple testing123
 user-name-format with-domain"
fi
allow=" allow l2tp virtual-template 1 remote LAC"
tunnel_auth=" tunnel authentication"
if [ "$scenario" = client ]; then
  allow=" allow l2tp virtual-template 1"
  tunnel_auth=" undo tunnel authentication"
fi
cat >"$work/lns.cfg" <<EOF
sysname LNS
l2tp enable
ip pool 1 192.168.240.10 192.168.243.250
$radius_block
interface virtual-template 1
 ip address 192.168.240.1 255.255.252.0
 ppp authentication-mode chap domain corp.com
 remote address pool 1
domain corp.com
$lns_auth
$(local_user alice@corp.com alicepw)
l2tp-group 1
 tunnel name LNS
$tunnel_auth
 tunnel password simple aabbcc
$allow
$mandatory
$flow
$(cli_vty)
$many_users
EOF

# ---- FreeRADIUS on the LNS's loopback -------------------------------------------------
if [ "$scenario" = nas-radius ]; then
  step "freeradius"
  raddb=$work/raddb
  mkdir -p "$raddb"/{log,run,acct}
  source "$here/freeradius.sh"
  {
    freeradius_conf_head "$raddb" "$raddb/acct"
    cat <<EOF
modules {
 pap {
  normalise = yes
 }
 chap {
 }
 files {
  filename = \${confdir}/users
 }
 detail {
  filename = \${confdir}/acct-detail
  permissions = 0600
  header = "%t"
 }
}
server default {
 listen {
  type = auth
  ipaddr = 127.0.0.1
  port = 24812
 }
 listen {
  type = acct
  ipaddr = 127.0.0.1
  port = 24813
 }
 authorize {
  chap
  files
  pap
 }
 authenticate {
  Auth-Type PAP {
   pap
  }
  Auth-Type CHAP {
   chap
  }
 }
 preacct {
 }
 accounting {
  detail
 }
$(freeradius_post_auth)
}
EOF
  } >"$raddb/radiusd.conf"
  cat >"$raddb/users" <<EOF
alice@corp.com Cleartext-Password := "alicepw"
	Framed-IP-Address = 192.168.240.77
EOF
  start_freeradius "$ns_lns" "$raddb" "$work/radius.log"
fi

# ---- boxes ---------------------------------------------------------------------------
step "start vpdnd LNS and LAC"
ulimit -S -n 1024 2>/dev/null || true  # the usual default, which vpdnd must raise
# No SSH server (--ssh-port 0): these boxes are driven over telnet, and an SSH server still
# creating its host keys when the LNS's descriptors are first counted (seconds in a VM)
# would be taken for descriptors a call left behind.
start_box "$ns_lns" lns --ssh-port 0 "${lns_args[@]}"
lns_pid=$box_pid
boxes=($lns_pid)
if [ "$scenario" != client ]; then
  start_box "$ns_lac" lac --ssh-port 0 "${lac_args[@]}"
  boxes+=($box_pid)
fi
wait_for 10 port_open "$ns_lns" || fail "LNS telnet not listening"
# vpdnd raises its soft descriptor limit to the hard one (this script starts it at 1,024).
read -r fd_soft fd_hard < <(awk '/^Max open files/ {print $4, $5}' "/proc/$lns_pid/limits")
[ "$fd_soft" = "$fd_hard" ] || fail "LNS descriptor limit: soft $fd_soft, hard $fd_hard"
[ "$scenario" = client ] || wait_for 10 port_open "$ns_lac" || fail "LAC telnet not listening"

# E2E_CAPTURE=1: pcap of the access side and the L2TP side (in the work dir, kept with E2E_KEEP).
# The nas scenario captures (when tshark is there) and checks the wire at the end.
# (Not by default with the kernel data plane: in an emulated guest tshark's start alone
# takes minutes.)
capture=${E2E_CAPTURE:-0}
[ "$scenario" = nas ] && [ $kernel = 0 ] && command -v tshark >/dev/null && capture=1
if [ "$capture" = 1 ] && command -v tshark >/dev/null; then
  ip netns exec "$ns_lac" tshark -q -i eth1 -w "$work/access.pcap" >/dev/null 2>&1 &
  cap_pids=($!)
  pids+=($!)
  ip netns exec "$ns_lns" tshark -q -i eth1 -w "$work/l2tp.pcap" >/dev/null 2>&1 &
  cap_pids+=($!)
  pids+=($!)
  wait_for 10 test -s "$work/access.pcap"
  wait_for 10 test -s "$work/l2tp.pcap"
fi

# ---- the user(s) ----------------------------------------------------------------------
# The LNS's descriptors before any call: every call's must be closed again after it.
wait_for 10 lns_fds_settled
lns_fds_before=$(lns_fds)
fd_list >"$work/lns-fds-before.txt"
step "dial ($scenario, $count user(s))"
if [ "$scenario" = many ]; then
  user_args=(--user 'u{n}@corp.com' --password pw --count $count --rate "${E2E_RATE:-100}"
    --concurrency "${E2E_CONCURRENCY:-$count}")
else
  user_args=(--user alice@corp.com --password alicepw --count 1)
fi
if [ "$scenario" = client ]; then
  access=(--l2tp 10.240.3.1)
else
  access=(--pppoe eth0)
fi
[ "$scenario" = client ] && access+=(--hostname LAC)
ip netns exec "$ns_user" "$dial" "${access[@]}" "${user_args[@]}" --hold -1 --tun \
  --route 10.240.2.0/24 >"$work/dial.log" 2>&1 &
dial_pid=$!
pids+=($dial_pid)

# Packets in and out of every L2TP session the LAC shows (display l2tp session verbose).
lac_session_packets() {
  cli "$ns_lac" "display l2tp session verbose" 2>/dev/null | tr -d '\r' \
    | sed -n 's/.*Packets in\/out: \([0-9]*\)\/\([0-9]*\),.*/\1 \2/p' \
    | awk '{i += $1; o += $2} END {print i + 0, o + 0}'
}

tun_addrs() {  # addresses vpdn-dial put on TUN devices in user
  in_ns "$ns_user" ip -o -4 addr show | awk '$2 != "lo" && $2 != "eth0" && $2 != "eth1" {print $2, $4}'
}
have_sessions() { [ "$(tun_addrs | wc -l)" -ge "$count" ]; }
wait_for 30 have_sessions || fail "no session address on a TUN in user after $((30 * time_scale)) s ($(tun_addrs | wc -l)/$count)"
tun_addrs | head -n 3
first_dev=$(tun_addrs | head -n1 | awk '{print $1}')
first_addr=$(tun_addrs | head -n1 | awk '{print $2}' | cut -d/ -f1)
case $first_addr in 192.168.24[0-3].*) ;; *) fail "address $first_addr is not from the LNS pool";; esac
[ "$scenario" = nas-radius ] && [ "$first_addr" != 192.168.240.77 ] && fail "RADIUS Framed-IP-Address not honoured ($first_addr)"

# ---- traffic -------------------------------------------------------------------------
# The user's IPCP can open before the LNS's (when the user's Configure-Ack to the LNS's
# request is the last IPCP packet), and on a loaded host the LNS may take a while to get
# to it; the LNS installs the host route when its side is up. Wait for that (bounded) so
# every counted ping tests the data path, not the race.
lns_routes() { in_ns "$ns_lns" ip route show | grep -c "^192\.168\.24[0-3]\.[0-9]* dev"; }
lns_has_routes() { [ "$(lns_routes)" -ge "$count" ]; }
wait_for 15 lns_has_routes || fail "LNS has $(lns_routes) of $count session routes 15 s after the user's side was up"
if [ $kernel = 1 ]; then
  # Each session in its own pppN (the route to its address through it), in one kernel tunnel.
  [ "$(ppp_links)" -eq "$count" ] || fail "LNS has $(ppp_links) pppN for $count session(s)"
  [ "$(kernel_sessions)" -eq "$count" ] || fail "LNS kernel has $(kernel_sessions) L2TP session(s) for $count"
  [ "$(kernel_tunnels)" -eq 1 ] || fail "LNS kernel has $(kernel_tunnels) L2TP tunnels, not 1"
  via_ppp=$(in_ns "$ns_lns" ip route show | grep -c "^192\.168\.24[0-3]\.[0-9]* dev ppp")
  [ "$via_ppp" -eq "$count" ] || fail "$via_ppp of $count session routes go through a pppN: $(in_ns "$ns_lns" ip route show)"
  echo "kernel: $count session(s) in pppN, 1 kernel tunnel"
  rx_before=$(ppp_counter rx_packets) tx_before=$(ppp_counter tx_packets)
fi
if [ $lac_kernel = 1 ]; then
  # Each user's PPPoE session bridged to its L2TP session in the LAC's kernel.
  lac_bridged() { [ "$(lac_pppoe)" -eq "$count" ] && [ "$(lac_kernel_sessions)" -eq "$count" ]; }
  wait_for 10 lac_bridged || fail "LAC kernel has $(lac_pppoe) PPPoE and $(lac_kernel_sessions) L2TP session(s) for $count: $(cli "$ns_lac" "display l2tp statistics" | grep -i "data plane")"
  [ "$(lac_kernel_tunnels)" -eq 1 ] || fail "LAC kernel has $(lac_kernel_tunnels) L2TP tunnels, not 1"
  echo "LAC kernel: $count PPPoE session(s) bridged to L2TP, 1 kernel tunnel"
  lac_switched_before=$(lac_switched)
  [ -n "$lac_switched_before" ] || fail "LAC statistics lack the user-space switch counts"
  lac_packets_before=$(lac_session_packets)
fi
step "ping corp from user"
if [ "$scenario" = many ]; then
  # One shell in the namespace for all of them: an `ip netns exec` per ping is most of the
  # time in an emulated guest.
  ok=$(tun_addrs | in_ns "$ns_user" bash -c '
    ok=0
    while read -r dev addr; do
      a=${addr%/*}
      ip route replace 10.240.2.2/32 dev "$dev" src "$a" 2>/dev/null
      ping -c 1 -W "$1" -I "$a" 10.240.2.2 >/dev/null 2>&1 && ok=$((ok + 1))
    done
    echo $ok' - $((2 * time_scale)))
  echo "pinged from $ok of $count sessions"
  [ "$ok" -eq "$count" ] || fail "only $ok of $count sessions reached corp"
else
  in_ns "$ns_user" ip route replace 10.240.2.0/24 dev "$first_dev" src "$first_addr"
  # nas-radius: large echoes, so the accounting Stop's octets show whether the pings were
  # counted (with the kernel data plane, by pppN's counters).
  ping_size=56
  [ "$scenario" = nas-radius ] && ping_size=1000
  in_ns "$ns_user" ping -c 3 -s $ping_size -W $((2 * time_scale)) -I "$first_addr" 10.240.2.2 >"$work/ping.log" 2>&1 \
    || fail "ping from user to corp failed: $(tail -n 3 "$work/ping.log")"
  tail -n 2 "$work/ping.log"
fi
if [ $kernel = 1 ]; then
  # The echo requests came in and the replies went out through the pppN devices.
  pings=3
  [ "$scenario" = many ] && pings=$count
  rx=$(($(ppp_counter rx_packets) - rx_before)) tx=$(($(ppp_counter tx_packets) - tx_before))
  echo "kernel: pppN counters grew by $rx packets in, $tx out"
  [ "$rx" -ge "$pings" ] && [ "$tx" -ge "$pings" ] || fail "pings did not cross pppN ($rx in, $tx out for $pings)"
  if [ "$scenario" = nas-radius ]; then
    # The displays add pppN's counters too (from a dump the first ask starts, read as it
    # comes in): the 3 echo requests of 1028 IP octets show as input.
    va_in_bytes() { cli "$ns_lns" "display virtual-access" 2>/dev/null | tr -d '\r' | awk '/^Input:/ {print $4; exit}'; }
    va_counts_pings() { [ "$(va_in_bytes)" -ge $((3 * 1028)) ] 2>/dev/null; }
    wait_for 10 va_counts_pings || fail "display virtual-access input does not count the pings: $(va_in_bytes) bytes"
    echo "kernel: display virtual-access input $(va_in_bytes) bytes"
  fi
fi

if [ $lac_kernel = 1 ]; then
  lac_switched_after=$(lac_switched)
  echo "LAC: user-space switch passed $((lac_switched_after - lac_switched_before)) frames during the pings"
  [ $((lac_switched_after - lac_switched_before)) -lt 3 ] \
    || fail "the pings crossed the LAC's user-space switch ($lac_switched_before -> $lac_switched_after frames)"
  cli "$ns_lac" "display l2tp statistics" 2>/dev/null | tr -d '\r' | grep -q "LAC: $count calls\? bridged in the kernel" \
    || fail "LAC statistics: $(cli "$ns_lac" "display l2tp statistics" | grep -i "data plane")"
  # The bridged calls' counts come from the kernel sessions (PPPIOCGL2TPSTATS): the pings
  # show in the LAC's session display both ways although none crossed its user space.
  read -r lac_in0 lac_out0 <<<"$lac_packets_before"
  read -r lac_in1 lac_out1 <<<"$(lac_session_packets)"
  pings=3
  [ "$scenario" = many ] && pings=$count
  echo "LAC: display l2tp session counts grew by $((lac_in1 - lac_in0)) packets in, $((lac_out1 - lac_out0)) out"
  [ $((lac_in1 - lac_in0)) -ge $pings ] && [ $((lac_out1 - lac_out0)) -ge $pings ] \
    || fail "LAC session counters do not count the bridged pings ($lac_packets_before -> $lac_in1 $lac_out1)"
fi

# ---- what the boxes show ---------------------------------------------------------------
step "display l2tp session"
cli "$ns_lns" "display l2tp session" "display l2tp tunnel" "display ip pool 1" "display l2tp statistics" \
  "display connection" "display l2tp tunnel verbose" >"$work/lns-display.txt" 2>&1 \
  || fail "LNS CLI: $(cat "$work/lns-display.txt")"
cat "$work/lns-display.txt" | tr -d '\r' | grep -v '^$' | head -n 20
expected_user=alice@corp.com
[ "$scenario" = many ] && expected_user=u1@corp.com
grep -q "$expected_user" "$work/lns-display.txt" || fail "LNS display does not show $expected_user"
grep -q "$first_addr" "$work/lns-display.txt" || fail "LNS display does not show $first_addr"
in_ns "$ns_lns" ip route show | grep "$first_addr" >/dev/null || fail "LNS has no route for $first_addr"
tr -d '\r' <"$work/lns-display.txt" | grep -A1 "Username=$expected_user\$" | grep -q "^IP=192\.168\.24" \
  || fail "LNS display connection does not list $expected_user with its address"
lns_side=10.240.1.2
[ "$scenario" = client ] && lns_side=10.240.3.1
grep -q "Local: $lns_side:1701" "$work/lns-display.txt" \
  || fail "LNS display l2tp tunnel verbose does not show its own address $lns_side: $(grep Local: "$work/lns-display.txt")"
if [ "$scenario" = many ]; then
  # All users share one tunnel (one LAC-LNS pair, one group).
  grep -q "Total tunnel = 1" "$work/lns-display.txt" || fail "LNS has more than one tunnel"
  grep -q "Total session = $count" "$work/lns-display.txt" || fail "LNS does not list $count sessions"
fi
if [ "$scenario" != client ]; then
  cli "$ns_lac" "display l2tp session" "display l2tp tunnel" "display pppoe-server session" "display l2tp statistics" \
    >"$work/lac-display.txt" 2>&1 || fail "LAC CLI: $(cat "$work/lac-display.txt")"
  cat "$work/lac-display.txt" | tr -d '\r' | grep -v '^$' | head -n 20
  grep -q "$expected_user" "$work/lac-display.txt" || fail "LAC display does not show $expected_user"
fi

# ---- teardown: the user hangs up, or an operator resets the tunnel on either box ---------
case $scenario in
  reset-lns)
    step "reset l2tp tunnel on the LNS"
    cli "$ns_lns" "reset l2tp tunnel name LAC" >"$work/reset.txt" 2>&1 || fail "reset: $(cat "$work/reset.txt")"
    ;;
  reset-lac)
    step "reset l2tp tunnel on the LAC"
    cli "$ns_lac" "reset l2tp tunnel name LNS" >"$work/reset.txt" 2>&1 || fail "reset: $(cat "$work/reset.txt")"
    ;;
  cut-lns)
    step "cut connection on the LNS (the operator disconnects the user)"
    cli "$ns_lns" "system-view" "cut connection user-name alice@corp.com" "return" >"$work/cut.txt" 2>&1 \
      || fail "cut: $(cat "$work/cut.txt")"
    grep -q "No connection matched" "$work/cut.txt" && fail "cut matched nothing: $(cat "$work/cut.txt")"
    ;;
  cut-lac)
    step "cut connection on the LAC (the operator disconnects the user)"
    cli "$ns_lac" "display connection" "system-view" "cut connection ip 0.0.0.0" "cut connection domain corp.com" \
      "return" >"$work/cut.txt" 2>&1 || fail "cut: $(cat "$work/cut.txt")"
    tr -d '\r' <"$work/cut.txt" | grep -q "Username=alice@corp.com" || fail "LAC display connection: $(cat "$work/cut.txt")"
    [ "$(grep -c "No connection matched" "$work/cut.txt")" -eq 1 ] \
      || fail "cut by ip 0.0.0.0 must match nothing, by domain must match: $(cat "$work/cut.txt")"
    ;;
  reset-session-lns | reset-session-lac)
    # The first LocalSID under the `display l2tp session` header (the user's session).
    session_id() {
      tr -d '\r' <"$1" | awk '/LocalSID/ {t = 1; next} t && $1 ~ /^[0-9]+$/ {print $1; exit}'
    }
    if [ "$scenario" = reset-session-lns ]; then box=$ns_lns file=$work/lns-display.txt; else
      box=$ns_lac file=$work/lac-display.txt; fi
    sid=$(session_id "$file")
    [ -n "$sid" ] || fail "no session id in $(cat "$file")"
    step "reset l2tp session id $sid on the ${scenario#reset-session-} (the whole call must end, not only L2TP)"
    cli "$box" "reset l2tp session id 65000" "reset l2tp session id $sid" >"$work/reset.txt" 2>&1 \
      || fail "reset: $(cat "$work/reset.txt")"
    [ "$(grep -c "does not exist" "$work/reset.txt")" -eq 1 ] \
      || fail "unknown id 65000 must be refused, $sid accepted: $(cat "$work/reset.txt")"
    ;;
  reset-pppoe)
    step "reset pppoe-server on the LAC (V5: every PPPoE session ends, with its call)"
    cli "$ns_lac" "display pppoe-server session all" "reset pppoe-server virtual-template 1023" \
      "reset pppoe-server all" >"$work/reset.txt" 2>&1 || fail "reset: $(cat "$work/reset.txt")"
    tr -d '\r' <"$work/reset.txt" | grep -q "RemMAC  *LocMAC  *State" \
      || fail "display pppoe-server session all: $(cat "$work/reset.txt")"
    [ "$(grep -c "No PPPoE session matched" "$work/reset.txt")" -eq 1 ] \
      || fail "virtual-template 1023 must match nothing, all must match: $(cat "$work/reset.txt")"
    ;;
  shutdown-vt)
    step "display virtual-access / ip routing-table on the LNS, then shutdown of its template"
    cli "$ns_lns" "display virtual-access" "display ip routing-table" "reset l2tp statistics" \
      "display l2tp statistics" >"$work/va.txt" 2>&1 || fail "LNS CLI: $(cat "$work/va.txt")"
    tr -d '\r' <"$work/va.txt" | grep -q "^User: alice@corp.com, peer address $first_addr\$" \
      || fail "display virtual-access: $(cat "$work/va.txt")"
    tr -d '\r' <"$work/va.txt" | grep -Eq "^$first_addr/32 +Direct 0 +0 +$first_addr +VA[0-9]+\$" \
      || fail "display ip routing-table lacks the user's /32: $(cat "$work/va.txt")"
    tr -d '\r' <"$work/va.txt" | grep -q "^ SCCRQ " && fail "reset l2tp statistics left counters: $(cat "$work/va.txt")"
    step "ip route-static on the LNS: via a next hop and out of the template's device, into the kernel"
    cli "$ns_lns" "system-view" "ip route-static 10.250.0.0 16 10.240.2.2 preference 70" \
      "ip route-static 10.251.0.0 255.255.0.0 Virtual-Template1" "return" >"$work/route.txt" 2>&1 \
      || fail "ip route-static: $(cat "$work/route.txt")"
    in_ns "$ns_lns" ip route show proto static >"$work/kroutes.txt"
    grep -q "^10.250.0.0/16 via 10.240.2.2 dev eth2 metric 70" "$work/kroutes.txt" \
      || fail "next-hop route not in the kernel: $(cat "$work/kroutes.txt")"
    grep -q "^10.251.0.0/16 dev vt1 scope link metric 60" "$work/kroutes.txt" \
      || fail "template route not in the kernel: $(cat "$work/kroutes.txt")"
    cli "$ns_lns" "system-view" "undo ip route-static 10.250.0.0 16" "return" >/dev/null 2>&1
    in_ns "$ns_lns" ip route show proto static | grep -q "^10.250.0.0/16" && fail "undo left the route"
    cli "$ns_lns" "system-view" "interface virtual-template 1" "shutdown" "display interface brief" "return" \
      >"$work/shut.txt" 2>&1 || fail "shutdown: $(cat "$work/shut.txt")"
    tr -d '\r' <"$work/shut.txt" | grep -Eq "^VT1 +ADM +DOWN" || fail "VT1 not ADM: $(cat "$work/shut.txt")"
    ;;
  undo-vt)
    step "undo interface virtual-template 1 on the LNS with the user online"
    cli "$ns_lns" "system-view" "undo interface virtual-template 1" "return" >"$work/undo.txt" 2>&1 \
      || fail "undo interface virtual-template: $(cat "$work/undo.txt")"
    ;;
  undo-enable)
    step "undo l2tp enable on the LNS (a config change at run time)"
    cli "$ns_lns" "system-view" "undo l2tp enable" "return" >"$work/undo.txt" 2>&1 \
      || fail "undo l2tp enable: $(cat "$work/undo.txt")"
    ;;
  stop-lns)
    step "SIGTERM the LNS with the session up"
    stop_box "$lns_pid" "LNS"
    grep -q "vt1" <(in_ns "$ns_lns" ip link show) && fail "LNS left its TUN device behind"
    ;;
  *)
    step "hang up and check nothing is left"
    kill -TERM "$dial_pid" 2>/dev/null  # background jobs ignore SIGINT
    wait "$dial_pid" 2>/dev/null
    tail -n 2 "$work/dial.log"
    ;;
esac
if [ "$scenario" = reset-lns ] || [ "$scenario" = reset-lac ] || [ "$scenario" = stop-lns ] ||
   [ "$scenario" = undo-enable ] || [ "$scenario" = cut-lns ] || [ "$scenario" = cut-lac ] ||
   [ "$scenario" = reset-session-lns ] || [ "$scenario" = reset-session-lac ] || [ "$scenario" = undo-vt ] ||
   [ "$scenario" = shutdown-vt ] ||
   [ "$scenario" = reset-pppoe ]; then
  # The user's PPPoE session must end too (CDN/StopCCN -> LAC -> PADT): vpdn-dial drops
  # the address from its TUN when its session goes down.
  user_gone() { [ "$(tun_addrs | wc -l)" -eq 0 ]; }
  wait_for 15 user_gone || fail "the user's session survived the reset: $(tun_addrs)"
fi
if [ "$scenario" = stop-lns ]; then
  no_lac_sessions() {
    cli "$ns_lac" "display l2tp session" 2>/dev/null | tr -d '\r' | grep -q "Total session = 0"
  }
  wait_for 15 no_lac_sessions || fail "LAC still lists sessions after the LNS stopped"
  check_kernel_empty
  check_lac_kernel_empty
  stop_box "${boxes[1]}" "LAC"
  no_sanitizer_reports || fail "sanitizer report in a log"
  echo "PASS: $scenario"
  exit 0
fi
no_session_route() { ! in_ns "$ns_lns" ip route show | grep "^192\.168\.24[0-3]\.[0-9]* dev" >/dev/null; }
wait_for 15 no_session_route || fail "LNS still has session routes: $(in_ns "$ns_lns" ip route show | grep 192.168.240)"
no_lns_sessions() {
  cli "$ns_lns" "display l2tp session" 2>/dev/null | tr -d '\r' | grep -q "Total session = 0"
}
wait_for 15 no_lns_sessions || fail "LNS still lists sessions: $(cli "$ns_lns" "display l2tp session")"
check_kernel_empty
lns_fds_closed() { [ "$(lns_fds)" -le "$lns_fds_before" ]; }
wait_for 10 lns_fds_closed || fail "LNS holds $(lns_fds) descriptors, $lns_fds_before before the calls: $(fd_list | diff "$work/lns-fds-before.txt" -)"
cli "$ns_lns" "display ip pool 1" | tr -d '\r' | grep -q "192.168.240.10 .*192.168.243.250 .*1009 *0" \
  || fail "pool 1 not full again: $(cli "$ns_lns" "display ip pool 1")"
if [ "$scenario" != client ]; then
  no_lac_sessions() {
    cli "$ns_lac" "display l2tp session" 2>/dev/null | tr -d '\r' | grep -q "Total session = 0"
  }
  wait_for 15 no_lac_sessions || fail "LAC still lists sessions"
  check_lac_kernel_empty
fi
case $scenario in
  reset-session-lns | reset-session-lac | undo-vt | reset-pppoe | shutdown-vt)
    # The AAA side ended with the call (before the reset fix it stayed until the LCP echo
    # timeout, 60 s later).
    no_online_users() {
      cli "$1" "display connection" 2>/dev/null | tr -d '\r' | grep -q "Total 0 connection(s) matched"
    }
    wait_for 10 no_online_users "$ns_lns" || fail "LNS still lists online users: $(cli "$ns_lns" "display connection")"
    wait_for 10 no_online_users "$ns_lac" || fail "LAC still lists online users: $(cli "$ns_lac" "display connection")"
    no_pppoe() {
      cli "$ns_lac" "display pppoe-server session" 2>/dev/null | tr -d '\r' | grep -q "Total PPPoE session = 0"
    }
    wait_for 10 no_pppoe || fail "LAC still has PPPoE sessions: $(cli "$ns_lac" "display pppoe-server session")"
    ;;
esac
if [ "$scenario" = nas-radius ]; then
  wait_for 10 grep -q "Acct-Status-Type = Stop" "$raddb/acct-detail" \
    || fail "no accounting Stop in the FreeRADIUS detail file"
  # The Stop carries the 3 echo requests (in) and replies (out) of 1028 IP octets each.
  stop_field() {
    awk -v f="$1" 'BEGIN { RS = "" } /Acct-Status-Type = Stop/ {
      for (i = 1; i < NF; i++) if ($i == f && $(i + 1) == "=") v = $(i + 2) } END { print v + 0 }' \
      "$raddb/acct-detail"
  }
  stop_in=$(stop_field Acct-Input-Octets) stop_out=$(stop_field Acct-Output-Octets)
  stop_in_p=$(stop_field Acct-Input-Packets) stop_out_p=$(stop_field Acct-Output-Packets)
  echo "accounting Stop: in $stop_in octets $stop_in_p packets, out $stop_out octets $stop_out_p packets"
  [ "$stop_in" -ge $((3 * 1028)) ] && [ "$stop_out" -ge $((3 * 1028)) ] \
    && [ "$stop_in_p" -ge 3 ] && [ "$stop_out_p" -ge 3 ] \
    || fail "accounting Stop does not count the pings (3 x 1028 octets each way)"
fi

# ---- wire: what both boxes sent decodes in tshark without expert warnings ------------------
if [ "$scenario" = nas ] && [ "$capture" = 1 ]; then
  step "tshark: PPPoE, PPP and L2TP decode without expert warnings"
  for p in "${cap_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${cap_pids[@]}"; do for _ in $(seq 1 50); do alive "$p" || break; sleep 0.1; done; done
  for f in access l2tp; do
    tshark -r "$work/$f.pcap" -q -z expert,warn >"$work/$f-expert.txt" 2>/dev/null
    grep -qE "^(Errors|Warns|Warnings) \(" "$work/$f-expert.txt" && fail "tshark expert on $f.pcap: $(cat "$work/$f-expert.txt")"
  done
  n_pppoed=$(tshark -r "$work/access.pcap" -Y pppoed 2>/dev/null | wc -l)
  n_chap=$(tshark -r "$work/access.pcap" -Y chap 2>/dev/null | wc -l)
  n_l2tp=$(tshark -r "$work/l2tp.pcap" -Y "l2tp.type == 1" 2>/dev/null | wc -l)
  n_ip=$(tshark -r "$work/l2tp.pcap" -Y "l2tp && icmp" 2>/dev/null | wc -l)
  echo "decoded: $n_pppoed PPPoE discovery, $n_chap CHAP, $n_l2tp L2TP control, $n_ip ICMP in L2TP"
  [ "$n_pppoed" -ge 4 ] && [ "$n_chap" -ge 3 ] && [ "$n_l2tp" -ge 6 ] && [ "$n_ip" -ge 6 ] \
    || fail "capture lacks the expected PPPoE/CHAP/L2TP/ICMP packets"
fi

# ---- daemon stop: SIGTERM ends cleanly and quickly -------------------------------------
step "SIGTERM both boxes"
for p in "${boxes[@]}"; do kill -TERM "$p" 2>/dev/null; done  # both at once, as before
for p in "${boxes[@]}"; do wait_box "$p" "vpdnd $p"; done
no_sanitizer_reports || fail "sanitizer report in a log"
echo "PASS: $scenario"
exit 0
}
