// rtnetlink programming through libnl-route: links, addresses, routes.
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <cstring>
#include <memory>

#include "netlink/netlink.hpp"
#include "netlink/tun/libnl.hpp"

namespace vpdnd::netlink {

namespace {

using NlAddrPtr = NlPtr<nl_addr, nl_addr_put>;
using LinkPtr = NlPtr<rtnl_link, rtnl_link_put>;
using AddrPtr = NlPtr<rtnl_addr, rtnl_addr_put>;
using RoutePtr = NlPtr<rtnl_route, rtnl_route_put>;
using CachePtr = NlPtr<nl_cache, nl_cache_free>;

NlAddrPtr make_addr(Ipv4 a, int prefix) {
  std::uint32_t be = htonl(a.value);
  NlAddrPtr addr(nl_addr_build(AF_INET, &be, sizeof be));
  if (addr) nl_addr_set_prefixlen(addr.get(), prefix);
  return addr;
}

Ipv4 to_ipv4(nl_addr* a) {
  if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4) return {};
  std::uint32_t be;
  std::memcpy(&be, nl_addr_get_binary_addr(a), 4);
  return Ipv4{ntohl(be)};
}

bool valid_prefix(int prefix) {
  return prefix >= 0 && prefix <= 32;
}

// An address object of `ifindex` with `address` as its local side: what adding and removing an
// address both start from (the prefix length is set by the caller, after any peer).
Result<AddrPtr, Error> local_address(int ifindex, Ipv4 address, int prefix) {
  if (!valid_prefix(prefix)) return unexpected(Error{"bad prefix length", -NLE_INVAL});
  AddrPtr addr(rtnl_addr_alloc());
  NlAddrPtr local = make_addr(address, prefix);
  if (!addr || !local) return unexpected(Error{"rtnl_addr_alloc failed", -NLE_NOMEM});
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  rtnl_addr_set_local(addr.get(), local.get());  // takes its own reference
  return addr;
}

RoutePtr make_static_route(Ipv4 destination, int prefix, std::optional<Ipv4> gateway, int ifindex,
                           std::uint32_t metric) {
  RoutePtr route(rtnl_route_alloc());
  NlAddrPtr dst = make_addr(destination, prefix);
  if (!route || !dst) return nullptr;
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(route.get(), gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_priority(route.get(), metric);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) return nullptr;
  if (ifindex > 0) rtnl_route_nh_set_ifindex(nh, ifindex);
  if (gateway) {
    NlAddrPtr gw = make_addr(*gateway, 32);
    if (!gw) {
      rtnl_route_nh_free(nh);
      return nullptr;
    }
    rtnl_route_nh_set_gateway(nh, gw.get());  // takes its own reference
  }
  rtnl_route_add_nexthop(route.get(), nh);
  return route;
}
std::string route_text(Ipv4 destination, int prefix, std::optional<Ipv4> gateway) {
  return destination.to_string() + "/" + std::to_string(prefix) +
         (gateway ? " via " + gateway->to_string() : std::string());
}

}  // namespace

struct RouteNetlink::Impl {
  nl_sock* sock = nullptr;
  ~Impl() {
    if (sock) nl_socket_free(sock);
  }

  Result<LinkPtr, Error> get_link(int ifindex) {
    rtnl_link* link = nullptr;
    int rc = rtnl_link_get_kernel(sock, ifindex, nullptr, &link);
    if (rc < 0) return unexpected(nl_error("get link " + std::to_string(ifindex), rc));
    return LinkPtr(link);
  }

  // Adds or removes a main-table route; `absent_ok`: removing one that is not there
  // succeeds. Adding an existing one always does.
  Status<Error> change_route(bool add, Ipv4 destination, int prefix, std::optional<Ipv4> gateway,
                             int ifindex, std::uint32_t metric, bool absent_ok) {
    if (!valid_prefix(prefix)) return unexpected(Error{"bad prefix length", -NLE_INVAL});
    RoutePtr route = make_static_route(destination, prefix, gateway, ifindex, metric);
    if (!route) return unexpected(Error{"rtnl_route_alloc failed", -NLE_NOMEM});
    int rc = add ? rtnl_route_add(sock, route.get(), NLM_F_EXCL)
                 : rtnl_route_delete(sock, route.get(), 0);
    if (rc >= 0 || (add && rc == -NLE_EXIST) || (!add && absent_ok && rc == -NLE_OBJ_NOTFOUND))
      return {};
    return unexpected(nl_error(
        std::string(add ? "add" : "remove") + " route " + route_text(destination, prefix, gateway),
        rc));
  }
};

