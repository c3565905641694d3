// DOC: what vpdnd knows of the IPsec state strongSwan's charon holds: the IKE and child
// SAs as charon lists them (read back by the driver, ipsec/ipsec.hpp), and vpdnd's own
// counters. Plain data, no dependencies, so the CLI formats it without linking ipsec/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vpdnd::ipsec {

struct ChildSa {
  std::string name;  // charon's child name (= its connection's name)
  std::uint32_t uniqueid = 0;
  std::string state;            // "INSTALLED", "REKEYING", ...
  std::string mode;             // "TRANSPORT" or "TUNNEL"
  std::string protocol;         // "ESP"
  bool encap = false;           // UDP-encapsulated (NAT-T)
  std::string spi_in, spi_out;  // hex as charon prints them ("c1d2e3f4")
  std::string encr_alg;         // "AES_CBC"
  std::uint32_t encr_keysize = 0;
  std::string integ_alg;  // "HMAC_SHA1_96"
  std::string dh_group;   // PFS group, "" without
  std::uint64_t bytes_in = 0, packets_in = 0, bytes_out = 0, packets_out = 0;
  std::uint32_t rekey_time = 0, life_time = 0, install_time = 0;  // seconds
  std::vector<std::string> local_ts, remote_ts;                   // "10.0.0.1/32[udp/l2f]"
};

struct IkeSa {
  std::string name;  // connection name (the renderer's: policy name and sequence)
  std::uint32_t uniqueid = 0;
  std::uint32_t version = 1;
  std::string state;  // "ESTABLISHED", "CONNECTING", "DELETING", ...
  std::string local_host, remote_host;
  std::uint16_t local_port = 500, remote_port = 500;
  std::string local_id, remote_id;
  bool initiator = false;
  std::string initiator_spi, responder_spi;
  bool nat_local = false, nat_remote = false;
  std::string encr_alg;
  std::uint32_t encr_keysize = 0;
  std::string integ_alg, prf_alg, dh_group;
  std::uint32_t established = 0, rekey_time = 0, reauth_time = 0;  // seconds
  std::vector<ChildSa> children;
};

// A read of charon's SA list. `available` false: charon could not be asked (`error`).
struct SaSnapshot {
  bool available = false;
  std::string error;
  std::vector<IkeSa> sas;
};

// Where a connection came from in the running config, for the displays.
struct ConnectionOrigin {
  std::string connection;  // charon's name
  std::string interface;   // `ipsec apply policy` interface
  std::string policy;      // `ipsec policy NAME`
  std::uint16_t sequence = 0;
  std::string template_name;  // set when the entry is `isakmp template T`
  std::uint16_t template_sequence = 0;
  std::string ike_profile;
  bool transport = true;
  std::string pfs;         // "dh-group2", "" without
  bool initiator = false;  // this end brings the SA up and renews it (a LAC toward its LNS)
};

struct Statistics {
  std::string charon;  // "running (pid 123)", "attached to unix:///...", "not running: ..."
  std::uint64_t config_loads = 0, config_load_failures = 0;
  std::string last_load_error;
  // L2TP datagrams refused because no IPsec SA protects their source (plain L2TP where an
  // IPsec policy applies).
  std::uint64_t plain_l2tp_refused = 0;
  // Where the kernel has XFRM: charon's drop policies for plain L2TP are in place, and the
  // kernel's count of packets dropped on a blocking policy (XfrmInPolBlock /
  // XfrmOutPolBlock of the network namespace: any blocking policy, ours the usual one).
  bool kernel_block = false;
  std::uint64_t kernel_blocked_in = 0, kernel_blocked_out = 0;
  // vpdnd's nftables filter is in place (plain L2TP from protected peers dropped at the
  // input hook, before the kernel data path's L2TP takes it), and its drop count.
  bool l2tp_filter = false;
  std::uint64_t l2tp_filtered = 0;
  std::vector<ConnectionOrigin> connections;
};

}  // namespace vpdnd::ipsec
