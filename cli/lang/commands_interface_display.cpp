// Interface displays and template state: `display interface [brief | virtual-template N |
// virtual-access N | NAME]`, `display virtual-access [N]`, `display ip interface brief`, and
// in the virtual template view `shutdown` / `undo shutdown` and V5 `ip address
// ppp-negotiate`.
//
// What is listed: the host's (Linux) interfaces, each configured virtual template (VT N) and
// one Virtual-Access per PPP user (VA N, N = the user's connection index). A template has
// no carrier of its own: its link is UP unless shut down (ADM) and its protocol is shown
// spoofed, UP(s), as Comware shows its templates; a VA's link is LCP, its protocol IPCP.
#include <cstdio>

#include "cli/lang.hpp"
#include "cli/lang/session.hpp"
#include "common/printable.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::RunningConfig;
using config::VirtualTemplate;

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string online(std::uint32_t s) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%ud %02u:%02u:%02u", s / 86400, s / 3600 % 24, s / 60 % 60,
                s % 60);
  return buf;
}

std::string vt_name(std::uint16_t n) {
  return "Virtual-Template" + std::to_string(n);
}
std::string va_name(std::uint64_t n) {
  return "Virtual-Access" + std::to_string(n);
}

// What every display of this file needs, read once.
struct Snapshot {
  std::vector<LinkStatus> links;
  config::RunningConfig config;
  std::vector<VirtualAccessStatus> accesses;
};
Snapshot take(Call& call) {
  Snapshot s;
  s.links = call.session.context().operations.host_links();  // terminal thread: reads the host
  s.config = call.snapshot();
  s.accesses = on_engine(call, [](Operations& o) { return o.virtual_accesses(); });
  return s;
}

std::string link_state(const LinkStatus& l) {
  if (!l.admin_up) return "ADM";
  return l.running || l.loopback ? "UP" : "DOWN";
}
std::string protocol_state(const LinkStatus& l) {
  if (!l.admin_up || !(l.running || l.loopback)) return "DOWN";
  return l.loopback ? "UP(s)" : "UP";
}
std::string primary(const LinkStatus& l) {
  return l.addresses.empty() ? "--" : l.addresses.front().first.to_string();
}
std::string with_prefix(Ipv4 a, int prefix) {
  return a.to_string() + "/" + std::to_string(prefix);
}
int template_prefix(const VirtualTemplate& t) {
  if (!t.ip_mask) return 32;
  auto p = mask_to_prefix(*t.ip_mask);
  return p ? *p : 32;
}

