// Display renderers: snapshot -> text (cli/lang.hpp). V5 layouts, one space indent.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "cli/lang.hpp"
#include "cli/lang/grammar.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"
#include "startup-config/secret.hpp"

#ifndef VPDND_VERSION
#define VPDND_VERSION "0.0.0"
#endif

namespace vpdnd::cli {
namespace {

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string duration(std::chrono::seconds s) {
  auto t = s.count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lldd %02lld:%02lld:%02lld", static_cast<long long>(t / 86400),
                static_cast<long long>(t / 3600 % 24), static_cast<long long>(t / 60 % 60),
                static_cast<long long>(t % 60));
  return buf;
}

// Columns padded to the wider of header and values, two spaces apart; the last one bare.
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows, const std::string& indent,
                  std::size_t gap = 2) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = indent;
    for (std::size_t i = 0; i < cells.size(); ++i)
      s += i + 1 < cells.size() ? pad(cells[i], width[i] + gap) : cells[i];
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::string out = line(header);
  for (auto& r : rows) out += line(r);
  return out;
}

std::string yes_no(bool b) {
  return b ? "Yes" : "No";
}
std::string secret_shown(const config::Secret& s) {
  return s.empty() ? "Not configured" : "******";
}

}  // namespace

std::string_view tunnel_state_name(vpdn::TunnelState s) {
  return vpdn::display_name(s);
}
std::string_view session_state_name(vpdn::SessionState s) {
  return vpdn::display_name(s);
}

std::string render_l2tp_tunnels(const std::vector<vpdn::TunnelStatus>& all, Detail detail) {
  // A tunnel we cleared stays Stopping for the RFC 2661 hold (it answers the peer's
  // retransmitted StopCCN), but it is no longer a tunnel the operator has: as on Comware it
  // is not counted and only the verbose form lists it.
  std::vector<vpdn::TunnelStatus> tunnels;
  std::size_t stopping = 0;
  for (const auto& t : all) {
    if (t.state == vpdn::TunnelState::stopping)
      ++stopping;
    else
      tunnels.push_back(t);
  }
  std::string out = " Total tunnel = " + std::to_string(tunnels.size()) + "\n";
  if (detail == Detail::verbose && stopping)
    out += " Tunnels being cleared (StopCCN hold) = " + std::to_string(stopping) + "\n";
  if (detail == Detail::verbose) tunnels = all;
  if (tunnels.empty()) return out;
  if (detail == Detail::statistics) {
    std::map<std::string_view, std::size_t> by_state;
    std::uint64_t sessions = 0;
    for (auto& t : tunnels) {
      ++by_state[tunnel_state_name(t.state)];
      sessions += t.sessions;
    }
    for (auto& [state, n] : by_state)
      out += " " + std::string(state) + " = " + std::to_string(n) + "\n";
    out += " Total session = " + std::to_string(sessions) + "\n";
    return out;
  }
  if (detail == Detail::verbose) {
    for (auto& t : tunnels) {
      out += "\n Tunnel " + std::to_string(t.local_id) + " (" + (t.is_lac ? "LAC" : "LNS") +
             ", l2tp-group " + std::to_string(t.group) + ")\n";
      out += "  State: " + std::string(tunnel_state_name(t.state)) +
             ", authenticated: " + yes_no(t.authenticated) + "\n";
      out += "  Local: " + t.local_address.to_string() + ":" + std::to_string(t.local_port) +
             ", name " + printable(t.local_name) + "\n";
      out += "  Remote: " + t.remote_address.to_string() + ":" + std::to_string(t.remote_port) +
             ", name " + printable(t.remote_name) + ", tunnel ID " + std::to_string(t.remote_id) +
             "\n";
      out += "  Sessions: " + std::to_string(t.sessions) +
             ", hello interval: " + std::to_string(t.hello_interval_s) + " s\n";
      out += "  Ns: " + std::to_string(t.ns) + ", Nr: " + std::to_string(t.nr) +
             ", peer window: " + std::to_string(t.peer_window) +
             ", our window: " + std::to_string(t.our_window) + "\n";
      out += "  Control messages in/out: " + std::to_string(t.control_in) + "/" +
             std::to_string(t.control_out) + ", retransmits: " + std::to_string(t.retransmits) +
             "\n";
      out += "  Data packets in/out: " + std::to_string(t.data_packets_in) + "/" +
             std::to_string(t.data_packets_out) +
             ", bytes in/out: " + std::to_string(t.data_bytes_in) + "/" +
             std::to_string(t.data_bytes_out) + "\n";
      out += "  Uptime: " + duration(t.uptime) + "\n";
    }
    return out;
  }
  std::vector<std::string> names;
  std::size_t name_width = 11;
  for (auto& t : tunnels) {
    names.push_back(printable(t.remote_name, kCellWidth));
    name_width = std::max(name_width, names.back().size() + 1);
  }
  out += "\n " + pad("LocalTID", 9) + pad("RemoteTID", 10) + pad("RemoteAddress", 17) +
         pad("Port", 7) + pad("Sessions", 9) + pad("RemoteName", name_width) + "State\n";
  for (std::size_t i = 0; i < tunnels.size(); ++i) {
    const auto& t = tunnels[i];
    out += " " + pad(std::to_string(t.local_id), 9) + pad(std::to_string(t.remote_id), 10) +
           pad(t.remote_address.to_string(), 17) + pad(std::to_string(t.remote_port), 7) +
           pad(std::to_string(t.sessions), 9) + pad(names[i], name_width) +
           std::string(tunnel_state_name(t.state)) + "\n";
  }
  return out;
}

