#!/usr/bin/env bash
# SNMP with net-snmp against live sessions: one namespace with a vpdnd LNS configured by
# `snmp-agent ...` (its own snmpd on UDP 16161, vpdnd its AgentX subagent), vpdn-dial
# dialling 200 client-initiated L2TP users into it, snmptrapd on UDP 16162. Checks: the
# L2TP-MIB tunnel and session tables (snmpwalk) match `display l2tp tunnel/session`; a
# wrong v2c community gets nothing; a v3 authPriv user works, a wrong user or key fails;
# linkUp when a tunnel comes up, the session-limit notification when the sessions reach
# `l2tp session-limit`, linkDown when `reset l2tp tunnel` clears a tunnel (at snmptrapd).
# Exit 77 = skip.
{
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

source "$repo/tests/e2e/lib.sh"
e2e_init snmp 24161 lns
e2e_begin ip expect telnet timeout snmpwalk snmpbulkwalk snmpget snmptrapd
[ -x /usr/sbin/snmpd ] || skip "snmpd not installed"
make_namespaces

users=200
mib=.1.3.6.1.2.1.10.95
{
  cat <<CFG
sysname SNMPLNS
l2tp enable
l2tp session-limit $((users + 1))
ip pool 1 10.242.0.2 10.242.3.250
interface virtual-template 1
 ip address 10.242.0.1 255.255.252.0
 ppp authentication-mode chap domain corp.com
 remote address pool 1
domain corp.com
l2tp-group 1
 tunnel name LNS
 tunnel password simple tunnelpw
 allow l2tp virtual-template 1
$(cli_vty)
snmp-agent
snmp-agent port 16161
snmp-agent community read vpdnRO
snmp-agent sys-info version v2c
snmp-agent sys-info location lab-rack-4
snmp-agent usm-user v3 nms grp authentication-mode sha authpass123 privacy-mode aes128 privpass123
snmp-agent target-host trap address udp-domain 127.0.0.1 udp-port 16162 params securityname vpdnRO v2c
CFG
  for i in $(seq 1 $((users + 1))); do
    printf 'local-user u%s@corp.com\n password simple pw\n service-type ppp\n' "$i"
  done
} >"$work/lns.cfg"

step "start snmptrapd and vpdnd"
mkdir -p "$work/trapd"
printf 'authCommunity log vpdnRO\n' >"$work/snmptrapd.conf"
ip netns exec "$ns_lns" env SNMP_PERSISTENT_DIR="$work/trapd" MIBS= snmptrapd -f -C -c "$work/snmptrapd.conf" \
  -On -Lf "$work/traps.log" udp:127.0.0.1:16162 &
pids+=($!)
ip netns exec "$ns_lns" "$vpdnd" --no-console --telnet-port $telnet_port --config "$work/lns.cfg" \
  --snmp-run-dir "$work/snmp" >"$work/lns.log" 2>&1 &
lns_pid=$!
pids+=($lns_pid)
wait_for 10 port_open "$ns_lns" || fail "telnet not listening"

snmp_v2() {  # snmp_v2 TOOL COMMUNITY ARGS...
  local tool=$1 community=$2
  shift 2
  in_ns "$ns_lns" env MIBS= "$tool" -v2c -c "$community" -On -t 2 -r 1 127.0.0.1:16161 "$@"
}
agent_serves() { snmp_v2 snmpget vpdnRO $mib.1.1.2.2.0 2>/dev/null | grep -q '"vpdnd"'; }
wait_for 15 agent_serves || {
  cat "$work/snmp/snmpd.log" "$work/snmp/subagent.log" 2>/dev/null
  fail "the L2TP-MIB is not served"
}
[ "$(stat -c %a "$work/snmp")" = 700 ] || fail "run dir not 0700"
[ "$(stat -c %a "$work/snmp/snmpd.conf")" = 600 ] || fail "snmpd.conf not 0600"

step "dial $users users"
ip netns exec "$ns_lns" "$dial" --l2tp 127.0.0.1 --secret tunnelpw --hostname LAC \
  --user 'u{n}@corp.com' --password pw --count $users --hold -1 --quiet >"$work/dial.log" 2>&1 &
pids+=($!)
session_count() { cli "$ns_lns" "display l2tp session statistics" | tr -d '\r' | sed -n 's/.*Total session = //p'; }
all_up() { [ "$(session_count)" = "$users" ]; }
wait_for 60 all_up || fail "only $(session_count) of $users sessions came up"

step "session table matches display l2tp session"
cli "$ns_lns" "display l2tp session" | tr -d '\r' >"$work/display-sessions"
# LocalSID RemoteSID LocalTID ... User: one "LocalTID LocalSID RemoteSID User" line each.
awk '$1 ~ /^[0-9]+$/ && NF >= 7 {print $3, $1, $2, $6}' "$work/display-sessions" | sort \
  >"$work/want-sessions"
[ "$(wc -l <"$work/want-sessions")" = "$users" ] || fail "display shows $(wc -l <"$work/want-sessions") sessions"
snmp_v2 snmpwalk vpdnRO $mib.1.7.1.4 >"$work/walk-remote-sid" || fail "walk of RemoteSID failed"
snmp_v2 snmpwalk vpdnRO $mib.1.7.1.5 >"$work/walk-user" || fail "walk of UserName failed"
# .1.3.6.1.2.1.10.95.1.7.1.C.IFINDEX.SID = TYPE: VALUE; the tunnel ifIndex is 2^30 + TID.
parse() { sed -E 's/^\.1\.3\.6\.1\.2\.1\.10\.95\.1\.7\.1\.[0-9]+\.([0-9]+)\.([0-9]+) = [A-Za-z]+: "?([^"]*)"?$/\1 \2 \3/'; }
join <(parse <"$work/walk-remote-sid" | awk '{print $1 - 1073741824 "/" $2, $3}' | sort) \
  <(parse <"$work/walk-user" | awk '{print $1 - 1073741824 "/" $2, $3}' | sort) |
  awk '{split($1, k, "/"); print k[1], k[2], $2, $3}' | sort >"$work/got-sessions"
diff "$work/want-sessions" "$work/got-sessions" >"$work/session-diff" ||
  fail "session table differs from the display: $(head -5 "$work/session-diff")"
states=$(snmp_v2 snmpwalk vpdnRO $mib.1.7.1.6 | grep -c 'INTEGER: 3$')
[ "$states" = "$users" ] || fail "$states of $users sessions established in the MIB"

start_ms=$(date +%s%3N)
objects=$(snmp_v2 snmpbulkwalk vpdnRO $mib | wc -l)
echo "walked the L2TP-MIB: $objects objects in $(($(date +%s%3N) - start_ms)) ms (snmpbulkwalk, v2c)"
[ "$objects" -gt $((users * 8)) ] || fail "only $objects objects in the L2TP-MIB"

step "tunnel table matches display l2tp tunnel"
cli "$ns_lns" "display l2tp tunnel" | tr -d '\r' >"$work/display-tunnels"
# LocalTID RemoteTID RemoteAddress Port Sessions RemoteName State
awk '$1 ~ /^[0-9]+$/ && NF >= 7 {print $1, $2, $5, $6}' "$work/display-tunnels" | sort \
  >"$work/want-tunnels"
[ -s "$work/want-tunnels" ] || fail "no tunnel displayed"
col() { snmp_v2 snmpwalk vpdnRO $mib.1.5.1.$1 | sed -E 's/^.*\.([0-9]+) = [A-Za-z0-9]+: "?([^"]*)"?$/\1 \2/' | sort; }
join <(col 2) <(col 26) | join - <(col 5) |
  awk '{print $1 - 1073741824, $2, $3, $4}' | sort >"$work/got-tunnels"
diff "$work/want-tunnels" "$work/got-tunnels" >"$work/tunnel-diff" ||
  fail "tunnel table differs from the display: $(cat "$work/tunnel-diff")"
map=$(snmp_v2 snmpwalk vpdnRO $mib.1.8.1.2 | wc -l)
[ "$map" = "$(wc -l <"$work/want-tunnels")" ] || fail "l2tpTunnelMapTable has $map rows"

step "a wrong community gets nothing"
out=$(snmp_v2 snmpwalk wrongRO $mib 2>&1)
echo "$out" | grep -q "$mib" && fail "answered a wrong community: $out"
echo "$out" | grep -qi "timeout" || fail "expected a timeout: $out"
# v1 is not enabled: the right community over v1 gets nothing either.
out=$(in_ns "$ns_lns" env MIBS= snmpget -v1 -c vpdnRO -On -t 1 -r 0 127.0.0.1:16161 $mib.1.1.2.2.0 2>&1)
echo "$out" | grep -q vpdnd && fail "answered SNMPv1, which is not enabled: $out"

step "SNMPv3 authPriv"
v3() {  # v3 USER AUTHKEY PRIVKEY OID
  in_ns "$ns_lns" env MIBS= SNMP_PERSISTENT_DIR="$work/v3client" snmpget -v3 -l authPriv -u "$1" \
    -a SHA -A "$2" -x AES -X "$3" -On -t 2 -r 0 127.0.0.1:16161 "$4" 2>&1
}
out=$(v3 nms authpass123 privpass123 $mib.1.1.2.2.0)
echo "$out" | grep -q '"vpdnd"' || fail "v3 authPriv user got: $out"
out=$(v3 nms authpass123 privpass123 .1.3.6.1.2.1.1.6.0)
echo "$out" | grep -q 'lab-rack-4' || fail "sysLocation not from the config: $out"
out=$(v3 intruder authpass123 privpass123 $mib.1.1.2.2.0)
echo "$out" | grep -q vpdnd && fail "an unknown user was answered: $out"
echo "$out" | grep -qi "unknown user" || fail "expected an unknown user error: $out"
out=$(v3 nms wrongpass123 privpass123 $mib.1.1.2.2.0)
echo "$out" | grep -q vpdnd && fail "a wrong key was answered: $out"

step "tunnel down -> linkDown at snmptrapd"
ip netns exec "$ns_lns" "$dial" --l2tp 127.0.0.1 --secret tunnelpw --hostname LAC2 \
  --user "u$((users + 1))@corp.com" --password pw --count 1 --hold -1 --quiet \
  >"$work/dial2.log" 2>&1 &
pids+=($!)
lac2_tid() { cli "$ns_lns" "display l2tp tunnel" | tr -d '\r' | awk '$6 == "LAC2" && $7 == "Established" {print $1}'; }
wait_for 20 lac2_tid || fail "the second tunnel did not come up"
tid=$(lac2_tid)
ifindex=$((1073741824 + tid))
link_up() { grep -q "\.1\.3\.6\.1\.6\.3\.1\.1\.5\.4" "$work/traps.log" && grep -q "\.2\.2\.1\.1\.$ifindex " "$work/traps.log"; }
wait_for 10 link_up || fail "no linkUp for tunnel $tid: $(cat "$work/traps.log")"
# The second tunnel's session is session number users + 1: the limit.
limit_trap() { grep -q "OID: \.1\.3\.6\.1\.4\.1\.8072\.9999\.9999\.1701\.0\.1" "$work/traps.log"; }
wait_for 10 limit_trap || fail "no session-limit notification: $(cat "$work/traps.log")"
grep "1701\.0\.1" "$work/traps.log" | grep -q "1701\.1\.1\.0 = Gauge32: $((users + 1))" ||
  fail "the session-limit notification does not carry the count: $(cat "$work/traps.log")"
cli "$ns_lns" "reset l2tp tunnel id $tid" >/dev/null
link_down() { grep -q "\.1\.3\.6\.1\.6\.3\.1\.1\.5\.3" "$work/traps.log"; }
wait_for 10 link_down || fail "no linkDown after reset l2tp tunnel: $(cat "$work/traps.log")"
grep -A12 "\.1\.3\.6\.1\.6\.3\.1\.1\.5\.3" "$work/traps.log" | grep -q '"LAC2"' ||
  fail "linkDown does not name the tunnel: $(cat "$work/traps.log")"

step "undo snmp-agent stops snmpd"
cli "$ns_lns" "system-view" "undo snmp-agent" >/dev/null
gone() { ! snmp_v2 snmpget vpdnRO $mib.1.1.2.2.0 2>/dev/null | grep -q vpdnd; }
wait_for 10 gone || fail "still answering after undo snmp-agent"

step "stop"
stop_box "$lns_pid" vpdnd
pgrep -f "$work/snmp/snmpd.conf" >/dev/null && fail "snmpd left running after vpdnd stopped"
no_sanitizer_reports || fail "sanitizer report"
echo "PASS"
exit 0
}
