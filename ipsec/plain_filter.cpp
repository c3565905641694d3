// The plain-L2TP nftables filter: its nft commands and the netlink read of its counter.
#include "ipsec/plain_filter.hpp"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

namespace vpdnd::ipsec {
namespace {

const std::string kTable = std::string("inet ") + kFilterTable;

void put_attr(std::vector<std::uint8_t>& m, std::uint16_t type, const void* data, std::size_t len) {
  nlattr a{};
  a.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + len);
  a.nla_type = type;
  auto at = m.size();
  m.resize(at + NLA_ALIGN(a.nla_len), 0);
  std::memcpy(m.data() + at, &a, sizeof a);
  std::memcpy(m.data() + at + NLA_HDRLEN, data, len);
}

std::uint64_t be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace

std::string render_plain_l2tp_filter(const GuardPolicy& guard) {
  if (!guard.active()) return {};
  std::string match;
  if (!guard.any_peer) {
    match = "ip saddr { ";
    for (std::size_t i = 0; i < guard.peers.size(); ++i)
      match += (i ? ", " : "") + guard.peers[i].to_string();
    match += " } ";
  }
  // Priority filter, policy accept: the chain only ever drops; any other table's rules
  // still see (and may drop) what it lets through.
  return "add table " + kTable + " ; add counter " + kTable + " " + kFilterCounter +
         " ; add chain " + kTable +
         " input { type filter hook input priority filter ; policy accept ; } ; flush chain " +
         kTable + " input ; add rule " + kTable + " input " + match + "udp dport " +
         std::to_string(kL2tpPort) + " meta ipsec missing counter name " + kFilterCounter + " drop";
}

std::string render_plain_l2tp_filter_removal() {
  // `add` first: `delete` alone fails on a table that is not there.
  return "add table " + kTable + " ; delete table " + kTable;
}

std::vector<std::uint8_t> nft_counter_request(std::uint32_t seq) {
  std::vector<std::uint8_t> m(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)), 0);
  nfgenmsg g{};
  g.nfgen_family = NFPROTO_INET;
  g.version = NFNETLINK_V0;
  std::memcpy(m.data() + NLMSG_HDRLEN, &g, sizeof g);
  put_attr(m, NFTA_OBJ_TABLE, kFilterTable, std::strlen(kFilterTable) + 1);
  put_attr(m, NFTA_OBJ_NAME, kFilterCounter, std::strlen(kFilterCounter) + 1);
  std::uint32_t type = htonl(NFT_OBJECT_COUNTER);
  put_attr(m, NFTA_OBJ_TYPE, &type, sizeof type);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(m.size());
  h.nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETOBJ;
  h.nlmsg_flags = NLM_F_REQUEST;
  h.nlmsg_seq = seq;
  std::memcpy(m.data(), &h, sizeof h);
  return m;
}

std::optional<std::uint64_t> parse_nft_counter_reply(std::span<const std::uint8_t> reply) {
  if (reply.size() < NLMSG_HDRLEN) return std::nullopt;
  nlmsghdr h;
  std::memcpy(&h, reply.data(), sizeof h);
  if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > reply.size()) return std::nullopt;
  if (h.nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWOBJ)) return std::nullopt;
  std::size_t pos = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  // Walks the attributes in [pos, end) and returns where `type`'s payload is.
  auto find = [&](std::size_t from, std::size_t end, std::uint16_t type,
                  std::size_t& len) -> std::optional<std::size_t> {
    while (from + NLA_HDRLEN <= end) {
      nlattr a;
      std::memcpy(&a, reply.data() + from, sizeof a);
      if (a.nla_len < NLA_HDRLEN || from + a.nla_len > end) return std::nullopt;
      if ((a.nla_type & NLA_TYPE_MASK) == type) {
        len = a.nla_len - NLA_HDRLEN;
        return from + NLA_HDRLEN;
      }
      from += NLA_ALIGN(a.nla_len);
    }
    return std::nullopt;
  };
  std::size_t len = 0;
  auto data = find(pos, h.nlmsg_len, NFTA_OBJ_DATA, len);
  if (!data) return std::nullopt;
  std::size_t plen = 0;
  auto packets = find(*data, *data + len, NFTA_COUNTER_PACKETS, plen);
  if (!packets || plen != 8) return std::nullopt;
  return be64(reply.data() + *packets);
}

std::optional<std::uint64_t> read_plain_l2tp_filter_drops() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return std::nullopt;
  // The kernel answers at once; a bound keeps a display from hanging on a stuck one.
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  auto req = nft_counter_request(1);
  std::optional<std::uint64_t> out;
  if (::sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) == static_cast<ssize_t>(req.size())) {
    std::vector<std::uint8_t> buf(8192);
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n > 0) out = parse_nft_counter_reply({buf.data(), static_cast<std::size_t>(n)});
  }
  ::close(fd);
  return out;
}

}  // namespace vpdnd::ipsec
