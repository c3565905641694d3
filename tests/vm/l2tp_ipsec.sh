#!/usr/bin/env bash
# L2TP/IPsec with real clients, in a kernel that has ESP/XFRM, L2TP and PPP (tests/vm runs
# it in a guest on Debian's stock kernel).
#
#   client ──veth 10.241.1.0/24── lns (vpdnd + its own charon)
#   client ──veth 10.241.9.0/24── nat (masquerade) ──veth 10.241.1.0/24── lns     (nat)
#   lac (vpdnd + charon) ──veth 10.241.1.0/24── lns; user ──PPPoE── lac           (lac-lns)
#
# The client is tests/vm/l2tp_ipsec_client.sh: strongSwan charon (IKEv1 main mode PSK, ESP
# transport for UDP 1701) + xl2tpd + pppd with MS-CHAP v2 only, as Windows dials.
#
# Usage: l2tp_ipsec.sh SCENARIO
#   local          aes128/sha1/modp2048, local user: address by IPCP, ping, `display ike sa`,
#                  `display ipsec sa`, `display l2tp session`; only IKE and ESP on the wire;
#                  forged plain L2TP data to the kernel session is dropped and counted
#   radius         the same with FreeRADIUS's mschap module (MS-CHAP v2 keys in the reply);
#                  then the client drops its SA and the LNS resets the tunnel at once: the
#                  kernel blocks the StopCCN (counted), none leaves in clear
#   3des           3des/sha1/modp1024 (older Windows)
#   aes256         aes256/sha1/modp2048
#   nat            through a masquerading namespace: NAT-T on UDP 4500
#   attach         the LNS uses a charon the operator runs (--ipsec-attach) that holds a
#                  connection and a key of its own: the client dials and pings as in local;
#                  when vpdnd stops, that charon runs on with its own connection and none of
#                  vpdnd's, and no SA, policy or filter of vpdnd's is left
#   wrong-psk      no SA, no L2TP tunnel, a warning naming the failure
#   wrong-password E=691, the client's pppd reports it, nothing left behind on the LNS
#   plain          plain L2TP to the IPsec-protected LNS: dropped by the kernel and counted;
#                  `undo ipsec apply policy` takes the drop policies and the filter away
#   lac-lns        vpdnd LAC -> vpdnd LNS, each with an isakmp policy naming the other: a
#                  PPPoE user pings through; only IKE and ESP between LAC and LNS
#   lac-lns-stopccn  the same, then `reset l2tp tunnel` on the LNS: a new call opens a new
#                  tunnel inside IPsec
#   lac-lns-reset  the same, then `reset ipsec sa` on the LAC and then on the LNS while the
#                  user is online: a new SA comes up and the same call pings again
#   lac-lns-rekey  the same with the shortest IPsec SA lifetime (180 s): the user pings
#                  through the child SA rekey, and no L2TP leaves in clear
#   (every lac-lns* scenario: only the LAC initiates IKE, and neither box ever holds more
#   than 2 IKE SAs or 4 ESP SAs)
# Exit: 0 pass, 1 fail, 77 skipped. Env: VPDND_BUILD_DIR, E2E_TIME_SCALE, E2E_KEEP=1.
set -uo pipefail
{
scenario=${1:?scenario}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${VPDND_BUILD_DIR:-$repo/build}
vpdnd=$build/vpdnd
dial=$build/vpdn-dial
client=$here/l2tp_ipsec_client.sh

tag=$$
ns_c=vis-c-$tag ns_l=vis-l-$tag ns_n=vis-n-$tag ns_a=vis-a-$tag ns_u=vis-u-$tag
namespaces=("$ns_c" "$ns_l")
case $scenario in
  nat) namespaces+=("$ns_n") ;;
  lac-lns*) namespaces=("$ns_u" "$ns_a" "$ns_l") ;;
  local | radius | 3des | aes256 | wrong-psk | wrong-password | plain | attach) ;;
  *) echo "unknown scenario $scenario"; exit 2 ;;
esac
lac=0
case $scenario in
  lac-lns | lac-lns-stopccn | lac-lns-reset | lac-lns-rekey) lac=1 ;;
  lac-lns*) echo "unknown scenario $scenario"; exit 2 ;;
esac
work=$(mktemp -d /tmp/vis-ipsec.XXXXXX)
chmod 755 "$work"
telnet_port=24123
veth_prefix=vis$tag
source "$repo/tests/e2e/lib.sh"
source "$repo/tests/e2e/freeradius.sh"
source "$here/ipsec_lib.sh"
source "$here/plain_l2tp_data.sh"
e2e_begin ip expect telnet ping timeout unshare xl2tpd pppd swanctl tcpdump
[ -x /usr/lib/ipsec/charon ] || skip "strongswan-charon not installed"
[ "$scenario" = nat ] && { command -v nft >/dev/null || skip "nftables not installed"; }
[ "$scenario" = radius ] && { command -v freeradius >/dev/null || skip "freeradius not installed"; }
grep -qw esp4 /proc/crypto 2>/dev/null || modprobe -q esp4 2>/dev/null
modprobe -q xfrm_user 2>/dev/null
[ -d /proc/sys/net/ipv4/conf ] && [ -e /proc/net/xfrm_stat ] || modprobe -q xfrm_user 2>/dev/null
warm_crypto 2>/dev/null || skip "this kernel has no ESP (run it in tests/vm's guest)"

