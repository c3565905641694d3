// System view: device basics, global L2TP settings, and the commands that create objects
// and enter their views. Also the view moves that every view has (quit, return).
#include <cctype>

#include "cli/lang/session.hpp"
#include "common/log.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigChange;
using config::ConfigSection;
using config::RunningConfig;

// The objects system view creates, removes and enters.
const ObjectTable kGroups{ConfigSection::l2tp_group, &RunningConfig::l2tp_groups, "L2TP group "};
const ObjectTable kDomains{ConfigSection::domain, &RunningConfig::domains, "Domain "};
const ObjectTable kUsers{ConfigSection::local_user, &RunningConfig::local_users, "Local user "};
const ObjectTable kSchemes{ConfigSection::radius_scheme, &RunningConfig::radius_schemes,
                           "RADIUS scheme "};

bool punct_char(std::string_view s) {
  return s.size() == 1 && std::ispunct(static_cast<unsigned char>(s[0])) && s[0] != '"';
}
bool domain_name(std::string_view s) {
  return valid_name(s) && s.find('@') == std::string_view::npos;
}

std::string pool_error(const RunningConfig& c, const std::string& name, const std::string& owner,
                       Ipv4 start, Ipv4 end) {
  if (end < start) return "Error: The end address must not be lower than the start address.";
  if (end.value - start.value >= 65536u) return "Error: A pool holds at most 65536 addresses.";
  for (auto& [n, p] : c.ip_pools) {
    if (n == name) {
      if (p.domain != owner)
        return "Error: Pool " + name + " already belongs to " +
               (p.domain.empty() ? std::string("system view") : "domain " + p.domain) + ".";
      continue;
    }
    if (!(end < p.start || p.end < start))
      return "Error: The address range overlaps pool " + n + ".";
  }
  return {};
}

}  // namespace

// Shared by system view and domain view (`ip pool NAME START [END]`).
void add_ip_pool_commands(Node& view_root, bool in_domain) {
  auto act = [in_domain](Call& call) {
    std::string name = call.get("pool");
    std::string owner = in_domain ? call.session.object() : std::string{};
    Ipv4 start = *Ipv4::parse(call.get("start"));
    Ipv4 end = call.has("end") ? *Ipv4::parse(call.get("end")) : start;
    call.edit({ConfigSection::ip_pool, name}, [&](RunningConfig& c) {
      if (auto e = pool_error(c, name, owner, start, end); !e.empty()) return e;
      c.ip_pools[name] = config::IpPool{name, start, end, owner};
      return std::string{};
    });
  };
  auto& pool =
      view_root.kw("ip", "Specify IP configuration").kw("pool", "Configure an IP address pool");
  auto& start = pool.string("pool", 1, 31, "Pool name (a number or a word)", valid_name)
                    .ipv4("start", "Start IP address of the pool");
  start.run(act);
  start.ipv4("end", "End IP address of the pool").run(act);

  view_root.kw("undo", "Cancel current setting")
      .kw("ip", "Specify IP configuration")
      .kw("pool", "Remove an IP address pool")
      .string("pool", 1, 31, "Pool name", valid_name)
      .run([in_domain](Call& call) {
        std::string name = call.get("pool");
        std::string owner = in_domain ? call.session.object() : std::string{};
        call.edit({ConfigSection::ip_pool, name, true}, [&](RunningConfig& c) {
          auto it = c.ip_pools.find(name);
          if (it == c.ip_pools.end() || it->second.domain != owner)
            return "Error: Pool " + name + " does not exist.";
          c.ip_pools.erase(it);
          return std::string{};
        });
      });
}

