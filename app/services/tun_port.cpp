// TunPort: TUN devices and host routes of the virtual templates. See tun_port.hpp.
#include "app/services/tun_port.hpp"

#include <utility>

#include "common/log.hpp"

namespace vpdnd::app {

std::map<std::uint16_t, const config::VirtualTemplate*> templates_needing_tun(
    const config::RunningConfig& config) {
  std::map<std::uint16_t, const config::VirtualTemplate*> out;
  auto want = [&](std::uint16_t vt) {
    auto t = config.virtual_templates.find(vt);
    if (t != config.virtual_templates.end() && t->second.ip_address) out[vt] = &t->second;
  };
  for (const auto& [n, g] : config.l2tp_groups) {
    if (g.allow_virtual_template) want(*g.allow_virtual_template);
  }
  // A LAC terminates non-VPDN PPPoE users locally on the bound template.
  for (const auto& [name, i] : config.interfaces) {
    if (i.pppoe_server_template) want(*i.pppoe_server_template);
  }
  // An auto client's template gets its address from IPCP: a device even without `ip address`.
  if (config.l2tp.enabled) {
    for (const auto& [n, t] : config.virtual_templates) {
      if (t.auto_client_group && config.l2tp_groups.count(*t.auto_client_group)) out[n] = &t;
    }
  }
  return out;
}

TunPort::TunPort(boost::asio::io_context& io, PacketHandler on_packet)
    : io_(io), on_packet_(std::move(on_packet)) {}

TunPort::~TunPort() {
  for (auto& [vt, d] : devices_) {
    d.routes.reset();  // routes first, while the device still exists
    d.tun->stop();
  }
}

std::string TunPort::device_name(std::uint16_t vt) const {
  auto it = devices_.find(vt);
  return it == devices_.end() ? std::string{} : it->second.tun->name();
}

bool TunPort::create(std::uint16_t vt, const config::VirtualTemplate& t) {
  if (!rtnl_) {
    auto r = netlink::RouteNetlink::open();
    if (!r) {
      log_error(DebugModule::l2tp, "rtnetlink: " + r.error().message);
      return false;
    }
    rtnl_ = std::move(*r);
  }
  std::string name = "vt" + std::to_string(vt);
  auto tun = netlink::TunDevice::open(name);
  if (!tun) {
    log_error(DebugModule::l2tp,
              "virtual-template " + std::to_string(vt) + ": " + tun.error().message);
    return false;
  }
  Device d;
  d.tun = std::move(*tun);
  d.address = t.ip_address.value_or(Ipv4{});
  d.prefix = t.ip_mask ? mask_to_prefix(*t.ip_mask).value_or(24) : 24;
  d.mtu = t.mtu;
  int ifindex = d.tun->ifindex();
  if (auto s = rtnl_->set_link(ifindex, d.mtu, true); !s) {
    log_error(DebugModule::l2tp, name + ": " + s.error().message);
    return false;
  }
  if (auto s = d.address.is_zero() ? Status<netlink::Error>{}
                                   : rtnl_->add_address(ifindex, d.address, d.prefix);
      !s) {
    log_error(DebugModule::l2tp, name + ": " + s.error().message);
    return false;
  }
  d.routes = std::make_unique<netlink::RouteTable>(*rtnl_, ifindex);
  d.tun->start(io_, [this, vt](const netlink::PacketBatch& batch) {
    for (std::size_t i = 0; i < batch.size(); ++i) on_packet_(vt, batch[i]);
  });
  log_info(DebugModule::l2tp, "virtual-template " + std::to_string(vt) + " data plane on " + name +
                                  " address=" + d.address.to_string() + "/" +
                                  std::to_string(d.prefix));
  devices_.emplace(vt, std::move(d));
  return true;
}

void TunPort::reconcile(const config::RunningConfig& config) {
  auto wanted = templates_needing_tun(config);
  for (auto it = devices_.begin(); it != devices_.end();) {
    auto w = wanted.find(it->first);
    bool keep = w != wanted.end() && w->second->ip_address.value_or(Ipv4{}) == it->second.address &&
                w->second->mtu == it->second.mtu &&
                (w->second->ip_mask ? mask_to_prefix(*w->second->ip_mask).value_or(24) : 24) ==
                    it->second.prefix;
    if (keep) {
      ++it;
      continue;
    }
    clear_peer_address(it->first);
    it->second.routes.reset();
    it->second.tun->stop();
    it = devices_.erase(it);
  }
  for (const auto& [vt, t] : wanted) {
    if (!devices_.count(vt)) create(vt, *t);
  }
}

bool TunPort::add_host_route(std::uint16_t vt, Ipv4 address) {
  auto it = devices_.find(vt);
  if (it == devices_.end()) return false;
  auto s = it->second.routes->add_host(address);
  if (!s) {
    log_warning(DebugModule::l2tp, "route " + address.to_string() + ": " + s.error().message);
    return false;
  }
  return true;
}

void TunPort::remove_host_route(std::uint16_t vt, Ipv4 address) {
  auto it = devices_.find(vt);
  if (it == devices_.end()) return;
  (void)it->second.routes->remove_host(address);
}

bool TunPort::set_peer_address(std::uint16_t vt, Ipv4 local, Ipv4 peer) {
  auto it = devices_.find(vt);
  if (it == devices_.end()) return false;
  Device& d = it->second;
  if (d.client) clear_peer_address(vt);
  int ifindex = d.tun->ifindex();
  if (auto s = rtnl_->add_address(ifindex, local, 32); !s) {
    log_warning(DebugModule::l2tp, d.tun->name() + ": " + s.error().message);
    return false;
  }
  d.client = {local, peer};
  if (auto s = d.routes->add_host(peer); !s) {
    log_warning(DebugModule::l2tp,
                d.tun->name() + ": route " + peer.to_string() + ": " + s.error().message);
  }
  log_info(DebugModule::l2tp,
           d.tun->name() + ": address " + local.to_string() + " peer " + peer.to_string());
  return true;
}

void TunPort::clear_peer_address(std::uint16_t vt) {
  auto it = devices_.find(vt);
  if (it == devices_.end() || !it->second.client) return;
  Device& d = it->second;
  auto [local, peer] = *d.client;
  d.client.reset();
  (void)d.routes->remove_host(peer);
  if (auto s = rtnl_->remove_address(d.tun->ifindex(), local, 32); !s) {
    log_warning(DebugModule::l2tp, d.tun->name() + ": " + s.error().message);
  }
}

void TunPort::write_ip(std::uint16_t vt, ByteView packet) {
  auto it = devices_.find(vt);
  if (it == devices_.end() || !it->second.tun->write(packet)) ++write_errors_;
}

}  // namespace vpdnd::app