psk=Win-L2tp-Psk
lns_addr=10.241.1.1
box_logs() { for f in "$work"/*/charon.log "$work"/*/ipsec/charon.log "$work"/c/pppd.log "$work"/c/xl2tpd.log; do
  [ -f "$f" ] && { echo "---- $f (last 25 lines)"; tail -n 25 "$f"; }; done; }
fail_context() {
  box_logs
  local n
  if [ $lac = 1 ]; then
    for n in "$ns_a" "$ns_l"; do
      echo "---- $n: xfrm state/policy, routes"
      ip -n "$n" xfrm state 2>&1 | grep -E "^src|proto|sel" | head -n 20
      ip -n "$n" xfrm policy 2>&1 | grep -Ev "^\s*$" | head -n 20
      ip -n "$n" route 2>&1
    done
    echo "---- user: addresses and routes"
    ip -n "$ns_u" -4 -o addr 2>&1
    ip -n "$ns_u" route 2>&1
    [ -f "$work/wire.pcap" ] && { echo "---- wire (last 20)"; tcpdump -r "$work/wire.pcap" -n 2>/dev/null | tail -n 20; }
    ip netns pids "$ns_a" >/dev/null 2>&1 &&
      cli "$ns_a" "display ike sa" "display ipsec sa" "display l2tp tunnel" "display l2tp statistics" 2>&1 | tr -d '\r' | tail -n 60
  fi
  ip netns pids "$ns_l" >/dev/null 2>&1 &&
    cli "$ns_l" "display ike sa" "display ipsec statistics" "display l2tp statistics" 2>&1 | tr -d '\r' | tail -n 40
}

# ---- topology ------------------------------------------------------------------------
step "topology ($scenario)"
make_namespaces
if [ $lac = 1 ]; then
  veth "$ns_u" eth0 "$ns_a" eth1
  veth_prefix=vis${tag}b veth "$ns_a" eth0 "$ns_l" eth0
  in_ns "$ns_a" ip addr add 10.241.1.2/24 dev eth0
elif [ "$scenario" = nat ]; then
  veth "$ns_c" eth0 "$ns_n" eth0
  veth_prefix=vis${tag}b veth "$ns_n" eth1 "$ns_l" eth0
  in_ns "$ns_c" ip addr add 10.241.9.2/24 dev eth0
  in_ns "$ns_c" ip route add default via 10.241.9.1
  in_ns "$ns_n" ip addr add 10.241.9.1/24 dev eth0
  in_ns "$ns_n" ip addr add 10.241.1.2/24 dev eth1
  in_ns "$ns_n" sysctl -qw net.ipv4.ip_forward=1
  in_ns "$ns_n" nft -f - <<'EOF' || fail "nft masquerade"
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth1" masquerade
  }
}
EOF
else
  veth "$ns_c" eth0 "$ns_l" eth0
  in_ns "$ns_c" ip addr add 10.241.1.2/24 dev eth0
fi
in_ns "$ns_l" ip addr add $lns_addr/24 dev eth0

# ---- the LNS -------------------------------------------------------------------------
auth=" authentication ppp local"
radius_block=""
if [ "$scenario" = radius ]; then
  auth=" authentication ppp radius-scheme r1"
  radius_block="radius scheme r1
 primary authentication 127.0.0.1 24912
 key authentication simple testing123
 user-name-format with-domain"
fi
ipsec_lns=$(ipsec_dialin_cfg "$psk" eth0)
allow=" allow l2tp virtual-template 1"
tunnel_auth=" undo tunnel authentication"
# lac-lns-rekey: the shortest IPsec SA lifetime the command takes (180 s) on both boxes;
# the LAC renews the SA at 80% of it less up to 10% (108-144 s), before the LNS would. The
# IKE SA keeps its default lifetime: its IKEv1 reauthentication is no part of what the
# scenario keeps short.
sa_duration="" rekey_wait=0
if [ "$scenario" = lac-lns-rekey ]; then
  sa_duration=" sa duration time-based 180"
  rekey_wait=200
fi
if [ $lac = 1 ]; then
  # The LNS names its LAC (an isakmp policy with remote-address), as the LAC names it.
  ipsec_lns="ike keychain lac
 pre-shared-key address 10.241.1.2 255.255.255.255 key simple $psk
ike profile lac
 keychain lac
ipsec transform-set l2tp
 encapsulation-mode transport
ipsec policy tolac 10 isakmp
 remote-address 10.241.1.2
 transform-set l2tp
 ike-profile lac
$sa_duration
interface eth0
 ipsec apply policy tolac"
  allow=" allow l2tp virtual-template 1 remote LAC"
  tunnel_auth=" tunnel authentication
 tunnel password simple aabbcc"
fi
mkdir -p "$work/l" "$work/c" "$work/a"
cat >"$work/lns.cfg" <<EOF
sysname LNS
l2tp enable
ip pool 1 192.168.250.10 192.168.250.100
$radius_block
interface virtual-template 1
 ip address 192.168.250.1 255.255.255.0
 ppp authentication-mode chap ms-chap-v2
 remote address pool 1
