// Batched UDP I/O: one recvmmsg / sendmmsg per batch instead of a syscall per datagram.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

namespace {
Error sys_error(std::string what) {
  int e = errno;
  return Error{what + ": " + std::strerror(e), e};
}
sockaddr_in to_sockaddr(Endpoint e) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(e.port);
  sa.sin_addr.s_addr = htonl(e.address.value);
  return sa;
}
Endpoint from_sockaddr(const sockaddr_in& sa) {
  return Endpoint{Ipv4{ntohl(sa.sin_addr.s_addr)}, ntohs(sa.sin_port)};
}
}  // namespace

namespace {
// UDP GSO (UDP_SEGMENT): several datagrams of one size to one destination leave in one
// send; the kernel routes and builds one buffer for them and cuts it into the datagrams on
// the way out, instead of doing both per datagram (LCP echo bursts of thousands of
// sessions are such runs). Only datagrams up to kGsoMaxSegment octets: the kernel refuses
// (rather than fragments) a segment over the path MTU.
constexpr std::size_t kGsoMaxSegment = 1200;
constexpr std::size_t kGsoMaxSegments = 64;  // UDP_MAX_SEGMENTS of older kernels
constexpr std::size_t kGsoMaxBytes = 65000;  // under the 65,507-octet UDP payload limit
struct alignas(cmsghdr) GsoControl {
  char bytes[CMSG_SPACE(sizeof(std::uint16_t))];
};
// UDP GRO (UDP_GRO): the kernel may queue same-size datagrams of one sender as one buffer
// with their segment size in a control message, so a batch of them costs one socket
// buffer, one wake-up and one copy instead of one each. Only on sockets whose receive
// buffers hold the largest UDP payload, so a coalesced buffer is never cut.
constexpr std::size_t kGroMinBuffer = 65507;
struct alignas(cmsghdr) GroControl {
  char bytes[CMSG_SPACE(sizeof(int))];
};
// The segment size the kernel reported for a coalesced message; 0 for a plain datagram.
std::size_t gro_segment(msghdr& h) {
  if (!h.msg_control || h.msg_controllen == 0) return 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO || c->cmsg_len < CMSG_LEN(sizeof(int)))
      continue;
    int size = 0;
    std::memcpy(&size, CMSG_DATA(c), sizeof size);
    return size > 0 ? static_cast<std::size_t>(size) : 0;
  }
  return 0;
}
}  // namespace

struct UdpBatchSocket::Scratch {
  explicit Scratch(std::size_t n)
      : rx_msgs(n),
        rx_iov(n),
        rx_addr(n),
        rx_control(n),
        tx_msgs(n),
        tx_iov(n),
        tx_addr(n),
        tx_order(n),
        tx_first(n),
        tx_segments(n),
        tx_control(n) {}
  std::vector<mmsghdr> rx_msgs;
  std::vector<iovec> rx_iov;
  std::vector<sockaddr_in> rx_addr;
  std::vector<GroControl> rx_control;
  std::vector<mmsghdr> tx_msgs;  // one per send: a datagram, or a GSO run of them
  std::vector<iovec> tx_iov;     // one per datagram, in tx_order
  std::vector<sockaddr_in> tx_addr;
  std::vector<std::size_t> tx_order;     // queue indices, grouped by destination
  std::vector<std::size_t> tx_first;     // message m: its first position in tx_order
  std::vector<std::size_t> tx_segments;  // message m: datagrams in it
  std::vector<GsoControl> tx_control;
  bool gso = true;  // off for good once the kernel refuses UDP_SEGMENT (no support, IPsec)
  // Builds the send messages for tx_order[from..count): runs of one size to one
  // destination as GSO sends while `gso`, single datagrams otherwise. Returns the number
  // of messages.
  std::size_t build_messages(const PacketBatch& tx, const std::vector<Endpoint>& to,
                             std::size_t count, std::size_t from, std::size_t first_msg);
};

Result<std::unique_ptr<UdpBatchSocket>, Error> UdpBatchSocket::bind(Endpoint local,
                                                                    std::size_t batch,
                                                                    std::size_t buffer_size) {
  if (batch == 0 || buffer_size == 0)
    return unexpected(Error{"batch and buffer size must be > 0", EINVAL});
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(sys_error("socket"));
  sockaddr_in sa = to_sockaddr(local);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    Error e = sys_error("bind " + local.address.to_string() + ":" + std::to_string(local.port));
    ::close(fd);
    return unexpected(std::move(e));
  }
  bool gro = false;
  if (buffer_size >= kGroMinBuffer) {
    const int on = 1;
    gro = ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;  // off where unsupported
  }
  return std::unique_ptr<UdpBatchSocket>(new UdpBatchSocket(fd, batch, buffer_size, gro));
}

