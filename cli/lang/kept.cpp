// Comware commands that vpdnd knows but does not apply (switching, management, banners,
// routing protocols, ...): a curated list by view. A line the grammar refuses but this list
// names is accepted with a warning and kept verbatim in RunningConfig::kept, so a pasted
// Comware configuration loads and is printed back whole; anything else stays an error.
#include <algorithm>
#include <cctype>

#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

struct Entry {
  View view;               // View::system: a system-view command (also typed in a sub-view)
  std::string_view words;  // the leading keywords, full spelling, lower case
  KnownKind kind;
};

constexpr KnownKind L = KnownKind::line;
constexpr KnownKind B = KnownKind::block;

// Only what vpdnd does not implement: where vpdnd has a keyword (`authentication ppp`),
// only the other branches of it are listed, so a mistyped supported command stays an error.
constexpr Entry kKnown[] = {
    // ---- system view, V5 and V7 ----
    {View::system, "version", L},
    {View::system, "clock timezone", L},
    {View::system, "clock summer-time", L},
    {View::system, "clock protocol", L},
    {View::system, "copyright-info", L},
    {View::system, "undo copyright-info", L},
    {View::system, "lldp", L},
    {View::system, "undo lldp", L},
    {View::system, "stp", L},
    {View::system, "undo stp", L},
    {View::system, "vlan", B},
    {View::system, "undo vlan", L},
    {View::system, "ntp-service", L},
    {View::system, "undo ntp-service", L},
    {View::system, "header", KnownKind::banner},
    {View::system, "user-group", B},
    {View::system, "password-recovery", L},
    {View::system, "undo password-recovery", L},
    {View::system, "ip http", L},
    {View::system, "undo ip http", L},
    {View::system, "ip https", L},
    {View::system, "undo ip https", L},
    {View::system, "ip redirects", L},
    {View::system, "undo ip redirects", L},
    {View::system, "ip unreachables", L},
    {View::system, "undo ip unreachables", L},
    {View::system, "ip ttl-expires", L},
    {View::system, "undo ip ttl-expires", L},
    {View::system, "ip fast-forwarding", L},
    {View::system, "undo ip fast-forwarding", L},
    {View::system, "ip host", L},
    {View::system, "ipv6", L},
    {View::system, "scheduler logfile", L},
    {View::system, "scheduler reboot", L},
    {View::system, "scheduler job", B},
    {View::system, "scheduler schedule", B},
    {View::system, "dns", L},
    {View::system, "undo dns", L},
    {View::system, "dar", L},
    {View::system, "port-security", L},
    {View::system, "dhcp enable", L},
    {View::system, "undo dhcp enable", L},
    {View::system, "dhcp server ip-pool", B},
    {View::system, "dhcp server forbidden-ip", L},
    {View::system, "dhcp relay", L},
    {View::system, "dhcp snooping", L},
    {View::system, "load", L},
    {View::system, "cwmp", B},
    {View::system, "undo cwmp", L},
    {View::system, "acl", B},
    {View::system, "nat", L},
    {View::system, "ssh server port", L},
    {View::system, "ssh server authentication-retries", L},
    {View::system, "ssh server authentication-timeout", L},
    {View::system, "ssh server rekey-interval", L},
    {View::system, "ssh server compatible-ssh1x", L},
    {View::system, "ssh server acl", L},
    {View::system, "ssh server dscp", L},
    {View::system, "ssh client", L},
    {View::system, "undo ssh", L},
    {View::system, "sftp", L},
    {View::system, "ftp", L},
    {View::system, "undo ftp", L},
    // snmp-agent: what commands_snmp.cpp does not implement.
    {View::system, "snmp-agent local-engineid", L},
    {View::system, "snmp-agent group", L},
    {View::system, "snmp-agent mib-view", L},
    {View::system, "snmp-agent trap", L},
    {View::system, "snmp-agent target-host inform", L},
    {View::system, "snmp-agent log", L},
    {View::system, "snmp-agent packet", L},
    {View::system, "snmp-agent community-map", L},
    {View::system, "snmp-agent context", L},
    {View::system, "snmp-agent source", L},
    {View::system, "snmp-agent notification-log", L},
    {View::system, "snmp-agent ifmib", L},
    {View::system, "snmp-agent calculate-password", L},
    {View::system, "snmp-agent remote", L},
    {View::system, "undo snmp-agent local-engineid", L},
    {View::system, "undo snmp-agent group", L},
    {View::system, "undo snmp-agent mib-view", L},
    {View::system, "undo snmp-agent trap", L},
    {View::system, "undo snmp-agent target-host inform", L},
    {View::system, "undo snmp-agent log", L},
    {View::system, "undo snmp-agent packet", L},
    {View::system, "info-center loghost", L},
    {View::system, "info-center source", L},
    {View::system, "info-center timestamp", L},
    {View::system, "info-center console", L},
    {View::system, "info-center monitor", L},
    {View::system, "info-center trapbuffer", L},
    {View::system, "info-center synchronous", L},
    {View::system, "info-center logfile", L},
    {View::system, "info-center security-logfile", L},
    {View::system, "info-center format", L},
    {View::system, "info-center diagnostic-logfile", L},
    {View::system, "undo info-center", L},
    {View::system, "role", B},
    {View::system, "line", B},
    {View::system, "user-interface con", B},
    {View::system, "user-interface aux", B},
    {View::system, "user-interface tty", B},
    {View::system, "user-interface class", B},
    {View::system, "arp", L},
    {View::system, "mac-address", L},
    {View::system, "qos", L},
    {View::system, "traffic", B},
    {View::system, "time-range", L},
    {View::system, "firewall", L},
    {View::system, "security-zone", B},
    {View::system, "zone-pair", B},
    {View::system, "object-group", B},
    {View::system, "router id", L},
    {View::system, "ospf", B},
    {View::system, "rip", B},
    {View::system, "bgp", B},
    {View::system, "isis", B},
    {View::system, "pki", B},
    {View::system, "nqa", B},
    {View::system, "track", L},
    {View::system, "netconf", L},
    {View::system, "restful", L},
    {View::system, "web", L},
    {View::system, "undo web", L},
    {View::system, "irf", L},
    {View::system, "igmp-snooping", L},
    {View::system, "multicast", L},
    {View::system, "system-working-mode", L},
    {View::system, "aaa", L},
    {View::system, "radius session-control", L},
    {View::system, "password-control enable", L},
    {View::system, "undo password-control enable", L},
    {View::system, "password-control length", L},
    {View::system, "password-control aging", L},
    {View::system, "password-control history", L},
    {View::system, "password-control composition", L},
    {View::system, "password-control complexity", L},

    // ---- interface view (Ethernet, VLAN interface, loopback, ...) ----
    {View::interface, "port", L},
    {View::interface, "undo port", L},
    {View::interface, "combo", L},
    {View::interface, "ip address", L},
    {View::interface, "ip redirects", L},
    {View::interface, "undo ip redirects", L},
    {View::interface, "ip mtu", L},
    {View::interface, "ip verify", L},
    {View::interface, "ipv6", L},
    {View::interface, "description", L},
    {View::interface, "shutdown", L},
    {View::interface, "undo shutdown", L},
    {View::interface, "mtu", L},
    {View::interface, "tcp", L},
    {View::interface, "nat", L},
    {View::interface, "dhcp", L},
    {View::interface, "lldp", L},
    {View::interface, "undo lldp", L},
    {View::interface, "stp", L},
    {View::interface, "undo stp", L},
    {View::interface, "qos", L},
    {View::interface, "duplex", L},
    {View::interface, "speed", L},
    {View::interface, "flow-control", L},
    {View::interface, "jumboframe", L},
    {View::interface, "packet-filter", L},
    {View::interface, "firewall", L},
    {View::interface, "arp", L},
    {View::interface, "mac-address", L},
    {View::interface, "ospf", L},
    {View::interface, "rip", L},
    {View::interface, "vrrp", L},
    {View::interface, "async", L},
    {View::interface, "link-protocol", L},
    {View::interface, "modem", L},
    {View::interface, "dialer", L},
    {View::interface, "bandwidth", L},
    {View::interface, "broadcast-suppression", L},
    {View::interface, "loopback-detection", L},
    {View::interface, "undo dcn", L},
    {View::interface, "pppoe-client", L},

    // ---- virtual template view ----
    {View::virtual_template, "description", L},
    {View::virtual_template, "shutdown", L},
    {View::virtual_template, "undo shutdown", L},
    {View::virtual_template, "ppp ipcp remote-address", L},
    {View::virtual_template, "ppp account-statistics", L},
    {View::virtual_template, "ppp lcp", L},
    {View::virtual_template, "ppp mp", L},
    {View::virtual_template, "ppp timer negotiate", L},
    {View::virtual_template, "ppp compression", L},
    {View::virtual_template, "ip redirects", L},
    {View::virtual_template, "undo ip redirects", L},
    {View::virtual_template, "ip mtu", L},
    {View::virtual_template, "tcp", L},
    {View::virtual_template, "nat", L},
    {View::virtual_template, "bandwidth", L},
    {View::virtual_template, "keepalive", L},
    {View::virtual_template, "qos", L},
    {View::virtual_template, "firewall", L},
    {View::virtual_template, "packet-filter", L},
    {View::virtual_template, "ipv6", L},

    // ---- l2tp-group view ----
    {View::l2tp_group, "description", L},
    {View::l2tp_group, "tunnel window", L},
    {View::l2tp_group, "tunnel source", L},
    {View::l2tp_group, "tunnel dscp", L},
    {View::l2tp_group, "vpn-instance", L},

    // ---- ISP domain view ----
    {View::domain, "access-limit", L},
    {View::domain, "idle-cut", L},
    {View::domain, "self-service-url", L},
    {View::domain, "description", L},
    {View::domain, "service-type", L},
    {View::domain, "authorization", L},
    {View::domain, "undo authorization", L},
    {View::domain, "authorization-attribute idle-cut", L},
    {View::domain, "authorization-attribute user-profile", L},
    {View::domain, "authorization-attribute session-timeout", L},
    {View::domain, "authorization-attribute url", L},
    {View::domain, "authentication default", L},
    {View::domain, "authentication login", L},
    {View::domain, "authentication lan-access", L},
    {View::domain, "authentication portal", L},
    {View::domain, "authentication ipoe", L},
    {View::domain, "accounting default", L},
    {View::domain, "accounting login", L},
    {View::domain, "accounting lan-access", L},
    {View::domain, "accounting portal", L},
    {View::domain, "accounting ipoe", L},
    {View::domain, "accounting optional", L},
    {View::domain, "accounting start-fail", L},
    {View::domain, "accounting update-fail", L},
    {View::domain, "accounting quota-out", L},

    // ---- local user view ----
    {View::local_user, "level", L},
    {View::local_user, "authorization-attribute", L},
    {View::local_user, "group", L},
    {View::local_user, "bind-attribute", L},
    {View::local_user, "description", L},
    {View::local_user, "identity", L},
    {View::local_user, "expiration-date", L},
    {View::local_user, "access-limit", L},
    {View::local_user, "password-control", L},
    {View::local_user, "service-type ssh", L},
    {View::local_user, "service-type ftp", L},
    {View::local_user, "service-type web", L},
    {View::local_user, "service-type http", L},
    {View::local_user, "service-type https", L},
    {View::local_user, "service-type lan-access", L},
    {View::local_user, "service-type portal", L},

    // ---- RADIUS scheme view ----
    {View::radius, "server-type", L},
    {View::radius, "timer quiet", L},
    {View::radius, "state", L},
    {View::radius, "accounting-on", L},
    {View::radius, "data-flow-format", L},
    {View::radius, "security-policy-server", L},
    {View::radius, "retry realtime-accounting", L},
    {View::radius, "vpn-instance", L},
    {View::radius, "calling-station-id", L},
    {View::radius, "nas-id", L},
    {View::radius, "attribute 25", L},
    {View::radius, "attribute remanent-volume", L},

    // ---- VTY view ----
    {View::vty, "user", L},
    {View::vty, "user-role", L},
    {View::vty, "protocol", L},
    {View::vty, "shell", L},
    {View::vty, "history-command", L},
    {View::vty, "acl", L},
    {View::vty, "escape-key", L},
    {View::vty, "auto-execute", L},
};

