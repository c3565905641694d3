#!/usr/bin/env bash
# A Windows-like L2TP/IPsec client, the way Windows' built-in one dials: IKEv1 main mode
# with a pre-shared key, ESP in transport mode around UDP 1701 (strongSwan charon), then
# L2TP (xl2tpd) and PPP (pppd) authenticating with MS-CHAP v2 only.
#
#   l2tp_ipsec_client.sh DIR LNS USER PASSWORD [PSK IKE_PROPOSAL ESP_PROPOSAL]
#
# Run inside the client's network namespace. Without PSK the client dials plain L2TP (no
# charon). Everything it writes goes to DIR (charon.log, xl2tpd.log, pppd.log); its
# progress, with seconds since start, to DIR/events: "ike-up S", "ike-failed S", "l2tp S"
# (xl2tpd started), "ppp-up S" (ppp0 has its address).
# Its own mount namespace (unshare -m) with a private /run: charon's pid file path and
# pppd's are fixed, and every client (and the LNS's charon) needs its own.
# SIGTERM ends xl2tpd (and with it pppd), then charon.
set -u
if [ -z "${VPDND_CLIENT_UNSHARED:-}" ]; then
  export VPDND_CLIENT_UNSHARED=1
  exec unshare -m --propagation private "$0" "$@"
fi
dir=$1 lns=$2 user=$3 password=$4 psk=${5:-} ike=${6:-} esp=${7:-}
mount -t tmpfs -o mode=0755 none /run
mkdir -p /run/xl2tpd /run/lock "$dir"
mount --bind /run/lock /var/lock 2>/dev/null || true
start=$(date +%s.%N)
since() { echo "$(date +%s.%N) $start" | awk '{printf "%.2f", $1 - $2}'; }
event() { echo "$*" >>"$dir/events"; }
children=()
charon_pid=
# As Windows hangs up: L2TP first (xl2tpd's StopCCN and the LNS's acknowledgement still
# inside ESP), IPsec last.
stop() {
  local p ppp
  # pppd first (its LCP Terminate-Request), waited for: it outlives xl2tpd otherwise.
  ppp=$(cat /run/ppp0.pid 2>/dev/null)
  if [ -n "$ppp" ] && kill -TERM "$ppp" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$ppp" 2>/dev/null || break; sleep 0.1; done
  fi
  for p in "${children[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${children[@]}"; do wait "$p" 2>/dev/null; done
  sleep 2
  if [ -n "$charon_pid" ]; then
    kill -TERM "$charon_pid" 2>/dev/null
    wait "$charon_pid" 2>/dev/null
  fi
  exit 0
}
trap stop TERM INT

if [ -n "$psk" ]; then
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load = random nonce aes sha1 sha2 md5 hmac kdf gmp curve25519 gcrypt kernel-netlink socket-default vici
  install_routes = no
  # The client's side of the test: quick retransmissions keep a failed exchange short.
  retransmit_tries = 3
  retransmit_timeout = 2.0
  plugins {
    include /etc/strongswan.d/charon/*.conf
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    client {
      path = $dir/charon.log
      default = 1
      flush_line = yes
    }
  }
}
swanctl {
  load = random
}
EOF
  export STRONGSWAN_CONF=$dir/strongswan.conf
  cat >"$dir/swanctl.conf" <<EOF
connections {
  l2tp {
    version = 1
    remote_addrs = $lns
    proposals = $ike
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      l2tp {
        mode = transport
        local_ts = dynamic[udp/1701]
        remote_ts = dynamic[udp/1701]
        esp_proposals = $esp
      }
    }
  }
}
secrets {
  ike-lns {
    secret = "$psk"
  }
}
EOF
  /usr/lib/ipsec/charon >/dev/null 2>&1 &
  charon_pid=$!
  for _ in $(seq 1 200); do [ -S "$dir/charon.vici" ] && break; sleep 0.1; done
  uri=unix://$dir/charon.vici
  swanctl --load-all --noprompt --file "$dir/swanctl.conf" --uri "$uri" >"$dir/swanctl.log" 2>&1
  if ! swanctl --initiate --child l2tp --timeout 150 --uri "$uri" >>"$dir/swanctl.log" 2>&1; then
    event "ike-failed $(since)"
    stop
  fi
  event "ike-up $(since)"
fi

cat >"$dir/xl2tpd.conf" <<EOF
[global]
port = 1701
access control = no
[lac lns]
lns = $lns
pppoptfile = $dir/options
length bit = yes
redial = no
autodial = yes
EOF
# Windows allows MS-CHAP v2 only. /etc/ppp/options says `auth` (make the LNS authenticate
# itself), which no LNS does: `noauth` after it.
cat >"$dir/options" <<EOF
name $user
password $password
refuse-pap
refuse-chap
refuse-mschap
refuse-eap
require-mschap-v2
noauth
noccp
ipcp-accept-local
ipcp-accept-remote
noipdefault
nodefaultroute
mtu 1280
mru 1280
lcp-echo-interval 0
debug
logfile $dir/pppd.log
EOF
: >"$dir/secrets"
event "l2tp $(since)"
xl2tpd -D -c "$dir/xl2tpd.conf" -s "$dir/secrets" -p /run/xl2tpd/pid -C /run/xl2tpd/control \
  >"$dir/xl2tpd.log" 2>&1 &
children+=($!)
# "ppp-up S": when IPCP gave ppp0 its address (the whole setup, for bench/ipsec).
(
  for _ in $(seq 1 3000); do
    ip -4 -o addr show dev ppp0 2>/dev/null | grep -q inet && { event "ppp-up $(since)"; exit 0; }
    sleep 0.2
  done
) &
children+=($!)
wait
