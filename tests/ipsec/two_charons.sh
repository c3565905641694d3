#!/usr/bin/env bash
# Two vpdnd, each driving its own strongSwan charon, in two network namespaces with a
# private /run each (charon's pid file path is fixed), ESP in user space (kernel-libipsec,
# --ipsec-libipsec) because this host's kernel has no XFRM. A's `ipsec policy ... isakmp`
# names B; IKEv1 main mode with a pre-shared key must complete and `display ike sa` on A
# must show B as READY. With a wrong key on B: no SA, and a warning naming the failure.
# Usage: two_charons.sh BUILD_DIR   (root; exit 77 = skipped, with the reason)
set -u
build=${1:?build dir}
vpdnd=$build/vpdnd
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null ||
  { echo "SKIP: strongswan-charon/strongswan-swanctl not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun for kernel-libipsec"; exit 77; }
work=$(mktemp -d /tmp/vpdnd-ipsec-XXXXXX)
A=vpdipsA$$ B=vpdipsB$$
cleanup() {
  for p in $(cat "$work"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done
  sleep 1
  ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$A" && ip netns add "$B" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$A"; ip link set "vb$$" netns "$B"
ip -n "$A" addr add 10.78.0.1/24 dev "va$$"; ip -n "$A" link set "va$$" up; ip -n "$A" link set lo up
ip -n "$B" addr add 10.78.0.2/24 dev "vb$$"; ip -n "$B" link set "vb$$" up; ip -n "$B" link set lo up

config() {  # peer key ifname
  cat <<CFG
ike keychain k
 pre-shared-key address $1 255.255.255.255 key simple $2
ike profile p
 keychain k
ipsec transform-set t
 encapsulation-mode tunnel
ipsec policy m 10 isakmp
 remote-address $1
 transform-set t
 ike-profile p
interface $3
 ipsec apply policy m
CFG
}

# run NAME NS CONFIG: vpdnd whose console reads $work/NAME.in (a FIFO kept open).
run() {
  mkdir -p "$work/$1/run"
  printf '%s\n' "$3" > "$work/$1.cfg"
  mkfifo "$work/$1.in"
  ip netns exec "$2" unshare -m sh -c "mount -t tmpfs none /run && exec $vpdnd --config $work/$1.cfg \
    --telnet-port 0 --ipsec-run-dir $work/$1/run --ipsec-libipsec" \
    < "$work/$1.in" > "$work/$1.out" 2> "$work/$1.err" &
  echo $! > "$work/$1.pid"
  exec {fd}> "$work/$1.in"
  eval "fd_$1=$fd"
}
ask() {  # NAME LINE
  local fd_var="fd_$1"
  echo "$2" >&"${!fd_var}"
}

scenario() {  # key_b expect_sa
  rm -rf "${work:?}"/*
  run a "$A" "$(config 10.78.0.2 s3cret-psk "va$$")"
  run b "$B" "$(config 10.78.0.1 "$1" "vb$$")"
  local up=no
  for _ in $(seq 1 20); do
    sleep 1
    ask a "display ike sa"
    sleep 0.5
    if grep -q "10.78.0.2[/ ].*RD" "$work/a.out"; then up=yes; break; fi
  done
  for p in $(cat "$work"/*.pid); do kill "$p" 2>/dev/null; done
  sleep 2
  echo "$up"
}

fail=0
got=$(scenario s3cret-psk)
if [ "$got" = yes ]; then
  echo "PASS: IKEv1 main mode PSK up, display ike sa on A shows 10.78.0.2 RD"
  grep -A3 "Connection-ID" "$work/a.out" | head -4
else
  echo "FAIL: no IKE SA with the right key"; for f in "$work/a.out" "$work/a.err" "$work/a/run/charon.log"; do echo "== $f"; tail -n 15 "$f"; done; fail=1
fi
got=$(scenario wrong-psk)
if [ "$got" = no ] && cat "$work/a.err" "$work/b.err" | grep -q "event=charon.*decryption failed"; then
  echo "PASS: wrong key: no SA, and the log says why:"
  cat "$work/a.err" "$work/b.err" | grep "event=charon.*decryption failed" | head -1
else
  echo "FAIL: wrong key gave SA=$got or no warning"; for f in "$work/a.err" "$work/b.err"; do echo "== $f"; tail -n 5 "$f"; done; fail=1
fi
exit $fail
