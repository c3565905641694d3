// DOC: what the shell asks of the running engines. The CLI never touches protocol
// objects: it calls these (always on the protocol thread, through ProtocolThread::call) and formats
// the snapshots. app/ implements it by wiring the engines.
#pragma once

#include <cctype>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aaa/aaa.hpp"
#include "aaa/status.hpp"
#include "ipsec/status.hpp"
#include "ppp/status.hpp"
#include "vpdn/status.hpp"

namespace vpdnd::cli {

// Which online users `display connection` lists and `cut connection` ends (Comware V5 AAA
// connection commands). `index` is the connection's Index (its AAA session id).
struct ConnectionFilter {
  enum class Kind : std::uint8_t { all, domain, ip, index, user_name } kind = Kind::all;
  std::string text;  // domain (case-insensitive) or user name (exact)
  Ipv4 address;
  std::uint64_t index = 0;

  bool matches(const aaa::OnlineUser& u) const {
    switch (kind) {
      case Kind::all:
        return true;
      case Kind::domain: {
        if (u.domain.size() != text.size()) return false;
        for (std::size_t i = 0; i < text.size(); ++i)
          if (std::tolower(static_cast<unsigned char>(u.domain[i])) !=
              std::tolower(static_cast<unsigned char>(text[i])))
            return false;
        return true;
      }
      case Kind::ip:
        return u.address == address && !address.is_zero();
      case Kind::index:
        return u.index == index;
      case Kind::user_name:
        return u.user == text;
    }
    return false;
  }
};

// Which buffered Stops `display stop-accounting-buffer` lists and `reset
// stop-accounting-buffer` removes.
struct StopBufferFilter {
  enum class Kind : std::uint8_t {
    all,
    scheme,
    session_id,
    time_range,
    user_name
  } kind = Kind::all;
  std::string text;               // scheme name, Acct-Session-Id or user name (exact)
  std::int64_t from = 0, to = 0;  // time-range, Unix seconds, inclusive

  bool matches(const aaa::BufferedStop& b) const {
    switch (kind) {
      case Kind::all:
        return true;
      case Kind::scheme:
        return b.scheme == text;
      case Kind::session_id:
        return b.session_id == text;
      case Kind::time_range:
        return b.event_time >= from && b.event_time <= to;
      case Kind::user_name:
        return b.user == text;
    }
    return false;
  }
};

// Which PPPoE sessions `reset pppoe-server` ends: every one, those on one access interface
// (its name as in `interface NAME`), or those of one `pppoe-server bind virtual-template N`.
struct PppoeSessionFilter {
  enum class Kind : std::uint8_t { all, interface, virtual_template } kind = Kind::all;
  std::string interface;
  std::uint16_t virtual_template = 0;

  bool matches(const ppp::PppoeSessionStatus& s) const {
    switch (kind) {
      case Kind::all:
        return true;
      case Kind::interface:
        return s.interface == interface;
      case Kind::virtual_template:
        return s.virtual_template == virtual_template;
    }
    return false;
  }
};

// A host (Linux) network interface as `display interface` shows it.
struct LinkStatus {
  std::string name;
  bool admin_up = false;  // IFF_UP
  bool running = false;   // IFF_RUNNING: carrier
  bool loopback = false;
  bool point_to_point = false;
  std::vector<std::pair<Ipv4, int>> addresses;  // IPv4 address, prefix length; primary first
  std::optional<Ipv4> peer;                     // point-to-point peer
  std::uint32_t mtu = 0;
  std::string mac;  // "0011-2233-4455" (Comware notation); "" when none
  std::uint64_t packets_in = 0, bytes_in = 0, packets_out = 0, bytes_out = 0;
};
// The host's interfaces, read with getifaddrs/ioctl (cli/lang/host_links.cpp). Touches no
// engine state: call it on the terminal thread.
std::vector<LinkStatus> read_host_links();

// One PPP user's Virtual-Access interface (Comware's VA: the interface a call is given
// from its virtual template). `index` is the user's connection index (`display connection
// ucibindex N`), so VA N and connection N are the same user.
struct VirtualAccessStatus {
  std::uint64_t index = 0;
  std::uint16_t virtual_template = 0;
  std::string access;   // "L2TP" (LNS), "PPPoE" (LAC), "L2TP client" (l2tp-auto-client)
  std::string carrier;  // "tunnel 5 session 3", "eth1 session 7"
  std::string user;
  std::optional<Ipv4> local_address;  // the template's address (borrowed)
  std::optional<Ipv4> peer_address;   // the user's address
  bool lcp_up = false;                // Link
  bool ipcp_up = false;               // Protocol
  std::string phase;                  // PPP phase ("Network", ...)
  std::uint16_t mtu = 1500;
  std::uint32_t online_s = 0;
  std::uint64_t packets_in = 0, bytes_in = 0, packets_out = 0, bytes_out = 0;
};

class Operations {
 public:
  virtual ~Operations() = default;

