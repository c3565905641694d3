// The LAC's kernel switch: PPPoE channel <-> PPPoL2TP channel with PPPIOCBRIDGECHAN.
// glibc headers first: linux/if_pppol2tp.h pulls linux/in.h, whose libc-compat guard then yields.
#include "netlink/pppoe_bridge.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_pppol2tp.h>
#include <linux/if_pppox.h>
#include <linux/ppp-ioctl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace vpdnd::netlink {

namespace {

constexpr std::array<BridgeStep, 11> kBridgeSteps = {
    BridgeStep::open_pppoe,   BridgeStep::connect_pppoe, BridgeStep::pppoe_channel,
    BridgeStep::open_l2tp,    BridgeStep::connect_l2tp,  BridgeStep::set_options,
    BridgeStep::l2tp_channel, BridgeStep::open_ppp,      BridgeStep::attach,
    BridgeStep::catch_up,     BridgeStep::bridge,
};

}  // namespace

Bytes build_pppoe_sockaddr(const PppoeSessionParams& p) {
  if (p.session_id == 0 || p.device.empty() || p.device.size() >= IFNAMSIZ) return {};
  sockaddr_pppox sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_family = AF_PPPOX;
  sa.sa_protocol = PX_PROTO_OE;
  sa.sa_addr.pppoe.sid = htons(p.session_id);
  std::memcpy(sa.sa_addr.pppoe.remote, p.peer.data(), ETH_ALEN);
  std::memcpy(sa.sa_addr.pppoe.dev, p.device.data(), p.device.size());
  const auto* b = reinterpret_cast<const std::uint8_t*>(&sa);
  return Bytes(b, b + sizeof sa);
}

std::span<const BridgeStep> bridge_steps() {
  return kBridgeSteps;
}

std::string_view describe(BridgeStep step) {
  // In BridgeStep's order.
  static constexpr std::array<std::string_view, kBridgeSteps.size()> kTexts = {
      "socket(AF_PPPOX, SOCK_STREAM, PX_PROTO_OE)",
      "connect PPPoE socket to the user's session",
      "ioctl PPPIOCGCHAN on the PPPoE socket",
      "socket(AF_PPPOX, SOCK_DGRAM, PX_PROTO_OL2TP)",
      "connect PPPoL2TP socket to the tunnel's UDP socket",
      "setsockopt SOL_PPPOL2TP (data sequencing)",
      "ioctl PPPIOCGCHAN on the PPPoL2TP socket",
      "open /dev/ppp",
      "ioctl PPPIOCATTCHAN on /dev/ppp",
      "data sequencing catch-up frames",
      "ioctl PPPIOCBRIDGECHAN",
  };
  const auto i = static_cast<std::size_t>(step);
  return i < kTexts.size() ? kTexts[i] : "unknown bridge step";
}

BridgeError bridge_step_error(BridgeStep step, int code) {
  std::string text;
  if (step == BridgeStep::open_pppoe && (code == EAFNOSUPPORT || code == EPROTONOSUPPORT))
    text = "PPPoE sockets not supported by this kernel (no pppoe module)";
  else if (step == BridgeStep::open_l2tp && (code == EAFNOSUPPORT || code == EPROTONOSUPPORT))
    text = "PPPoL2TP sockets not supported by this kernel (no l2tp_ppp module)";
  else if (step == BridgeStep::open_ppp && (code == ENOENT || code == ENODEV || code == ENXIO))
    text = "/dev/ppp unavailable (no ppp_generic module or device node)";
  else if (step == BridgeStep::bridge && (code == ENOTTY || code == EINVAL))
    text = "PPPIOCBRIDGECHAN not supported by this kernel (Linux 5.11 or later has it)";
  else if (step == BridgeStep::connect_pppoe && code == ENODEV)
    text = "connect PPPoE socket: no such access interface";
  if (text.empty()) text = std::string(describe(step));
  return BridgeError{step, Error{text + ": " + std::strerror(code), code}};
}

Result<L2tpSessionStats, Error> read_l2tp_session_stats(int fd) {
  pppol2tp_ioc_stats s;
  std::memset(&s, 0, sizeof s);
  if (::ioctl(fd, PPPIOCGL2TPSTATS, &s) < 0)
    return unexpected(Error{std::string("ioctl PPPIOCGL2TPSTATS: ") + std::strerror(errno), errno});
  L2tpSessionStats out;
  out.tx_packets = s.tx_packets, out.tx_bytes = s.tx_bytes, out.tx_errors = s.tx_errors;
  out.rx_packets = s.rx_packets, out.rx_bytes = s.rx_bytes, out.rx_errors = s.rx_errors;
  return out;
}

