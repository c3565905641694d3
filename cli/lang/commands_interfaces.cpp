// Interfaces: `interface virtual-template N` (PPP settings of the sessions bound to it) and
// `interface NAME` for a Linux interface (the LAC's PPPoE server binding).
#include <functional>
#include <set>

#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::RunningConfig;
using config::VirtualTemplate;

const ObjectTable<decltype(RunningConfig::virtual_templates)> kTemplates{
    ConfigSection::virtual_template, &RunningConfig::virtual_templates, "Virtual-Template"};

}  // namespace

void vt_edit(Call& call, const std::function<std::string(VirtualTemplate&)>& fn) {
  kTemplates.edit(call, fn);
}

namespace {

// vt_edit with a change that cannot fail.
void vt_apply(Call& call, const std::function<void(VirtualTemplate&)>& fn) {
  vt_edit(call, [&](VirtualTemplate& t) {
    fn(t);
    return std::string{};
  });
}

void enter_template(Call& call, std::uint16_t n) {
  call.edit({ConfigSection::virtual_template, std::to_string(n)}, [&](RunningConfig& c) {
    if (!c.virtual_templates.count(n)) {
      VirtualTemplate t;
      t.number = n;
      c.virtual_templates.emplace(n, t);
    }
    return std::string{};
  });
  if (!call.failed) call.session.enter(View::virtual_template, std::to_string(n));
}

void remove_template(Call& call, std::uint16_t n) {
  call.edit({ConfigSection::virtual_template, std::to_string(n), true}, [&](RunningConfig& c) {
    if (!c.virtual_templates.erase(n))
      return "Error: Virtual-Template" + std::to_string(n) + " does not exist.";
    return std::string{};
  });
}

bool interface_or_template(std::string_view s) {
  return valid_interface_name(s) || is_virtual_template_name(s, nullptr) ||
         !config::comware_interface_name(s).empty();
}

// A Comware interface type typed apart from its number (`interface GigabitEthernet 0/0`).
bool interface_type_word(std::string_view s) {
  return !config::comware_interface_name(s, "0").empty() ||
         !config::comware_interface_name(s, "0/0").empty();
}

// The interface an `interface` command names: the canonical Comware name, a Linux name, or
// "" (with the error printed).
std::string interface_named(Call& call) {
  std::string name = call.get("ifname");
  if (call.has("ifnumber")) {
    std::string canonical = config::comware_interface_name(name, call.get("ifnumber"));
    if (canonical.empty())
      call.error("Error: " + name + " " + call.get("ifnumber") + " is no Comware interface.");
    return canonical;
  }
  if (std::string canonical = config::comware_interface_name(name); !canonical.empty())
    return canonical;
  if (!valid_interface_name(name)) {
    call.error("Error: " + name + " is neither a Comware nor a Linux interface name.");
    return {};
  }
  return name;
}

void enter_interface(Call& call) {
  std::string name = call.get("ifname");
  std::uint16_t n = 0;
  if (!call.has("ifnumber") && is_virtual_template_name(name, &n)) return enter_template(call, n);
  if (call.has("ifnumber") && config::detail::iequal_prefix(name, "virtual-template")) {
    const std::string& num = call.get("ifnumber");
    if (num.size() <= 4 && num.find_first_not_of("0123456789") == std::string::npos &&
        std::stoul(num) <= 1023)
      return enter_template(call, static_cast<std::uint16_t>(std::stoul(num)));
  }
  std::string low = name;
  for (auto& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (low.rfind("virtual-template", 0) == 0)
    return call.error("Error: Virtual template numbers are 0 to 1023.");
  name = interface_named(call);
  if (name.empty()) return;
  // A Comware interface is printed back even when vpdnd keeps nothing else of it, as the
  // device lists every interface it has (`interface NULL0`).
  if (!config::comware_interface_name(name).empty())
    call.edit({ConfigSection::system, "kept"}, [&](RunningConfig& c) {
      c.kept["interface " + name];
      return std::string{};
    });
  call.session.enter(View::interface, name);
}

}  // namespace

void register_interfaces(Grammar& g) {
  Node& sys = root(g, View::system);
  Node& iface = sys.kw("interface", "Enter an interface view");
  iface.kw("virtual-template", "Virtual template interface")
      .integer("vt", 0, 1023, "Virtual template number")
      .run([](Call& call) { enter_template(call, static_cast<std::uint16_t>(call.number("vt"))); });
  auto if_name = [](std::string_view s) {
    return interface_or_template(s) || interface_type_word(s);
  };
  Node& ifname =
      iface.string("ifname", 1, 31,
                   "Interface name: Comware (GigabitEthernet0/0, GE0/0) or Linux (eth1)", if_name);
  ifname.run(enter_interface);
  ifname.string("ifnumber", 1, 15, "Interface number (0/0, 1/0/1, 1)").run(enter_interface);
  Node& uiface = sys.kw("undo", "Cancel current setting")
                     .kw("interface", "Remove an interface's configuration");
  uiface.kw("virtual-template", "Virtual template interface")
      .integer("vt", 0, 1023, "Virtual template number")
      .run(
          [](Call& call) { remove_template(call, static_cast<std::uint16_t>(call.number("vt"))); });
  auto undo_interface = [](Call& call) {
    std::string name = call.get("ifname");
    std::uint16_t n = 0;
    if (!call.has("ifnumber") && is_virtual_template_name(name, &n))
      return remove_template(call, n);
    name = interface_named(call);
    if (name.empty()) return;
    call.edit({ConfigSection::interface, name, true}, [&](RunningConfig& c) {
      bool had = c.interfaces.erase(name) + c.kept.erase("interface " + name);
      if (!had) return "Error: Interface " + name + " has no configuration.";
      return std::string{};
    });
  };
  Node& uifname = uiface.string("ifname", 1, 31, "Interface name", if_name);
  uifname.run(undo_interface);
  uifname.string("ifnumber", 1, 15, "Interface number").run(undo_interface);

  // linux-interface COMWARE-NAME LINUX-NAME (ours): which Linux interface a Comware name is.
  sys.kw("linux-interface", "Bind a Comware interface name to a Linux interface")
      .string("comware", 1, 31, "Comware interface name (GigabitEthernet0/0, GE0/0)")
      .string("linux", 1, 15, "Linux interface name (eth0)", valid_interface_name)
      .run([](Call& call) {
        std::string comware = config::comware_interface_name(call.get("comware"));
        std::string linux_name = call.get("linux");
        if (comware.empty())
          return call.error("Error: " + call.get("comware") + " is no Comware interface name.");
        if (!config::comware_interface_name(linux_name).empty())
          return call.error("Error: " + linux_name + " is a Comware name, not a Linux one.");
        call.edit({ConfigSection::interface, comware}, [&](RunningConfig& c) -> std::string {
          for (auto& [other, dev] : c.interface_map)
            if (other != comware && dev == linux_name)
              return "Error: " + linux_name + " is already the Linux interface of " + other + ".";
          c.interface_map[comware] = linux_name;
          return {};
        });
      });
  sys.kw("undo", "Cancel current setting")
      .kw("linux-interface", "Remove a Comware interface's Linux interface")
      .string("comware", 1, 31, "Comware interface name")
      .run([](Call& call) {
        std::string comware = config::comware_interface_name(call.get("comware"));
        call.edit({ConfigSection::interface, comware}, [&](RunningConfig& c) -> std::string {
          if (comware.empty() || !c.interface_map.erase(comware))
            return "Error: " + call.get("comware") + " has no Linux interface configured.";
          return {};
        });
      });
  // display linux-interface (every view)
  for (Node& d : display_roots(g)) {
    d.kw("linux-interface", "Comware interface names and their Linux interfaces")
        .run([](Call& call) {
          auto c = call.snapshot();
          std::set<std::string> names;
          for (auto& [n, dev] : c.interface_map) names.insert(n);
          for (auto& [n, i] : c.interfaces)
            if (!config::comware_interface_name(n).empty()) names.insert(n);
          call.print(" Comware interface         Linux interface  Configured");
          for (auto& n : names) {
            std::string dev = c.linux_interface(n);
            bool used = c.interfaces.count(n) != 0;
            std::string col1 = n + std::string(n.size() < 26 ? 26 - n.size() : 1, ' ');
            std::string shown = dev.empty() ? "(none)" : dev;
            std::string col2 = shown + std::string(shown.size() < 17 ? 17 - shown.size() : 1, ' ');
            call.print(" " + col1 + col2 + (used ? "yes" : "no"));
          }
          call.print(" Total: " + std::to_string(names.size()));
        });
  }

  // ---- virtual template view ----
  Node& r = root(g, View::virtual_template);
  Node& undo = r.kw("undo", "Cancel current setting");

  auto ip_address = [](Call& call) {
    Ipv4 a = *Ipv4::parse(call.get("address"));
    Ipv4 mask;
    if (call.has("mask")) {
      mask = *Ipv4::parse(call.get("mask"));
      if (!mask_to_prefix(mask)) return call.error("Error: The mask is not contiguous.");
    } else {
      mask = prefix_to_mask(static_cast<int>(call.number("length")));
    }
    vt_apply(call, [&](VirtualTemplate& t) {
      t.ip_address = a;
      t.ip_mask = mask;
      t.ppp_negotiate = false;
    });
  };
  Node& addr = r.kw("ip", "Specify IP configuration")
                   .kw("address", "Local address of the template")
                   .ipv4("address", "IP address");
  addr.ipv4("mask", "Network mask").run(ip_address);
  addr.integer("length", 1, 32, "Mask length").run(ip_address);
  undo.kw("ip", "Specify IP configuration")
      .kw("address", "Remove the local address")
      .run(kTemplates.apply([](VirtualTemplate& t) {
        t.ip_address.reset();
        t.ip_mask.reset();
        t.ppp_negotiate = false;
      }));

  Node& remote =
      r.kw("remote", "Specify the peer's address").kw("address", "Address to assign to the peer");
  // `remote address pool` alone is V5's default pool, number 0 (`ip pool 0 A B`).
  auto remote_pool = [](Call& call) {
    const bool implicit = !call.has("pool");
    std::string pool = implicit ? "0" : call.get("pool");
    vt_apply(call, [&](VirtualTemplate& t) {
      t.remote_pool = pool;
      t.remote_pool_implicit = implicit;
      t.remote_address.reset();
    });
  };
  Node& pool = remote.kw("pool", "Assign from an IP pool (default: pool 0)").run(remote_pool);
  pool.string("pool", 1, 31, "Pool name", valid_name).run(remote_pool);
  remote.ipv4("address", "Fixed address for the peer").run([](Call& call) {
    Ipv4 a = *Ipv4::parse(call.get("address"));
    vt_apply(call, [&](VirtualTemplate& t) {
      t.remote_address = a;
      t.remote_pool.clear();
      t.remote_pool_implicit = false;
    });
  });
  undo.kw("remote", "Specify the peer's address")
      .kw("address", "Assign no address to the peer")
      .run(kTemplates.apply([](VirtualTemplate& t) {
        t.remote_address.reset();
        t.remote_pool.clear();
        t.remote_pool_implicit = false;
      }));

  // ppp authentication-mode {pap|chap|ms-chap|ms-chap-v2}... [domain NAME]: each method at
  // most once, in the order of preference the user gives (as on Comware).
  Node& ppp = r.kw("ppp", "Specify PPP configuration");
  Node& uppp = undo.kw("ppp", "Specify PPP configuration");
  static constexpr config::PppAuthMode kModes[] = {
      config::PppAuthMode::pap, config::PppAuthMode::chap, config::PppAuthMode::ms_chap,
      config::PppAuthMode::ms_chap_v2};
  auto auth = [](Call& call) {
    std::vector<config::PppAuthMode> modes;
    for (auto& m : call.all("mode"))
      for (auto k : kModes)
        if (m == config::keyword(k)) modes.push_back(k);
    std::string domain = call.get("domain");
    vt_apply(call, [&](VirtualTemplate& t) {
      t.auth_modes = modes;
      t.auth_domain = domain;
    });
  };
  auto help = [](config::PppAuthMode m) { return upper(config::keyword(m)) + " authentication"; };
  std::function<void(Node&, unsigned)> modes_after = [&](Node& parent, unsigned used) {
    for (unsigned i = 0; i < std::size(kModes); ++i) {
      if (used & (1u << i)) continue;
      Node& n = parent.kw(config::keyword(kModes[i]), help(kModes[i]), "mode");
      n.run(auth);
      n.kw("domain", "ISP domain that authenticates the users")
          .string("domain", 1, 24, "ISP domain name", valid_name)
          .run(auth);
      modes_after(n, used | (1u << i));
    }
  };
  modes_after(ppp.kw("authentication-mode", "How the peer is authenticated"), 0);
  uppp.kw("authentication-mode", "Do not authenticate the peer")
      .run(kTemplates.apply([](VirtualTemplate& t) {
        t.auth_modes.clear();
        t.auth_domain.clear();
      }));
  // The LCP echo interval: V5 `timer hold S`, and `ppp timer hold S`, one setting.
  auto hold = kTemplates.set_number(&VirtualTemplate::hold_timer_s, "seconds");
  auto unhold =
      kTemplates.set_value(&VirtualTemplate::hold_timer_s, VirtualTemplate{}.hold_timer_s);
  for (Node* n : {&ppp, &r}) {
    n->kw("timer", n == &r ? "Set a timer" : "PPP timers")
        .kw("hold", "LCP echo (keepalive) interval")
        .integer("seconds", 0, 32767, "Seconds (default 10, 0: no echo)")
        .run(hold);
  }
  for (Node* n : {&uppp, &undo}) {
    n->kw("timer", n == &undo ? "Set a timer" : "PPP timers")
        .kw("hold", "Restore the default LCP echo interval (10 s)")
        .run(unhold);
  }
  auto dns = [](Call& call) {
    auto a = Ipv4::parse(call.get("dns1"));
    auto b = call.has("dns2") ? Ipv4::parse(call.get("dns2")) : std::nullopt;
    vt_apply(call, [&](VirtualTemplate& t) {
      t.dns_primary = a;
      t.dns_secondary = b;
    });
  };
  Node& d1 = ppp.kw("ipcp", "IPCP settings")
                 .kw("dns", "DNS servers offered to the peer")
                 .ipv4("dns1", "Primary DNS server");
  d1.run(dns);
  d1.ipv4("dns2", "Secondary DNS server").run(dns);
  uppp.kw("ipcp", "IPCP settings")
      .kw("dns", "Offer no DNS servers")
      .run(kTemplates.apply([](VirtualTemplate& t) {
        t.dns_primary.reset();
        t.dns_secondary.reset();
      }));

  r.kw("mtu", "Maximum transmission unit")
      .integer("mtu", 128, 1500, "Bytes (default 1500)")
      .run(kTemplates.set_number(&VirtualTemplate::mtu, "mtu"));
  undo.kw("mtu", "Restore the default MTU (1500)")
      .run(kTemplates.set_value(&VirtualTemplate::mtu, 1500));

  r.kw("l2tp-auto-client", "The device dials an LNS as an L2TP client")
      .kw("l2tp-group", "L2TP group whose LNS is dialled")
      .integer("group", 1, 65535, "L2TP group number")
      .run(kTemplates.set_number(&VirtualTemplate::auto_client_group, "group"));
  undo.kw("l2tp-auto-client", "Stop dialling as an L2TP client")
      .run(kTemplates.reset(&VirtualTemplate::auto_client_group));

  // Client credentials (l2tp-auto-client): `ppp chap user NAME`, `ppp chap password
  // {simple|cipher} PW`, `ppp pap local-user NAME password {simple|cipher} PW`.
  Node& chap = ppp.kw("chap", "CHAP client settings");
  Node& uchap = uppp.kw("chap", "CHAP client settings");
  chap.kw("user", "Name this device sends in CHAP responses")
      .string("user", 1, 80, "User name", valid_name)
      .run(kTemplates.set_text(&VirtualTemplate::chap_user, "user"));
  uchap.kw("user", "Remove the CHAP user name").run(kTemplates.reset(&VirtualTemplate::chap_user));
  add_secret_args(chap.kw("password", "CHAP secret of this device"),
                  kTemplates.set_secret(&VirtualTemplate::chap_password));
  uchap.kw("password", "Remove the CHAP secret")
      .run(kTemplates.reset(&VirtualTemplate::chap_password));
  add_secret_args(ppp.kw("pap", "PAP client settings")
                      .kw("local-user", "Name and password this device sends in PAP")
                      .string("user", 1, 80, "User name", valid_name)
                      .kw("password", "PAP password of this device"),
                  [](Call& call) {
                    std::string u = call.get("user");
                    auto secret = secret_from(call);
                    vt_apply(call, [&](VirtualTemplate& t) {
                      t.pap_user = u;
                      t.pap_password = secret;
                    });
                  });
  uppp.kw("pap", "PAP client settings")
      .kw("local-user", "Remove the PAP credentials")
      .run(kTemplates.apply([](VirtualTemplate& t) {
        t.pap_user.clear();
        t.pap_password = {};
      }));

  // ---- Linux interface view ----
  Node& ir = root(g, View::interface);
  ir.kw("pppoe-server", "PPPoE server")
      .kw("bind", "Bind the PPPoE server to this interface")
      .kw("virtual-template", "Template the PPPoE sessions use")
      .integer("vt", 0, 1023, "Virtual template number")
      .run([](Call& call) {
        auto n = static_cast<std::uint16_t>(call.number("vt"));
        std::string name = call.session.object();
        bool mapped = true;
        call.edit({ConfigSection::interface, name}, [&](RunningConfig& c) {
          auto& i = c.interfaces[name];
          i.name = name;
          i.pppoe_server_template = n;
          mapped = !c.linux_interface(name).empty();
          return std::string{};
        });
        // A file may map the name further down: the loader checks once it has read it all.
        if (!call.failed && !mapped && call.session.origin() != SessionOrigin::file)
          call.warn(unmapped_warning(name));
      });
  ir.kw("undo", "Cancel current setting")
      .kw("pppoe-server", "PPPoE server")
      .kw("bind", "Unbind the PPPoE server")
      .run([](Call& call) {
        std::string name = call.session.object();
        call.edit({ConfigSection::interface, name, true}, [&](RunningConfig& c) {
          c.interfaces.erase(name);  // the binding is all we keep of an interface
          return std::string{};
        });
      });
}

}  // namespace vpdnd::cli::lang