// How many of `words`' keywords the tokens start with; 0 when they do not all match.
std::size_t leading_match(std::string_view words, const std::vector<Token>& tokens) {
  std::size_t n = 0, pos = 0;
  while (pos < words.size()) {
    std::size_t end = words.find(' ', pos);
    if (end == std::string_view::npos) end = words.size();
    if (n >= tokens.size() || lower(tokens[n].text) != words.substr(pos, end - pos)) return 0;
    ++n;
    pos = end + 1;
  }
  return n;
}

}  // namespace

std::optional<Known> known_not_applicable(View view, const std::vector<Token>& tokens) {
  const Entry* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& e : kKnown) {
    if (e.view != view && e.view != View::system) continue;
    std::size_t n = leading_match(e.words, tokens);
    // The view's own entry wins over a system-view one of the same length.
    if (n > best_len || (n && n == best_len && e.view == view && best->view != view)) {
      best = &e;
      best_len = n;
    }
  }
  if (!best) return std::nullopt;
  return Known{best->kind, best->view == View::system && view != View::system};
}

std::string unmapped_warning(const std::string& comware_name) {
  return comware_name + " has no Linux interface (linux-interface " + comware_name +
         " LINUX-NAME): its configuration is kept but not applied";
}

std::string canonical_line(std::string_view line) {
  std::string out;
  for (const auto& t : tokenize(line)) {
    if (!out.empty()) out += ' ';
    out += t.text;
  }
  return out;
}

}  // namespace vpdnd::cli::lang
