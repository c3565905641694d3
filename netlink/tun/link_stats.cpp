// Link counters over rtnetlink (RTM_GETLINK), built and parsed by hand: a dump of thousands
// of pppN is read in 64 KiB recv()s and decoded in place, without a libnl cache object per
// link.
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

// Independent of libnl and of the NLMSG_* macros' pointer arithmetic: bounds are checked
// on offsets into the view.
Result<LinkStatsReply, Error> parse_link_stats(ByteView m, std::uint32_t seq) {
  LinkStatsReply out;
  std::size_t at = 0;
  while (at < m.size()) {
    if (m.size() - at < sizeof(nlmsghdr))
      return unexpected(Error{"truncated netlink header", EINVAL});
    nlmsghdr h;
    std::memcpy(&h, m.data() + at, sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > m.size() - at)
      return unexpected(Error{"netlink message length out of range", EINVAL});
    const std::size_t body = at + NLMSG_HDRLEN, end = at + h.nlmsg_len;
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
    at += align4(h.nlmsg_len);
  }
  return out;
}

Result<std::unique_ptr<LinkStatsReader>, Error> LinkStatsReader::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return unexpected(sys_error("socket NETLINK_ROUTE", errno));
  timeval tv{};
  tv.tv_sec = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    Error e = sys_error("NETLINK_ROUTE SO_RCVTIMEO", errno);
    ::close(fd);
    return unexpected(std::move(e));
  }
  // Only the replies to our own requests: no multicast groups.
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    Error e = sys_error("bind NETLINK_ROUTE", errno);
    ::close(fd);
    return unexpected(std::move(e));
  }
  return std::unique_ptr<LinkStatsReader>(new LinkStatsReader(fd));
}

LinkStatsReader::LinkStatsReader(int fd) : fd_(fd), buffer_(64 * 1024) {}

LinkStatsReader::~LinkStatsReader() {
  ::close(fd_);
}

Result<std::vector<LinkStats>, Error> LinkStatsReader::transact(int ifindex,
                                                                std::string_view kind) {
  const std::uint32_t seq = ++seq_;
  Bytes req = build_link_stats_request(ifindex, kind, seq);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, req.data(), req.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof kernel) < 0)
    return unexpected(sys_error("send RTM_GETLINK", errno));
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
  Bytes req = build_link_stats_request(0, kind, seq);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, req.data(), req.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof kernel) < 0)
    return unexpected(sys_error("send RTM_GETLINK", errno));
  return seq;
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

}  // namespace vpdnd::netlink