domain system
$auth
domain corp.com
$auth
$(local_user alice@corp.com alicepw)
l2tp-group 1
 tunnel name LNS
$tunnel_auth
$allow
$ipsec_lns
user-interface vty 0 4
 authentication-mode none
EOF

if [ "$scenario" = radius ]; then
  step "freeradius (mschap)"
  raddb=$work/raddb
  mkdir -p "$raddb"
  {
    freeradius_conf_head "$raddb" "$raddb"
    cat <<EOF
modules {
 mschap {
 }
 files {
  filename = \${confdir}/users
 }
}
server default {
 listen {
  type = auth
  ipaddr = 127.0.0.1
  port = 24912
 }
 authorize {
  mschap
  files
 }
 authenticate {
  Auth-Type MS-CHAP {
   mschap
  }
 }
$(freeradius_post_auth)
}
EOF
  } >"$raddb/radiusd.conf"
  printf 'alice@corp.com Cleartext-Password := "alicepw"\n\tFramed-IP-Address = 192.168.250.77\n' >"$raddb/users"
  start_freeradius "$ns_l" "$raddb" "$work/radius.log"
fi

# attach: the operator's own charon in the LNS's namespace (a /run of its own), holding a
# site-to-site connection and key of its own before vpdnd comes.
xvici=unix://$work/x/charon.vici
xswanctl() { STRONGSWAN_CONF=$work/x/strongswan.conf swanctl "$@" --uri "$xvici"; }
if [ "$scenario" = attach ]; then
  step "the operator's charon, with a connection of its own"
  mkdir -p "$work/x"
  cat >"$work/x/strongswan.conf" <<EOF
charon {
  load = random nonce aes sha1 sha2 md5 hmac kdf gmp curve25519 gcrypt kernel-netlink socket-default vici
  install_routes = no
  plugins {
    include /etc/strongswan.d/charon/*.conf
    vici {
      socket = $xvici
    }
  }
  filelog {
    operator {
      path = $work/x/charon.log
      default = 1
      flush_line = yes
    }
  }
}
swanctl {
  load = random
}
EOF
  cat >"$work/x/swanctl.conf" <<'EOF'
connections {
  site-b {
    version = 1
    local_addrs = 10.241.1.1
    remote_addrs = 10.241.7.7
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 10.241.1.1/32
        remote_ts = 10.241.7.0/24
      }
    }
  }
}
secrets {
  ike-site-b {
    id = 10.241.7.7
    secret = Site-B-Psk
  }
}
EOF
  ip netns exec "$ns_l" unshare -m --propagation private sh -c \
    "mount -t tmpfs -o mode=0755 none /run && export STRONGSWAN_CONF=$work/x/strongswan.conf && exec /usr/lib/ipsec/charon" \
    >/dev/null 2>&1 &
  xcharon_pid=$!
  pids+=($xcharon_pid)
  x_up() { [ -S "$work/x/charon.vici" ]; }
  wait_for 30 x_up || fail "the operator's charon did not start"
  xswanctl --load-all --file "$work/x/swanctl.conf" >"$work/x/load.log" 2>&1 || fail "swanctl: $(cat "$work/x/load.log")"
fi

step "start the LNS"
if [ "$scenario" = attach ]; then
  start_ipsec_box "$ns_l" l "$work/lns.cfg" --ipsec-attach "$xvici"
  lns_pid=${pids[-1]}
  wait_for 20 port_open "$ns_l" || fail "LNS telnet not listening"
  # vpdnd adds its connections to the operator's; it never reloads the charon's whole set.
  x_conns() { xswanctl --list-conns 2>/dev/null | grep -E '^[^ ]+: ' | cut -d: -f1 | sort | tr '\n' ' '; }
  both_loaded() { case " $(x_conns)" in *" site-b "*"vpdn-"*) return 0 ;; esac; return 1; }
  wait_for 30 both_loaded || fail "the operator's charon does not hold both connections: $(x_conns)"
  echo "attached charon's connections: $(x_conns)"
else
  start_ipsec_box "$ns_l" l "$work/lns.cfg"
  wait_for 20 port_open "$ns_l" || fail "LNS telnet not listening"
  lns_ipsec_up() { [ -S "$work/l/ipsec/charon.vici" ]; }
  wait_for 30 lns_ipsec_up || fail "the LNS's charon did not start"
fi
# block_policies NS: the kernel's blocking policies (charon's drop shunt for plain L2TP, in
# and out, and forward).
block_policies() { ip -n "$1" xfrm policy | grep -c "action block"; }
lns_blocks() { [ "$(block_policies "$ns_l")" -ge 2 ]; }
wait_for 60 lns_blocks || fail "no kernel policy blocks plain L2TP on the LNS: $(ip -n "$ns_l" xfrm policy)"

step "capture on the LNS's wire"
# Only IKE and ESP may cross the LNS's wire: tcpdump from the start.
ip netns exec "$ns_l" tcpdump -i eth0 -n -U -w "$work/wire.pcap" >"$work/tcpdump.log" 2>&1 &
cap_pid=$!
pids+=($cap_pid)
wait_for 20 grep -q "listening on" "$work/tcpdump.log" || fail "tcpdump did not start"
# wire KIND: packets of one kind in the capture, decoded once ($work/wire.txt; a tcpdump
# per count took minutes in a loaded guest). KIND: l2tp (UDP 1701 in clear), l2tp-from
# ADDR, l2tp-to ADDR, ike (UDP 500 or 4500), esp (raw ESP), esp-in-udp (NAT-T ESP).
wire() {
  [ -f "$work/wire.txt" ] || tcpdump -r "$work/wire.pcap" -n >"$work/wire.txt" 2>/dev/null
  awk -v kind="$1" -v who="${2:-}" '
    function addr(s) { sub(/:$/, "", s); split(s, p, "."); return p[1] "." p[2] "." p[3] "." p[4] }
    function port(s) { sub(/:$/, "", s); return split(s, p, ".") == 5 ? p[5] : "" }
    $2 == "IP" {
      sp = port($3); dp = port($5)
      l2tp = sp == "1701" || dp == "1701"
      if (kind == "l2tp") n += l2tp
      else if (kind == "l2tp-from") n += l2tp && addr($3) == who
      else if (kind == "l2tp-to") n += l2tp && addr($5) == who
      else if (kind == "ike") n += sp == "500" || dp == "500" || sp == "4500" || dp == "4500"
      else if (kind == "esp") n += /: ESP\(spi/ && !/UDP-encap/
      else if (kind == "esp-in-udp") n += /UDP-encap: ESP\(spi/
    }
    END { print n + 0 }' "$work/wire.txt"
}

# ---- one Windows-like client ---------------------------------------------------------
client_pid=
start_client() {  # start_client PASSWORD [PSK IKE ESP]
  rm -rf "$work/c" && mkdir -p "$work/c"
  ip netns exec "$ns_c" "$client" "$work/c" $lns_addr alice@corp.com "$@" >"$work/client.log" 2>&1 &
  client_pid=$!
  pids+=($client_pid)
}
stop_client() {
  [ -n "$client_pid" ] || return 0
  kill -TERM "$client_pid" 2>/dev/null
  for _ in $(seq 1 $((100 * time_scale))); do alive "$client_pid" || break; sleep 0.1; done
  client_pid=
}
ppp_addr() { in_ns "$ns_c" ip -o -4 addr show dev ppp0 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
have_ppp() { [ -n "$(ppp_addr)" ]; }
lns_display() { cli "$ns_l" "$@" 2>&1 | tr -d '\r'; }
total_sessions() { lns_display "display l2tp session" | sed -n 's/.*Total session = \([0-9]*\).*/\1/p' | head -1; }
no_sessions() { [ "$(total_sessions)" = 0 ]; }
no_tunnels() { lns_display "display l2tp tunnel" | grep -q "Total tunnel = 0"; }
# sa_displays COMMAND...: the LNS's displays in $work/display.txt, asked again while an SA
# display says charon did not answer in time (a loaded emulated guest).
sa_displays() {
  answered() { lns_display "$@" >"$work/display.txt"; ! grep -q "did not answer" "$work/display.txt"; }
  wait_for 60 answered "$@" || fail "charon does not answer the SA displays: $(grep "did not answer" "$work/display.txt")"
}

ike=aes128-sha1-modp2048 esp=aes128-sha1
case $scenario in
  3des) ike=3des-sha1-modp1024 esp=3des-sha1 ;;
  aes256) ike=aes256-sha1-modp2048 esp=aes256-sha1 ;;
