#!/usr/bin/env bash
# Runs inside the scripts/vm-run guest: each argument is one command line (a test binary
# with its filter, or a scenario script), run in turn; prints each one's duration and
# fails if any fails or skips. The guest has every module the kernel path needs, so a skip
# here means a test did not test what it is for.
#
#   in_guest.sh 'COMMAND [ARG...]'...
set -uo pipefail
export GTEST_COLOR=no
status=0
log=$(mktemp)
echo "guest: $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
for c in "$@"; do
  echo "== guest: $c"
  start=$SECONDS
  bash -c "$c" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ] && grep -qE '^(.*\[  SKIPPED \]|SKIP: )' "$log"; then
    echo "== guest: FAIL (skipped in a kernel that has everything): $c"
    status=1
  elif [ "$rc" -ne 0 ]; then
    echo "== guest: FAIL (status $rc, $((SECONDS - start)) s): $c"
    status=1
  else
    echo "== guest: ok ($((SECONDS - start)) s): $c"
  fi
done
rm -f "$log"
exit $status