Result<std::unique_ptr<RouteNetlink>, Error> RouteNetlink::open() {
  std::unique_ptr<RouteNetlink> self(new RouteNetlink());
  self->impl_ = std::make_unique<Impl>();
  self->impl_->sock = nl_socket_alloc();
  if (!self->impl_->sock) return unexpected(Error{"nl_socket_alloc failed", -NLE_NOMEM});
  int rc = nl_connect(self->impl_->sock, NETLINK_ROUTE);
  if (rc < 0) return unexpected(nl_error("connect NETLINK_ROUTE", rc));
  return self;
}

RouteNetlink::~RouteNetlink() = default;

Result<int, Error> RouteNetlink::link_index(const std::string& name) {
  rtnl_link* link = nullptr;
  int rc = rtnl_link_get_kernel(impl_->sock, 0, name.c_str(), &link);
  if (rc < 0) return unexpected(nl_error("get link " + name, rc));
  LinkPtr owner(link);
  return rtnl_link_get_ifindex(link);
}

Status<Error> RouteNetlink::set_link(int ifindex, std::uint32_t mtu, bool up) {
  auto orig = impl_->get_link(ifindex);
  if (!orig) return unexpected(orig.error());
  LinkPtr change(rtnl_link_alloc());
  if (!change) return unexpected(Error{"rtnl_link_alloc failed", -NLE_NOMEM});
  if (mtu != 0) rtnl_link_set_mtu(change.get(), mtu);
  if (up)
    rtnl_link_set_flags(change.get(), IFF_UP);
  else
    rtnl_link_unset_flags(change.get(), IFF_UP);
  int rc = rtnl_link_change(impl_->sock, orig->get(), change.get(), 0);
  if (rc < 0) return unexpected(nl_error("change link " + std::to_string(ifindex), rc));
  return {};
}

Result<std::uint32_t, Error> RouteNetlink::link_mtu(int ifindex) {
  auto link = impl_->get_link(ifindex);
  if (!link) return unexpected(link.error());
  return rtnl_link_get_mtu(link->get());
}

Result<bool, Error> RouteNetlink::link_up(int ifindex) {
  auto link = impl_->get_link(ifindex);
  if (!link) return unexpected(link.error());
  return (rtnl_link_get_flags(link->get()) & IFF_UP) != 0;
}

Status<Error> RouteNetlink::add_address(int ifindex, Ipv4 address, int prefix,
                                        std::optional<Ipv4> peer) {
  auto addr = local_address(ifindex, address, prefix);
  if (!addr) return unexpected(addr.error());
  NlAddrPtr peer_addr;
  if (peer) {
    peer_addr = make_addr(*peer, prefix);
    if (!peer_addr) return unexpected(Error{"nl_addr_build failed", -NLE_NOMEM});
    rtnl_addr_set_peer(addr->get(), peer_addr.get());
  }
  rtnl_addr_set_prefixlen(addr->get(), prefix);
  int rc = rtnl_addr_add(impl_->sock, addr->get(), 0);
  if (rc < 0 && rc != -NLE_EXIST)
    return unexpected(
        nl_error("add address " + address.to_string() + "/" + std::to_string(prefix), rc));
  return {};
}

Status<Error> RouteNetlink::remove_address(int ifindex, Ipv4 address, int prefix) {
  auto addr = local_address(ifindex, address, prefix);
  if (!addr) return unexpected(addr.error());
  rtnl_addr_set_prefixlen(addr->get(), prefix);
  int rc = rtnl_addr_delete(impl_->sock, addr->get(), 0);
  if (rc < 0) return unexpected(nl_error("remove address " + address.to_string(), rc));
  return {};
}