std::string render_l2tp_sessions(const std::vector<vpdn::SessionStatus>& sessions, Detail detail) {
  std::string out = " Total session = " + std::to_string(sessions.size()) + "\n";
  if (sessions.empty()) return out;
  if (detail == Detail::statistics) {
    std::map<std::string_view, std::size_t> by_state;
    for (auto& s : sessions) ++by_state[session_state_name(s.state)];
    for (auto& [state, n] : by_state)
      out += " " + std::string(state) + " = " + std::to_string(n) + "\n";
    return out;
  }
  if (detail == Detail::verbose) {
    for (auto& s : sessions) {
      out += "\n Session " + std::to_string(s.local_id) + " (tunnel " +
             std::to_string(s.tunnel_local_id) + ")\n";
      out += "  State: " + std::string(session_state_name(s.state)) + ", remote session ID " +
             std::to_string(s.remote_id) + "\n";
      out += "  Peer: " + s.peer_address.to_string() + ", interface " + s.interface + "\n";
      out += "  User: " + printable(s.user) +
             ", authentication: " + (s.auth_method.empty() ? "-" : s.auth_method) + "\n";
      out += "  Address: " + (s.address ? s.address->to_string() : std::string("-")) + "\n";
      out += "  Call serial: " + std::to_string(s.call_serial) +
             ", calling: " + (s.calling_number.empty() ? "-" : printable(s.calling_number)) +
             ", called: " + (s.called_number.empty() ? "-" : printable(s.called_number)) + "\n";
      out += "  Packets in/out: " + std::to_string(s.packets_in) + "/" +
             std::to_string(s.packets_out) + ", bytes in/out: " + std::to_string(s.bytes_in) + "/" +
             std::to_string(s.bytes_out) + "\n";
      out += "  Uptime: " + duration(s.uptime) + "\n";
    }
    return out;
  }
  return render_l2tp_session_head(sessions.size()) + render_l2tp_session_rows(sessions);
}

