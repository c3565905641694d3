// DOC: the LNS's user-space data plane devices: one TUN per virtual template that has an
// `ip address` and is used by an `allow l2tp` group, addressed and brought up over
// rtnetlink, with the per-session /32 routes. Implements vpdn::IpPort for LnsCalls.
// Owner: integration. Threading: protocol thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "netlink/netlink.hpp"
#include "startup-config/model.hpp"
#include "vpdn/calls.hpp"

namespace boost::asio {
class io_context;
}

namespace vpdnd::app {

class TunPort final : public vpdn::IpPort {
 public:
  using PacketHandler = std::function<void(std::uint16_t vt, ByteView packet)>;
  TunPort(boost::asio::io_context& io, PacketHandler on_packet);
  ~TunPort() override;

  // Creates, re-addresses or removes devices so that exactly the templates that need one
  // have one ("vt<N>"). Errors are logged once per template and leave that template
  // without a device (its calls then come up without a route, counted by LnsCalls).
  void reconcile(const config::RunningConfig& config);
  std::size_t device_count() const { return devices_.size(); }
  std::string device_name(std::uint16_t vt) const;

  bool add_host_route(std::uint16_t vt, Ipv4 address) override;
  void remove_host_route(std::uint16_t vt, Ipv4 address) override;
  void write_ip(std::uint16_t vt, ByteView packet) override;
  // Auto client: `local`/32 on the device and a host route to `peer` through it.
  bool set_peer_address(std::uint16_t vt, Ipv4 local, Ipv4 peer) override;
  void clear_peer_address(std::uint16_t vt) override;

  std::uint64_t write_errors() const { return write_errors_; }

 private:
  struct Device {
    std::unique_ptr<netlink::TunDevice> tun;
    std::unique_ptr<netlink::RouteTable> routes;
    Ipv4 address;  // 0: none configured (an auto client's address comes from IPCP)
    int prefix = 24;
    std::optional<std::pair<Ipv4, Ipv4>> client;  // auto client: (local, peer) from IPCP
    std::uint16_t mtu = 1500;
  };
  bool create(std::uint16_t vt, const config::VirtualTemplate& t);

  boost::asio::io_context& io_;
  PacketHandler on_packet_;
  std::unique_ptr<netlink::RouteNetlink> rtnl_;
  std::map<std::uint16_t, Device> devices_;
  std::uint64_t write_errors_ = 0;
};

// Which templates need a TUN: `ip address` set and named by an `allow l2tp` group (or an
// auto-client / PPPoE binding that terminates locally).
std::map<std::uint16_t, const config::VirtualTemplate*> templates_needing_tun(
    const config::RunningConfig& config);

}  // namespace vpdnd::app