esac

connected_checks() {  # after the client's PPP is up
  local addr
  addr=$(ppp_addr)
  echo "client ppp0: $addr"
  case $addr in 192.168.250.*) ;; *) fail "client address $addr is not from the LNS pool" ;; esac
  [ "$scenario" = radius ] && [ "$addr" != 192.168.250.77 ] && fail "RADIUS Framed-IP-Address not used ($addr)"
  in_ns "$ns_c" ping -c 3 -W $((2 * time_scale)) 192.168.250.1 >"$work/ping.log" 2>&1 \
    || fail "ping through the tunnel failed: $(tail -n 3 "$work/ping.log")"
  tail -n 2 "$work/ping.log"
  sa_displays "display ike sa" "display ipsec sa" "display l2tp session" "display l2tp tunnel" \
    "display connection" "display ipsec statistics"
  sed -n '/display ike sa/,/display l2tp tunnel/p' "$work/display.txt" | grep -v '^$' | head -n 60
  local peer=10.241.1.2
  grep -Eq "^ *[0-9]+ +$peer.* RD" "$work/display.txt" || fail "display ike sa does not show $peer READY"
  grep -q "Encapsulation mode: transport" "$work/display.txt" || fail "display ipsec sa shows no transport-mode SA"
  grep -Eq "SPI: [0-9]+ \(0x" "$work/display.txt" || fail "display ipsec sa shows no SPI"
  grep -q "alice@corp.com" "$work/display.txt" || fail "display l2tp session/connection does not show the user"
  grep -q "$addr" "$work/display.txt" || fail "the LNS displays do not show $addr"
  if [ "$scenario" = 3des ]; then grep -q "ESP-ENCRYPT-3DES-CBC" "$work/display.txt" || fail "display ipsec sa: no 3DES"; fi
  if [ "$scenario" = aes256 ]; then grep -q "ESP-ENCRYPT-AES-CBC-256" "$work/display.txt" || fail "display ipsec sa: no AES-256"; fi
  if [ "$scenario" = nat ]; then grep -q "NAT traversal: Y" "$work/display.txt" || fail "display ipsec sa shows no NAT-T"; fi
}

