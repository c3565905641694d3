#!/usr/bin/env bash
# Runs inside the scripts/vm-run guest: each argument is one command line (a test binary
# with its filter, or a scenario script); prints each one's output and duration, and fails
# if any fails or skips. The guest has every module the kernel path needs, so a skip here
# means a test did not test what it is for.
#
#   in_guest.sh [--jobs N] 'COMMAND [ARG...]'...
#
# --jobs N runs up to N commands at once (default 1), each one's output printed whole when
# it ends: the e2e scenarios spend most of their time waiting, and use namespaces and
# names of their own.
set -uo pipefail
jobs=1
if [ "${1:-}" = --jobs ]; then
  jobs=$2
  shift 2
fi
export GTEST_COLOR=no
dir=$(mktemp -d)
echo "guest: $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s, $(nproc) CPUs"

run_one() {  # run_one INDEX COMMAND: output in $dir/INDEX.log, verdict in $dir/INDEX.status
  local i=$1 c=$2 start=$SECONDS rc verdict
  bash -c "$c" >"$dir/$i.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ] && grep -qE '^(.*\[  SKIPPED \]|SKIP: )' "$dir/$i.log"; then
    verdict="FAIL (skipped in a kernel that has everything)"
    rc=1
  elif [ "$rc" -ne 0 ]; then
    verdict="FAIL (status $rc)"
  else
    verdict="ok"
  fi
  {
    echo "== guest: $c"
    cat "$dir/$i.log"
    echo "== guest: $verdict ($((SECONDS - start)) s): $c"
  } >"$dir/$i.tmp"
  echo "$rc" >"$dir/$i.status"
  mv "$dir/$i.tmp" "$dir/$i.out"
}

i=0
running=0
for c in "$@"; do
  i=$((i + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$i" "$c" &
  running=$((running + 1))
  # Print finished commands' output as they end.
  for f in "$dir"/*.out; do [ -f "$f" ] && cat "$f" && mv "$f" "$f.shown"; done
done
wait
for f in "$dir"/*.out; do [ -f "$f" ] && cat "$f"; done
status=0
for f in "$dir"/*.status; do [ "$(cat "$f")" -eq 0 ] || status=1; done
[ "$i" -gt 0 ] && [ "$(ls "$dir"/*.status | wc -l)" -eq "$i" ] || status=1
rm -rf "$dir"
exit $status
