// Link counters over rtnetlink (RTM_GETLINK), built and parsed by hand: a dump of thousands
// of pppN is read in 64 KiB recv()s and decoded in place, without a libnl cache object per
// link. Also pppN's set-up (address, MTU, up) sent in one go with its acks read later.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

namespace {

constexpr std::size_t align4(std::size_t n) {
  return (n + 3u) & ~std::size_t{3};
}

void put_attr(Bytes& out, std::uint16_t type, const void* data, std::size_t len) {
  nlattr a{};
  a.nla_len = static_cast<std::uint16_t>(sizeof a + len);
  a.nla_type = type;
  const auto* h = reinterpret_cast<const std::uint8_t*>(&a);
  out.insert(out.end(), h, h + sizeof a);
  const auto* d = static_cast<const std::uint8_t*>(data);
  out.insert(out.end(), d, d + len);
  out.resize(align4(out.size()), 0);
}

Error sys_error(const std::string& what, int code) {
  return Error{what + ": " + std::strerror(code), code};
}

// Finds attribute `type` in [at, end) of `m`; nullopt if absent or malformed.
std::optional<ByteView> find_attr(ByteView m, std::size_t at, std::size_t end, std::uint16_t type) {
  while (at + sizeof(nlattr) <= end) {
    nlattr a;
    std::memcpy(&a, m.data() + at, sizeof a);
    if (a.nla_len < sizeof a || at + a.nla_len > end) return std::nullopt;
    if ((a.nla_type & NLA_TYPE_MASK) == type) return m.subspan(at + sizeof a, a.nla_len - sizeof a);
    at += align4(a.nla_len);
  }
  return std::nullopt;
}

}  // namespace

