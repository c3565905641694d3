# Shared by the namespace scripts (tests/e2e/e2e.sh, tests/e2e_auto/e2e_auto.sh,
# bench/e2e/setup_rate.sh): set-up, polling, telnet CLI, veth and clean-up, so that a fix
# to how a box is stopped or a namespace removed lands in every script at once.
# Source it, then call e2e_init (or set these yourself):
#   namespaces  - names of the namespaces this run creates (removed by e2e_cleanup)
#   work        - the run's work dir (box logs are $work/*.log)
#   telnet_port - the vpdnd telnet port inside each namespace
#   veth_prefix - prefix of the veth names (short: interface names have 15 characters)
# E2E_TIME_SCALE (default 1) multiplies every bound on a wait: a run in an emulated guest
# (tests/vm) is several times slower than on the host.
# and optionally fail_context (a function fail() calls first, e.g. to print box counters).
# Bash reads a sourced file whole before running it, so editing this file cannot disturb a
# run that already sourced it.

e2e_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The binaries under test (a script may set its own first; dial="" when it needs none).
build=${build:-${VPDND_BUILD_DIR:-$(cd "$e2e_lib_dir/../.." && pwd)/build}}
vpdnd=${vpdnd:-$build/vpdnd}
dial=${dial-$build/vpdn-dial}
time_scale=${E2E_TIME_SCALE:-1}
pids=()

skip() { echo "SKIP: $*"; exit 77; }
# need_root_tools TOOL...: skips unless root and every tool is installed and TUN exists.
need_root_tools() {
  local t
  [ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
  for t in "$@"; do command -v "$t" >/dev/null || skip "$t not installed"; done
  [ -c /dev/net/tun ] || skip "/dev/net/tun missing"
}

# e2e_init NAME PORT ROLE...: names this run: namespace NAME-ROLE-<pid> in ns_ROLE for each
# ROLE (all of them in namespaces), work dir /tmp/NAME.XXXXXX, every box's telnet on PORT
# inside its own namespace (so one port serves them all), veths NAME<pid>-a/-b. NAME short:
# interface names have 15 characters.
e2e_init() {
  local name=$1 role
  telnet_port=$2
  shift 2
  namespaces=()
  for role in "$@"; do
    printf -v "ns_$role" '%s' "$name-$role-$$"
    namespaces+=("$name-$role-$$")
  done
  work=$(mktemp -d "/tmp/$name.XXXXXX")
  veth_prefix=$name$$
}

# e2e_begin TOOL...: the clean-up traps, then skips unless need_root_tools TOOL... holds and
# $vpdnd (and $dial, unless the script set it empty) is built.
e2e_begin() {
  trap e2e_cleanup EXIT
  trap 'exit 1' INT TERM
  need_root_tools "$@"
  [ -x "$vpdnd" ] || skip "$vpdnd not built"
  [ -z "${dial:-}" ] || [ -x "$dial" ] || skip "$dial not built"
}

# start_box NS NAME [ARG...]: vpdnd in namespace NS on $work/NAME.cfg, telnet on
# 127.0.0.1:$telnet_port there, output in $work/NAME.log; box_pid is the process (the
# command is backgrounded here, not this function, so it is vpdnd itself).
start_box() {
  local n=$1 name=$2; shift 2
  ip netns exec "$n" "$vpdnd" --no-console --telnet-port "$telnet_port" --telnet-bind 127.0.0.1 \
    --config "$work/$name.cfg" "$@" >"$work/$name.log" 2>&1 &
  box_pid=$!
  pids+=("$box_pid")
}

# A reaped-or-zombie child counts as gone (kill -0 succeeds on a zombie).
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# stop_box PID WHAT: SIGTERM a vpdnd and require it to exit, within 10 s, with status 0. Under
# ASan (CI) a leak or an error at shutdown aborts the process; its status is how we see it.
stop_box() {
  kill -TERM "$1" 2>/dev/null
  wait_box "$@"
}
# wait_box PID WHAT: the same for a vpdnd that was already sent its SIGTERM.
wait_box() {
  local p=$1 what=$2 rc
  for _ in $(seq 1 $((100 * time_scale))); do alive "$p" || break; sleep 0.1; done
  alive "$p" && fail "$what did not stop within $((10 * time_scale)) s of SIGTERM"
  wait "$p"
  rc=$?
  [ "$rc" -eq 0 ] || fail "$what exited with status $rc after SIGTERM"
}

# Sanitizer reports in any log (UBSan goes on after a report unless told to halt).
no_sanitizer_reports() {
  ! grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work"/*.log 2>/dev/null
}

e2e_cleanup() {
  local p n
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 30); do alive "$p" || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for n in "${namespaces[@]}"; do
    # Anything still running in the namespace was started by this run.
    ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}

