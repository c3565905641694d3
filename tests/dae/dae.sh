#!/usr/bin/env bash
# RADIUS Dynamic Authorization (RFC 5176) against live sessions: one namespace with a vpdnd
# LNS and vpdn-dial dialling two client-initiated L2TP users into it; radclient (FreeRADIUS
# utilities) is the DAE client. Disconnect by User-Name -> ACK and the session is gone;
# an unknown user -> NAK Error-Cause 503; a wrong secret -> no answer and counted; CoA
# Session-Timeout -> ACK and the session ends. Exit 77 = skip.
{
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

source "$repo/tests/e2e/lib.sh"
e2e_init dae 24123 lns
e2e_begin ip expect telnet timeout radclient
make_namespaces

cat >"$work/lns.cfg" <<CFG
sysname DAE
l2tp enable
ip pool 1 10.241.0.10 10.241.0.50
radius dynamic-author server
 client ip 127.0.0.1 key simple dae-secret
 port 13799
interface virtual-template 1
 ip address 10.241.0.1 255.255.255.0
 ppp authentication-mode chap domain corp.com
 remote address pool 1
domain corp.com
local-user u1@corp.com
 password simple pw
 service-type ppp
local-user u2@corp.com
 password simple pw
 service-type ppp
l2tp-group 1
 tunnel name LNS
 tunnel password simple tunnelpw
 allow l2tp virtual-template 1
$(cli_vty)
CFG

step "start vpdnd and dial two users"
start_box "$ns_lns" lns
lns_pid=$box_pid
wait_for 10 port_open "$ns_lns" || fail "telnet not listening"
ip netns exec "$ns_lns" "$dial" --l2tp 127.0.0.1 --secret tunnelpw --hostname LAC \
  --user 'u{n}@corp.com' --password pw --count 2 --hold -1 >"$work/dial.log" 2>&1 &
pids+=($!)

online() { cli "$ns_lns" "display connection" | tr -d '\r'; }
has_user() { online | grep -q "$1"; }
wait_for 20 has_user u2@corp.com || fail "users did not come up"
wait_for 5 has_user u1@corp.com || fail "u1 did not come up"

dae() {  # dae TYPE SECRET ATTRIBUTES -> radclient's output
  echo "$3" | ip netns exec "$ns_lns" radclient -x -r 1 -t 2 127.0.0.1:13799 "$1" "$2" 2>&1
}
now=$(date +%s)

step "Disconnect-Request by User-Name"
out=$(dae disconnect dae-secret "User-Name = \"u1@corp.com\", Event-Timestamp = $now")
echo "$out" | grep -q "Received Disconnect-ACK" || fail "no Disconnect-ACK: $out"
gone() { ! has_user "$1"; }
wait_for 10 gone u1@corp.com || fail "u1 still online after the ACK"
has_user u2@corp.com || fail "u2 went too"
grep -q "u1@corp.com.*PPP down" "$work/lns.log" || fail "no PPP teardown logged for u1"

step "unknown session -> NAK 503"
out=$(dae disconnect dae-secret 'User-Name = "nobody@corp.com"')
echo "$out" | grep -q "Received Disconnect-NAK" || fail "no Disconnect-NAK: $out"
echo "$out" | grep -q "Error-Cause = Session-Context-Not-Found" || fail "not 503: $out"

step "wrong secret -> no answer, counted"
out=$(dae disconnect wrong-secret 'User-Name = "u2@corp.com"')
echo "$out" | grep -q "Received" && fail "answered a request with the wrong secret: $out"
has_user u2@corp.com || fail "u2 disconnected by a forged request"

step "stale Event-Timestamp -> no answer"
out=$(dae disconnect dae-secret "User-Name = \"u2@corp.com\", Event-Timestamp = $((now - 3600))")
echo "$out" | grep -q "Received" && fail "answered a stale request: $out"

step "CoA Session-Timeout ends the session"
out=$(dae coa dae-secret 'User-Name = "u2@corp.com", Session-Timeout = 1')
echo "$out" | grep -q "Received CoA-ACK" || fail "no CoA-ACK: $out"
wait_for 10 gone u2@corp.com || fail "u2 still online after Session-Timeout 1"
out=$(dae coa dae-secret 'User-Name = "u2@corp.com", Filter-Id = "x"')
echo "$out" | grep -q "Received CoA-NAK" || fail "no CoA-NAK: $out"

step "statistics"
stats=$(cli "$ns_lns" "display radius dynamic-author statistics" | tr -d '\r')
echo "$stats"
echo "$stats" | grep -Eq "Disconnect-ACKs +: 1$" || fail "ACK count"
echo "$stats" | grep -Eq "Disconnect-NAKs +: 1$" || fail "NAK count"
echo "$stats" | grep -Eq "bad authenticator +: 1$" || fail "bad authenticator not counted"
echo "$stats" | grep -Eq "out of window +: 1$" || fail "stale request not counted"
echo "$stats" | grep -Eq "CoA-ACKs +: 1$" || fail "CoA-ACK count"

step "stop"
stop_box "$lns_pid" vpdnd
no_sanitizer_reports || fail "sanitizer report"
echo "PASS"
exit 0
}