UdpBatchSocket::UdpBatchSocket(int fd, std::size_t batch, std::size_t buffer_size, bool gro)
    : fd_(fd),
      gro_(gro),
      rx_(batch, buffer_size),
      tx_(batch, buffer_size),
      tx_to_(batch),
      scratch_(std::make_unique<Scratch>(batch)) {
  rx_view_.reserve(batch);
  from_.reserve(batch);
}

UdpBatchSocket::~UdpBatchSocket() {
  flush();
  ::close(fd_);
}

Result<Endpoint, Error> UdpBatchSocket::local_endpoint() const {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) < 0)
    return unexpected(sys_error("getsockname"));
  return from_sockaddr(sa);
}

Status<Error> UdpBatchSocket::set_buffers(int receive_bytes, int send_bytes) {
  auto set = [&](int force_opt, int opt, int bytes, const char* name) -> Status<Error> {
    if (bytes <= 0) return {};
    if (::setsockopt(fd_, SOL_SOCKET, force_opt, &bytes, sizeof bytes) == 0) return {};
    if (::setsockopt(fd_, SOL_SOCKET, opt, &bytes, sizeof bytes) == 0) return {};
    return unexpected(sys_error(name));
  };
  if (auto st = set(SO_RCVBUFFORCE, SO_RCVBUF, receive_bytes, "SO_RCVBUF"); !st) return st;
  return set(SO_SNDBUFFORCE, SO_SNDBUF, send_bytes, "SO_SNDBUF");
}

