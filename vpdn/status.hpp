// DOC: what the L2TP control engine shows the operator. Plain snapshot structs, built on
// the protocol thread by L2tpEngine and formatted by cli/ (`display l2tp tunnel|session|statistics`).
// Fields may be added; renaming or removing one means updating every reader in one commit.
// String fields hold what the peer sent, byte for byte (matching uses them); a reader shows
// them only through printable() (common/printable.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ipv4.hpp"

namespace vpdnd::vpdn {

// RFC 2661 §7.2 tunnel states, as `display l2tp tunnel` names them.
enum class TunnelState { idle, wait_reply, wait_connect, established, stopping };
// RFC 2661 §7.4 session states (LAC and LNS incoming call), plus wait_tunnel at the LAC.
enum class SessionState { idle, wait_tunnel, wait_reply, wait_connect, established, stopping };

std::string_view display_name(
    TunnelState s);  // "Idle", "Wait-reply", "Wait-connect", "Established", "Stopping"
std::string_view display_name(SessionState s);  // "Idle", "Wait-tunnel", "Wait-reply",
                                                // "Wait-connect", "Established", "Stopping"

struct TunnelStatus {
  std::uint16_t local_id = 0;
  std::uint16_t remote_id = 0;
  Ipv4 remote_address;
  std::uint16_t remote_port = 0;
  Ipv4 local_address;
  std::uint16_t local_port = 0;
  std::uint32_t sessions = 0;
  std::string remote_name;  // peer's Host Name AVP
  std::string local_name;   // our Host Name AVP
  TunnelState state = TunnelState::idle;
  std::uint16_t group = 0;  // l2tp-group number it belongs to
  bool is_lac = false;      // our role on this tunnel
  // verbose
  bool authenticated = false;  // challenge/response done
  std::uint16_t ns = 0;        // next Ns we send
  std::uint16_t nr = 0;        // next Ns we expect
  std::uint16_t peer_window = 0;
  std::uint16_t our_window = 0;
  std::uint32_t hello_interval_s = 60;
  std::uint64_t control_in = 0;
  std::uint64_t control_out = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t data_packets_in = 0, data_packets_out = 0;
  std::uint64_t data_bytes_in = 0, data_bytes_out = 0;
  std::chrono::seconds uptime{0};
};

struct SessionStatus {
  std::uint16_t local_id = 0;
  std::uint16_t remote_id = 0;
  std::uint16_t tunnel_local_id = 0;
  SessionState state = SessionState::idle;
  std::string interface;        // "Virtual-Template1:3" at the LNS, "eth1" (PPPoE) at the LAC
  std::string user;             // full user name as authenticated
  std::optional<Ipv4> address;  // assigned IPCP address (LNS) or learnt (LAC)
  // verbose
  Ipv4 peer_address;
  std::uint32_t call_serial = 0;
  std::string calling_number;
  std::string called_number;
  std::string auth_method;  // "CHAP", "PAP", "proxy CHAP", ...
  std::uint64_t packets_in = 0, packets_out = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::chrono::seconds uptime{0};
};

struct L2tpStatistics {
  // keyed by message name as RFC 2661 writes it: "SCCRQ", "ZLB", "HELLO", ...
  std::map<std::string, std::uint64_t> messages_in;
  std::map<std::string, std::uint64_t> messages_out;
  std::uint64_t retransmits = 0;
  std::map<std::string, std::uint64_t>
      drops;  // reason -> count ("bad length", "unknown tunnel", ...)
  std::uint64_t tunnels_up = 0, tunnels_total = 0;
  std::uint64_t sessions_up = 0, sessions_total = 0;
  // LNS tunnels in setup (SCCRQ received, no SCCCN yet) and their bounds (EngineOptions).
  std::uint64_t tunnels_in_setup = 0;
  std::uint64_t setup_limit = 0, setup_limit_per_source = 0;  // 0 = no cap
  std::uint64_t setup_timeout_s = 0;
  std::uint64_t setup_expired = 0;     // removed at setup_timeout_s without SCCCN
  std::uint64_t sccrq_over_limit = 0;  // SCCRQs dropped by the caps
  // Bytes to and from peers before they proved they receive our packets.
  std::uint64_t unconfirmed_bytes_in = 0, unconfirmed_bytes_out = 0;
  std::string data_plane_backend;  // "user-space (TUN)" or "kernel (l2tp_ppp)"
};

}  // namespace vpdnd::vpdn