wire_checks() {  # IKE and ESP only; never L2TP in the clear
  local plain ike_n esp_n
  kill -INT "$cap_pid" 2>/dev/null
  for _ in $(seq 1 50); do alive "$cap_pid" || break; sleep 0.1; done
  # What the LNS sends must never be plain L2TP. The test client's pppd (kernel mode) may
  # send its last LCP Terminate-Request in the clear as its SA goes away at hang-up: shown,
  # not counted against the LNS.
  plain=$(wire l2tp-from $lns_addr)
  echo "client's plaintext UDP 1701: $(wire l2tp-to $lns_addr)"
  # Both ends are vpdnd: neither may send L2TP in clear.
  [ $lac = 1 ] && plain=$(wire l2tp)
  ike_n=$(wire ike)
  if [ "$scenario" = nat ]; then
    esp_n=$(wire esp-in-udp)
  else
    esp_n=$(wire esp)
  fi
  echo "wire: $ike_n IKE/NAT-T, $esp_n ESP, $plain plaintext UDP 1701 from the LNS$([ $lac = 1 ] && echo " or the LAC")"
  [ "$plain" -eq 0 ] || fail "plaintext L2TP on the wire: $(grep -m3 '\.1701[ :]' "$work/wire.txt")"
  [ "$ike_n" -ge 6 ] || fail "no IKE exchange on the wire"
  [ "$esp_n" -ge 10 ] || fail "too few ESP packets on the wire ($esp_n)"
  if [ "$scenario" = nat ]; then
    [ "$(wire esp)" -eq 0 ] || fail "raw ESP through the NAT (NAT-T not used)"
  fi
}

cleanup_checks() {  # the client hung up: nothing left on the LNS
  wait_for 30 no_sessions || fail "LNS still lists sessions: $(lns_display "display l2tp session")"
  wait_for 30 no_tunnels || fail "LNS still lists tunnels: $(lns_display "display l2tp tunnel")"
  no_users() { lns_display "display connection" | grep -q "Total 0 connection"; }
  wait_for 15 no_users || fail "LNS still lists users: $(lns_display "display connection")"
  no_routes() { ! in_ns "$ns_l" ip route show | grep -q "^192\.168\.250\.[0-9]* dev"; }
  wait_for 15 no_routes || fail "LNS still has session routes"
  echo "after hang-up: no session, tunnel, user or route left on the LNS"
}