namespace {
// One decimal number from a sysfs attribute file.
Result<std::uint64_t, Error> read_number(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected(sys_error("open " + path, errno));
  char buf[32];
  ssize_t n;
  do n = ::read(fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  const int e = errno;
  ::close(fd);
  if (n < 0) return unexpected(sys_error("read " + path, e));
  std::uint64_t v = 0;
  auto r = std::from_chars(buf, buf + n, v);
  if (r.ec != std::errc() || r.ptr == buf)
    return unexpected(Error{path + ": not a number", EINVAL});
  return v;
}
}  // namespace

Result<LinkStats, Error> read_link_stats_sysfs(const std::string& ifname, int ifindex) {
  if (ifname.empty() || ifname.find('/') != std::string::npos || ifname[0] == '.')
    return unexpected(Error{"bad interface name '" + ifname + "'", EINVAL});
  const std::string dir = "/sys/class/net/" + ifname + "/";
  auto index = read_number(dir + "ifindex");
  if (!index) return unexpected(index.error());
  if (*index != static_cast<std::uint64_t>(ifindex))
    return unexpected(Error{
        dir + "ifindex is " + std::to_string(*index) + ", not " + std::to_string(ifindex), ENODEV});
  LinkStats s;
  s.ifindex = ifindex;
  std::pair<const char*, std::uint64_t*> fields[] = {{"rx_packets", &s.rx_packets},
                                                     {"tx_packets", &s.tx_packets},
                                                     {"rx_bytes", &s.rx_bytes},
                                                     {"tx_bytes", &s.tx_bytes}};
  for (auto& [name, value] : fields) {
    auto v = read_number(dir + "statistics/" + name);
    if (!v) return unexpected(v.error());
    *value = *v;
  }
  return s;
}

Bytes build_link_stats_request(int ifindex, std::string_view kind, std::uint32_t seq) {
  Bytes out(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg)), 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex > 0 ? ifindex : 0;
  std::memcpy(out.data() + NLMSG_HDRLEN, &ifi, sizeof ifi);
  if (ifindex <= 0 && !kind.empty()) {
    // IFLA_LINKINFO { IFLA_INFO_KIND "ppp\0" }
    Bytes nested;
    std::string k(kind);
    put_attr(nested, IFLA_INFO_KIND, k.c_str(), k.size() + 1);
    put_attr(out, IFLA_LINKINFO, nested.data(), nested.size());
  }
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(out.size());
  h.nlmsg_type = RTM_GETLINK;
  h.nlmsg_flags = NLM_F_REQUEST | (ifindex > 0 ? 0 : NLM_F_DUMP);
  h.nlmsg_seq = seq;
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

namespace {
// Calls `f(header, body offset, end offset)` for each message in `m`. Independent of libnl
// and of the NLMSG_* macros' pointer arithmetic: bounds are checked on offsets into the
// view; a malformed length fails the whole buffer (f's own error too ends the walk).
template <class F>
Status<Error> for_each_message(ByteView m, F f) {
  std::size_t at = 0;
  while (at < m.size()) {
    if (m.size() - at < sizeof(nlmsghdr))
      return unexpected(Error{"truncated netlink header", EINVAL});
    nlmsghdr h;
    std::memcpy(&h, m.data() + at, sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > m.size() - at)
      return unexpected(Error{"netlink message length out of range", EINVAL});
    if (auto s = f(h, at + NLMSG_HDRLEN, at + h.nlmsg_len); !s) return s;
    at += align4(h.nlmsg_len);
  }
  return {};
}
}  // namespace

Result<LinkStatsReply, Error> parse_link_stats(ByteView m, std::uint32_t seq) {
  LinkStatsReply out;
  auto one = [&](const nlmsghdr& h, std::size_t body, std::size_t end) -> Status<Error> {
    if (seq != 0 && h.nlmsg_seq != seq) {
      ++out.stale;
    } else if (h.nlmsg_type == NLMSG_DONE) {
      out.done = true;
    } else if (h.nlmsg_type == NLMSG_ERROR) {
      if (end - body >= sizeof(int)) {
        int e;
        std::memcpy(&e, m.data() + body, sizeof e);
        if (e != 0) out.error = e;
      }
    } else if (h.nlmsg_type == RTM_NEWLINK) {
      const std::size_t attrs = body + NLMSG_ALIGN(sizeof(ifinfomsg));
      if (attrs > end) return unexpected(Error{"RTM_NEWLINK shorter than ifinfomsg", EINVAL});
      ifinfomsg ifi;
      std::memcpy(&ifi, m.data() + body, sizeof ifi);
      LinkStats s;
      s.ifindex = ifi.ifi_index;
      if (auto v = find_attr(m, attrs, end, IFLA_STATS64); v && v->size() >= 4 * 8) {
        std::uint64_t f[4];
        std::memcpy(f, v->data(), sizeof f);
        s.rx_packets = f[0], s.tx_packets = f[1], s.rx_bytes = f[2], s.tx_bytes = f[3];
      } else if (auto v32 = find_attr(m, attrs, end, IFLA_STATS); v32 && v32->size() >= 4 * 4) {
        std::uint32_t f[4];
        std::memcpy(f, v32->data(), sizeof f);
        s.rx_packets = f[0], s.tx_packets = f[1], s.rx_bytes = f[2], s.tx_bytes = f[3];
      }
      out.links.push_back(s);
    }
    return {};
  };
  if (auto s = for_each_message(m, one); !s) return unexpected(s.error());
  return out;
}

namespace {
// A NETLINK_ROUTE socket bound without multicast groups (only the replies to our own
// requests), with one socket option set.
Result<int, Error> open_route_socket(int type_flags, int option, const void* value, socklen_t size,
                                     const char* option_name) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | type_flags, NETLINK_ROUTE);
  if (fd < 0) return unexpected(sys_error("socket NETLINK_ROUTE", errno));
  auto fail = [&](const std::string& what) {
    Error e = sys_error(what, errno);
    ::close(fd);
    return unexpected(std::move(e));
  };
  if (::setsockopt(fd, SOL_SOCKET, option, value, size) != 0)
    return fail(std::string("NETLINK_ROUTE ") + option_name);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
    return fail("bind NETLINK_ROUTE");
  return fd;
}

