// Kernel backend, per session: the PPPoL2TP channel and its /dev/ppp unit (the sequence
// pppd's pppol2tp plugin and accel-ppp use). The sockaddr and the step texts are pure so
// that tests check them without the kernel; the syscalls below are thin and each failure
// names its step.
// glibc headers first: linux/if_pppol2tp.h pulls linux/in.h, whose libc-compat guard then yields.
#include <arpa/inet.h>
#include <fcntl.h>
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

#include "common/enum_names.hpp"
#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

static_assert(sizeof(sockaddr_pppol2tp) == 38, "packed sockaddr_pppol2tp is 2+4+32 octets");

namespace {

constexpr std::array<PppoL2tpStep, 9> kSteps = {
    PppoL2tpStep::open_socket, PppoL2tpStep::connect_socket, PppoL2tpStep::set_options,
    PppoL2tpStep::get_channel, PppoL2tpStep::open_channel,   PppoL2tpStep::attach_channel,
    PppoL2tpStep::open_unit,   PppoL2tpStep::new_unit,       PppoL2tpStep::connect_unit,
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Bytes build_pppol2tp_sockaddr(const PppoL2tpParams& p) {
  if (p.udp_fd < 0 || p.tunnel_id == 0 || p.session_id == 0 || p.peer_tunnel_id == 0) return {};
  sockaddr_pppol2tp sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_family = AF_PPPOX;
  sa.sa_protocol = PX_PROTO_OL2TP;
  sa.pppol2tp.pid = 0;
  sa.pppol2tp.fd = p.udp_fd;
  sa.pppol2tp.addr.sin_family = AF_INET;
  sa.pppol2tp.addr.sin_port = htons(p.peer.port);
  sa.pppol2tp.addr.sin_addr.s_addr = htonl(p.peer.address.value);
  sa.pppol2tp.s_tunnel = p.tunnel_id;
  sa.pppol2tp.s_session = p.session_id;
  sa.pppol2tp.d_tunnel = p.peer_tunnel_id;
  sa.pppol2tp.d_session = p.peer_session_id;
  const auto* b = reinterpret_cast<const std::uint8_t*>(&sa);
  return Bytes(b, b + sizeof sa);
}

std::span<const PppoL2tpStep> pppol2tp_steps() {
  return kSteps;
}

std::string_view describe_step(PppoL2tpStep step) {
  static constexpr std::string_view kTexts[] = {
      "socket(AF_PPPOX, SOCK_DGRAM, PX_PROTO_OL2TP)",
      "connect PPPoL2TP socket to the tunnel's UDP socket",
      "setsockopt SOL_PPPOL2TP (LNS mode, data sequencing)",
      "ioctl PPPIOCGCHAN on the PPPoL2TP socket",
      "open /dev/ppp for the channel",
      "ioctl PPPIOCATTCHAN on /dev/ppp",
      "open /dev/ppp for the unit",
      "ioctl PPPIOCNEWUNIT on /dev/ppp",
      "ioctl PPPIOCCONNECT channel to unit"};
  return enum_name<PppoL2tpStep::open_socket, PppoL2tpStep::connect_unit>(step, kTexts,
                                                                          "unknown PPPoL2TP step");
}

Error pppol2tp_step_error(PppoL2tpStep step, int code) {
  std::string text;
  if (step == PppoL2tpStep::open_socket && code == EAFNOSUPPORT)
    text = "AF_PPPOX not supported by this kernel (no pppol2tp module)";
  else if (step == PppoL2tpStep::open_socket && code == EPROTONOSUPPORT)
    text = "PX_PROTO_OL2TP not supported by this kernel (no l2tp_ppp module)";
  else if ((step == PppoL2tpStep::open_channel || step == PppoL2tpStep::open_unit) &&
           (code == ENOENT || code == ENODEV || code == ENXIO))
    text = "/dev/ppp unavailable (no ppp_generic module or device node)";
  else if (step == PppoL2tpStep::connect_socket && code == EBADF)
    text = "connect PPPoL2TP socket: the tunnel's UDP socket fd is not valid";
  if (!text.empty()) return Error{text + ": " + std::strerror(code), code};
  return Error{std::string(describe_step(step)) + ": " + std::strerror(code), code};
}

bool pppol2tp_available(std::string* reason) {
  int fd = ::socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP);
  if (fd < 0) {
    if (reason) *reason = pppol2tp_step_error(PppoL2tpStep::open_socket, errno).message;
    return false;
  }
  ::close(fd);
  int ppp = ::open("/dev/ppp", O_RDWR | O_CLOEXEC);
  if (ppp < 0) {
    if (reason) *reason = pppol2tp_step_error(PppoL2tpStep::open_channel, errno).message;
    return false;
  }
  ::close(ppp);
  return true;
}

Result<std::unique_ptr<PppoL2tpChannel>, Error> PppoL2tpChannel::open(const PppoL2tpParams& p) {
  Bytes sa = build_pppol2tp_sockaddr(p);
  if (sa.empty())
    return unexpected(
        Error{"PPPoL2TP channel: need a UDP socket fd and non-zero tunnel/session ids", EINVAL});
  // The object owns every fd from the first step on, so an early return tears down what was
  // done, in reverse order, through the destructor.
  std::unique_ptr<PppoL2tpChannel> self(new PppoL2tpChannel());
  auto fail = [&](PppoL2tpStep step) { return unexpected(pppol2tp_step_error(step, errno)); };

  self->socket_fd_ = ::socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP);
  if (self->socket_fd_ < 0) return fail(PppoL2tpStep::open_socket);
  if (::connect(self->socket_fd_, reinterpret_cast<const sockaddr*>(sa.data()),
                static_cast<socklen_t>(sa.size())) < 0)
    return fail(PppoL2tpStep::connect_socket);
  // The session exists from connect() on; its options go on before any frame is sent.
  auto set = [&](int option) {
    const int on = 1;
    return ::setsockopt(self->socket_fd_, SOL_PPPOL2TP, option, &on, sizeof on) == 0;
  };
  if ((p.lns_mode && !set(PPPOL2TP_SO_LNSMODE)) || (p.send_seq && !set(PPPOL2TP_SO_SENDSEQ)) ||
      (p.recv_seq && !set(PPPOL2TP_SO_RECVSEQ)))
    return fail(PppoL2tpStep::set_options);
  if (::ioctl(self->socket_fd_, PPPIOCGCHAN, &self->channel_) < 0)
    return fail(PppoL2tpStep::get_channel);

