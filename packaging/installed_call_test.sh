#!/usr/bin/env bash
# The Debian package as installed: builds it with CPack, then inside a scripts/vm-run guest
# (its root a throw-away RAM overlay) installs it with `dpkg -i`, starts the installed
# /usr/sbin/vpdnd from /etc/vpdnd/startup.cfg (no --config: the path the package uses) in
# an LNS namespace, and places one client-initiated L2TP call with the installed
# /usr/bin/vpdn-dial from a user namespace: the user gets an address from the LNS pool and
# pings the LNS through the session.
#   installed_call_test.sh BUILD_DIR VERSION           (host: build the package, run the guest)
#   installed_call_test.sh --in-guest DEB             (guest)
# Exit 77 = skip.
set -u
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --in-guest ]; then
  build=$(cd "$1" && pwd) version=$2
  command -v cpack >/dev/null || skip "cpack not installed"
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  [ -x "$build/vpdnd" ] && [ -x "$build/vpdn-dial" ] || skip "vpdnd / vpdn-dial not built"
  # Under the build tree: the guest sees the host's root file system, not its /tmp mount.
  work=$(mktemp -d "$build/installed-call.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$build" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 || {
    cat "$work/cpack.log"
    fail "cpack -G DEB"
  }
  deb=$work/out/vpdnd_${version}_$(dpkg --print-architecture).deb
  [ -f "$deb" ] || fail "no $deb"
  "$here/../scripts/vm-run" --timeout 300 -- bash "$here/installed_call_test.sh" --in-guest "$deb"
  exit $?
fi

deb=$2
start=$SECONDS
# Triggers (man-db, ldconfig) are not what is tested and take minutes under TCG.
echo "guest: dpkg -i"
dpkg --no-triggers --force-unsafe-io -i "$deb" >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i"; }
echo "guest: installed ($((SECONDS - start)) s)"
[ -x /usr/sbin/vpdnd ] && [ -x /usr/bin/vpdn-dial ] || fail "vpdnd / vpdn-dial not installed"
grep -q "snmp-agent\|l2tp enable" /etc/vpdnd/startup.cfg || fail "no installed startup.cfg"
# The operator's step after installing: passwords of their own in the installed config.
sed -i -e 's/^local-user user1$/local-user user1\n password simple user1pw/' \
  -e 's/^l2tp-group 1$/l2tp-group 1\n tunnel password simple tunnelpw/' /etc/vpdnd/startup.cfg

ip netns add lns && ip netns add user || fail "ip netns add"
trap 'ip netns pids lns | xargs -r kill; ip netns pids user | xargs -r kill; sleep 1; ip netns del lns; ip netns del user' EXIT
ip link add eth0 netns lns type veth peer name eth0 netns user || fail "veth"
ip -n lns addr add 10.246.0.1/24 dev eth0 && ip -n lns link set eth0 up && ip -n lns link set lo up
ip -n user addr add 10.246.0.2/24 dev eth0 && ip -n user link set eth0 up && ip -n user link set lo up

ip netns exec lns /usr/sbin/vpdnd --no-console --telnet-port 0 --ssh-port 0 >/tmp/lns.log 2>&1 &
lns=$!
for _ in $(seq 1 100); do grep -q "loaded /etc/vpdnd/startup.cfg" /tmp/lns.log && break; sleep 0.2; done
grep -q "loaded /etc/vpdnd/startup.cfg (.*, 0 errors" /tmp/lns.log || { cat /tmp/lns.log; fail "vpdnd did not load /etc/vpdnd/startup.cfg"; }

echo "guest: vpdnd up ($((SECONDS - start)) s); dialling"
ip netns exec user /usr/bin/vpdn-dial --l2tp 10.246.0.1 --secret tunnelpw --hostname LAC \
  --user user1 --password user1pw --count 1 --hold -1 --tun --route 192.168.100.0/24 \
  >/tmp/dial.log 2>&1 &
addr=
for _ in $(seq 1 150); do
  addr=$(ip -n user -o -4 addr show | awk '$2 != "lo" && $2 != "eth0" {print $4}' | head -n1)
  [ -n "$addr" ] && break
  sleep 0.2
done
[ -n "$addr" ] || { cat /tmp/dial.log /tmp/lns.log; fail "no address for the user"; }
case $addr in 192.168.100.*) ;; *) fail "address $addr is not from the installed pool" ;; esac
echo "user got $addr"
ok=0
for _ in $(seq 1 10); do
  ip netns exec user ping -c 1 -W 2 -I "${addr%/*}" 192.168.100.1 >/tmp/ping.log 2>&1 && { ok=1; break; }
  sleep 0.5
done
[ $ok = 1 ] || { cat /tmp/ping.log /tmp/lns.log; fail "ping to the LNS through the session failed"; }
kill -TERM $lns
for _ in $(seq 1 50); do [ -d /proc/$lns ] || break; sleep 0.1; done
wait $lns
rc=$?
[ $rc -eq 0 ] || fail "installed vpdnd exited with status $rc"
echo "PASS ($((SECONDS - start)) s in the guest)"
exit 0