// A send larger than the socket's send buffer fails (EMSGSIZE), and a batch of thousands of
// links is larger than the default one; so the request goes in pieces of whole messages.
// The kernel handles one socket's sends in order, each before send() returns, so the
// pieces act as the one request.
Status<Error> send_to_kernel(int fd, const Bytes& request, const char* what) {
  constexpr std::size_t kPiece = 64 * 1024;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  std::size_t begin = 0;
  while (begin < request.size()) {
    std::size_t end = begin;
    while (end < request.size()) {
      nlmsghdr h{};
      if (request.size() - end < sizeof h) {
        end = request.size();
        break;
      }
      std::memcpy(&h, request.data() + end, sizeof h);
      std::size_t len = NLMSG_ALIGN(h.nlmsg_len);
      if (len < sizeof h || len > request.size() - end) {  // not ours to cut: send the rest
        end = request.size();
        break;
      }
      if (end > begin && end + len - begin > kPiece) break;
      end += len;
    }
    if (::sendto(fd, request.data() + begin, end - begin, 0,
                 reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0)
      return unexpected(sys_error(std::string("send ") + what, errno));
    begin = end;
  }
  return {};
}

void put_message(Bytes& out, std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                 const Bytes& body) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + body.size());
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  const auto* p = reinterpret_cast<const std::uint8_t*>(&h);
  out.insert(out.end(), p, p + sizeof h);
  out.resize(out.size() + (NLMSG_HDRLEN - sizeof h), 0);
  out.insert(out.end(), body.begin(), body.end());
  out.resize(align4(out.size()), 0);
}

template <class T>
Bytes header_bytes(const T& t) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&t);
  Bytes out(p, p + sizeof t);
  out.resize(NLMSG_ALIGN(sizeof t), 0);
  return out;
}
}  // namespace

Result<std::unique_ptr<LinkStatsReader>, Error> LinkStatsReader::open() {
  // Replies are awaited: a lost one must not hang the caller.
  timeval tv{};
  tv.tv_sec = 1;
  auto fd = open_route_socket(0, SO_RCVTIMEO, &tv, sizeof tv, "SO_RCVTIMEO");
  if (!fd) return unexpected(fd.error());
  return std::unique_ptr<LinkStatsReader>(new LinkStatsReader(*fd));
}

LinkStatsReader::LinkStatsReader(int fd) : fd_(fd), buffer_(64 * 1024) {}

LinkStatsReader::~LinkStatsReader() {
  ::close(fd_);
}

Result<std::vector<LinkStats>, Error> LinkStatsReader::transact(int ifindex,
                                                                std::string_view kind) {
  const std::uint32_t seq = ++seq_;
  if (auto sent = send_to_kernel(fd_, build_link_stats_request(ifindex, kind, seq), "RTM_GETLINK");
      !sent)
    return unexpected(sent.error());
  std::vector<LinkStats> links;
  for (;;) {
    ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected(sys_error("receive RTM_GETLINK reply", errno));
    }
    auto r = parse_link_stats(ByteView(buffer_.data(), static_cast<std::size_t>(n)), seq);
    if (!r) return unexpected(r.error());
    if (r->error) return unexpected(sys_error("RTM_GETLINK", -r->error));
    links.insert(links.end(), r->links.begin(), r->links.end());
    // A single-link reply is one RTM_NEWLINK without NLMSG_DONE.
    if (r->done || (ifindex > 0 && !links.empty())) return links;
  }
}

Result<std::uint32_t, Error> LinkStatsReader::send_dump(std::string_view kind) {
  const std::uint32_t seq = ++seq_;
  if (auto sent = send_to_kernel(fd_, build_link_stats_request(0, kind, seq), "RTM_GETLINK"); !sent)
    return unexpected(sent.error());
  return seq;
}