namespace {
// Widths hold the longest usual value and two spaces ("Virtual-Template1:65535"); a longer
// value pushes its row's next cells right rather than widening the whole table.
constexpr std::array<std::size_t, 6> kSessionColumns{10, 11, 10, 14, 25, kCellWidth + 2};
std::string session_line(const std::array<std::string, 7>& cells) {
  std::string s = " ";
  for (std::size_t i = 0; i < kSessionColumns.size(); ++i) s += pad(cells[i], kSessionColumns[i]);
  s += cells.back();
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s + "\n";
}
}  // namespace

std::string render_l2tp_session_head(std::size_t total) {
  std::string out = " Total session = " + std::to_string(total) + "\n";
  if (total == 0) return out;
  return out + "\n" +
         session_line(
             {"LocalSID", "RemoteSID", "LocalTID", "State", "Interface", "User", "Address"});
}

std::string render_l2tp_session_rows(const std::vector<vpdn::SessionStatus>& sessions) {
  std::string out;
  out.reserve(sessions.size() * 100);
  for (auto& s : sessions)
    out += session_line(
        {std::to_string(s.local_id), std::to_string(s.remote_id), std::to_string(s.tunnel_local_id),
         std::string(session_state_name(s.state)), s.interface.empty() ? "-" : s.interface,
         s.user.empty() ? "-" : printable(s.user, kCellWidth),
         s.address ? s.address->to_string() : "-"});
  return out;
}

std::string render_l2tp_statistics(const vpdn::L2tpStatistics& s) {
  std::string out;
  out += " Data plane backend: " +
         (s.data_plane_backend.empty() ? std::string("-") : s.data_plane_backend) + "\n";
  out += " Tunnels: " + std::to_string(s.tunnels_up) + " up, " + std::to_string(s.tunnels_total) +
         " total\n";
  out += " Sessions: " + std::to_string(s.sessions_up) + " up, " +
         std::to_string(s.sessions_total) + " total\n";
  auto cap = [](std::uint64_t n) { return n ? std::to_string(n) : std::string("none"); };
  out += " Tunnels in setup: " + std::to_string(s.tunnels_in_setup) + " (limit " +
         cap(s.setup_limit) + ", " + cap(s.setup_limit_per_source) + " per source, removed after " +
         std::to_string(s.setup_timeout_s) + " s), " + std::to_string(s.setup_expired) +
         " expired, " + std::to_string(s.sccrq_over_limit) + " SCCRQs over limit\n";
  out += " Unconfirmed peers: " + std::to_string(s.unconfirmed_bytes_in) + " bytes in, " +
         std::to_string(s.unconfirmed_bytes_out) + " bytes out\n";
  out += " Retransmits: " + std::to_string(s.retransmits) + "\n";
  std::vector<std::string> names;
  for (auto& [n, v] : s.messages_in) names.push_back(n);
  for (auto& [n, v] : s.messages_out)
    if (!s.messages_in.count(n)) names.push_back(n);
  std::sort(names.begin(), names.end());
  std::vector<std::vector<std::string>> rows;
  for (auto& n : names) {
    auto in = s.messages_in.count(n) ? s.messages_in.at(n) : 0;
    auto outn = s.messages_out.count(n) ? s.messages_out.at(n) : 0;
    rows.push_back({n, std::to_string(in), std::to_string(outn)});
  }
  out += "\n" + table({"Message", "Received", "Sent"}, rows, " ");
  std::uint64_t total = 0;
  for (auto& [r, n] : s.drops) total += n;
  out += "\n Dropped: " + std::to_string(total) + "\n";
  for (auto& [reason, n] : s.drops) out += "  " + reason + ": " + std::to_string(n) + "\n";
  return out;
}