fail() {
  echo "FAIL: $*"
  if declare -F fail_context >/dev/null; then fail_context; fi
  local f
  for f in "$work"/*.log; do
    [ -f "$f" ] || continue
    echo "---- $(basename "$f") (last 40 lines)"
    tail -n 40 "$f"
  done
  exit 1
}

step() { echo "== [${SECONDS}s] $*"; }  # elapsed time: shows where a slow or failed run spent it

# Foreground only: a backgrounded shell function is a subshell, so $! would not be the
# process itself (signals would miss it). Background launches use `ip netns exec` directly.
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

# Polls a command until it succeeds or `secs` pass.
wait_for() {
  local secs=$(($1 * time_scale)); shift
  local end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

cli() {  # cli NS COMMAND... -> box output on stdout
  local n=$1; shift
  in_ns "$n" timeout $((20 * time_scale)) expect -f "$e2e_lib_dir/cli.exp" 127.0.0.1 "$telnet_port" "$@"
}

port_open() { in_ns "$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$telnet_port" 2>/dev/null; }

# make_namespaces: creates every namespace in $namespaces with its loopback up.
make_namespaces() {
  local n
  for n in "${namespaces[@]}"; do
    ip netns add "$n" || fail "ip netns add $n"
    in_ns "$n" ip link set lo up
  done
}

# two_boxes NS_A ADDR_A NS_B ADDR_B: every namespace made, and NS_A and NS_B joined by a
# veth whose ends are eth0 with ADDR_A and ADDR_B (prefix length included).
two_boxes() {
  make_namespaces
  veth "$1" eth0 "$3" eth0
  in_ns "$1" ip addr add "$2" dev eth0
  in_ns "$3" ip addr add "$4" dev eth0
}

veth() {  # veth NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both ends up
  ip link add "$veth_prefix-a" type veth peer name "$veth_prefix-b" || fail "veth"
  ip link set "$veth_prefix-a" netns "$1" && ip link set "$veth_prefix-b" netns "$3"
  in_ns "$1" ip link set "$veth_prefix-a" name "$2" && in_ns "$3" ip link set "$veth_prefix-b" name "$4"
  in_ns "$1" ip link set "$2" up && in_ns "$3" ip link set "$4" up
}

# cli_vty: the vty configuration cli() relies on (telnet without a login).
cli_vty() { printf 'user-interface vty 0 4\n authentication-mode none\n'; }

# local_user NAME PASSWORD: the configuration of one local PPP user.
local_user() { printf 'local-user %s\n password simple %s\n service-type ppp\n' "$1" "$2"; }
# local_users COUNT: users u1..uCOUNT@corp.com, password pw (what vpdn-dial --user 'u{n}@corp.com'
# --password pw dials).
local_users() {
  local i
  for i in $(seq 1 "$1"); do local_user "u$i@corp.com" pw; done
}

# pppoe_lac_cfg LNS_IP [LINE...]: a LAC's configuration: PPPoE on eth1 with CHAP, users of
# domain corp.com (checked locally) sent by l2tp-group 1 to LNS_IP with tunnel
# authentication (password aabbcc); each LINE is added to the l2tp-group. The caller adds
# the users.
pppoe_lac_cfg() {
  local lns=$1
  shift
  cat <<CFG
sysname LAC
l2tp enable
domain corp.com
 authentication ppp local
interface virtual-template 1
 ppp authentication-mode chap
l2tp-group 1
 tunnel name LAC
 tunnel authentication
 tunnel password simple aabbcc
$(printf '%s\n' "$@")
 start l2tp ip $lns domain corp.com
interface eth1
 pppoe-server bind virtual-template 1
$(cli_vty)
CFG
}

# client_lns_cfg NET AUTH USER PASSWORD: an LNS for client-initiated L2TP without tunnel
# authentication: virtual-template 1 at NET.1/24 with PPP authentication-mode AUTH, pool
# NET.10 to NET.250, one local user (domain system).
client_lns_cfg() {
  cat <<CFG
sysname LNS
l2tp enable
ip pool 1 $1.10 $1.250
domain system
$(local_user "$3" "$4")
interface virtual-template 1
 ppp authentication-mode $2
 ip address $1.1 255.255.255.0
 remote address pool 1
l2tp-group 1
 undo tunnel authentication
 allow l2tp virtual-template 1
$(cli_vty)
CFG
}
