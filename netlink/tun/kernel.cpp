// Kernel L2TP backend (linux/l2tp.h): genetlink family detection, message building and a
// minimal request/ack sender. CI kernels lack l2tp modules, so the builders are what tests
// cover; the sender is a thin shell around them.
// glibc headers first: linux/l2tp.h pulls linux/in.h, whose libc-compat guard then yields.
// clang-format off
#include <netinet/in.h>
#include <net/if.h>
#include <sys/socket.h>
// clang-format on
#include <linux/genetlink.h>
#include <linux/l2tp.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <cstring>

#include "netlink/netlink.hpp"
#include "netlink/tun/libnl.hpp"

namespace vpdnd::netlink {

namespace {

using MsgPtr = NlPtr<nl_msg, nlmsg_free>;

// Starts a request; attribute puts only fail on a full buffer, which a default-sized
// message cannot reach with these few attributes, so their results are folded into one check.
MsgPtr start(int family_id, std::uint8_t cmd, std::uint32_t seq) {
  MsgPtr msg(nlmsg_alloc());
  if (!msg) return nullptr;
  if (!genlmsg_put(msg.get(), NL_AUTO_PORT, seq, family_id, 0, NLM_F_REQUEST | NLM_F_ACK, cmd,
                   L2TP_GENL_VERSION))
    return nullptr;
  return msg;
}

Bytes finish(const MsgPtr& msg, int put_errors) {
  if (!msg || put_errors != 0) return {};
  nlmsghdr* hdr = nlmsg_hdr(msg.get());
  const auto* p = reinterpret_cast<const std::uint8_t*>(hdr);
  return Bytes(p, p + hdr->nlmsg_len);
}

using SockPtr = NlPtr<nl_sock, nl_socket_free>;

Result<SockPtr, Error> connect_genl() {
  SockPtr sock(nl_socket_alloc());
  if (!sock) return unexpected(Error{"nl_socket_alloc failed", -NLE_NOMEM});
  int rc = genl_connect(sock.get());
  if (rc < 0) return unexpected(nl_error("connect NETLINK_GENERIC", rc));
  return sock;
}

}  // namespace

Bytes build_tunnel_create(int family_id, const KernelTunnelParams& p, std::uint32_t seq) {
  MsgPtr msg = start(family_id, L2TP_CMD_TUNNEL_CREATE, seq);
  if (!msg) return {};
  int e = 0;
  e |= nla_put_u32(msg.get(), L2TP_ATTR_CONN_ID, p.tunnel_id);
  e |= nla_put_u32(msg.get(), L2TP_ATTR_PEER_CONN_ID, p.peer_tunnel_id);
  e |= nla_put_u8(msg.get(), L2TP_ATTR_PROTO_VERSION, 2);
  e |= nla_put_u16(msg.get(), L2TP_ATTR_ENCAP_TYPE, L2TP_ENCAPTYPE_UDP);
  e |= nla_put_u32(msg.get(), L2TP_ATTR_FD, static_cast<std::uint32_t>(p.udp_fd));
  return finish(msg, e);
}

Bytes build_tunnel_delete(int family_id, std::uint32_t tunnel_id, std::uint32_t seq) {
  MsgPtr msg = start(family_id, L2TP_CMD_TUNNEL_DELETE, seq);
  if (!msg) return {};
  int e = nla_put_u32(msg.get(), L2TP_ATTR_CONN_ID, tunnel_id);
  return finish(msg, e);
}

const Bytes* GenlMessage::attribute(std::uint16_t type) const {
  for (const auto& a : attributes)
    if (a.first == type) return &a.second;
  return nullptr;
}

// Hand-written (not libnl) so that the tests check the bytes libnl produced against an
// independent reading of the netlink format: nlmsghdr(16) genlmsghdr(4) then 4-aligned
// nlattr {u16 len incl. header, u16 type, value}.
Result<GenlMessage, Error> parse_genl_message(ByteView m) {
  auto le16 = [&](std::size_t at) { return static_cast<std::uint16_t>(m[at] | (m[at + 1] << 8)); };
  auto le32 = [&](std::size_t at) {
    return std::uint32_t{m[at]} | (std::uint32_t{m[at + 1]} << 8) |
           (std::uint32_t{m[at + 2]} << 16) | (std::uint32_t{m[at + 3]} << 24);
  };
  if (m.size() < 20) return unexpected(Error{"message shorter than nlmsghdr+genlmsghdr", EINVAL});
  std::uint32_t len = le32(0);
  if (len < 20 || len > m.size()) return unexpected(Error{"nlmsg_len out of range", EINVAL});
  GenlMessage out;
  out.nlmsg_type = le16(4);
  out.nlmsg_flags = le16(6);
  out.command = m[16];
  out.version = m[17];
  std::size_t at = 20;
  while (at < len) {
    if (len - at < 4) return unexpected(Error{"truncated attribute header", EINVAL});
    std::uint16_t alen = le16(at);
    std::uint16_t type = le16(at + 2) & NLA_TYPE_MASK;
    if (alen < 4 || alen > len - at)
      return unexpected(Error{"attribute length out of range", EINVAL});
    out.attributes.emplace_back(type, Bytes(m.begin() + static_cast<std::ptrdiff_t>(at + 4),
                                            m.begin() + static_cast<std::ptrdiff_t>(at + alen)));
    at += (alen + 3u) & ~3u;
  }
  return out;
}

bool kernel_l2tp_available(std::string* reason) {
  auto sock = connect_genl();
  if (!sock) {
    if (reason) *reason = sock.error().message;
    return false;
  }
  int id = genl_ctrl_resolve(sock->get(), L2TP_GENL_NAME);
  if (id < 0) {
    if (reason)
      *reason = std::string("genetlink family \"" L2TP_GENL_NAME "\" not found (") +
                nl_geterror(id) + "): kernel has no l2tp_netlink/l2tp_ppp";
    return false;
  }
  return true;
}

struct KernelL2tp::Impl {
  SockPtr sock;
};

Result<std::unique_ptr<KernelL2tp>, Error> KernelL2tp::open() {
  auto sock = connect_genl();
  if (!sock) return unexpected(sock.error());
  int id = genl_ctrl_resolve(sock->get(), L2TP_GENL_NAME);
  if (id < 0) return unexpected(nl_error("resolve genetlink family l2tp", id));
  std::unique_ptr<KernelL2tp> self(new KernelL2tp());
  self->impl_ = std::make_unique<Impl>();
  self->impl_->sock = std::move(*sock);
  self->family_id_ = id;
  return self;
}

KernelL2tp::~KernelL2tp() = default;

Status<Error> KernelL2tp::transact(const Bytes& message) {
  if (message.empty()) return unexpected(Error{"could not build l2tp message", -NLE_NOMEM});
  Bytes copy = message;
  MsgPtr msg(nlmsg_convert(reinterpret_cast<nlmsghdr*>(copy.data())));
  if (!msg) return unexpected(Error{"nlmsg_convert failed", -NLE_NOMEM});
  int rc = nl_send_auto(impl_->sock.get(), msg.get());
  if (rc < 0) return unexpected(nl_error("send l2tp request", rc));
  rc = nl_wait_for_ack(impl_->sock.get());
  if (rc < 0) return unexpected(nl_error("l2tp request", rc));
  return {};
}

Status<Error> KernelL2tp::create_tunnel(const KernelTunnelParams& p) {
  return transact(build_tunnel_create(family_id_, p));
}
Status<Error> KernelL2tp::delete_tunnel(std::uint32_t tunnel_id) {
  return transact(build_tunnel_delete(family_id_, tunnel_id));
}
}  // namespace vpdnd::netlink
