# Shared by the L2TP/IPsec scripts (tests/vm/l2tp_ipsec.sh, bench/ipsec/l2tp_ipsec_rate.sh):
# a vpdnd driving its own charon, and the LNS's dial-in IPsec configuration. Source it
# after tests/e2e/lib.sh (vpdnd, work, telnet_port and pids come from there).

# start_ipsec_box NS NAME CONFIG [OPTION...]: vpdnd in namespace NS on CONFIG with the
# further OPTIONs (no spaces in them), output in $work/NAME.log, its charon's files in
# $work/NAME/ipsec. charon's pid file path is fixed (/run/charon.pid),
# so each box gets a mount namespace with a /run of its own.
start_ipsec_box() {
  ip netns exec "$1" unshare -m --propagation private sh -c \
    "mount -t tmpfs -o mode=0755 none /run && exec $vpdnd --no-console --telnet-port $telnet_port \
     --telnet-bind 127.0.0.1 --ssh-port 0 --config $3 --ipsec-run-dir $work/$2/ipsec ${*:4}" \
    >"$work/$2.log" 2>&1 &
  pids+=($!)
}

# ipsec_dialin_cfg PSK INTERFACE: the configuration Windows, macOS, iOS and Android
# clients dial: any peer with pre-shared key PSK, the client-friendly proposal defaults,
# ESP transport mode, applied to INTERFACE.
ipsec_dialin_cfg() {
  cat <<EOF
ike keychain clients
 pre-shared-key address 0.0.0.0 0.0.0.0 key simple $1
ike profile clients
 keychain clients
ipsec transform-set l2tp
 encapsulation-mode transport
ipsec policy-template dialin 1
 transform-set l2tp
 ike-profile clients
ipsec policy vpdn 10 isakmp template dialin
interface $2
 ipsec apply policy vpdn
EOF
}

# warm_crypto: the kernel builds (and self-tests) each ESP algorithm the first time an SA uses it,
# loading modules as it goes: in an emulated guest that took longer than charon's quick
# mode retransmissions. One throw-away SA per algorithm set, in a scratch namespace,
# builds them before the clients need them (the instances are kernel-wide). Fails where
# the kernel cannot do ESP with AES and SHA-1.
warm_crypto() {
  local n=ipsec-warm-$$
  ip netns add "$n" || return 1
  if ! ip -n "$n" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 mode transport \
    enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff auth-trunc 'hmac(sha1)' 0x00112233445566778899aabbccddeeff00112233 96; then
    ip netns del "$n"
    return 1
  fi
  ip -n "$n" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x101 mode transport \
    enc 'cbc(des3_ede)' 0x00112233445566778899aabbccddeeff0011223344556677 auth-trunc 'hmac(sha1)' 0x00112233445566778899aabbccddeeff00112233 96
  ip -n "$n" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x102 mode transport \
    enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff auth-trunc 'hmac(sha256)' 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128
  ip netns del "$n"
}
