// DOC: what the PPPoE server shows the operator (`display pppoe-server session`).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace vpdnd::ppp {

// Session-stage traffic (PPP frames, octets of protocol + information). Discards are frames
// of this session refused: in from the wrong MAC, out over the MTU.
struct PppoeTraffic {
  std::uint64_t in_packets = 0, in_octets = 0, in_discards = 0;
  std::uint64_t out_packets = 0, out_octets = 0, out_discards = 0;
};

struct PppoeSessionStatus : PppoeTraffic {
  std::uint16_t session_id = 0;
  std::string interface;  // the access port as configured (Linux or canonical Comware name)
  std::array<std::uint8_t, 6> peer_mac{};
  std::string state;  // "PADR-received", "LCP", "Auth", "Up", ...
  std::string user;
  std::uint16_t l2tp_tunnel = 0;  // 0 when not tunnelled (yet)
  std::uint16_t l2tp_session = 0;
  std::chrono::seconds uptime{0};
  std::array<std::uint8_t, 6> local_mac{};  // the access port's MAC (our side)
  std::uint16_t virtual_template = 0;       // the port's `pppoe-server bind virtual-template`
};

}  // namespace vpdnd::ppp