  // Non-blocking from the start: their readers need it, and it saves an fcntl pair each.
  self->channel_fd_ = ::open("/dev/ppp", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (self->channel_fd_ < 0) return fail(PppoL2tpStep::open_channel);
  if (::ioctl(self->channel_fd_, PPPIOCATTCHAN, &self->channel_) < 0)
    return fail(PppoL2tpStep::attach_channel);

  self->unit_fd_ = ::open("/dev/ppp", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (self->unit_fd_ < 0) return fail(PppoL2tpStep::open_unit);
  int unit = -1;  // -1: the kernel picks the first free N for pppN
  if (::ioctl(self->unit_fd_, PPPIOCNEWUNIT, &unit) < 0) return fail(PppoL2tpStep::new_unit);
  self->unit_ = unit;
  if (::ioctl(self->channel_fd_, PPPIOCCONNECT, &self->unit_) < 0)
    return fail(PppoL2tpStep::connect_unit);
  return self;
}

void PppoL2tpChannel::release_channel() {
  // No PPPIOCDISCONN: the socket's close unregisters the channel, which disconnects it from
  // the unit all the same. The ioctl would wait for an RCU grace period holding ppp_generic's
  // one mutex (every ioctl on /dev/ppp takes it), so closers that overlap their waits
  // otherwise would queue behind it one grace period each.
  close_fd(channel_fd_);
  close_fd(socket_fd_);
}

void PppoL2tpChannel::close_all() {
  // Reverse of open(): drop the unit (pppN goes; the unit itself lives on until its channel
  // lets go), then the channel and the socket (the kernel session goes with the last
  // reference, and the channel with it).
  close_fd(unit_fd_);
  release_channel();
}

PppoL2tpChannel::~PppoL2tpChannel() {
  close_all();
}

}  // namespace vpdnd::netlink
