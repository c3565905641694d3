# Sourced by tests/vm/l2tp_ipsec.sh: plain L2TP *data* spoofing a protected client, aimed
# at a session on the LNS's kernel data path: vpdnd's nftables filter drops and counts it
# before any socket.

# plain_data_check PEER_NS PEER_ADDR: 20 forged data packets from PEER_NS with PEER_ADDR,
# the client's UDP port and the LNS's tunnel and session ids; none may reach the LNS's
# pppN (its rx counter moves by fewer than 20: an IPCP or echo of the real client may
# cross meanwhile), and `display ipsec statistics` counts at least 20 more drops.
plain_data_check() {
  local peer_ns=$1 peer=$2 tunnel session dport ppp before after filtered_before filtered_after n=20
  tunnel=$(ip -n "$ns_l" l2tp show tunnel | awk '/^Tunnel/ {sub(",", "", $2); print $2; exit}')
  session=$(ip -n "$ns_l" l2tp show session | awk '/^Session/ {print $2; exit}')
  [ -n "$tunnel" ] && [ -n "$session" ] || fail "the session is not on the LNS's kernel data path: $(ip -n "$ns_l" l2tp show session 2>&1)"
  dport=$(ip -n "$ns_l" l2tp show tunnel | sed -n 's/.*ports: *[0-9]*\/\([0-9]*\).*/\1/p' | head -1)
  [ -n "$dport" ] && [ "$dport" != 0 ] || dport=1701
  ppp=$(ip -n "$ns_l" -o link show type ppp | awk -F': ' '{print $2; exit}')
  [ -n "$ppp" ] || fail "no pppN on the LNS"
  rx() { ip netns exec "$ns_l" cat "/sys/class/net/$ppp/statistics/rx_packets"; }
  filtered() { lns_display "display ipsec statistics" | sed -n 's/.*Plain L2TP dropped by filter: \([0-9]*\).*/\1/p'; }
  filtered_before=$(filtered)
  [ -n "$filtered_before" ] || fail "display ipsec statistics shows no plain L2TP filter: $(lns_display "display ipsec statistics")"
  before=$(rx)
  ip netns exec "$peer_ns" python3 "$here/forge_l2tp_data.py" "$peer" "$dport" "$lns_addr" 1701 \
    "$tunnel" "$session" "$(ppp_addr)" 192.168.250.1 $n || fail "could not send the forged packets"
  sleep 1
  after=$(rx)
  filtered_after=$(filtered)
  echo "forged plain L2TP data to tunnel $tunnel session $session ($ppp): rx $before -> $after, filter $filtered_before -> $filtered_after"
  [ $((after - before)) -lt $n ] || fail "forged plain L2TP data reached $ppp ($before -> $after rx packets)"
  [ $((filtered_after - filtered_before)) -ge $n ] || fail "the filter counted $filtered_before -> $filtered_after"
}

# filter_gone NS: vpdnd's nftables table is not there.
filter_gone() { ! ip netns exec "$1" nft list tables 2>/dev/null | grep -q vpdnd_ipsec; }