  virtual std::vector<vpdn::TunnelStatus> l2tp_tunnels() const = 0;
  virtual std::vector<vpdn::SessionStatus> l2tp_sessions() const = 0;
  // `display l2tp session` on a terminal prints page by page: up to `limit` sessions after
  // (tunnel, session) in l2tp_sessions() order ({0, 0}: from the first). The defaults cut
  // the whole list; the daemon reads the engine one page at a time.
  virtual std::size_t l2tp_session_count() const { return l2tp_sessions().size(); }
  virtual std::vector<vpdn::SessionStatus> l2tp_sessions_after(std::uint16_t tunnel,
                                                               std::uint16_t session,
                                                               std::size_t limit) const {
    std::vector<vpdn::SessionStatus> out;
    for (auto& s : l2tp_sessions())
      if (out.size() < limit &&
          (s.tunnel_local_id > tunnel || (s.tunnel_local_id == tunnel && s.local_id > session)))
        out.push_back(s);
    return out;
  }
  virtual vpdn::L2tpStatistics l2tp_statistics() const = 0;
  virtual std::vector<aaa::PoolStatus> ip_pools() const = 0;
  virtual std::vector<aaa::OnlineUser> online_users() const = 0;
  virtual std::vector<ppp::PppoeSessionStatus> pppoe_sessions() const = 0;

  // Operator actions. Return "" on success, else the message to print (e.g.
  // "% Tunnel 5 does not exist.").
  virtual std::string reset_l2tp_tunnel_id(std::uint16_t local_id) = 0;
  virtual std::string reset_l2tp_tunnel_name(const std::string& remote_name) = 0;
  virtual std::string reset_l2tp_session_id(std::uint16_t local_id) = 0;
  // `cut connection ...`: ends every matching user's call (PPP Terminate, then CDN or
  // PADT; accounting Stop with Admin-Reset). Returns how many were cut.
  virtual std::size_t cut_connections(const ConnectionFilter& filter) = 0;
  // `display radius statistics` / `reset radius statistics`.
  virtual aaa::RadiusStatistics radius_statistics() const { return {}; }
  virtual void reset_radius_statistics() {}
  // `reset l2tp statistics`: every counter `display l2tp statistics` shows goes back to
  // zero; what is up now (tunnels, sessions, tunnels in setup) is not a counter and stays.
  virtual void reset_l2tp_statistics() {}

  // `display interface`, `display ip interface brief`: the host's interfaces. Unlike the
  // other reads it is called on the terminal thread (it reads the kernel, no engine state).
  virtual std::vector<LinkStatus> host_links() const { return read_host_links(); }
  // `display virtual-access`, `display interface`: one per PPP user, by index.
  virtual std::vector<VirtualAccessStatus> virtual_accesses() const { return {}; }

  // `display radius dynamic-author statistics` / `reset radius dynamic-author statistics`;
  // the DAE server's UDP port (0: not listening).
  virtual aaa::DaeStatistics dae_statistics() const { return {}; }
  virtual void reset_dae_statistics() {}
  virtual std::uint16_t dae_port() const { return 0; }

  // The stop-accounting buffer (oldest first), its counters, and `reset
  // stop-accounting-buffer` (returns how many Stops were removed).
  virtual std::vector<aaa::BufferedStop> stop_accounting_buffer() const { return {}; }
  virtual aaa::StopBufferStatistics stop_buffer_statistics() const { return {}; }
  virtual std::size_t reset_stop_accounting_buffer(const StopBufferFilter&) { return 0; }

  // `reset pppoe-server ...`: ends every matching PPPoE session at once (PADT, and the
  // call's teardown: accounting Stop with Admin-Reset, address back to its pool). Returns
  // how many were ended.
  virtual std::size_t reset_pppoe_sessions(const PppoeSessionFilter&) { return 0; }

  // IPsec through strongSwan's charon. charon is asked off the protocol thread: the future
  // is ready once it answered, so wait on it outside ProtocolThread::call.
  virtual std::shared_future<ipsec::SaSnapshot> ipsec_sas() {
    std::promise<ipsec::SaSnapshot> p;
    ipsec::SaSnapshot none;
    none.error = "IPsec is not running";
    p.set_value(std::move(none));
    return p.get_future().share();
  }
  virtual ipsec::Statistics ipsec_statistics() const { return {}; }
  // `reset ike sa [connection-id N]` / `reset ipsec sa [policy NAME [SEQ]]`: queued to
  // charon; "" when queued, else the message to print.
  virtual std::string reset_ike_sa(std::optional<std::uint32_t>) {
    return "% IPsec is not running.";
  }
  virtual std::string reset_ipsec_sa(const std::string&, std::optional<std::uint16_t>) {
    return "% IPsec is not running.";
  }
};

// The operations of a command language with no engine behind it (tools that only load and
// print configuration): every table is empty, every reset finds nothing.
class NoEngineOperations : public Operations {
 public:
  std::vector<vpdn::TunnelStatus> l2tp_tunnels() const override { return {}; }
  std::vector<vpdn::SessionStatus> l2tp_sessions() const override { return {}; }
  vpdn::L2tpStatistics l2tp_statistics() const override { return {}; }
  std::vector<aaa::PoolStatus> ip_pools() const override { return {}; }
  std::vector<aaa::OnlineUser> online_users() const override { return {}; }
  std::vector<ppp::PppoeSessionStatus> pppoe_sessions() const override { return {}; }
  std::string reset_l2tp_tunnel_id(std::uint16_t) override { return "% No such tunnel."; }
  std::string reset_l2tp_tunnel_name(const std::string&) override { return "% No such tunnel."; }
  std::string reset_l2tp_session_id(std::uint16_t) override { return "% No such session."; }
  std::size_t cut_connections(const ConnectionFilter&) override { return 0; }
};

}  // namespace vpdnd::cli
