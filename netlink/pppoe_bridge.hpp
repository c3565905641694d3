// DOC: the LAC's kernel switch: a user's PPPoE session (AF_PPPOX/PX_PROTO_OE socket connected
// to its session id and MAC on the access interface) bridged to its L2TP session's PPPoL2TP
// channel with PPPIOCBRIDGECHAN (Linux >= 5.11), so ppp_generic hands every frame of one
// channel straight to the other's transmit, in both directions, with no copy through user
// space and no pppN. The sockaddr bytes and the step texts are pure (tested without the
// kernel); the syscalls are thin and each failure names its step.
//
// Owner: kernel-dp. Threading: any; a PppBridge is used by one thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

struct PppoeSessionParams {
  std::string device;                  // the access interface's Linux name ("eth1")
  std::uint16_t session_id = 0;        // the PPPoE session id (host order)
  std::array<std::uint8_t, 6> peer{};  // the user's MAC
};

// The bytes of `struct sockaddr_pppox` for connect(): sa_family AF_PPPOX, sa_protocol
// PX_PROTO_OE, sid in network order, the peer's MAC, the device name. Empty when the
// parameters cannot name a session (session id 0, empty device or one longer than
// IFNAMSIZ - 1).
Bytes build_pppoe_sockaddr(const PppoeSessionParams& p);

// The set-up steps of a bridge, in order; each failure names its step.
enum class BridgeStep : std::uint8_t {
  open_pppoe,     // socket(AF_PPPOX, SOCK_STREAM, PX_PROTO_OE)
  connect_pppoe,  // connect to the session id, MAC, device
  pppoe_channel,  // PPPIOCGCHAN on the PPPoE socket
  open_l2tp,      // socket(AF_PPPOX, SOCK_DGRAM, PX_PROTO_OL2TP)
  connect_l2tp,   // connect to the tunnel's UDP socket and ids (the kernel session appears)
  set_options,    // PPPOL2TP_SO_SENDSEQ
  l2tp_channel,   // PPPIOCGCHAN on the PPPoL2TP socket
  open_ppp,       // open /dev/ppp
  attach,         // PPPIOCATTCHAN to the PPPoL2TP channel
  catch_up,       // the LCP Discard-Requests that align the kernel's Ns (sequencing only)
  bridge,         // PPPIOCBRIDGECHAN to the PPPoE channel
};
std::span<const BridgeStep> bridge_steps();
std::string_view describe(BridgeStep step);
struct BridgeError {
  BridgeStep step = BridgeStep::open_pppoe;
  Error error;
};
BridgeError bridge_step_error(BridgeStep step, int code);

// The kernel L2TP session's counters (PPPIOCGL2TPSTATS on the PPPoL2TP socket). tx is what
// the kernel sent to the peer (octets with the L2TP header), rx what it took from it (the
// L2TP payload: FF 03, protocol, information).
struct L2tpSessionStats {
  std::uint64_t tx_packets = 0, tx_bytes = 0, tx_errors = 0;
  std::uint64_t rx_packets = 0, rx_bytes = 0, rx_errors = 0;
};
Result<L2tpSessionStats, Error> read_l2tp_session_stats(int pppol2tp_fd);

// Sends `count` LCP Discard-Requests (Magic-Number 0: any PPP drops them) on a /dev/ppp
// channel fd, so that a kernel L2TP session that sends Ns from 0 reaches `count` before the
// peer sees its first real frame. "" when all went, else the error.
std::string send_catch_up_frames(int channel_fd, std::uint16_t count);

// PPPoE socket and module present (socket(AF_PPPOX, SOCK_STREAM, PX_PROTO_OE) opens).
bool pppoe_available(std::string* reason);

class PppBridge {
 public:
  // Opens the PPPoE channel of `user`, the PPPoL2TP channel of `l2tp` (send_seq asks the
  // kernel to number data), `catch_up` LCP Discard-Requests on the latter, then bridges
  // them. What was done is undone on failure.
  static Result<std::unique_ptr<PppBridge>, BridgeError> open(const PppoeSessionParams& user,
                                                              const PppoL2tpParams& l2tp,
                                                              std::uint16_t catch_up);
  ~PppBridge();  // PPPIOCUNBRIDGECHAN, then /dev/ppp, PPPoL2TP socket (kernel session), PPPoE
  PppBridge(const PppBridge&) = delete;
  PppBridge& operator=(const PppBridge&) = delete;

  Result<L2tpSessionStats, Error> stats() const { return read_l2tp_session_stats(l2tp_fd_); }
  int pppoe_channel() const { return pppoe_channel_; }
  int l2tp_channel() const { return l2tp_channel_; }

 private:
  PppBridge() = default;
  int pppoe_fd_ = -1, l2tp_fd_ = -1, ppp_fd_ = -1;
  int pppoe_channel_ = -1, l2tp_channel_ = -1;
  bool bridged_ = false;
};

}  // namespace vpdnd::netlink
