#!/bin/bash
# CPU of the vpdnd LNS per LCP echo exchange at rest (Echo-Request out, Echo-Reply in,
# the session's echo timer): COUNT established user-space sessions over TUNNELS tunnels,
# the LNS probing each every HOLD s (default 1, so 10,000 sessions make the 10,000
# exchanges/s of 100,000 sessions at the default 10 s), users that do not probe; vpdnd's
# utime+stime from /proc over WINDOW s divided by the exchanges in it. Process CPU time
# is little affected by other load on the machine (unlike wall-clock rates).
# Prints (from lns_memory.sh): ... cpu_pct_of_one_core=P ... us_per_echo_exchange=U
# Usage: sudo bench/e2e/echo_cost.sh [COUNT]   (default 10000; HOLD, TUNNELS, WINDOW,
# VPDND_BUILD_DIR as in lns_memory.sh)
here=$(cd "$(dirname "$0")" && pwd)
HOLD=${HOLD:-1} TUNNELS=${TUNNELS:-10} WINDOW=${WINDOW:-60} DIAL_ECHO=0 CLI_TIMING=0 TEARDOWN=0 \
  CONC=${CONC:-500} RATE=${RATE:-5000} exec "$here/lns_memory.sh" "${1:-10000}"