Result<std::vector<AddressEntry>, Error> RouteNetlink::addresses(int ifindex) {
  nl_cache* raw = nullptr;
  int rc = rtnl_addr_alloc_cache(impl_->sock, &raw);
  if (rc < 0) return unexpected(nl_error("dump addresses", rc));
  CachePtr cache(raw);
  std::vector<AddressEntry> out;
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_family(a) != AF_INET || rtnl_addr_get_ifindex(a) != ifindex) continue;
    AddressEntry e;
    e.ifindex = ifindex;
    e.address = to_ipv4(rtnl_addr_get_local(a));
    e.prefix = rtnl_addr_get_prefixlen(a);
    if (nl_addr* p = rtnl_addr_get_peer(a)) {
      Ipv4 peer = to_ipv4(p);
      if (peer != e.address) e.peer = peer;
    }
    out.push_back(e);
  }
  return out;
}

Status<Error> RouteNetlink::add_route(Ipv4 destination, int prefix, int ifindex) {
  return impl_->change_route(true, destination, prefix, std::nullopt, ifindex, 0, false);
}

Status<Error> RouteNetlink::remove_route(Ipv4 destination, int prefix, int ifindex) {
  return impl_->change_route(false, destination, prefix, std::nullopt, ifindex, 0, true);
}

Status<Error> RouteNetlink::add_static_route(Ipv4 destination, int prefix,
                                             std::optional<Ipv4> gateway, int ifindex,
                                             std::uint32_t metric) {
  if (!gateway && ifindex <= 0)
    return unexpected(Error{"a static route needs a gateway or an interface", -NLE_INVAL});
  return impl_->change_route(true, destination, prefix, gateway, ifindex, metric, false);
}

Status<Error> RouteNetlink::remove_static_route(Ipv4 destination, int prefix,
                                                std::optional<Ipv4> gateway, int ifindex,
                                                std::uint32_t metric) {
  return impl_->change_route(false, destination, prefix, gateway, ifindex, metric, false);
}

Result<std::vector<RouteEntry>, Error> RouteNetlink::routes(int ifindex) {
  nl_cache* raw = nullptr;
  int rc = rtnl_route_alloc_cache(impl_->sock, AF_INET, 0, &raw);
  if (rc < 0) return unexpected(nl_error("dump routes", rc));
  CachePtr cache(raw);
  std::vector<RouteEntry> out;
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_nnexthops(r) < 1) continue;
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
    if (!nh || rtnl_route_nh_get_ifindex(nh) != ifindex) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    RouteEntry e;
    e.ifindex = ifindex;
    e.destination = to_ipv4(dst);
    e.prefix = dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0;
    out.push_back(e);
  }
  return out;
}

// ---- RouteTable ----------------------------------------------------------------------------

namespace {
std::uint64_t route_key(Ipv4 a, int prefix) {
  return (std::uint64_t{a.value} << 8) | static_cast<std::uint64_t>(prefix);
}
}  // namespace

Status<Error> RouteTable::add_host(Ipv4 address) {
  return add(address, 32);
}

Status<Error> RouteTable::add(Ipv4 destination, int prefix) {
  auto st = rtnl_.add_route(destination, prefix, ifindex_);
  if (!st) return st;
  installed_.insert(route_key(destination, prefix));
  return {};
}

Status<Error> RouteTable::remove_host(Ipv4 address) {
  if (installed_.erase(route_key(address, 32)) == 0)
    return unexpected(
        Error{"no host route " + address.to_string() + " installed", -NLE_OBJ_NOTFOUND});
  return rtnl_.remove_route(address, 32, ifindex_);
}

void RouteTable::remove_all() {
  // A route may already be gone with its device; nothing more to do then.
  for (std::uint64_t k : installed_)
    (void)rtnl_.remove_route(Ipv4{static_cast<std::uint32_t>(k >> 8)}, static_cast<int>(k & 0xff),
                             ifindex_);
  installed_.clear();
}

}  // namespace vpdnd::netlink