case $scenario in
  local | radius | 3des | aes256 | nat | attach)
    step "client dials ($ike / $esp)"
    start_client alicepw "$psk" "$ike" "$esp"
    wait_for 90 have_ppp || fail "client got no ppp0 address: $(cat "$work/c/events" 2>/dev/null)"
    cat "$work/c/events"
    grep -q "sent \[LCP ConfAck .*<auth chap MS-v2>" "$work/c/pppd.log" \
      || fail "pppd did not agree on MS-CHAP v2: $(grep -i auth "$work/c/pppd.log")"
    grep -q "CHAP authentication succeeded" "$work/c/pppd.log" || fail "pppd: $(grep -i chap "$work/c/pppd.log" | tail -3)"
    connected_checks
    if [ "$scenario" = local ]; then
      step "forged plain L2TP data (the client's address, port and ids) to its kernel session"
      plain_data_check "$ns_c" 10.241.1.2
    fi
    if [ "$scenario" = radius ]; then
      step "the client drops its IPsec SA; the LNS resets the tunnel at once"
      tid=$(lns_display "display l2tp tunnel" | awk '/10\.241\.1\.2/ {print $1; exit}')
      [ -n "$tid" ] || fail "no tunnel to the client on the LNS"
      STRONGSWAN_CONF=$work/c/strongswan.conf swanctl --terminate --ike l2tp --force \
        --uri "unix://$work/c/charon.vici" >"$work/terminate.log" 2>&1 || fail "client: $(tail -n 2 "$work/terminate.log")"
      lns_no_sa() { ! ip -n "$ns_l" xfrm state | grep -q '^src'; }
      wait_for 30 lns_no_sa || fail "the LNS kept the client's SA"
      lns_display "reset l2tp tunnel id $tid" >/dev/null
      # The StopCCN and its retransmissions meet the kernel's block policy.
      out_blocked() { lns_display "display ipsec statistics" |
        grep -Eq "Blocked by kernel policy \(inbound/outbound\): [0-9]+/[1-9]"; }
      wait_for 30 out_blocked || fail "no StopCCN blocked by the kernel: $(lns_display "display ipsec statistics")"
      lns_display "display ipsec statistics" | grep -E "refused|Blocked"
    fi
    step "hang up"
    stop_client
    cleanup_checks
    wire_checks
    if [ "$scenario" = attach ]; then
      # swanctl found the drop shunt in the attached charon: the kernel guards.
      lns_display "display ipsec statistics" | grep -q "Blocked by kernel policy" \
        || fail "attached: the kernel's drop policies are not in force: $(lns_display "display ipsec statistics")"
      step "SIGTERM vpdnd: the operator's charon runs on with only its own connection"
      kill -TERM "$lns_pid" 2>/dev/null
      lns_gone() { ! alive "$lns_pid"; }
      wait_for 30 lns_gone || fail "vpdnd did not exit on SIGTERM"
      alive "$xcharon_pid" || fail "the operator's charon did not outlive vpdnd"
      [ "$(x_conns)" = "site-b " ] || fail "the operator's charon holds $(x_conns)after vpdnd stopped (site-b only expected)"
      xswanctl --list-sas --noblock 2>/dev/null | grep -qE '^[^ ]+: #' && fail "SAs left: $(xswanctl --list-sas --noblock)"
      # charon's own IKE socket bypasses ("socket in/out") stay with it; no SA policy may.
      no_x_policy() { ! ip -n "$ns_l" xfrm policy | grep -q "^[[:space:]]*dir "; }
      wait_for 20 no_x_policy || fail "XFRM policies left by vpdnd: $(ip -n "$ns_l" xfrm policy | head -n 12)"
      wait_for 20 filter_gone "$ns_l" || fail "nftables table vpdnd_ipsec left after vpdnd stopped"
      echo "after vpdnd stopped: the operator's charon holds $(x_conns)and no SA or policy"
    fi
    ;;
  wrong-psk)
    step "client with a wrong pre-shared key"
    start_client alicepw "not-$psk" "$ike" "$esp"
    ike_failed() { grep -q "ike-failed" "$work/c/events" 2>/dev/null; }
    wait_for 90 ike_failed || fail "the client's IKE did not fail: $(cat "$work/c/events" 2>/dev/null)"
    cat "$work/c/events"
    sa_displays "display ike sa" "display l2tp tunnel"
    grep -Eq "^ *[0-9]+ +10.241.1.2.* RD" "$work/display.txt" && fail "an IKE SA with a wrong key: $(cat "$work/display.txt")"
    grep -q "Total tunnel = 0" "$work/display.txt" || fail "an L2TP tunnel without IPsec: $(cat "$work/display.txt")"
    wait_for 20 grep -q "event=charon" "$work/l.log" || fail "no log line on the LNS about the failed IKE"
    echo "LNS log: $(grep -m1 "event=charon" "$work/l.log")"
    grep -Eq "event=charon.*(AUTHENTICATION_FAILED|decryption failed|invalid HASH_V1|no shared key)" "$work/l.log" \
      || fail "the LNS's log line does not say why: $(grep "event=charon" "$work/l.log" | head -3)"
    ;;
  wrong-password)
    step "client with a wrong MS-CHAP v2 password"
    start_client wrong-password "$psk" "$ike" "$esp"
    auth_failed() { grep -q "E=691" "$work/c/pppd.log" 2>/dev/null; }
    wait_for 90 auth_failed || fail "pppd reports no E=691: $(grep -i chap "$work/c/pppd.log" 2>/dev/null | tail -5)"
    grep -m2 -E "E=691|authentication failed" "$work/c/pppd.log"
    have_ppp && fail "the client got an address with a wrong password"
    step "the client gives up: nothing of the call left on the LNS"
    stop_client
    cleanup_checks
    ;;
  plain)
    step "plain L2TP (no IPsec) to the protected LNS"
    start_client alicepw
    # The kernel drops it before vpdnd's socket: vpdnd's nftables filter at the input hook,
    # ahead of the XFRM policy check, counts it.
    refused() { lns_display "display ipsec statistics" | grep -Eq "Plain L2TP dropped by filter: [1-9]"; }
    wait_for 60 refused || fail "no plain L2TP drop counted: $(lns_display "display ipsec statistics")"
    sleep $((3 * time_scale))
    have_ppp && fail "plain L2TP got through"
    lns_display "display ipsec statistics" "display l2tp statistics" >"$work/display.txt"
    grep -Ei "plain|no IPsec SA|blocked" "$work/display.txt"
    grep -q "Total tunnel = 0" <(lns_display "display l2tp tunnel") || fail "a tunnel came up without IPsec"
    stop_client
    step "undo ipsec apply policy: the kernel's drop policies go"
    lns_display "system-view" "interface eth0" "undo ipsec apply policy" "return" >/dev/null
    no_blocks() { [ "$(block_policies "$ns_l")" -eq 0 ]; }
    wait_for 60 no_blocks || fail "block policies left after undo ipsec apply policy: $(ip -n "$ns_l" xfrm policy)"
    wait_for 20 filter_gone "$ns_l" || fail "nftables filter left after undo ipsec apply policy: $(ip netns exec "$ns_l" nft list tables)"
    echo "after undo ipsec apply policy: no block policy or filter on the LNS"
    ;;
esac