// `display interface brief`, V7 layout.
std::string render_brief(const Snapshot& s) {
  std::string out =
      "Brief information on interfaces in route mode:\n"
      "Link: ADM - administratively down; Stby - standby\n"
      "Protocol: (s) - spoofing\n"
      "Interface            Link Protocol Primary IP      Description\n";
  auto row = [&](const std::string& name, const std::string& link, const std::string& proto,
                 const std::string& ip, const std::string& desc) {
    std::string line = pad(name, 21) + pad(link, 5) + pad(proto, 9) + pad(ip, 16) + desc;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  for (const auto& l : s.links)
    row(printable(l.name), link_state(l), protocol_state(l), primary(l), "");
  for (const auto& [n, t] : s.config.virtual_templates)
    row("VT" + std::to_string(n), t.shutdown ? "ADM" : "UP", t.shutdown ? "DOWN" : "UP(s)",
        t.ip_address ? t.ip_address->to_string() : "--", "");
  for (const auto& v : s.accesses)
    row("VA" + std::to_string(v.index), v.lcp_up ? "UP" : "DOWN", v.ipcp_up ? "UP" : "DOWN",
        v.local_address ? v.local_address->to_string() : "--", printable(v.user, kCellWidth));
  return out;
}

// `display ip interface brief`, V7 layout: interfaces with an address or a PPP user.
std::string render_ip_brief(const Snapshot& s) {
  std::string out =
      "*down: administratively down\n"
      "(s): spoofing  (l): loopback\n"
      "Interface                     Physical Protocol IP address       Description\n";
  auto row = [&](const std::string& name, const std::string& phys, const std::string& proto,
                 const std::string& ip, const std::string& desc) {
    out += pad(name, 30) + pad(phys, 9) + pad(proto, 9) + pad(ip, 17) + desc + "\n";
  };
  for (const auto& l : s.links) {
    if (l.addresses.empty()) continue;
    std::string phys = !l.admin_up ? "*down" : lower(link_state(l));
    std::string proto = lower(protocol_state(l));
    if (l.loopback) proto = "up(l)";
    row(printable(l.name), phys, proto, primary(l), "--");
  }
  for (const auto& [n, t] : s.config.virtual_templates)
    if (t.ip_address)
      row("VT" + std::to_string(n), t.shutdown ? "*down" : "up", t.shutdown ? "down" : "up(s)",
          t.ip_address->to_string(), "--");
  for (const auto& v : s.accesses)
    if (v.local_address)
      row("VA" + std::to_string(v.index), v.lcp_up ? "up" : "down", v.ipcp_up ? "up" : "down",
          v.local_address->to_string(), "--");
  return out;
}

// The lines a `display interface` entry starts with.
std::string interface_head(const std::string& name, const std::string& state,
                           const std::string& protocol, std::uint64_t mtu) {
  return name + "\nCurrent state: " + state + "\nLine protocol state: " + protocol +
         "\nDescription: " + name +
         " Interface\nMaximum transmission unit: " + std::to_string(mtu) + "\n";
}
// The lines it ends with.
std::string interface_counters(std::uint64_t packets_in, std::uint64_t bytes_in,
                               std::uint64_t packets_out, std::uint64_t bytes_out) {
  return "Input:  " + std::to_string(packets_in) + " packets, " + std::to_string(bytes_in) +
         " bytes\nOutput: " + std::to_string(packets_out) + " packets, " +
         std::to_string(bytes_out) + " bytes\n";
}

std::string render_link(const LinkStatus& l) {
  std::string out =
      interface_head(printable(l.name), !l.admin_up ? "Administratively DOWN" : link_state(l),
                     protocol_state(l), l.mtu);
  if (l.addresses.empty()) out += "Internet protocol processing: Disabled\n";
  for (std::size_t i = 0; i < l.addresses.size(); ++i)
    out += "Internet address: " + with_prefix(l.addresses[i].first, l.addresses[i].second) +
           (i == 0 ? " (primary)" : " (sub)") + "\n";
  if (l.peer) out += "Peer address: " + l.peer->to_string() + "\n";
  if (!l.mac.empty()) out += "IP packet frame type: Ethernet II, hardware address: " + l.mac + "\n";
  return out + interface_counters(l.packets_in, l.bytes_in, l.packets_out, l.bytes_out);
}

std::string render_template(const VirtualTemplate& t, const std::vector<VirtualAccessStatus>& va) {
  std::size_t users = 0;
  for (const auto& v : va) users += v.virtual_template == t.number;
  std::string out = interface_head(vt_name(t.number), t.shutdown ? "Administratively DOWN" : "UP",
                                   t.shutdown ? "DOWN" : "UP (spoofing)", t.mtu);
  if (t.ip_address)
    out += "Internet address: " + with_prefix(*t.ip_address, template_prefix(t)) + " (primary)\n";
  else if (t.ppp_negotiate)
    out += "Internet address: negotiated by PPP (ip address ppp-negotiate)\n";
  else
    out += "Internet protocol processing: Disabled\n";
  out += "Link layer protocol: PPP\n";
  out += "Virtual-Access interfaces (users): " + std::to_string(users) + "\n";
  return out;
}

std::string render_access(const VirtualAccessStatus& v) {
  std::string out =
      interface_head(va_name(v.index), v.lcp_up ? "UP" : "DOWN", v.ipcp_up ? "UP" : "DOWN", v.mtu);
  if (v.local_address)
    out += "Internet address: " + v.local_address->to_string() + "/32 (primary, from " +
           vt_name(v.virtual_template) + ")\n";
  out += "Link layer protocol: PPP\n";
  out += "LCP: " + std::string(v.lcp_up ? "opened" : "initial") +
         ", IPCP: " + (v.ipcp_up ? "opened" : "initial") +
         ", phase: " + (v.phase.empty() ? "-" : v.phase) + "\n";
  out += "Bound to " + vt_name(v.virtual_template) + ", " + v.access +
         (v.carrier.empty() ? "" : " (" + v.carrier + ")") + "\n";
  out += "User: " + (v.user.empty() ? std::string("-") : printable(v.user)) + ", peer address " +
         (v.peer_address ? v.peer_address->to_string() : std::string("-")) + "\n";
  out += "Online time: " + online(v.online_s) + "\n";
  return out + interface_counters(v.packets_in, v.bytes_in, v.packets_out, v.bytes_out);
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "\n") + p;
  return out;
}

void display_all(Call& call) {
  auto s = take(call);
  std::vector<std::string> parts;
  for (const auto& l : s.links) parts.push_back(render_link(l));
  for (const auto& [n, t] : s.config.virtual_templates)
    parts.push_back(render_template(t, s.accesses));
  for (const auto& v : s.accesses) parts.push_back(render_access(v));
  call.print(join(parts));
}

