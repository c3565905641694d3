// read_host_links(): the host's interfaces for `display interface` and `display ip interface
// brief`, from getifaddrs (flags, IPv4 addresses, AF_PACKET link counters and MAC) and
// SIOCGIFMTU. Runs on the terminal thread; reads the kernel only.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "cli/operations.hpp"

namespace vpdnd::cli {

std::vector<LinkStatus> read_host_links() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::map<std::string, LinkStatus> by_name;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_name) continue;
    LinkStatus& l = by_name[a->ifa_name];
    l.name = a->ifa_name;
    l.admin_up = a->ifa_flags & IFF_UP;
    l.running = a->ifa_flags & IFF_RUNNING;
    l.loopback = a->ifa_flags & IFF_LOOPBACK;
    l.point_to_point = a->ifa_flags & IFF_POINTOPOINT;
    if (!a->ifa_addr) continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      int prefix = 32;
      if (a->ifa_netmask)
        prefix = __builtin_popcount(
            reinterpret_cast<const sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
      l.addresses.emplace_back(Ipv4{ntohl(in->sin_addr.s_addr)}, prefix);
      if (l.point_to_point && a->ifa_dstaddr && a->ifa_dstaddr->sa_family == AF_INET)
        l.peer = Ipv4{ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_dstaddr)->sin_addr.s_addr)};
    } else if (a->ifa_addr->sa_family == AF_PACKET) {
      auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
      if (ll->sll_halen == 6) {
        char mac[16];
        std::snprintf(mac, sizeof mac, "%02x%02x-%02x%02x-%02x%02x", ll->sll_addr[0],
                      ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4],
                      ll->sll_addr[5]);
        l.mac = mac;
      }
      if (a->ifa_data) {
        auto* st = static_cast<const rtnl_link_stats*>(a->ifa_data);
        l.packets_in = st->rx_packets;
        l.bytes_in = st->rx_bytes;
        l.packets_out = st->tx_packets;
        l.bytes_out = st->tx_bytes;
      }
    }
  }
  ::freeifaddrs(list);
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::vector<LinkStatus> out;
  for (auto& [name, l] : by_name) {
    if (fd >= 0 && name.size() < IFNAMSIZ) {
      ifreq req{};
      std::memcpy(req.ifr_name, name.data(), name.size());
      if (::ioctl(fd, SIOCGIFMTU, &req) == 0) l.mtu = static_cast<std::uint32_t>(req.ifr_mtu);
    }
    out.push_back(std::move(l));
  }
  if (fd >= 0) ::close(fd);
  return out;
}

}  // namespace vpdnd::cli