Status<Error> LinkStatsReader::delete_links(const std::vector<int>& ifindexes,
                                            std::uint32_t group) {
  if (ifindexes.empty()) return {};
  std::uint32_t seq = ++seq_;
  ++seq_;  // the delete's own
  if (auto sent = send_to_kernel(fd_, build_link_group_delete(ifindexes, group, seq),
                                 "RTM_NEWLINK/RTM_DELLINK group");
      !sent)
    return unexpected(sent.error());
  // Refusals (a link already gone or without an address) each queue a reply. Thousands of
  // them overflow the receive buffer and the kernel drops replies, maybe the delete's own
  // ack (recv then fails with ENOBUFS). The kernel handled every message of the send before
  // send() returned, so once what did arrive is read, the group's delete is simply asked
  // again: its ack, or ENODEV (no link left in the group), settles it.
  std::uint32_t confirm_seq = 0;  // the repeated delete's ack sequence, once asked
  // The outcome when `a` settles the batch, nothing otherwise.
  auto settles = [&](const NetlinkAck& a) -> std::optional<Status<Error>> {
    if (confirm_seq != 0 && a.seq == confirm_seq && (a.error == 0 || a.error == -ENODEV))
      return Status<Error>{};
    if (a.seq != seq + 1 && a.seq != confirm_seq) return std::nullopt;  // a refused link
    if (a.error != 0) return unexpected(sys_error("RTM_DELLINK group", -a.error));
    return Status<Error>{};
  };
  for (;;) {
    ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != ENOBUFS || confirm_seq != 0)
        return unexpected(sys_error("receive RTM_DELLINK ack", errno));
      for (;;) {  // read what arrived: the delete's ack may be in it
        ssize_t d = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
        if (d < 0) {
          if (errno == EINTR || errno == ENOBUFS) continue;
          break;  // EAGAIN: read it all
        }
        auto acks = parse_acks(ByteView(buffer_.data(), static_cast<std::size_t>(d)));
        if (!acks) return unexpected(acks.error());
        for (const NetlinkAck& a : *acks)
          if (auto outcome = settles(a)) return *outcome;
      }
      std::uint32_t again = ++seq_;
      ++seq_;
      if (auto sent = send_to_kernel(fd_, build_link_group_delete({}, group, again),
                                     "RTM_DELLINK group (again)");
          !sent)
        return unexpected(sent.error());
      confirm_seq = again + 1;
      continue;
    }
    auto acks = parse_acks(ByteView(buffer_.data(), static_cast<std::size_t>(n)));
    if (!acks) return unexpected(acks.error());
    for (const NetlinkAck& a : *acks)
      if (auto outcome = settles(a)) return *outcome;
  }
}

Result<std::vector<LinkStats>, Error> LinkStatsReader::dump(std::string_view kind) {
  return transact(0, kind);
}

Result<LinkStats, Error> LinkStatsReader::get(int ifindex) {
  auto r = transact(ifindex, {});
  if (!r) return unexpected(r.error());
  for (const auto& l : *r)
    if (l.ifindex == ifindex) return l;
  return unexpected(Error{"RTM_GETLINK: no reply for ifindex " + std::to_string(ifindex), ENODEV});
}

// ---- pppN set-up ------------------------------------------------------------------------

Bytes build_ppp_link_setup(int ifindex, Ipv4 local, Ipv4 peer, std::uint32_t mtu,
                           std::uint32_t seq) {
  Bytes out;
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = 32;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<std::uint32_t>(ifindex);
  Bytes addr = header_bytes(ifa);
  const std::uint32_t local_be = htonl(local.value), peer_be = htonl(peer.value);
  put_attr(addr, IFA_LOCAL, &local_be, sizeof local_be);
  put_attr(addr, IFA_ADDRESS, &peer_be, sizeof peer_be);
  put_message(out, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq,
              addr);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  Bytes link = header_bytes(ifi);
  if (mtu != 0) put_attr(link, IFLA_MTU, &mtu, sizeof mtu);
  put_message(out, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, link);
  return out;
}

Bytes build_link_group_delete(const std::vector<int>& ifindexes, std::uint32_t group,
                              std::uint32_t seq) {
  Bytes out;
  for (int ifindex : ifindexes) {
    // The link's (first) IPv4 address, by ifindex alone: whatever vpdnd or anyone gave it.
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_INET;
    ifa.ifa_index = static_cast<std::uint32_t>(ifindex);
    put_message(out, RTM_DELADDR, NLM_F_REQUEST, seq, header_bytes(ifa));
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = ifindex;
    Bytes link = header_bytes(ifi);
    put_attr(link, IFLA_GROUP, &group, sizeof group);
    put_message(out, RTM_NEWLINK, NLM_F_REQUEST, seq, link);
  }
  ifinfomsg all{};
  all.ifi_family = AF_UNSPEC;
  Bytes del = header_bytes(all);
  put_attr(del, IFLA_GROUP, &group, sizeof group);
  put_message(out, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq + 1, del);
  return out;
}