std::string render_ip_pools(const std::vector<aaa::PoolStatus>& pools, const std::string& name) {
  std::vector<const aaa::PoolStatus*> shown;
  for (auto& p : pools)
    if (name.empty() || p.name == name) shown.push_back(&p);
  if (!name.empty() && shown.empty()) return {};
  std::size_t w = 12;
  for (auto* p : shown) w = std::max(w, p->name.size() + 2);
  std::string out =
      "  " + pad("Pool name", w) + "Start IP address   End IP address   Free   In use\n";
  for (auto* p : shown)
    out += "  " + pad(p->name, w) + pad(p->start.to_string(), 19) + pad(p->end.to_string(), 17) +
           pad(std::to_string(p->free), 7) + std::to_string(p->in_use) + "\n";
  if (!name.empty()) {
    out += "  In use IP addresses:\n";
    out += "    " + pad("IP address", 18) + "User\n";
    for (auto& l : shown.front()->leases)
      out += "    " + pad(l.address.to_string(), 18) + printable(l.user, kCellWidth) + "\n";
  }
  return out;
}

std::string render_domains(const config::RunningConfig& c, const std::string& name) {
  std::string out;
  std::size_t n = 0;
  for (auto& [dname, d] : c.domains) {
    if (!name.empty() && dname != name) continue;
    std::string auth = d.auth == config::AuthMethod::local ? "local"
                       : d.auth == config::AuthMethod::none
                           ? "none"
                           : "radius-scheme " + d.auth_radius_scheme;
    if (d.auth_fallback_local) auth += ", local";
    if (d.auth_fallback_none) auth += ", none";
    out += " " + std::to_string(n++) + "  Domain: " + dname +
           (dname == c.default_domain ? " (default)" : "") + "\n";
    out += "    State: " + std::string(d.active ? "Active" : "Block") + "\n";
    out += "    PPP authentication: " + auth + "\n";
    out += "    PPP accounting: " +
           (d.accounting_radius ? "radius-scheme " + d.accounting_radius_scheme
                                : std::string("none")) +
           "\n";
    out += "    Authorization IP pool: " +
           (d.authorization_ip_pool.empty() ? "-" : d.authorization_ip_pool) + "\n";
    for (auto& [pname, p] : c.ip_pools)
      if (p.domain == dname)
        out +=
            "    IP pool " + pname + ": " + p.start.to_string() + " - " + p.end.to_string() + "\n";
    out += "\n";
  }
  if (!name.empty() && n == 0) return {};
  out += " Default domain name: " + c.default_domain + "\n";
  out += " Total " + std::to_string(n) + " domain(s).\n";
  return out;
}

std::string render_local_users(const config::RunningConfig& c) {
  std::string out;
  for (auto& [name, u] : c.local_users) {
    std::string services;
    if (u.has_service(config::ServiceType::ppp)) services += " PPP";
    if (u.has_service(config::ServiceType::telnet)) services += " Telnet";
    if (u.has_service(config::ServiceType::terminal)) services += " Terminal";
    if (u.has_service(config::ServiceType::ssh)) services += " SSH";
    out += " The contents of local user " + name + ":\n";
    out += "  State:          " + std::string(u.active ? "Active" : "Block") + "\n";
    out += "  ServiceType:    " + (services.empty() ? std::string("-") : services.substr(1)) + "\n";
    out += "  Password:       " + secret_shown(u.password) + "\n";
  }
  out += " Total " + std::to_string(c.local_users.size()) + " local user(s) matched.\n";
  return out;
}

