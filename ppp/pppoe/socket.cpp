// AF_PACKET I/O for PPPoE: one filtered socket bound to the interface, drained in batches
// on the io_context.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>

#include "ppp/pppoe.hpp"

namespace vpdnd::ppp {

namespace {
constexpr std::size_t kBatch = 64;

std::string sys_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// One socket for both PPPoE ethertypes: with two, the loop could read a session frame
// (the AC's first LCP Configure-Request) before the PADS that precedes it on the wire, and
// the client would drop it. ETH_P_ALL plus a classic BPF filter keeps wire order and lets
// the kernel discard everything else.
int open_packet_socket(int ifindex, bool promiscuous, std::string& err) {
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) {
    err = sys_error("socket(AF_PACKET)");
    return -1;
  }
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),  // ethertype
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kEtherTypePppoeDiscovery, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kEtherTypePppoeSession, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    err = sys_error("SO_ATTACH_FILTER");
    ::close(fd);
    return -1;
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    err = sys_error("bind(AF_PACKET)");
    ::close(fd);
    return -1;
  }
  // Bursts (a PADI storm, many users' LCP at once) must not overflow the default ~200 KB
  // receive queue between two drains; FORCE needs CAP_NET_ADMIN, the plain one is capped.
  int bytes = 4 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  // The socket is non-blocking: a burst of answers beyond the send buffer would fail with
  // EAGAIN and be lost (then recovered only by the peer's 3 s PPP restart).
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  if (promiscuous) {
    packet_mreq mr{};
    mr.mr_ifindex = ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (::setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
      err = sys_error("PACKET_MR_PROMISC");
      ::close(fd);
      return -1;
    }
  }
  return fd;
}
}  // namespace

struct PppoeSocket::Impl {
  struct Reader : std::enable_shared_from_this<Reader> {
    Reader(boost::asio::io_context& io, int fd, PppoeSocket* owner)
        : descriptor(io, fd), socket(owner) {}
    boost::asio::posix::stream_descriptor descriptor;
    PppoeSocket* socket;
    FrameHandler handler;
    bool stopped = false;
    std::uint8_t buffer[2048];

    void arm() {
      descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [self = shared_from_this()](const boost::system::error_code& ec) {
                              if (self->stopped || ec) return;
                              self->drain();
                              if (!self->stopped) self->arm();
                            });
    }
    void drain() {
      for (std::size_t i = 0; i < kBatch && !stopped; ++i) {
        sockaddr_ll from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(descriptor.native_handle(), buffer, sizeof buffer, 0,
                               reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK) ++socket->counters_.read_errors;
          return;
        }
        // Our own transmissions looped back (PACKET_OUTGOING) are not input.
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        ++socket->counters_.frames_in;
        handler(ByteView(buffer, static_cast<std::size_t>(n)));
      }
    }
  };
  std::shared_ptr<Reader> reader;
  int send_fd = -1;
};

Result<std::unique_ptr<PppoeSocket>, std::string> PppoeSocket::open(boost::asio::io_context& io,
                                                                    const std::string& ifname,
                                                                    bool promiscuous) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ)
    return unexpected(std::string("bad interface name"));
  int ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
  if (ifindex == 0) return unexpected(sys_error("interface " + ifname));
  std::unique_ptr<PppoeSocket> self(new PppoeSocket());
  self->name_ = ifname;
  self->ifindex_ = ifindex;
  {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    if (fd < 0 || ::ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
      std::string e = sys_error("SIOCGIFHWADDR " + ifname);
      if (fd >= 0) ::close(fd);
      return unexpected(e);
    }
    ::close(fd);
    std::memcpy(self->mac_.data(), ifr.ifr_hwaddr.sa_data, 6);
  }
  std::string err;
  int fd = open_packet_socket(ifindex, promiscuous, err);
  if (fd < 0) return unexpected(err);
  self->impl_ = std::make_unique<Impl>();
  self->impl_->reader = std::make_shared<Impl::Reader>(io, fd, self.get());
  self->impl_->send_fd = fd;
  return self;
}

PppoeSocket::~PppoeSocket() {
  stop();
}

void PppoeSocket::start(FrameHandler handler) {
  impl_->reader->handler = std::move(handler);
  impl_->reader->stopped = false;
  impl_->reader->arm();
}

void PppoeSocket::stop() {
  if (!impl_ || !impl_->reader) return;
  impl_->reader->stopped = true;
  boost::system::error_code ignored;
  impl_->reader->descriptor.cancel(ignored);
}

std::uint64_t PppoeSocket::kernel_drops() {
  tpacket_stats st{};
  socklen_t len = sizeof st;
  if (!impl_ || ::getsockopt(impl_->send_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
    return 0;
  return st.tp_drops;
}

void PppoeSocket::send_frame(ByteView frame) {
  for (;;) {
    ssize_t n = ::send(impl_->send_fd, frame.data(), frame.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == static_cast<ssize_t>(frame.size())) {
      ++counters_.frames_out;
    } else {
      ++counters_.send_errors;
    }
    return;
  }
}

}  // namespace vpdnd::ppp