Result<std::vector<NetlinkAck>, Error> parse_acks(ByteView m) {
  std::vector<NetlinkAck> out;
  auto one = [&](const nlmsghdr& h, std::size_t body, std::size_t end) -> Status<Error> {
    if (h.nlmsg_type != NLMSG_ERROR) return {};
    if (end - body < sizeof(int))
      return unexpected(Error{"NLMSG_ERROR shorter than its error code", EINVAL});
    NetlinkAck a;
    a.seq = h.nlmsg_seq;
    std::memcpy(&a.error, m.data() + body, sizeof a.error);
    out.push_back(a);
    return {};
  };
  if (auto s = for_each_message(m, one); !s) return unexpected(s.error());
  return out;
}

Result<std::unique_ptr<LinkSetupSocket>, Error> LinkSetupSocket::open() {
  // Acks queue up while the protocol thread does other work; 1 MiB holds thousands.
  const int size = 1 << 20;
  auto fd = open_route_socket(SOCK_NONBLOCK, SO_RCVBUF, &size, sizeof size, "SO_RCVBUF");
  if (!fd) return unexpected(fd.error());
  return std::unique_ptr<LinkSetupSocket>(new LinkSetupSocket(*fd));
}

LinkSetupSocket::~LinkSetupSocket() {
  ::close(fd_);
}

Result<int, Error> LinkSetupSocket::ifindex(const std::string& name) const {
  ifreq r{};
  if (name.empty() || name.size() >= sizeof r.ifr_name)
    return unexpected(Error{"bad interface name '" + name + "'", EINVAL});
  std::memcpy(r.ifr_name, name.data(), name.size());
  // Any socket answers the generic interface ioctls, a netlink one too.
  if (::ioctl(fd_, SIOCGIFINDEX, &r) != 0)
    return unexpected(sys_error("ifindex of " + name, errno));
  return r.ifr_ifindex;
}

Result<std::uint32_t, Error> LinkSetupSocket::send_setup(int ifindex, Ipv4 local, Ipv4 peer,
                                                         std::uint32_t mtu) {
  std::uint32_t seq = ++seq_;
  if (seq == 0) seq = ++seq_;  // 0 is what the kernel's own messages carry
  if (auto sent = send_to_kernel(fd_, build_ppp_link_setup(ifindex, local, peer, mtu, seq),
                                 "RTM_NEWADDR/RTM_NEWLINK");
      !sent)
    return unexpected(sent.error());
  return seq;
}

namespace {
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};
}  // namespace

Result<int, Error> configure_ppp_link(const std::string& ifname, Ipv4 local, Ipv4 peer,
                                      std::uint32_t mtu) {
  // A socket per call: the acks of concurrent callers cannot cross, and none is kept by
  // threads that are idle for hours (netlink sockets are cheap to open; their close waits
  // for nothing).
  timeval tv{};
  tv.tv_sec = 5;  // the kernel acks at once; a lost ack must not hang the thread
  auto opened = open_route_socket(0, SO_RCVTIMEO, &tv, sizeof tv, "SO_RCVTIMEO");
  if (!opened) return unexpected(opened.error());
  const FdCloser sock{*opened};
  ifreq r{};
  if (ifname.empty() || ifname.size() >= sizeof r.ifr_name)
    return unexpected(Error{"bad interface name '" + ifname + "'", EINVAL});
  std::memcpy(r.ifr_name, ifname.data(), ifname.size());
  if (::ioctl(sock.fd, SIOCGIFINDEX, &r) != 0)
    return unexpected(sys_error("ifindex of " + ifname, errno));
  const int ifindex = r.ifr_ifindex;
  const std::uint32_t seq = 1;
  if (auto sent = send_to_kernel(sock.fd, build_ppp_link_setup(ifindex, local, peer, mtu, seq),
                                 "RTM_NEWADDR/RTM_NEWLINK");
      !sent)
    return unexpected(sent.error());
  std::uint8_t buf[4096];
  std::size_t acks = 0;
  while (acks < kPppLinkSetupAcks) {
    ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected(sys_error("receive RTM_NEWADDR/RTM_NEWLINK acks", errno));
    }
    auto got = parse_acks(ByteView(buf, static_cast<std::size_t>(n)));
    if (!got) return unexpected(got.error());
    for (const NetlinkAck& a : *got) {
      if (a.seq != seq) continue;
      if (a.error != 0)
        return unexpected(sys_error(ifname + ": RTM_NEWADDR/RTM_NEWLINK", -a.error));
      ++acks;
    }
  }
  return ifindex;
}

}  // namespace vpdnd::netlink