std::string render_radius_schemes(const config::RunningConfig& c, const std::string& name) {
  std::string out;
  std::size_t n = 0;
  auto server = [](const std::optional<config::RadiusServer>& s) {
    return s ? "IP: " + s->address.to_string() + "  Port: " + std::to_string(s->port)
             : std::string("Not configured");
  };
  for (auto& [sname, r] : c.radius_schemes) {
    if (!name.empty() && sname != name) continue;
    ++n;
    const char* fmt[] = {"with-domain", "without-domain", "keep-original"};
    out += " SchemeName  : " + sname + "\n";
    out += "  Primary Auth Server      : " + server(r.primary_authentication) + "\n";
    out += "  Primary Acct Server      : " + server(r.primary_accounting) + "\n";
    out += "  Second Auth Server       : " + server(r.secondary_authentication) + "\n";
    out += "  Second Acct Server       : " + server(r.secondary_accounting) + "\n";
    out += "  Auth Server Encryption Key : " + secret_shown(r.key_authentication) + "\n";
    out += "  Acct Server Encryption Key : " + secret_shown(r.key_accounting) + "\n";
    out +=
        "  User Name Format         : " + std::string(fmt[static_cast<int>(r.user_name_format)]) +
        "\n";
    out += "  Response Timeout         : " + std::to_string(r.response_timeout_s) + " second(s)\n";
    out += "  Retransmission Times     : " + std::to_string(r.retry) + "\n";
    out += "  Realtime Accounting      : " + std::to_string(r.realtime_accounting_min) +
           " minute(s)\n";
    out += "  Stop-Accounting Buffer   : " +
           std::string(r.stop_accounting_buffer ? "Enabled" : "Disabled") + "\n";
    out += "  Retry Stop-Accounting    : " + std::to_string(r.retry_stop_accounting) + " time(s)\n";
    out += "  NAS IP Address           : " +
           (r.nas_ip ? r.nas_ip->to_string() : std::string("Not configured")) + "\n";
    out += "  Attribute 80 Check Mode  : " +
           std::string(r.message_authenticator_strict ? "strict" : "loose") + "\n";
    out += "\n";
  }
  if (!name.empty() && n == 0) return {};
  out += " Total " + std::to_string(n) + " RADIUS scheme(s).\n";
  return out;
}

std::string render_radius_statistics(const aaa::RadiusStatistics& stats) {
  auto block = [](const aaa::RadiusServerStatistics& s, const std::string& title) {
    std::string out = title + "\n";
    auto row = [&](const char* name, std::uint64_t auth, const char* acct) {
      char line[96];
      std::snprintf(line, sizeof line, "  %-28s: %-12llu%s\n", name,
                    static_cast<unsigned long long>(auth), acct);
      out += line;
    };
    auto both = [&](const char* name, std::uint64_t auth, std::uint64_t acct) {
      row(name, auth, std::to_string(acct).c_str());
    };
    out += "                                Auth.       Acct.\n";
    both("Request Packet", s.access_requests, s.accounting_requests);
    row("Access Accept", s.access_accepts, "-");
    row("Access Reject", s.access_rejects, "-");
    row("Access Challenge", s.access_challenges, "-");
    char line[96];
    std::snprintf(line, sizeof line, "  %-28s: %-12s%llu\n", "Accounting Response", "-",
                  static_cast<unsigned long long>(s.accounting_responses));
    out += line;
    auto one = [&](const char* name, std::uint64_t v) {
      std::snprintf(line, sizeof line, "  %-28s: %llu\n", name, static_cast<unsigned long long>(v));
      out += line;
    };
    one("Retransmitted Packet", s.retransmissions);
    one("Timeout Request", s.timeouts);
    one("Bad Authenticator", s.bad_authenticator);
    one("Bad Message-Authenticator", s.bad_message_authenticator);
    one("Malformed Packet", s.malformed);
    one("Unknown Source", s.unknown_source);
    one("Unknown Identifier", s.unknown_id);
    return out;
  };
  std::string out = block(stats.total, " Total statistics:");
  for (const auto& s : stats.servers) out += "\n" + block(s, " Server " + s.server + ":");
  return out;
}

std::string render_pppoe_sessions(const std::vector<ppp::PppoeSessionStatus>& sessions) {
  std::string out = " Total PPPoE session = " + std::to_string(sessions.size()) + "\n";
  if (sessions.empty()) return out;
  std::vector<std::vector<std::string>> rows;
  for (auto& s : sessions) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "%02x%02x-%02x%02x-%02x%02x", s.peer_mac[0], s.peer_mac[1],
                  s.peer_mac[2], s.peer_mac[3], s.peer_mac[4], s.peer_mac[5]);
    rows.push_back(
        {std::to_string(s.session_id), s.interface, mac, s.state,
         s.user.empty() ? "-" : printable(s.user, kCellWidth),
         s.l2tp_tunnel ? std::to_string(s.l2tp_tunnel) + "/" + std::to_string(s.l2tp_session) : "-",
         duration(s.uptime)});
  }
  out += "\n" + table({"SID", "Interface", "RemoteMAC", "State", "User", "L2TP(T/S)", "Uptime"},
                      rows, " ");
  return out;
}

