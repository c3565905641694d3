#!/bin/bash
# 100,000 established user-space sessions on one vpdnd LNS over 20 tunnels (two templates,
# two /16 pools), the default LCP echo (10 s) on the LNS, users that do not probe
# themselves: setup time and rate, RSS per session, CPU at rest over 60 s, `display l2tp
# session` latency over telnet, teardown time and the addresses free after it.
# Usage: sudo bench/e2e/lns_100k.sh [COUNT]   (default 100000; every knob of lns_memory.sh
# applies: TUNNELS, WINDOW, DIAL_ECHO, CONC, RATE, HOLD, SETUP_LIMIT, DIAL_TIMEOUT,
# VPDND_BUILD_DIR)
here=$(cd "$(dirname "$0")" && pwd)
TUNNELS=${TUNNELS:-20} WINDOW=${WINDOW:-60} DIAL_ECHO=${DIAL_ECHO:-0} CONC=${CONC:-500} \
  RATE=${RATE:-20000} SETUP_LIMIT=${SETUP_LIMIT:-600} DIAL_TIMEOUT=${DIAL_TIMEOUT:-120} exec "$here/lns_memory.sh" "${1:-100000}"
