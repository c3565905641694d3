#include "vpdn/engine/udp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace vpdnd::vpdn::detail {

namespace {
constexpr int kBatch = 32;
constexpr std::size_t kMaxDatagram = 65536;
constexpr std::size_t kSendBatch = 64;
}  // namespace

struct UdpPort::Impl {
  explicit Impl(boost::asio::io_context& io) : socket(io) {}
  boost::asio::ip::udp::socket socket;
  std::vector<std::uint8_t> buffers = std::vector<std::uint8_t>(kBatch * kMaxDatagram);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_in, kBatch> from{};
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  // pending sends: payloads back to back in out_bytes, one (offset, size, to) per datagram
  struct Out {
    std::size_t offset, size;
    sockaddr_in to;
  };
  std::vector<std::uint8_t> out_bytes;
  std::vector<Out> out;
  bool flush_posted = false;
};

UdpPort::UdpPort(boost::asio::io_context& io, Receive on_receive)
    : impl_(std::make_unique<Impl>(io)), on_receive_(std::move(on_receive)) {}

UdpPort::~UdpPort() {
  flush();
  *impl_->alive = false;
  close();
}

Status<std::string> UdpPort::open(Ipv4 bind, std::uint16_t port) {
  close();
  boost::system::error_code ec;
  auto& s = impl_->socket;
  s.open(boost::asio::ip::udp::v4(), ec);
  if (ec) return unexpected("socket: " + ec.message());
  // No SO_REUSEADDR: on UDP it would let a second daemon share the port silently.
  s.bind({boost::asio::ip::address_v4(bind.value), port}, ec);
  if (ec) {
    s.close();
    return unexpected("bind " + bind.to_string() + ":" + std::to_string(port) + ": " +
                      ec.message());
  }
  s.non_blocking(true, ec);
  // SO_REUSEADDR only after the bind: a second daemon (no SO_REUSEADDR) still fails to bind
  // here, but the kernel data plane's per-tunnel sockets (SO_REUSEADDR before bind, then
  // connect()ed to the peer; app/services/kernel_port.hpp) may share the address and port.
  {
    const int on = 1;
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
  // A burst of SCCRQs/ICRQs from many LACs must not overflow the default ~200 KiB buffer
  // between two wake-ups (each datagram costs ~1 KiB of buffer). FORCE works as root and
  // ignores rmem_max; otherwise the plain option is capped by the sysctl.
  const int size = 8 << 20;
  if (::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  arm();
  return {};
}

void UdpPort::close() {
  flush();
  boost::system::error_code ec;
  if (impl_->socket.is_open()) impl_->socket.close(ec);
}

void UdpPort::arm() {
  std::weak_ptr<bool> alive = impl_->alive;
  impl_->socket.async_wait(boost::asio::socket_base::wait_read, [this, alive](
                                                                    const boost::system::error_code&
                                                                        ec) {
    if (alive.expired() || ec) return;
    auto& im = *impl_;
    const int fd = im.socket.native_handle();
    for (int round = 0; round < 8; ++round) {
      for (int i = 0; i < kBatch; ++i) {
        im.iovs[i] = {im.buffers.data() + static_cast<std::size_t>(i) * kMaxDatagram, kMaxDatagram};
        std::memset(&im.msgs[i], 0, sizeof(mmsghdr));
        im.msgs[i].msg_hdr.msg_iov = &im.iovs[i];
        im.msgs[i].msg_hdr.msg_iovlen = 1;
        im.msgs[i].msg_hdr.msg_name = &im.from[i];
        im.msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      }
      int n = ::recvmmsg(fd, im.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      for (int i = 0; i < n; ++i) {
        Endpoint from{Ipv4{ntohl(im.from[i].sin_addr.s_addr)}, ntohs(im.from[i].sin_port)};
        on_receive_(from, ByteView(im.buffers.data() + static_cast<std::size_t>(i) * kMaxDatagram,
                                   im.msgs[i].msg_len));
        if (alive.expired() || !im.socket.is_open()) return;
      }
      if (n < kBatch) break;
    }
    if (im.socket.is_open()) arm();
  });
}

void UdpPort::send_to(const Endpoint& to, ByteView datagram) {
  send_parts(to, datagram, {});
}

void UdpPort::send_parts(const Endpoint& to, ByteView head, ByteView body) {
  auto& im = *impl_;
  if (!im.socket.is_open()) {
    ++send_errors_;
    return;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(to.port);
  sa.sin_addr.s_addr = htonl(to.address.value);
  im.out.push_back({im.out_bytes.size(), head.size() + body.size(), sa});
  im.out_bytes.insert(im.out_bytes.end(), head.begin(), head.end());
  im.out_bytes.insert(im.out_bytes.end(), body.begin(), body.end());
  if (im.out.size() >= kSendBatch) {
    flush();
    return;
  }
  if (!im.flush_posted) {
    im.flush_posted = true;
    std::weak_ptr<bool> alive = im.alive;
    boost::asio::post(im.socket.get_executor(), [this, alive] {
      if (alive.expired()) return;
      impl_->flush_posted = false;
      flush();
    });
  }
}

void UdpPort::flush() {
  auto& im = *impl_;
  if (im.out.empty()) return;
  if (!im.socket.is_open()) {
    send_errors_ += im.out.size();
    im.out.clear();
    im.out_bytes.clear();
    return;
  }
  std::array<mmsghdr, kSendBatch> msgs{};
  std::array<iovec, kSendBatch> iovs{};
  std::size_t done = 0;
  while (done < im.out.size()) {
    const std::size_t n = std::min(kSendBatch, im.out.size() - done);
    for (std::size_t i = 0; i < n; ++i) {
      auto& o = im.out[done + i];
      iovs[i] = {im.out_bytes.data() + o.offset, o.size};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &o.to;
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
    int sent =
        ::sendmmsg(im.socket.native_handle(), msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    if (sent <= 0) {
      // The first datagram of this chunk failed (e.g. buffer full, no route): count it and
      // go on with the rest rather than spinning.
      ++send_errors_;
      ++done;
      continue;
    }
    done += static_cast<std::size_t>(sent);
  }
  im.out.clear();
  im.out_bytes.clear();
  if (im.out_bytes.capacity() > (1u << 20)) std::vector<std::uint8_t>().swap(im.out_bytes);
}

Endpoint UdpPort::local() const {
  boost::system::error_code ec;
  if (!impl_->socket.is_open()) return {};
  auto ep = impl_->socket.local_endpoint(ec);
  if (ec) return {};
  return Endpoint{Ipv4{ep.address().to_v4().to_uint()}, ep.port()};
}

}  // namespace vpdnd::vpdn::detail
