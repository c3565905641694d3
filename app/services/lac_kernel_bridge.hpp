// DOC: the LAC's kernel data plane: LacKernelBridge is LacCalls' vpdn::SwitchPort. Once a
// user's PPP is handed over to the LNS (proxy LCP and authentication done, ICCN sent), it
// bridges the user's PPPoE session to its L2TP session in the kernel: a PPPoE socket
// connected to the user's session id and MAC on the access interface, a PPPoL2TP socket on
// a kernel tunnel (the per-tunnel UDP socket bound to the engine's address and port and
// connect()ed to the LNS, genetlink L2TP_CMD_TUNNEL_CREATE with that fd), and
// PPPIOCBRIDGECHAN between their channels (netlink/pppoe_bridge.hpp). From then on
// ppp_generic hands every frame of one channel to the other's transmit: no frame of the call
// crosses user space any more, LCP echo is end to end between the user and the LNS, and the
// LAC's counts of the call come from the kernel session's counters (PPPIOCGL2TPSTATS).
//
// The control plane stays in user space: the connected tunnel socket gets every datagram
// the kernel does not take (control messages, data of sessions not bridged) and hands it
// to the L2TP engine (Hooks::on_datagram); PADT still comes to the PPPoE server's packet
// socket, which also still sees a copy of each bridged session frame (LacCalls drops those,
// counted).
//
// Every kernel step goes through KernelTunnelOps and LacBridgeOps (real:
// make_netlink_kernel_ops() and make_kernel_bridge_ops(); tests: fakes), so the sequencing,
// fallbacks and teardown are unit-tested without l2tp/pppoe modules. A failing step is logged (one
// line per failure, then every 1000th), counted by step (fallbacks(); `display l2tp statistics`),
// what was done is undone, and the call stays on the user-space switch, which keeps working.
// Sessions with data sequencing go in with the kernel sending Ns: it starts at 0, so as
// many LCP Discard-Requests as the engine numbered go out first on the L2TP channel (the
// LNS's PPP drops them) and the kernel's next Ns is the one the LNS expects.
//
// Owner: kernel-dp. Threading: protocol thread only; no locks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "app/services/kernel_port.hpp"
#include "netlink/pppoe_bridge.hpp"
#include "vpdn/calls.hpp"

namespace boost::asio {
class io_context;
}

namespace vpdnd::app {

// One bridged call in the kernel (real: netlink::PppBridge). Destroying it unbridges and
// closes the PPPoE and PPPoL2TP sockets (the kernel session goes).
class BridgedCall {
 public:
  virtual ~BridgedCall() = default;
  virtual Result<netlink::L2tpSessionStats, netlink::Error> stats() = 0;
};

class LacBridgeOps {
 public:
  virtual ~LacBridgeOps() = default;
  virtual Result<std::unique_ptr<BridgedCall>, netlink::BridgeError> open_bridge(
      const netlink::PppoeSessionParams& user, const netlink::PppoL2tpParams& l2tp,
      std::uint16_t catch_up) = 0;
};
// Bridges through netlink::PppBridge (the tunnels: make_netlink_kernel_ops()).
std::unique_ptr<LacBridgeOps> make_kernel_bridge_ops();

struct LacBridgeSessionInfo {
  std::uint16_t peer_session_id = 0;
  bool sequencing = false;    // data messages carry Ns/Nr
  std::uint16_t next_ns = 0;  // with sequencing: the Ns the engine would put on the next one
};

struct LacBridgeCounters {
  std::uint64_t bridged = 0;  // calls bridged in total
  std::uint64_t tunnels_created = 0, tunnels_deleted = 0;
  std::uint64_t datagrams_up = 0;     // from connected sockets to the engine
  std::uint64_t read_errors = 0;      // recv failures other than EAGAIN
  std::uint64_t teardown_errors = 0;  // kernel tunnel delete failures
  std::uint64_t stats_errors = 0;     // PPPIOCGL2TPSTATS failures (last reading kept)
};

// The kernel session's counters as LacCalls counts a call's frames (protocol +
// information each way; input = from the user = what the kernel sent to the LNS). tx_bytes
// holds our L2TP header (6 octets, 10 with Ns) and FF 03; rx_bytes the LNS's header (taken
// as 6, or 10 with sequencing) and FF 03; `catch_up` Discard-Requests are not the user's.
aaa::Counters bridge_counters(const netlink::L2tpSessionStats& s, bool sequencing,
                              std::uint16_t catch_up);

class LacKernelBridge final : public vpdn::SwitchPort {
 public:
  struct Hooks {
    // The user's PPPoE session (access interface device, session id, MAC); nullopt when
    // the PPPoE server no longer holds it.
    std::function<std::optional<netlink::PppoeSessionParams>(vpdn::AccessId)> access;
    std::function<std::optional<LacBridgeSessionInfo>(vpdn::SessionRef)> session;
    std::function<std::optional<KernelTunnelInfo>(std::uint16_t tunnel)> tunnel_info;
    std::function<void(netlink::Endpoint from, ByteView datagram)> on_datagram;
  };

  LacKernelBridge(boost::asio::io_context& io, std::unique_ptr<KernelTunnelOps> tunnels,
                  std::unique_ptr<LacBridgeOps> bridges, Hooks hooks);
  ~LacKernelBridge() override;  // stop()
  LacKernelBridge(const LacKernelBridge&) = delete;
  LacKernelBridge& operator=(const LacKernelBridge&) = delete;

  bool bridge(vpdn::AccessId user, vpdn::SessionRef call) override;
  aaa::Counters counters(vpdn::AccessId user) override;
  aaa::Counters unbridge(vpdn::AccessId user) override;
  // The same counts by the call's L2TP session (what the L2TP displays list); zero when it
  // is not bridged.
  aaa::Counters session_counters(vpdn::SessionRef l2tp);
  // Daemon stop: every bridge, then every kernel tunnel and its socket. Idempotent.
  void stop();

  // More sequenced data messages than this numbered by the engine: the call stays in user
  // space rather than flood the LNS with catch-up frames.
  static constexpr std::uint16_t kMaxCatchUp = 512;

  bool bridged(vpdn::AccessId user) const;
  std::size_t call_count() const;
  std::size_t tunnel_count() const { return tunnels_.size(); }
  const LacBridgeCounters& stats() const { return counters_; }
  // Calls left on the user-space switch, by what failed ("tunnel UDP socket", a bridge
  // step's text, ...).
  const std::map<std::string, std::uint64_t>& fallbacks() const { return fallbacks_; }
  // "LAC: 2 calls bridged in the kernel over 1 tunnel; kept in user space: ioctl
  // PPPIOCBRIDGECHAN 1".
  std::string summary() const;

 private:
  struct Tunnel;
  struct Call;
  bool fail(vpdn::AccessId user, vpdn::SessionRef call, const std::string& step,
            const std::string& error);
  void release_tunnel_if_unused(std::uint16_t tunnel);
  aaa::Counters read(Call& c);

  boost::asio::io_context& io_;
  std::unique_ptr<KernelTunnelOps> tunnel_ops_;
  std::unique_ptr<LacBridgeOps> ops_;
  Hooks hooks_;
  std::map<std::uint16_t, std::unique_ptr<Tunnel>> tunnels_;  // by our tunnel id
  std::map<vpdn::AccessId, Call> calls_;
  std::map<vpdn::SessionRef, vpdn::AccessId> by_l2tp_;  // the same calls
  LacBridgeCounters counters_;
  std::map<std::string, std::uint64_t> fallbacks_;
  bool stopped_ = false;
};

}  // namespace vpdnd::app