if [ $lac = 1 ]; then
  {
    pppoe_lac_cfg "$lns_addr"
    local_user alice@corp.com alicepw
    cat <<EOF
ike keychain lns
 pre-shared-key address $lns_addr 255.255.255.255 key simple $psk
ike profile lns
 keychain lns
ipsec transform-set l2tp
 encapsulation-mode transport
ipsec policy tolns 10 isakmp
 remote-address $lns_addr
 transform-set l2tp
 ike-profile lns
$sa_duration
interface eth0
 ipsec apply policy tolns
EOF
  } >"$work/lac.cfg"
  step "start the LAC (its policy names the LNS: charon brings the SA up)"
  start_ipsec_box "$ns_a" a "$work/lac.cfg"
  wait_for 20 port_open "$ns_a" || fail "LAC telnet not listening"
  lac_display() { cli "$ns_a" "$@" 2>&1 | tr -d '\r'; }
  sa_up() { lac_display "display ike sa" | grep -Eq "$lns_addr.* RD"; }
  wait_for 60 sa_up || fail "no IKE SA from the LAC to the LNS"
  user_addr() { in_ns "$ns_u" ip -o -4 addr show | awk '$2 != "lo" && $2 != "eth0" {print $4}' | cut -d/ -f1 | head -1; }
  user_up() { [ -n "$(user_addr)" ]; }
  user_down() { [ -z "$(user_addr)" ]; }
  user_pings() {  # user_pings COUNT: every echo answered
    in_ns "$ns_u" ping -c "$1" -W $((2 * time_scale)) -I "$(user_addr)" 192.168.250.1 >"$work/ping.log" 2>&1
  }
  spis() { in_ns "$ns_a" ip xfrm state | awk '/proto esp spi/ {print $4}' | sort | tr '\n' ' '; }
  # ike_sas BOX: the IKE SAs the box's charon holds. Only the LAC initiates, so the two
  # hold one each; a second is a renewal under way. More: both ends initiating again. The
  # same for the ESP SAs: one pair, two while a rekeyed pair has not expired yet.
  ike_sas() {
    STRONGSWAN_CONF=$work/$1/ipsec/strongswan.conf swanctl --list-sas --noblock \
      --uri "unix://$work/$1/ipsec/charon.vici" 2>/dev/null | grep -cE '^[^ ]+: #[0-9]+, '
  }
  ike_max=0
  ike_bounded() {  # ike_bounded WHEN
    local b n esp
    for b in a l; do
      esp=$(ip -n "$([ $b = a ] && echo "$ns_a" || echo "$ns_l")" xfrm state | grep -c '^src')
      [ "$esp" -le 4 ] || fail "$1: $esp ESP SAs on the $([ $b = a ] && echo LAC || echo LNS): $(spis)"
      n=$(ike_sas $b)
      [ "$n" -gt "$ike_max" ] && ike_max=$n
      [ "$n" -le 2 ] || fail "$1: the $([ $b = a ] && echo LAC || echo LNS)'s charon holds $n IKE SAs: $(
        STRONGSWAN_CONF=$work/$b/ipsec/strongswan.conf swanctl --list-sas --noblock \
          --uri "unix://$work/$b/ipsec/charon.vici" 2>&1 | grep -E '^[^ ]+: #')"
    done
  }
  dial_pid=
  dial_user() {  # dial_user WHEN: a PPPoE call through the LAC that pings the LNS
    ip netns exec "$ns_u" "$dial" --pppoe eth0 --user alice@corp.com --password alicepw --count 1 \
      --hold -1 --tun --route 192.168.250.0/24 >>"$work/dial.log" 2>&1 &
    dial_pid=$!
    pids+=($dial_pid)
    wait_for 60 user_up || fail "the PPPoE user got no address through the LAC ($1)"
    # The LNS installs its host route to the user when its own IPCP side is up.
    lns_route() { in_ns "$ns_l" ip route show | grep -q "^$(user_addr) dev"; }
    wait_for 15 lns_route || fail "the LNS has no route to the user ($1)"
    user_pings 3 || fail "ping through LAC-LNS IPsec failed ($1): $(tail -n 2 "$work/ping.log")"
    echo "$1: user $(user_addr) pings the LNS through the LAC"
  }
  hang_up() {
    [ -n "$dial_pid" ] || return 0
    step "the user hangs up"
    kill -TERM "$dial_pid" 2>/dev/null
    wait "$dial_pid" 2>/dev/null
    dial_pid=
    wait_for 20 user_down
  }
  step "PPPoE user through the LAC"
  dial_user "first call"
  sa_displays "display ike sa" "display ipsec sa" "display l2tp tunnel" "display l2tp session"
  grep -Eq "10.241.1.2.* RD" "$work/display.txt" || fail "LNS display ike sa lacks the LAC: $(cat "$work/display.txt")"
  grep -q "Encapsulation mode: transport" "$work/display.txt" || fail "LNS display ipsec sa shows no transport-mode SA"
  grep -q "alice" "$work/display.txt" || fail "LNS does not list the user"
  # One IKE SA and one pair of ESP SAs between the two: both ends name each other, and
  # duplicates would leave each end sending on an SA of its own choosing.
  for n in "$ns_a" "$ns_l"; do
    echo "$n: $(ip -n "$n" xfrm state | grep -c '^src') ESP SAs, $(ip -n "$n" xfrm policy | grep -c '^src') policies"
  done
  ike_bounded "first call"

  case $scenario in
    lac-lns-stopccn)
      step "StopCCN: reset the tunnel on the LNS, the next call opens a new one through IPsec"
      tunnel_id() { lac_display "display l2tp tunnel" | awk '/10\.241\.1\.1/ {print $1; exit}'; }
      old_tunnel=$(tunnel_id)
      lns_display "reset l2tp tunnel name LAC" >/dev/null
      wait_for 30 user_down || fail "the user survived the StopCCN"
      hang_up
      dial_user "after StopCCN"
      new_tunnel=$(tunnel_id)
      echo "LAC tunnel id: $old_tunnel before, $new_tunnel after"
      [ -n "$new_tunnel" ] && [ "$new_tunnel" != "$old_tunnel" ] || fail "no new tunnel after the StopCCN"
      ;;
    lac-lns-reset)
      for side in LAC LNS; do
        step "reset ipsec sa on the $side while the user is online"
        before=$(spis)
        if [ $side = LAC ]; then lac_display "reset ipsec sa" >/dev/null; else lns_display "reset ipsec sa" >/dev/null; fi
        new_sa() { local now; now=$(spis); [ -n "$now" ] && [ "$now" != "$before" ]; }
        wait_for 60 new_sa || fail "no new IPsec SA after reset ipsec sa on the $side: $(spis)"
        echo "ESP SPIs: $before-> $(spis)"
        # The L2TP tunnel lives on over the new SA: the same call pings again.
        pings_again() { user_up && user_pings 1; }
        wait_for 60 pings_again || fail "the user's ping does not cross after reset ipsec sa on the $side: $(tail -n 2 "$work/ping.log")"
        user_pings 3 || fail "ping after reset ipsec sa on the $side: $(tail -n 2 "$work/ping.log")"
        ike_bounded "after reset ipsec sa on the $side"
        echo "after reset ipsec sa on the $side: the call goes on, ping crosses"
      done
      ;;
    lac-lns-rekey)
      step "rekey: the SAs are renewed while the user pings"
      first=$(spis)
      # One echo a second until the first child SA is gone (rekeyed), and a while after.
      # ip netns exec, not in_ns: $! must be ping itself, which the SIGINT below ends.
      ip netns exec "$ns_u" ping -i 1 -W 2 -I "$(user_addr)" 192.168.250.1 >"$work/rekey-ping.log" 2>&1 &
      ping_pid=$!
      pids+=($ping_pid)
      rekeyed() {
        local now s
        now=$(spis)
        for s in $first; do case " $now " in *" $s "*) return 1 ;; esac; done
        [ -n "$now" ]
      }
      # The IKE SAs counted every few seconds through the rekey.
      end=$((SECONDS + rekey_wait))
      until rekeyed; do
        [ $SECONDS -lt $end ] || fail "the child SA was not rekeyed within $rekey_wait s: $first -> $(spis)"
        ike_bounded "during the rekey"
        sleep 3
      done
      echo "ESP SPIs: $first-> $(spis)"
      sleep 5
      kill -INT "$ping_pid" 2>/dev/null
      wait "$ping_pid" 2>/dev/null
      tail -n 2 "$work/rekey-ping.log"
      sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$work/rekey-ping.log")
      got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$work/rekey-ping.log")
      [ -n "$sent" ] && [ "$sent" -ge 10 ] || fail "the ping did not run: $(tail -n 3 "$work/rekey-ping.log")"
      # Make-before-break: at most an echo or two in flight as the old SA goes.
      [ $((sent - got)) -le 2 ] || fail "$((sent - got)) of $sent echoes lost through the rekey"
      user_pings 3 || fail "ping after the rekey: $(tail -n 2 "$work/ping.log")"
      # The LAC's charon logged the first SA and its successor.
      [ "$(grep -c "established with SPIs" "$work/a/ipsec/charon.log")" -ge 2 ] \
        || fail "charon logged no second CHILD_SA: $(grep -E "CHILD_SA|rekey" "$work/a/ipsec/charon.log" | tail -n 5)"
      echo "rekey: $got of $sent echoes answered through it"
      ;;
  esac
  ike_bounded "before hang-up"
  # Only the LAC initiates: the LNS's charon is the responder of every IKE SA it held.
  lns_initiated=$(grep -c "initiating Main Mode" "$work/l/ipsec/charon.log")
  echo "IKE SAs per charon: at most $ike_max at any check; the LNS initiated $lns_initiated"
  [ "$lns_initiated" -eq 0 ] || fail "the LNS initiated IKE $lns_initiated times"
  hang_up
  step "wire"
  wire_checks
fi

step "SIGTERM the boxes: their charons go with them"
for p in "${pids[@]}"; do :; done
kill -TERM "${pids[@]}" 2>/dev/null
# Nothing of vpdnd's IPsec outlives it: its charon takes its SAs and policies along.
for n in "$ns_l" $([ $lac = 1 ] && echo "$ns_a"); do
  no_policy() { [ -z "$(ip -n "$1" xfrm policy)" ] && [ -z "$(ip -n "$1" xfrm state)" ]; }
  wait_for 60 no_policy "$n" || fail "$n: XFRM left after vpdnd stopped: $(ip -n "$n" xfrm policy | head -n 12)"
  wait_for 20 filter_gone "$n" || fail "$n: nftables table vpdnd_ipsec left after vpdnd stopped"
done
echo "PASS: $scenario"
exit 0
}