std::string send_catch_up_frames(int channel_fd, std::uint16_t count) {
  if (channel_fd < 0) return "no channel fd to send the catch-up frames on";
  for (std::uint16_t i = 0; i < count; ++i) {
    // LCP Discard-Request (RFC 1661 5.8), identifier i, Magic-Number 0.
    const std::uint8_t frame[] = {0xc0, 0x21, 0x0b, static_cast<std::uint8_t>(i), 0x00, 0x08, 0x00,
                                  0x00, 0x00, 0x00};
    if (::write(channel_fd, frame, sizeof frame) != static_cast<ssize_t>(sizeof frame))
      return "catch-up frame " + std::to_string(i + 1) + " of " + std::to_string(count) + ": " +
             std::strerror(errno);
  }
  return {};
}

bool pppoe_available(std::string* reason) {
  int fd = ::socket(AF_PPPOX, SOCK_STREAM | SOCK_CLOEXEC, PX_PROTO_OE);
  if (fd < 0) {
    if (reason) *reason = bridge_step_error(BridgeStep::open_pppoe, errno).error.message;
    return false;
  }
  ::close(fd);
  return true;
}

Result<std::unique_ptr<PppBridge>, BridgeError> PppBridge::open(const PppoeSessionParams& user,
                                                                const PppoL2tpParams& l2tp,
                                                                std::uint16_t catch_up) {
  const Bytes oe = build_pppoe_sockaddr(user);
  const Bytes ol2tp = build_pppol2tp_sockaddr(l2tp);
  if (oe.empty())
    return unexpected(BridgeError{BridgeStep::connect_pppoe,
                                  Error{"PPPoE session: need a session id and a device", EINVAL}});
  if (ol2tp.empty())
    return unexpected(BridgeError{
        BridgeStep::connect_l2tp,
        Error{"PPPoL2TP channel: need a UDP socket fd and non-zero tunnel/session ids", EINVAL}});
  // Owns every fd from the first step on: an early return undoes, through the destructor.
  std::unique_ptr<PppBridge> self(new PppBridge());
  auto fail = [](BridgeStep step) { return unexpected(bridge_step_error(step, errno)); };

  self->pppoe_fd_ = ::socket(AF_PPPOX, SOCK_STREAM | SOCK_CLOEXEC, PX_PROTO_OE);
  if (self->pppoe_fd_ < 0) return fail(BridgeStep::open_pppoe);
  if (::connect(self->pppoe_fd_, reinterpret_cast<const sockaddr*>(oe.data()),
                static_cast<socklen_t>(oe.size())) < 0)
    return fail(BridgeStep::connect_pppoe);
  if (::ioctl(self->pppoe_fd_, PPPIOCGCHAN, &self->pppoe_channel_) < 0)
    return fail(BridgeStep::pppoe_channel);

  self->l2tp_fd_ = ::socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP);
  if (self->l2tp_fd_ < 0) return fail(BridgeStep::open_l2tp);
  if (::connect(self->l2tp_fd_, reinterpret_cast<const sockaddr*>(ol2tp.data()),
                static_cast<socklen_t>(ol2tp.size())) < 0)
    return fail(BridgeStep::connect_l2tp);
  const int on = 1;
  if (l2tp.send_seq &&
      ::setsockopt(self->l2tp_fd_, SOL_PPPOL2TP, PPPOL2TP_SO_SENDSEQ, &on, sizeof on) != 0)
    return fail(BridgeStep::set_options);
  if (::ioctl(self->l2tp_fd_, PPPIOCGCHAN, &self->l2tp_channel_) < 0)
    return fail(BridgeStep::l2tp_channel);

  // The /dev/ppp fd on the L2TP channel: the catch-up frames go out on it, and it is the
  // handle both PPPIOCBRIDGECHAN and PPPIOCUNBRIDGECHAN need.
  self->ppp_fd_ = ::open("/dev/ppp", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (self->ppp_fd_ < 0) return fail(BridgeStep::open_ppp);
  if (::ioctl(self->ppp_fd_, PPPIOCATTCHAN, &self->l2tp_channel_) < 0)
    return fail(BridgeStep::attach);
  if (std::string e = send_catch_up_frames(self->ppp_fd_, catch_up); !e.empty())
    return unexpected(BridgeError{BridgeStep::catch_up, Error{e, errno}});
  if (::ioctl(self->ppp_fd_, PPPIOCBRIDGECHAN, &self->pppoe_channel_) < 0)
    return fail(BridgeStep::bridge);
  self->bridged_ = true;
  return self;
}

PppBridge::~PppBridge() {
  // Unbridge first, so neither channel hands the other a frame while it goes.
  if (bridged_ && ppp_fd_ >= 0) (void)::ioctl(ppp_fd_, PPPIOCUNBRIDGECHAN);
  for (int* fd : {&ppp_fd_, &l2tp_fd_, &pppoe_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

}  // namespace vpdnd::netlink
