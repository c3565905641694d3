// The running-config printer (`display current-configuration`, `save`): one printer per
// node, Comware V5 layout: blocks separated by `#`, global commands and
// sub-commands indented one space, view commands at column 0, `return` at the end. Only
// settings that differ from the model default are printed, in an order that loads back
// (a secret before what needs it, a group's own settings before its role).
#include "cli/lang/session.hpp"
#include "common/enum_names.hpp"
#include "startup-config/secret.hpp"

namespace vpdnd::cli::lang {
namespace {

using namespace config;
using Block = std::vector<std::string>;

std::string secret(const Secret& s) {
  return "cipher " + encrypt_secret(s);
}

// Kept Comware lines (RunningConfig::kept) of block `key`, indented one space; a banner's
// lines after its first are its text, verbatim.
void add_kept(Block& b, const RunningConfig& c, const std::string& key) {
  auto it = c.kept.find(key);
  if (it == c.kept.end()) return;
  for (const auto& entry : it->second) {
    std::size_t nl = entry.find('\n');
    b.push_back(" " + entry.substr(0, nl));
    if (nl != std::string::npos) b.push_back(entry.substr(nl + 1));
  }
}

Block global_block(const RunningConfig& c) {
  Block b{" sysname " + c.sysname};
  add_kept(b, c, "");
  return b;
}

// `linux-interface` before the interfaces it names (not needed to load, but read first).
Block interface_map_block(const RunningConfig& c) {
  Block b;
  for (auto& [comware, linux_name] : c.interface_map)
    b.push_back(" linux-interface " + comware + " " + linux_name);
  return b;
}

// Blocks of Comware views vpdnd does not implement (and of interfaces it keeps only
// Comware lines for): every kept key no printed block has.
std::vector<Block> foreign_blocks(const RunningConfig& c) {
  std::vector<Block> out;
  for (const auto& entry : c.kept) {
    const std::string& key = entry.first;  // a plain name: lambdas below capture it
    if (key.empty() || key == "user-interface vty 0 4") continue;
    auto named = [&](std::string_view prefix, auto& map) {
      if (key.rfind(prefix, 0) != 0) return false;
      return map.count(key.substr(prefix.size())) != 0;
    };
    if (named("interface ", c.interfaces) || named("domain ", c.domains) ||
        named("local-user ", c.local_users) || named("radius scheme ", c.radius_schemes))
      continue;
    auto numbered = [&](std::string_view prefix, auto& map) {
      if (key.rfind(prefix, 0) != 0) return false;
      std::string n = key.substr(prefix.size());
      if (n.empty() || n.size() > 5 || n.find_first_not_of("0123456789") != std::string::npos)
        return false;
      return map.count(static_cast<std::uint16_t>(std::stoul(n))) != 0;
    };
    if (numbered("interface Virtual-Template", c.virtual_templates) ||
        numbered("l2tp-group ", c.l2tp_groups))
      continue;
    Block b{key};
    add_kept(b, c, key);
    out.push_back(std::move(b));
  }
  return out;
}

Block l2tp_global_block(const RunningConfig& c) {
  const L2tpGlobal def;
  const auto& l = c.l2tp;
  Block b;
  if (l.enabled) b.push_back(" l2tp enable");
  if (l.prefix_separator != def.prefix_separator || l.separator != def.separator)
    b.push_back(std::string(" l2tp domain ") + (l.prefix_separator ? "prefix" : "suffix") +
                "-separator " + l.separator);
  if (l.match_order != def.match_order) {
    const char* names[] = {"dnis-domain", "dnis-only", "domain-dnis", "domain-only"};
    b.push_back(std::string(" l2tp match-order ") + names[static_cast<int>(l.match_order)]);
  }
  if (l.session_limit) b.push_back(" l2tp session-limit " + std::to_string(*l.session_limit));
  if (l.tunnel_limit) b.push_back(" l2tp tunnel-limit " + std::to_string(*l.tunnel_limit));
  if (l.listen_port != def.listen_port)
    b.push_back(" l2tp listen-port " + std::to_string(l.listen_port));
  if (l.receive_buffer_kib != def.receive_buffer_kib)
    b.push_back(" l2tp receive-buffer " + std::to_string(l.receive_buffer_kib));
  return b;
}

Block radius_block(const RunningConfig& c, const RadiusScheme& r) {
  const RadiusScheme def;
  Block b{"radius scheme " + r.name};
  auto server = [&](const char* what, const std::optional<RadiusServer>& s) {
    if (s)
      b.push_back(std::string(" ") + what + " " + s->address.to_string() + " " +
                  std::to_string(s->port));
  };
  server("primary authentication", r.primary_authentication);
  server("primary accounting", r.primary_accounting);
  server("secondary authentication", r.secondary_authentication);
  server("secondary accounting", r.secondary_accounting);
  if (!r.key_authentication.empty())
    b.push_back(" key authentication " + secret(r.key_authentication));
  if (!r.key_accounting.empty()) b.push_back(" key accounting " + secret(r.key_accounting));
  if (r.user_name_format != def.user_name_format) {
    const char* names[] = {"with-domain", "without-domain", "keep-original"};
    b.push_back(std::string(" user-name-format ") + names[static_cast<int>(r.user_name_format)]);
  }
  if (r.response_timeout_s != def.response_timeout_s)
    b.push_back(" timer response-timeout " + std::to_string(r.response_timeout_s));
  if (r.retry != def.retry) b.push_back(" retry " + std::to_string(r.retry));
  if (r.realtime_accounting_min != def.realtime_accounting_min)
    b.push_back(" timer realtime-accounting " + std::to_string(r.realtime_accounting_min));
  if (r.nas_ip) b.push_back(" nas-ip " + r.nas_ip->to_string());
  if (!r.message_authenticator_strict) b.push_back(" attribute 80 check-mode loose");
  if (r.stop_accounting_buffer != def.stop_accounting_buffer)
    b.push_back(" undo stop-accounting-buffer enable");
  if (r.retry_stop_accounting != def.retry_stop_accounting)
    b.push_back(" retry stop-accounting " + std::to_string(r.retry_stop_accounting));
  add_kept(b, c, "radius scheme " + r.name);
  return b;
}

Block dae_block(const DynamicAuthor& d) {
  Block b{"radius dynamic-author server"};
  if (d.port != DynamicAuthor{}.port) b.push_back(" port " + std::to_string(d.port));
  for (const auto& [addr, client] : d.clients)
    b.push_back(" client ip " + client.address.to_string() + " key " + secret(client.key));
  return b;
}

std::string pool_line(const IpPool& p) {
  std::string s = " ip pool " + p.name + " " + p.start.to_string();
  if (p.end != p.start) s += " " + p.end.to_string();
  return s;
}

Block domain_block(const RunningConfig& c, const Domain& d) {
  Block b{"domain " + d.name};
  if (d.auth == AuthMethod::none) b.push_back(" authentication ppp none");
  if (d.auth == AuthMethod::radius) {
    std::string s = " authentication ppp radius-scheme " + d.auth_radius_scheme;
    if (d.auth_fallback_local) s += " local";
    if (d.auth_fallback_none) s += " none";
    b.push_back(s);
  }
  if (d.accounting_radius)
    b.push_back(" accounting ppp radius-scheme " + d.accounting_radius_scheme);
  if (!d.authorization_ip_pool.empty())
    b.push_back(" authorization-attribute ip-pool " + d.authorization_ip_pool);
  for (auto& [name, p] : c.ip_pools)
    if (p.domain == d.name) b.push_back(pool_line(p));
  if (!d.active) b.push_back(" state block");
  add_kept(b, c, "domain " + d.name);
  return b;
}

// Global pools go before the view blocks: printed after a `domain` block, a V5 reader takes
// them for that domain's own pools.
Block system_pools_block(const RunningConfig& c) {
  Block b;
  for (auto& [name, p] : c.ip_pools)
    if (p.domain.empty()) b.push_back(pool_line(p));
  return b;
}

// `domain default enable D` needs domain D to exist when the file loads: after the domains.
Block default_domain_block(const RunningConfig& c) {
  Block b;
  if (c.default_domain != "system") b.push_back(" domain default enable " + c.default_domain);
  return b;
}

Block user_block(const RunningConfig& c, const LocalUser& u) {
  Block b{"local-user " + u.name + (u.user_class.empty() ? "" : " class " + u.user_class)};
  if (!u.password.empty()) b.push_back(" password " + secret(u.password));
  if (u.service_types) {
    std::string s = " service-type";
    if (u.has_service(ServiceType::ppp)) s += " ppp";
    if (u.has_service(ServiceType::telnet)) s += " telnet";
    if (u.has_service(ServiceType::terminal)) s += " terminal";
    if (u.has_service(ServiceType::ssh)) s += " ssh";
    b.push_back(s);
  }
  if (!u.active) b.push_back(" state block");
  add_kept(b, c, "local-user " + u.name);
  return b;
}

Block template_block(const RunningConfig& c, const VirtualTemplate& t) {
  const VirtualTemplate def;
  Block b{"interface Virtual-Template" + std::to_string(t.number)};
  if (!t.auth_modes.empty()) {
    std::string s = " ppp authentication-mode";
    for (auto m : t.auth_modes) s += std::string(" ") + keyword(m);
    if (!t.auth_domain.empty()) s += " domain " + t.auth_domain;
    b.push_back(s);
  }
  // V5's own form of the setting (`ppp timer hold` is accepted too), so a saved
  // configuration also loads on a V5 device.
  if (t.hold_timer_s != def.hold_timer_s)
    b.push_back(" timer hold " + std::to_string(t.hold_timer_s));
  if (t.dns_primary) {
    std::string s = " ppp ipcp dns " + t.dns_primary->to_string();
    if (t.dns_secondary) s += " " + t.dns_secondary->to_string();
    b.push_back(s);
  }
  if (t.mtu != def.mtu) b.push_back(" mtu " + std::to_string(t.mtu));
  if (t.ip_address)
    b.push_back(" ip address " + t.ip_address->to_string() + " " +
                t.ip_mask.value_or(Ipv4{0xffffffffu}).to_string());
  else if (t.ppp_negotiate)
    b.push_back(" ip address ppp-negotiate");
  if (t.remote_pool_implicit)
    b.push_back(" remote address pool");
  else if (!t.remote_pool.empty())
    b.push_back(" remote address pool " + t.remote_pool);
  if (t.remote_address) b.push_back(" remote address " + t.remote_address->to_string());
  if (!t.chap_user.empty()) b.push_back(" ppp chap user " + t.chap_user);
  if (!t.chap_password.empty()) b.push_back(" ppp chap password " + secret(t.chap_password));
  if (!t.pap_user.empty())
    b.push_back(" ppp pap local-user " + t.pap_user + " password " + secret(t.pap_password));
  if (t.auto_client_group)
    b.push_back(" l2tp-auto-client l2tp-group " + std::to_string(*t.auto_client_group));
  if (t.shutdown) b.push_back(" shutdown");
  add_kept(b, c, "interface Virtual-Template" + std::to_string(t.number));
  return b;
}

Block interface_block(const RunningConfig& c, const Interface& i) {
  Block b{"interface " + i.name};
  add_kept(b, c, "interface " + i.name);
  if (i.pppoe_server_template)
    b.push_back(" pppoe-server bind virtual-template " + std::to_string(*i.pppoe_server_template));
  if (!i.ipsec_policy.empty()) b.push_back(" ipsec apply policy " + i.ipsec_policy);
  return b;
}

Block group_block(const RunningConfig& c, const L2tpGroup& g) {
  const L2tpGroup def;
  std::string head = "l2tp-group " + std::to_string(g.number);
  if (g.mode == GroupMode::lac) head += " mode lac";
  if (g.mode == GroupMode::lns) head += " mode lns";
  Block b{head};
  if (!g.tunnel_authentication) b.push_back(" undo tunnel authentication");
  if (!g.tunnel_name.empty()) b.push_back(" tunnel name " + g.tunnel_name);
  if (!g.tunnel_password.empty()) b.push_back(" tunnel password " + secret(g.tunnel_password));
  if (g.avp_hidden) b.push_back(" tunnel avp-hidden");
  if (g.hello_interval_s != def.hello_interval_s)
    b.push_back(" tunnel timer hello " + std::to_string(g.hello_interval_s));
  if (g.idle_timeout_s != def.idle_timeout_s)
    b.push_back(" tunnel timer idle " + std::to_string(g.idle_timeout_s));
  if (g.flow_control) b.push_back(" tunnel flow-control");
  if (g.mandatory_lcp) b.push_back(" mandatory-lcp");
  if (g.mandatory_chap) b.push_back(" mandatory-chap");
  if (g.session_limit) b.push_back(" session-limit " + std::to_string(*g.session_limit));
  static constexpr std::string_view kKinds[] = {"", "domain ", "dnis ", "fullusername "};
  const std::string kind(
      enum_name<LacMatchKind::none, LacMatchKind::fullusername>(g.match_kind, kKinds, ""));
  if (!g.lns_addresses.empty() && g.match_kind != LacMatchKind::none) {
    std::string s = " start l2tp";
    for (auto& a : g.lns_addresses) s += " ip " + a.to_string();
    b.push_back(s + " " + kind + g.match_value);
  } else if (!g.lns_addresses.empty()) {
    std::string s = " lns-ip";
    for (auto& a : g.lns_addresses) s += " " + a.to_string();
    b.push_back(s);
  } else if (g.match_kind != LacMatchKind::none) {
    b.push_back(" user " + kind + g.match_value);
  }
  if (g.allow_virtual_template) {
    std::string s = " allow l2tp virtual-template " + std::to_string(*g.allow_virtual_template);
    if (!g.allow_remote.empty()) s += " remote " + g.allow_remote;
    b.push_back(s);
  }
  add_kept(b, c, "l2tp-group " + std::to_string(g.number));
  return b;
}

Block vty_block(const RunningConfig& c, const UserInterfaceVty& v) {
  const UserInterfaceVty def;
  Block b{"user-interface vty 0 4"};
  if (!v.password.empty()) b.push_back(" set authentication password " + secret(v.password));
  if (v.auth_mode == VtyAuthMode::none) b.push_back(" authentication-mode none");
  if (v.auth_mode == VtyAuthMode::password) b.push_back(" authentication-mode password");
  if (v.idle_timeout_s != def.idle_timeout_s) {
    std::string s = " idle-timeout " + std::to_string(v.idle_timeout_s / 60);
    if (v.idle_timeout_s % 60) s += " " + std::to_string(v.idle_timeout_s % 60);
    b.push_back(s);
  }
  if (v.screen_length != def.screen_length)
    b.push_back(" screen-length " + std::to_string(v.screen_length));
  if (v.protocol == VtyProtocol::ssh) b.push_back(" protocol inbound ssh");
  if (v.protocol == VtyProtocol::telnet) b.push_back(" protocol inbound telnet");
  add_kept(b, c, "user-interface vty 0 4");
  return b;
}

// Comware prints a key code as hex in groups of 8 digits, 8 groups a line.
Block public_key_block(const PeerPublicKey& k) {
  static const char digits[] = "0123456789ABCDEF";
  Block b{"public-key peer " + k.name, " public-key-code begin"};
  std::string line;
  for (std::size_t i = 0; i < k.blob.size(); ++i) {
    if (i % 32 == 0)
      line = "  ";
    else if (i % 4 == 0)
      line += ' ';
    auto c = static_cast<unsigned char>(k.blob[i]);
    line += digits[c >> 4];
    line += digits[c & 15];
    if (i % 32 == 31 || i + 1 == k.blob.size()) b.push_back(line);
  }
  b.push_back(" public-key-code end");
  b.push_back(" peer-public-key end");
  return b;
}

Block ssh_user_block(const RunningConfig& c) {
  Block b;
  for (auto& [name, u] : c.ssh_users) {
    std::string s = " ssh user " + name + " service-type stelnet authentication-type ";
    // SshAuthType's keywords, in the enum's order.
    static constexpr const char* kAuthWords[] = {"password", "publickey", "password-publickey",
                                                 "any"};
    s += kAuthWords[static_cast<std::size_t>(u.auth)];
    if (u.auth != SshAuthType::password) s += " assign publickey " + u.publickey;
    b.push_back(s);
  }
  return b;
}

// V5 spelling (dotted mask), after the interfaces the routes may name.
Block static_routes_block(const RunningConfig& c) {
  Block b;
  for (const auto& r : c.static_routes) {
    std::string s =
        " ip route-static " + r.prefix.to_string() + " " + prefix_to_mask(r.length).to_string();
    if (!r.interface.empty()) s += " " + r.interface;
    if (r.next_hop) s += " " + r.next_hop->to_string();
    if (r.preference != StaticRoute{}.preference)
      s += " preference " + std::to_string(r.preference);
    b.push_back(s);
  }
  return b;
}

Block info_center_block(const InfoCenter& i) {
  const InfoCenter def;
  Block b;
  if (!i.enabled) b.push_back(" undo info-center enable");
  if (!i.logbuffer) b.push_back(" undo info-center logbuffer");
  if (i.logbuffer_size != def.logbuffer_size)
    b.push_back(" info-center logbuffer size " + std::to_string(i.logbuffer_size));
  if (i.logbuffer_level != def.logbuffer_level) {
    static const char* names[] = {"emergencies", "alerts",        "critical",      "errors",
                                  "warnings",    "notifications", "informational", "debugging"};
    b.push_back(std::string(" info-center source default channel logbuffer log level ") +
                names[i.logbuffer_level & 7]);
  }
  return b;
}

std::string join(const std::vector<Block>& blocks) {
  std::string out;
  for (auto& b : blocks) {
    if (b.empty()) continue;
    out += "#\n";
    for (auto& l : b) out += l + "\n";
  }
  return out;
}

Block password_control_block(const config::LoginAttemptPolicy& p) {
  if (p == config::LoginAttemptPolicy{}) return {};
  using E = config::LoginAttemptPolicy::Exceed;
  std::string line = " password-control login-attempt " + std::to_string(p.attempts) + " exceed ";
  line += p.exceed == E::lock     ? "lock"
          : p.exceed == E::unlock ? "unlock"
                                  : "lock-time " + std::to_string(p.lock_minutes);
  return Block{line};
}

// The global settings, printed before every view block, as Comware does.
std::vector<Block> system_level(const RunningConfig& c) {
  return {global_block(c),
          interface_map_block(c),
          l2tp_global_block(c),
          system_pools_block(c),
          Block{c.telnet_server ? " telnet server enable" : " undo telnet server enable"},
          c.ssh_server ? Block{" ssh server enable"} : Block{},
          password_control_block(c.login_attempt),
          info_center_block(c.info_center),
          snmp_block(c)};
}

}  // namespace

std::string render_view_block(const RunningConfig& c, View v, const std::string& object) {
  auto num = [&] { return static_cast<std::uint16_t>(std::stoul(object)); };
  std::vector<Block> blocks;
  // The block of the view's object in `table`, unless another terminal removed it.
  auto add_block = [&](const auto& table, const auto& key, auto render) {
    if (auto it = table.find(key); it != table.end()) blocks.push_back(render(c, it->second));
  };
  switch (v) {
    case View::user:
    case View::system:
    case View::count:
      blocks = system_level(c);
      blocks.push_back(default_domain_block(c));
      break;
    case View::l2tp_group:
      add_block(c.l2tp_groups, num(), group_block);
      break;
    case View::virtual_template:
      add_block(c.virtual_templates, num(), template_block);
      break;
    case View::interface:
      if (auto it = c.interfaces.find(object); it != c.interfaces.end())
        blocks.push_back(interface_block(c, it->second));
      else {
        Block b{"interface " + object};
        add_kept(b, c, "interface " + object);
        blocks.push_back(b);
      }
      break;
    case View::domain:
      add_block(c.domains, object, domain_block);
      break;
    case View::local_user:
      add_block(c.local_users, object, user_block);
      break;
    case View::radius:
      add_block(c.radius_schemes, object, radius_block);
      break;
    case View::vty:
      blocks.push_back(vty_block(c, c.vty));
      break;
    case View::public_key:
    case View::key_code:
      if (auto it = c.peer_public_keys.find(object); it != c.peer_public_keys.end())
        blocks.push_back(public_key_block(it->second));
      break;
    case View::dae:
      if (c.dynamic_author.enabled) blocks.push_back(dae_block(c.dynamic_author));
      break;
    case View::foreign: {
      Block b{object};
      add_kept(b, c, object);
      blocks.push_back(b);
      break;
    }
    default:
      blocks.push_back(ipsec_view_block(c, v, object));
      break;
  }
  return join(blocks) + "#\nreturn\n";
}

}  // namespace vpdnd::cli::lang