void display_template(Call& call) {
  auto n = static_cast<std::uint16_t>(call.number("vt"));
  auto s = take(call);
  auto it = s.config.virtual_templates.find(n);
  if (it == s.config.virtual_templates.end())
    return call.error("Error: " + vt_name(n) + " does not exist.");
  call.print(render_template(it->second, s.accesses));
}

void display_accesses(Call& call) {
  auto list = on_engine(call, [](Operations& o) { return o.virtual_accesses(); });
  std::vector<std::string> parts;
  for (const auto& v : list)
    if (!call.has("va") || v.index == call.number("va")) parts.push_back(render_access(v));
  if (call.has("va") && parts.empty())
    return call.error("Error: " + va_name(call.number("va")) + " does not exist.");
  if (parts.empty()) return call.print(" No Virtual-Access interface (no PPP user is online).");
  call.print(join(parts));
}

void display_named(Call& call) {
  std::string name = call.get("ifname");
  std::uint16_t n = 0;
  if (is_virtual_template_name(name, &n)) {
    auto s = take(call);
    auto it = s.config.virtual_templates.find(n);
    if (it == s.config.virtual_templates.end())
      return call.error("Error: " + vt_name(n) + " does not exist.");
    return call.print(render_template(it->second, s.accesses));
  }
  for (const auto& l : call.session.context().operations.host_links())
    if (l.name == name) return call.print(render_link(l));
  call.error("Error: Interface " + printable(name) + " does not exist.");
}

bool display_ifname(std::string_view s) {
  return valid_interface_name(s) || is_virtual_template_name(s, nullptr);
}

}  // namespace

void register_interface_display(Grammar& g) {
  for (Node& d : display_roots(g)) {
    Node& di = d.kw("interface", "Interface status and counters");
    di.run(display_all);
    di.kw("brief", "One line per interface").run([](Call& call) {
      call.print(render_brief(take(call)));
    });
    di.kw("virtual-template", "A virtual template interface")
        .integer("vt", 0, 1023, "Virtual template number")
        .run(display_template);
    di.kw("virtual-access", "A PPP user's Virtual-Access interface")
        .integer("va", 0, 4294967295LL, "Virtual-Access number (the connection index)")
        .run(display_accesses);
    di.string("ifname", 1, 20, "Interface name (Linux name or Virtual-TemplateN)", display_ifname)
        .run(display_named);
    Node& va = d.kw("virtual-access", "Virtual-Access interfaces (one per PPP user)");
    va.run(display_accesses);
    va.integer("va", 0, 4294967295LL, "Virtual-Access number (the connection index)")
        .run(display_accesses);
    d.kw("ip", "IP information")
        .kw("interface", "IP settings of interfaces")
        .kw("brief", "One line per interface with an address")
        .run([](Call& call) { call.print(render_ip_brief(take(call))); });
  }

  // ---- virtual template view ----
  Node& r = root(g, View::virtual_template);
  Node& undo = r.kw("undo", "Cancel current setting");
  // A shut template takes no new calls and its users are brought down (PPP Terminate, then
  // CDN or PADT); `undo shutdown` takes calls again.
  r.kw("shutdown", "Shut down the template: no new calls, users on it go offline")
      .run([](Call& call) {
        vt_edit(call, [](VirtualTemplate& t) {
          t.shutdown = true;
          return std::string{};
        });
      });
  undo.kw("shutdown", "Bring the template up: it takes calls again").run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.shutdown = false;
      return std::string{};
    });
  });
  // V5 `ip address ppp-negotiate`: the address IPCP gives this box (l2tp-auto-client).
  Node& neg = r.kw("ip", "Specify IP configuration")
                  .kw("address", "Local address of the template")
                  .kw("ppp-negotiate", "Take the address the peer assigns in IPCP");
  neg.run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.ppp_negotiate = true;
      t.ip_address.reset();
      t.ip_mask.reset();
      return std::string{};
    });
  });
  undo.kw("ip", "Specify IP configuration")
      .kw("address", "Remove the local address")
      .kw("ppp-negotiate", "Stop taking the address from IPCP")
      .run([](Call& call) {
        vt_edit(call, [](VirtualTemplate& t) -> std::string {
          if (!t.ppp_negotiate) return "Error: ip address ppp-negotiate is not configured.";
          t.ppp_negotiate = false;
          return {};
        });
      });
}

}  // namespace vpdnd::cli::lang
