#!/usr/bin/env bash
# Builds the Debian package with CPack and checks it: contents, conffile, Depends from the
# shared libraries, lintian (no errors), systemd-analyze verify on the unit, and dpkg
# install / remove / purge into a throwaway root (dpkg --root with an empty database;
# maintainer scripts run chrootless and touch only ${DPKG_ROOT}). The installed vpdnd runs
# from that root on its installed startup config in a private network namespace and must
# report READY=1 over $NOTIFY_SOCKET, then stop on SIGTERM with status 0.
# Usage: package_test.sh BUILD_DIR VERSION. Exit 77 = skip.
set -u
build=$1 version=$2
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
for t in cpack dpkg dpkg-deb dpkg-shlibdeps python3; do
  command -v "$t" >/dev/null || skip "$t not installed"
done
[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg --root, network namespace)"
[ -x "$build/vpdnd" ] && [ -x "$build/vpdn-dial" ] || skip "vpdnd / vpdn-dial not built"
work=$(mktemp -d /tmp/vpdnd-pkg.XXXXXX)
ns=vpdnd-pkg-$$
cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "== cpack"
(cd "$build" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  fail "cpack -G DEB"
}
deb=$work/out/vpdnd_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { ls -l "$work/out"; fail "no $deb"; }

echo "== contents"
dpkg-deb -c "$deb" >"$work/list"
for f in ./usr/sbin/vpdnd ./usr/bin/vpdn-dial ./etc/vpdnd/startup.cfg \
  ./lib/systemd/system/vpdnd.service ./usr/share/man/man8/vpdnd.8.gz \
  ./usr/share/man/man1/vpdn-dial.1.gz ./usr/share/doc/vpdnd/copyright \
  ./usr/share/vpdnd/default.cfg; do
  grep -q " $f\$" "$work/list" || fail "$f not in the package"
done
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/vpdnd/startup.cfg "$work/control/conffiles" || fail "startup.cfg is not a conffile"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libssl3 libssh libnl-3; do
  echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib (shlibdeps)"
done
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
for page in vpdnd.8 vpdn-dial.1; do
  zcat "$build/packaging/$page.gz" | groff -man -Tutf8 -ww -z 2>"$work/groff.log"
  [ -s "$work/groff.log" ] && { cat "$work/groff.log"; fail "groff warnings in $page"; }
done

echo "== lintian"
if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1
  cat "$work/lintian.log"
  grep -q '^E:' "$work/lintian.log" && fail "lintian errors"
else
  echo "lintian not installed: skipped"
fi

echo "== dpkg -i into a throwaway root"
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg_root() {
  dpkg --root="$root" --log=/dev/null --force-depends --force-script-chrootless "$@" \
    >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg $*"; }
}
dpkg_root -i "$deb"
for f in usr/sbin/vpdnd usr/bin/vpdn-dial etc/vpdnd/startup.cfg lib/systemd/system/vpdnd.service; do
  [ -e "$root/$f" ] || fail "$f not installed"
done
"$root/usr/sbin/vpdnd" --version | grep -qx "vpdnd $version" || fail "installed vpdnd --version"
"$root/usr/bin/vpdn-dial" --help >/dev/null 2>&1 || fail "installed vpdn-dial --help"

echo "== systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
  # The unit names /usr/sbin/vpdnd: verify it against the throwaway root's copy.
  mkdir -p "$work/unit"
  sed "s#/usr/sbin/vpdnd#$root/usr/sbin/vpdnd#" "$root/lib/systemd/system/vpdnd.service" \
    >"$work/unit/vpdnd.service"
  SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$work/unit/vpdnd.service" \
    >"$work/verify.log" 2>&1
  rc=$?
  cat "$work/verify.log"
  [ $rc -eq 0 ] || fail "systemd-analyze verify"
else
  echo "systemd-analyze not installed: skipped"
fi

echo "== the installed vpdnd reports readiness (Type=notify)"
ip netns add "$ns" || fail "ip netns add"
ip netns exec "$ns" ip link set lo up
sock=$work/notify.sock
python3 - "$sock" >"$work/notify.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
while True:
    msg = s.recv(4096).decode()
    print(msg.replace("\n", " "), flush=True)
    if "STOPPING=1" in msg:
        break
PY
listener=$!
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$sock ip netns exec "$ns" "$root/usr/sbin/vpdnd" --no-console --telnet-port 0 \
  --config "$root/etc/vpdnd/startup.cfg" --stop-accounting-buffer "$work/stop.buf" \
  >"$work/vpdnd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q READY=1 "$work/notify.log" && break; sleep 0.1; done
grep -q READY=1 "$work/notify.log" || { cat "$work/vpdnd.log"; fail "no READY=1"; }
grep -q "random ones were set" "$work/vpdnd.log" || fail "packaged config not treated as secret-less"
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || { cat "$work/vpdnd.log"; fail "vpdnd exited $rc after SIGTERM"; }
wait $listener
grep -q STOPPING=1 "$work/notify.log" || fail "no STOPPING=1"
cat "$work/notify.log"

echo "== dpkg -r keeps the configuration, dpkg -P removes it"
echo "# edited" >>"$root/etc/vpdnd/startup.cfg"
touch "$root/etc/vpdnd/stop-accounting.buf"
dpkg_root -r vpdnd
[ -e "$root/usr/sbin/vpdnd" ] && fail "vpdnd left after dpkg -r"
grep -q "# edited" "$root/etc/vpdnd/startup.cfg" || fail "dpkg -r removed the edited config"
dpkg_root -P vpdnd
[ -e "$root/etc/vpdnd" ] && { ls -la "$root/etc/vpdnd"; fail "/etc/vpdnd left after dpkg -P"; }
echo PASS
