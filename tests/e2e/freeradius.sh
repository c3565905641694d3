# FreeRADIUS for the namespace scripts (tests/e2e/e2e.sh, tests/vm/l2tp_ipsec.sh): a private
# raddb in the run's work dir, on the LNS's loopback. Each script writes radiusd.conf as
# freeradius_conf_head, then its own modules and server section (using
# freeradius_post_auth), and its users file. Source it after tests/e2e/lib.sh (wait_for,
# fail and pids come from there).

# freeradius_conf_head RADDB ACCTDIR: the start of radiusd.conf (same shape as tests/radius'
# harness): every path in RADDB (accounting detail in ACCTDIR), log to stdout, the client
# 127.0.0.1 with secret testing123, a small thread pool. Creates RADDB's log and run dirs.
freeradius_conf_head() {
  mkdir -p "$1/log" "$1/run" "$2"
  cat <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $1/log
raddbdir = $1
radacctdir = $2
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}
run_dir = $1/run
db_dir = $1
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/\${name}.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 1024
hostname_lookups = no
log {
 destination = stdout
 colourise = no
 auth = yes
}
security {
 allow_core_dumps = no
 max_attributes = 200
 reject_delay = 0
 status_server = no
}
client localhost {
 ipaddr = 127.0.0.1
 secret = testing123
}
thread pool {
 start_servers = 2
 max_servers = 4
 min_spare_servers = 1
 max_spare_servers = 3
 max_requests_per_server = 0
}
EOF
}

# freeradius_post_auth: the server's post-auth section. vpdnd requires a
# Message-Authenticator in Access replies (attribute 80 check-mode strict); Debian 12's
# FreeRADIUS 3.2.1 signs one only when the reply carries it.
freeradius_post_auth() {
  cat <<'EOF'
 post-auth {
  update reply {
   Message-Authenticator := 0x00
  }
  Post-Auth-Type REJECT {
   update reply {
    Message-Authenticator := 0x00
   }
  }
 }
EOF
}

# start_freeradius NS RADDB LOG: freeradius -X in namespace NS, output in LOG, until it is
# ready for requests.
start_freeradius() {
  ip netns exec "$1" freeradius -X -d "$2" >"$3" 2>&1 &
  pids+=($!)
  wait_for 60 grep -q "Ready to process requests" "$3" || fail "freeradius did not start"
}