std::string render_connections(const std::vector<aaa::OnlineUser>& users,
                               const ConnectionFilter& filter,
                               std::chrono::system_clock::time_point now) {
  auto stamp = [](std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::localtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return std::string(buf);
  };
  const bool verbose = filter.kind == ConnectionFilter::Kind::index;
  std::string out;
  std::size_t matched = 0;
  for (const auto& u : users) {
    if (!filter.matches(u)) continue;
    ++matched;
    char head[48];
    std::snprintf(head, sizeof head,
                  "Index=%-4llu,Username=", static_cast<unsigned long long>(u.index));
    out += head + printable(u.user) + "\n";
    out += "IP=" + (u.address.is_zero() ? std::string("N/A") : u.address.to_string()) + "\n";
    out += "IPv6=N/A\n";
    if (!verbose) continue;
    out +=
        "Access=PPP ,Port Name=" + (u.interface.empty() ? std::string("N/A") : u.interface) + "\n";
    out += "Domain=" + (u.domain.empty() ? std::string("N/A") : printable(u.domain)) +
           " ,Acct-Session-Id=" +
           (u.acct_session_id.empty() ? std::string("N/A") : printable(u.acct_session_id)) + "\n";
    char online[32];
    std::snprintf(online, sizeof online, "%02uh%02um%02us", u.online_s / 3600,
                  (u.online_s / 60) % 60, u.online_s % 60);
    out += "Start=" + stamp(now - std::chrono::seconds(u.online_s)) + " ,Current=" + stamp(now) +
           " ,Online=" + online + "\n";
  }
  out += " Total " + std::to_string(matched) + " connection(s) matched.\n";
  return out;
}

// Initialised during static initialisation, before main(), so `display version` counts the
// uptime from process start (a function-local static would start at the first display).
const std::chrono::steady_clock::time_point process_started = std::chrono::steady_clock::now();

std::string render_version() {
  auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                             process_started);
  std::string out =
      "vpdnd VPDN appliance, Version " VPDND_VERSION " (Comware V5 command dialect)\n";
  out += "L2TPv2 (RFC 2661) LAC and LNS, PPP, PPPoE, AAA (local, RADIUS)\n";
  out += "Uptime is " + duration(up) + "\n";
  return out;
}

std::string render_debugging() {
  std::string out;
  auto& bus = LogBus::instance();
  for (std::size_t m = 0; m < static_cast<std::size_t>(DebugModule::count); ++m)
    for (std::size_t c = 0; c < static_cast<std::size_t>(DebugClass::count); ++c) {
      auto mod = static_cast<DebugModule>(m);
      auto cls = static_cast<DebugClass>(c);
      if (bus.enabled(mod, cls))
        out += " " + std::string(to_string(mod)) + " " + std::string(keyword(cls)) +
               " debugging switch is on\n";
    }
  if (out.empty()) out = " No debugging switch is on.\n";
  return out;
}

std::string mask_secrets(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file saved with CRLF
    auto tokens = lang::tokenize(line);
    for (std::size_t i = tokens.size(); i-- > 1;) {
      std::string w = tokens[i - 1].text;
      for (auto& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (w != "simple") continue;
      std::string cipher = "cipher " + config::encrypt_secret(config::Secret{tokens[i].text});
      std::size_t from = tokens[i - 1].offset, to = tokens[i].offset + tokens[i].text.size();
      line.replace(from, to - from, cipher);
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace vpdnd::cli
