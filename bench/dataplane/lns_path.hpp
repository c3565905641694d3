// The LNS user-space path, measured by bench_dataplane next to the bare relay.
#pragma once

#include <atomic>
#include <cstdint>

#include "netlink/netlink.hpp"

namespace vpdnd::bench {

struct LnsPathResult {
  bool ok = false;
  double cpu_s = 0;
  std::uint64_t relayed = 0;
};

// Sets up one L2TP session (an in-process LAC engine talking to the LNS engine), then runs
// the LNS data path on this thread until `stop`: down = TUN -> address lookup -> PPP frame
// -> L2TP data header -> UDP (to `lac_sink_port` on 127.0.0.1); up = UDP -> L2TP -> PPP ->
// TUN. `lns_port` is the LNS's UDP port. Returns the CPU used and packets relayed.
LnsPathResult run_lns_path(netlink::TunDevice& tun, bool down, std::uint16_t lns_port,
                           std::uint16_t lac_sink_port, std::size_t batch, std::atomic<bool>& stop,
                           std::atomic<bool>& ready, std::uint16_t ids[2]);

}  // namespace vpdnd::bench
