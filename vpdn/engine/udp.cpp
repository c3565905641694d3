#include "vpdn/engine/udp.hpp"

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include "netlink/netlink.hpp"

namespace vpdnd::vpdn::detail {

// The socket and its recvmmsg/sendmmsg batches are netlink::UdpBatchSocket, the one batched
// UDP path of the tree; this port adds the Asio readiness wait and the deferred flush.
namespace {
constexpr std::size_t kBatch = 64;
constexpr std::size_t kMaxDatagram = 65536;
constexpr int kRounds = 8;  // batches per wake-up before other handlers get a turn
}  // namespace

struct UdpPort::Impl {
  explicit Impl(boost::asio::io_context& io) : wait(io) {}
  std::unique_ptr<netlink::UdpBatchSocket> socket;
  boost::asio::posix::stream_descriptor wait;  // readiness of socket's fd; never closes it
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  bool flush_posted = false;
};

UdpPort::UdpPort(boost::asio::io_context& io, Receive on_receive, Prefetch prefetch)
    : impl_(std::make_unique<Impl>(io)),
      on_receive_(std::move(on_receive)),
      prefetch_(std::move(prefetch)) {}

UdpPort::~UdpPort() {
  flush();
  *impl_->alive = false;
  close();
}

Status<std::string> UdpPort::open(Ipv4 bind, std::uint16_t port, int receive_buffer) {
  close();
  // No SO_REUSEADDR before the bind: on UDP it would let a second daemon share the port.
  auto sock = netlink::UdpBatchSocket::bind({bind, port}, kBatch, kMaxDatagram);
  if (!sock) return unexpected(sock.error().message);
  auto& s = *sock;
  // SO_REUSEADDR only after the bind: a second daemon (no SO_REUSEADDR) still fails to bind
  // here, but the kernel data plane's per-tunnel sockets (SO_REUSEADDR before bind, then
  // connect()ed to the peer; app/services/kernel_port.hpp) may share the address and port.
  {
    const int on = 1;
    ::setsockopt(s->fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
  // A burst of SCCRQs/ICRQs from many LACs, or of echo replies, must not overflow the
  // default ~200 KiB buffer between two wake-ups (each datagram costs ~1 KiB of buffer).
  // FORCE works as root; otherwise the plain option is capped by the sysctl.
  (void)s->set_buffers(receive_buffer, 8 << 20);
  receive_buffer_ = receive_buffer;
  boost::system::error_code ec;
  impl_->wait.assign(s->fd(), ec);
  if (ec) return unexpected("socket: " + ec.message());
  impl_->socket = std::move(s);
  arm();
  return {};
}

void UdpPort::set_receive_buffer(int bytes) {
  receive_buffer_ = bytes;
  if (impl_->socket) (void)impl_->socket->set_buffers(bytes, 0);
}

void UdpPort::close() {
  flush();
  auto& im = *impl_;
  if (!im.socket) return;
  boost::system::error_code ec;
  im.wait.cancel(ec);
  (void)im.wait.release();  // the fd is the UdpBatchSocket's to close
  send_errors_ += im.socket->counters().write_errors;
  closed_drops_ = receive_drops();
  im.socket.reset();
}

void UdpPort::arm() {
  std::weak_ptr<bool> alive = impl_->alive;
  impl_->wait.async_wait(boost::asio::posix::descriptor_base::wait_read,
                         [this, alive](const boost::system::error_code& ec) {
                           if (alive.expired() || ec) return;
                           auto* sock = impl_->socket.get();
                           if (!sock) return;
                           for (int round = 0; round < kRounds; ++round) {
                             const std::size_t n = sock->receive();
                             if (n > 1 && prefetch_) prefetch_(sock->datagrams());
                             for (std::size_t i = 0; i < n; ++i) {
                               on_receive_(sock->from(i), sock->datagram(i));
                               // The handler may have closed or re-opened the socket.
                               if (alive.expired() || impl_->socket.get() != sock) return;
                             }
                             if (sock->messages() < kBatch) break;
                           }
                           arm();
                         });
}

std::uint64_t UdpPort::receive_drops() const {
  if (!impl_->socket) return closed_drops_;
  std::uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (::getsockopt(impl_->socket->fd(), SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
      len <= SK_MEMINFO_DROPS * sizeof mem[0])
    return closed_drops_;
  return closed_drops_ + mem[SK_MEMINFO_DROPS];
}

void UdpPort::send_to(const Endpoint& to, ByteView datagram) {
  send_parts(to, datagram, {});
}

void UdpPort::send_parts(const Endpoint& to, ByteView head, ByteView body) {
  auto& im = *impl_;
  if (!im.socket) {
    ++send_errors_;
    return;
  }
  im.socket->queue(to, head, body);  // flushes by itself when the batch is full
  if (!im.flush_posted) {
    im.flush_posted = true;
    std::weak_ptr<bool> alive = im.alive;
    boost::asio::post(im.wait.get_executor(), [this, alive] {
      if (alive.expired()) return;
      impl_->flush_posted = false;
      flush();
    });
  }
}

void UdpPort::flush() {
  if (impl_->socket) impl_->socket->flush();
}

Endpoint UdpPort::local() const {
  if (!impl_->socket) return {};
  auto ep = impl_->socket->local_endpoint();
  return ep ? *ep : Endpoint{};
}

}  // namespace vpdnd::vpdn::detail