std::size_t UdpBatchSocket::receive() {
  Scratch& s = *scratch_;
  const std::size_t n = rx_.capacity();
  for (std::size_t i = 0; i < n; ++i) {
    s.rx_iov[i] = iovec{rx_.slot(i), rx_.buffer_size()};
    s.rx_msgs[i] = mmsghdr{};
    msghdr& h = s.rx_msgs[i].msg_hdr;
    h.msg_iov = &s.rx_iov[i];
    h.msg_iovlen = 1;
    h.msg_name = &s.rx_addr[i];
    h.msg_namelen = sizeof(sockaddr_in);
    if (gro_) {
      h.msg_control = s.rx_control[i].bytes;
      h.msg_controllen = sizeof s.rx_control[i].bytes;
    }
  }
  rx_view_.clear();
  from_.clear();
  rx_messages_ = 0;
  int got;
  do {
    got = receive_
              ? receive_(receive_context_, fd_, s.rx_msgs.data(), static_cast<unsigned>(n))
              : ::recvmmsg(fd_, s.rx_msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.read_errors;
    return 0;
  }
  rx_messages_ = static_cast<std::size_t>(got);
  for (std::size_t i = 0; i < rx_messages_; ++i) {
    mmsghdr& m = s.rx_msgs[i];
    const std::uint8_t* p = rx_.slot(i);
    std::size_t left = std::min<std::size_t>(m.msg_len, rx_.buffer_size());
    const std::size_t segment = gro_ ? gro_segment(m.msg_hdr) : 0;
    // A truncated datagram is useless to a tunnel: drop it rather than pass a cut frame on.
    // Of a cut coalesced message only the last, cut datagram is lost.
    if (m.msg_hdr.msg_flags & MSG_TRUNC) {
      ++counters_.read_errors;
      if (segment == 0) continue;
      left -= left % segment;
      if (left == 0) continue;
    }
    const Endpoint src = from_sockaddr(s.rx_addr[i]);
    do {
      const std::size_t len = segment == 0 ? left : std::min(segment, left);
      rx_view_.emplace_back(p, len);
      from_.push_back(src);
      ++counters_.packets_in;
      counters_.bytes_in += len;
      p += len;
      left -= len;
    } while (left > 0);
  }
  return rx_view_.size();
}

void UdpBatchSocket::queue(Endpoint to, ByteView data) {
  queue(to, data, ByteView{});
}

void UdpBatchSocket::queue(Endpoint to, ByteView head, ByteView payload) {
  if (head.size() + payload.size() > tx_.buffer_size()) {
    ++counters_.write_errors;
    return;
  }
  if (tx_count_ == tx_.capacity()) flush();
  std::uint8_t* slot = tx_.slot(tx_count_);
  if (!head.empty()) std::memcpy(slot, head.data(), head.size());
  if (!payload.empty()) std::memcpy(slot + head.size(), payload.data(), payload.size());
  tx_.set_length(tx_count_, head.size() + payload.size());
  tx_to_[tx_count_] = to;
  ++tx_count_;
}

std::size_t UdpBatchSocket::Scratch::build_messages(const PacketBatch& tx,
                                                    const std::vector<Endpoint>& to,
                                                    std::size_t count, std::size_t from,
                                                    std::size_t first_msg) {
  Scratch& s = *this;
  std::size_t m = first_msg;
  for (std::size_t k = from; k < count; ++m) {
    const std::size_t i = s.tx_order[k];
    const std::size_t size = tx[i].size();
    std::size_t n = 1;
    if (s.gso && size > 0 && size <= kGsoMaxSegment)
      while (k + n < count && n < kGsoMaxSegments && (n + 1) * size <= kGsoMaxBytes &&
             to[s.tx_order[k + n]] == to[i] && tx[s.tx_order[k + n]].size() == size)
        ++n;
    s.tx_addr[m] = to_sockaddr(to[i]);
    s.tx_msgs[m] = mmsghdr{};
    msghdr& h = s.tx_msgs[m].msg_hdr;
    h.msg_iov = &s.tx_iov[k];
    h.msg_iovlen = n;
    h.msg_name = &s.tx_addr[m];
    h.msg_namelen = sizeof(sockaddr_in);
    if (n > 1) {
      h.msg_control = s.tx_control[m].bytes;
      h.msg_controllen = sizeof s.tx_control[m].bytes;
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      const auto seg = static_cast<std::uint16_t>(size);
      std::memcpy(CMSG_DATA(c), &seg, sizeof seg);
    }
    s.tx_first[m] = k;
    s.tx_segments[m] = n;
    k += n;
  }
  return m;
}

// Datagrams to one destination leave in the order they were queued (a tunnel's control
// messages carry Ns); datagrams to different destinations may leave in another order.
std::size_t UdpBatchSocket::flush() {
  Scratch& s = *scratch_;
  const std::size_t count = tx_count_;
  if (count == 0) return 0;
  // Stable grouping by destination: an insertion sort, as a batch is small (<= 64) and
  // usually already grouped.
  for (std::size_t k = 0; k < count; ++k) {
    std::size_t j = k;
    const Endpoint e = tx_to_[k];
    while (j > 0 && e < tx_to_[s.tx_order[j - 1]]) {
      s.tx_order[j] = s.tx_order[j - 1];
      --j;
    }
    s.tx_order[j] = k;
  }
  for (std::size_t k = 0; k < count; ++k)
    s.tx_iov[k] = iovec{tx_.slot(s.tx_order[k]), tx_[s.tx_order[k]].size()};
  std::size_t msgs = s.build_messages(tx_, tx_to_, count, 0, 0);
  std::size_t sent_total = 0;
  std::size_t start = 0;
  while (start < msgs) {
    int sent = send_ ? send_(send_context_, fd_, s.tx_msgs.data() + start,
                             static_cast<unsigned>(msgs - start))
                     : ::sendmmsg(fd_, s.tx_msgs.data() + start,
                                  static_cast<unsigned>(msgs - start), MSG_DONTWAIT);
    if (sent < 0) {
      const int e = errno;
      if (e == EINTR) continue;
      // Linux refuses UDP_SEGMENT itself with EIO (no checksum offload on the route, an
      // IPsec transform) or EINVAL (a segment over the path MTU, too many segments): send
      // the rest one datagram at a time from here on. Other errors (EAGAIN/ENOBUFS: a full
      // queue; EPERM: a policy dropping that destination) say nothing about GSO: that
      // message's datagrams are dropped as a single one's would be.
      if (s.tx_segments[start] > 1 && (e == EIO || e == EINVAL)) {
        s.gso = false;
        msgs = s.build_messages(tx_, tx_to_, count, s.tx_first[start], start);
        continue;
      }
      counters_.write_errors += s.tx_segments[start];
      ++start;
      continue;
    }
    for (int i = 0; i < sent; ++i) {
      const std::size_t m = start + static_cast<std::size_t>(i);
      counters_.packets_out += s.tx_segments[m];
      counters_.bytes_out += s.tx_msgs[m].msg_len;
      sent_total += s.tx_segments[m];
    }
    start += static_cast<std::size_t>(sent);
  }
  tx_count_ = 0;
  return sent_total;
}

}  // namespace vpdnd::netlink