void register_system(Grammar& g) {
  // Every view: quit, return.
  for (std::size_t v = 0; v < static_cast<std::size_t>(View::count); ++v) {
    auto view = static_cast<View>(v);
    auto& r = root(g, view);
    r.kw("quit", "Exit from current command view").run([](Call& call) {
      switch (call.session.view()) {
        case View::user:
          if (call.session.origin() != SessionOrigin::file) call.close = true;
          break;
        case View::system:
          call.session.enter(View::user);
          break;
        default:
          call.session.enter(View::system);
      }
    });
    if (view != View::user)
      r.kw("return", "Exit to User View").run([](Call& call) { call.session.enter(View::user); });
  }
  root(g, View::user).kw("system-view", "Enter the System View").run([](Call& call) {
    call.session.enter(View::system);
    if (call.session.origin() != SessionOrigin::file)
      call.print("System View: return to User View with Ctrl+Z.");
  });

  Node& sys = root(g, View::system);
  Node& undo = sys.kw("undo", "Cancel current setting");

  // sysname
  sys.kw("sysname", "Specify the host name")
      .string("name", 1, 30, "Host name (1 to 30 characters)", valid_name)
      .run([](Call& call) {
        std::string name = call.get("name");
        call.edit({ConfigSection::system, "sysname"}, [&](RunningConfig& c) {
          c.sysname = name;
          return std::string{};
        });
        if (!call.failed) LogBus::instance().set_sysname(name);
      });
  undo.kw("sysname", "Restore the default host name").run([](Call& call) {
    call.edit({ConfigSection::system, "sysname"}, [&](RunningConfig& c) {
      c.sysname = RunningConfig{}.sysname;
      return std::string{};
    });
    LogBus::instance().set_sysname(RunningConfig{}.sysname);
  });

  // telnet server enable
  add_enable_flag(sys, undo,
                  {{"telnet", "Specify telnet configuration"}, {"server", "Telnet server"}},
                  "Enable the telnet server", "Disable the telnet server", "telnet",
                  &RunningConfig::telnet_server);

  // ---- global L2TP ----
  auto global = [](Call& call, const std::function<void(config::L2tpGlobal&)>& f) {
    call.edit({ConfigSection::l2tp_global, ""}, [&](RunningConfig& c) {
      f(c.l2tp);
      return std::string{};
    });
  };
  Node& l2tp = sys.kw("l2tp", "Specify L2TP configuration");
  Node& ul2tp = undo.kw("l2tp", "Specify L2TP configuration");
  l2tp.kw("enable", "Enable the L2TP function").run([global](Call& call) {
    global(call, [](auto& l) { l.enabled = true; });
  });
  ul2tp.kw("enable", "Disable the L2TP function (tears down all tunnels)")
      .run([global](Call& call) { global(call, [](auto& l) { l.enabled = false; }); });
  Node& dom = l2tp.kw("domain", "Specify how a user name names its domain");
  for (bool prefix : {true, false}) {
    dom.kw(prefix ? "prefix-separator" : "suffix-separator",
           prefix ? "The domain comes before the separator"
                  : "The domain comes after the separator")
        .character("char", "Separator character", punct_char)
        .run([global, prefix](Call& call) {
          char ch = call.get("char")[0];
          global(call, [&](auto& l) {
            l.prefix_separator = prefix;
            l.separator = ch;
          });
        });
    ul2tp.kw("domain", "Specify how a user name names its domain")
        .kw(prefix ? "prefix-separator" : "suffix-separator",
            "Restore the default separator (suffix @)")
        .run([global](Call& call) {
          global(call, [](auto& l) {
            l.prefix_separator = false;
            l.separator = '@';
          });
        });
  }
  Node& mo = l2tp.kw("match-order", "Specify how the LAC finds the L2TP group of a user");
  const std::pair<const char*, config::MatchOrder> orders[] = {
      {"dnis-domain", config::MatchOrder::dnis_domain},
      {"dnis-only", config::MatchOrder::dnis_only},
      {"domain-dnis", config::MatchOrder::domain_dnis},
      {"domain-only", config::MatchOrder::domain_only}};
  const char* order_help[] = {"By called number, then by domain", "By called number only",
                              "By domain, then by called number", "By domain only"};
  for (std::size_t i = 0; i < 4; ++i) {
    auto order = orders[i].second;
    mo.kw(orders[i].first, order_help[i]).run([global, order](Call& call) {
      global(call, [&](auto& l) { l.match_order = order; });
    });
  }
  ul2tp.kw("match-order", "Restore the default match order (dnis-domain)")
      .run([global](Call& call) {
        global(call, [](auto& l) { l.match_order = config::MatchOrder::dnis_domain; });
      });
  for (bool sessions : {true, false}) {
    const char* word = sessions ? "session-limit" : "tunnel-limit";
    l2tp.kw(word, sessions ? "Limit the L2TP sessions of the device"
                           : "Limit the L2TP tunnels of the device")
        .integer("limit", 1, 1000000, "Maximum number")
        .run([global, sessions](Call& call) {
          auto n = call.number("limit");
          global(call, [&](auto& l) { (sessions ? l.session_limit : l.tunnel_limit) = n; });
        });
    ul2tp.kw(word, "Remove the limit").run([global, sessions](Call& call) {
      global(call, [&](auto& l) { (sessions ? l.session_limit : l.tunnel_limit).reset(); });
    });
  }
  l2tp.kw("listen-port", "UDP port L2TP listens on")
      .integer("port", 1, 65535, "UDP port number (default 1701)")
      .run([global](Call& call) {
        auto p = static_cast<std::uint16_t>(call.number("port"));
        global(call, [&](auto& l) { l.listen_port = p; });
      });
  ul2tp.kw("listen-port", "Restore the default UDP port (1701)").run([global](Call& call) {
    global(call, [](auto& l) { l.listen_port = 1701; });
  });
  l2tp.kw("receive-buffer", "Receive buffer of the L2TP UDP socket")
      .integer("size", 64, 1048576, "Size in KB (default 16384)")
      .run([global](Call& call) {
        auto kib = static_cast<std::uint32_t>(call.number("size"));
        global(call, [&](auto& l) { l.receive_buffer_kib = kib; });
      });
  ul2tp.kw("receive-buffer", "Restore the default receive buffer (16384 KB)")
      .run([global](Call& call) {
        global(call,
               [](auto& l) { l.receive_buffer_kib = config::L2tpGlobal{}.receive_buffer_kib; });
      });

  // ---- l2tp-group N [mode lac|lns] ----
  auto enter_group = [](Call& call) {
    auto n = static_cast<std::uint16_t>(call.number("group"));
    config::GroupMode mode = config::GroupMode::unspecified;
    if (call.has("mode"))
      mode = call.get("mode") == "lac" ? config::GroupMode::lac : config::GroupMode::lns;
    call.edit({ConfigSection::l2tp_group, std::to_string(n)}, [&](RunningConfig& c) -> std::string {
      auto it = c.l2tp_groups.find(n);
      if (it == c.l2tp_groups.end()) {
        config::L2tpGroup grp;
        grp.number = n;
        grp.mode = mode;
        c.l2tp_groups.emplace(n, grp);
        return {};
      }
      auto& grp = it->second;
      if (mode == config::GroupMode::unspecified || mode == grp.mode) return {};
      if (grp.mode != config::GroupMode::unspecified)
        return "Error: L2TP group " + std::to_string(n) + " already exists in another mode.";
      bool lac_content = !grp.lns_addresses.empty() || grp.match_kind != config::LacMatchKind::none;
      bool lns_content = grp.allow_virtual_template.has_value();
      if ((mode == config::GroupMode::lac && lns_content) ||
          (mode == config::GroupMode::lns && lac_content))
        return "Error: L2TP group " + std::to_string(n) + " is configured for the other role.";
      grp.mode = mode;
      return {};
    });
    if (!call.failed) call.session.enter(View::l2tp_group, std::to_string(n));
  };
  Node& grp = sys.kw("l2tp-group", "Create or enter an L2TP group")
                  .integer("group", 1, 65535, "L2TP group number");
  grp.run(enter_group);
  Node& mode = grp.kw("mode", "Role of the group (V7)");
  mode.kw("lac", "The group places users into tunnels (LAC)", "mode").run(enter_group);
  mode.kw("lns", "The group accepts tunnels (LNS)", "mode").run(enter_group);
  undo.kw("l2tp-group", "Remove an L2TP group")
      .integer("group", 1, 65535, "L2TP group number")
      .run(kGroups.remove("group"));

  // ---- ip pool (V7 form, system-wide) ----
  add_ip_pool_commands(sys, false);

  // ---- domain ----
  Node& domain = sys.kw("domain", "Create or enter an ISP domain");
  domain.string("name", 1, 24, "ISP domain name (1 to 24 characters, no @)", domain_name)
      .run(kDomains.enter(View::domain, "name"));
  domain.kw("default", "Specify the default ISP domain")
      .kw("enable", "Enable a domain as the default")
      .string("name", 1, 24, "ISP domain name", domain_name)
      .run([](Call& call) {
        std::string name = call.get("name");
        call.edit({ConfigSection::domain, name}, [&](RunningConfig& c) {
          if (!c.domains.count(name)) return "Error: Domain " + name + " does not exist.";
          c.default_domain = name;
          return std::string{};
        });
      });
  Node& udomain = undo.kw("domain", "Remove an ISP domain");
  udomain.kw("default", "Specify the default ISP domain")
      .kw("enable", "Restore the default domain (system)")
      .run([](Call& call) {
        call.edit({ConfigSection::domain, "system"}, [&](RunningConfig& c) {
          c.default_domain = "system";
          return std::string{};
        });
      });
  udomain.string("name", 1, 24, "ISP domain name", domain_name).run([](Call& call) {
    std::string name = call.get("name");
    call.edit({ConfigSection::domain, name, true}, [&](RunningConfig& c) -> std::string {
      if (name == "system") return "Error: The system domain cannot be removed.";
      if (!c.domains.count(name)) return "Error: Domain " + name + " does not exist.";
      if (c.default_domain == name) return "Error: Domain " + name + " is the default domain.";
      c.domains.erase(name);
      for (auto it = c.ip_pools.begin(); it != c.ip_pools.end();)
        it = it->second.domain == name ? c.ip_pools.erase(it) : std::next(it);
      return {};
    });
  });

  // ---- local-user ----
  auto enter_user = [](Call& call) {
    std::string name = call.get("name");
    std::string user_class = call.get("class");
    bool added = false;
    call.edit({ConfigSection::local_user, name}, [&](RunningConfig& c) {
      if (!c.local_users.count(name)) {
        c.local_users[name].name = name;
        added = true;
      }
      // V7's user class is kept as given (vpdnd's services decide what a user may do).
      if (!user_class.empty()) c.local_users[name].user_class = user_class;
      return std::string{};
    });
    if (call.failed) return;
    if (added && call.session.origin() != SessionOrigin::file) call.print("New local user added.");
    call.session.enter(View::local_user, name);
  };
  Node& user_name = sys.kw("local-user", "Create or enter a local user")
                        .string("name", 1, 80, "User name (1 to 80 characters)", valid_name)
                        .run(enter_user);
  Node& user_class = user_name.kw("class", "User class (V7)");
  user_class.kw("manage", "Device management user", "class").run(enter_user);
  user_class.kw("network", "Network access user", "class").run(enter_user);
  undo.kw("local-user", "Remove a local user")
      .string("name", 1, 80, "User name", valid_name)
      .run(kUsers.remove("name"));

  // ---- radius scheme ----
  sys.kw("radius", "Specify RADIUS configuration")
      .kw("scheme", "Create or enter a RADIUS scheme")
      .string("name", 1, 32, "Scheme name (1 to 32 characters)", valid_name)
      .run(kSchemes.enter(View::radius, "name"));
  undo.kw("radius", "Specify RADIUS configuration")
      .kw("scheme", "Remove a RADIUS scheme")
      .string("name", 1, 32, "Scheme name", valid_name)
      .run(kSchemes.remove("name"));
}

}  // namespace vpdnd::cli::lang