namespace vpdnd::cli {

std::string render_configuration(const config::RunningConfig& c) {
  using namespace lang;
  std::vector<Block> blocks = system_level(c);
  for (auto& [name, k] : c.peer_public_keys) blocks.push_back(public_key_block(k));
  for (auto& [name, r] : c.radius_schemes) blocks.push_back(radius_block(c, r));
  if (c.dynamic_author.enabled) blocks.push_back(dae_block(c.dynamic_author));
  // `system` first, as Comware prints it.
  if (auto it = c.domains.find("system"); it != c.domains.end())
    blocks.push_back(domain_block(c, it->second));
  for (auto& [name, d] : c.domains)
    if (name != "system") blocks.push_back(domain_block(c, d));
  blocks.push_back(default_domain_block(c));
  for (auto& [name, u] : c.local_users) blocks.push_back(user_block(c, u));
  for (auto& [n, t] : c.virtual_templates) blocks.push_back(template_block(c, t));
  for (auto& [name, i] : c.interfaces) blocks.push_back(interface_block(c, i));
  for (auto& [n, g] : c.l2tp_groups) blocks.push_back(group_block(c, g));
  for (auto& b : ipsec_blocks(c)) blocks.push_back(std::move(b));
  blocks.push_back(static_routes_block(c));
  blocks.push_back(ssh_user_block(c));
  blocks.push_back(vty_block(c, c.vty));
  for (auto& b : foreign_blocks(c)) blocks.push_back(std::move(b));
  return join(blocks) + "#\nreturn\n";
}

}  // namespace vpdnd::cli
