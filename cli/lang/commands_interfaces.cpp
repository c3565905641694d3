// Interfaces: `interface virtual-template N` (PPP settings of the sessions bound to it) and
// `interface NAME` for a Linux interface (the LAC's PPPoE server binding).
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::RunningConfig;
using config::VirtualTemplate;

void vt_edit(Call& call, const std::function<std::string(VirtualTemplate&)>& fn) {
  const std::string key = call.session.object();
  auto n = static_cast<std::uint16_t>(std::stoul(key));
  call.edit({ConfigSection::virtual_template, key}, [&](RunningConfig& c) -> std::string {
    auto it = c.virtual_templates.find(n);
    if (it == c.virtual_templates.end())
      return "Error: Virtual-Template" + key + " no longer exists.";
    return fn(it->second);
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
  return valid_interface_name(s) || is_virtual_template_name(s, nullptr);
}

}  // namespace

void register_interfaces(Grammar& g) {
  Node& sys = root(g, View::system);
  Node& iface = sys.kw("interface", "Enter an interface view");
  iface.kw("virtual-template", "Virtual template interface")
      .integer("vt", 0, 1023, "Virtual template number")
      .run([](Call& call) { enter_template(call, static_cast<std::uint16_t>(call.number("vt"))); });
  iface.string("ifname", 1, 20, "Interface name (Linux name, e.g. eth1)", interface_or_template)
      .run([](Call& call) {
        std::string name = call.get("ifname");
        std::uint16_t n = 0;
        if (is_virtual_template_name(name, &n)) return enter_template(call, n);
        std::string low = name;
        for (auto& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (low.rfind("virtual-template", 0) == 0)
          return call.error("Error: Virtual template numbers are 0 to 1023.");
        call.session.enter(View::interface, name);
      });
  Node& uiface = sys.kw("undo", "Cancel current setting")
                     .kw("interface", "Remove an interface's configuration");
  uiface.kw("virtual-template", "Virtual template interface")
      .integer("vt", 0, 1023, "Virtual template number")
      .run(
          [](Call& call) { remove_template(call, static_cast<std::uint16_t>(call.number("vt"))); });
  uiface.string("ifname", 1, 20, "Interface name", interface_or_template).run([](Call& call) {
    std::string name = call.get("ifname");
    std::uint16_t n = 0;
    if (is_virtual_template_name(name, &n)) return remove_template(call, n);
    call.edit({ConfigSection::interface, name, true}, [&](RunningConfig& c) {
      if (!c.interfaces.erase(name)) return "Error: Interface " + name + " has no configuration.";
      return std::string{};
    });
  });

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
    vt_edit(call, [&](VirtualTemplate& t) {
      t.ip_address = a;
      t.ip_mask = mask;
      return std::string{};
    });
  };
  Node& addr = r.kw("ip", "Specify IP configuration")
                   .kw("address", "Local address of the template")
                   .ipv4("address", "IP address");
  addr.ipv4("mask", "Network mask").run(ip_address);
  addr.integer("length", 1, 32, "Mask length").run(ip_address);
  undo.kw("ip", "Specify IP configuration")
      .kw("address", "Remove the local address")
      .run([](Call& call) {
        vt_edit(call, [](VirtualTemplate& t) {
          t.ip_address.reset();
          t.ip_mask.reset();
          return std::string{};
        });
      });

  Node& remote =
      r.kw("remote", "Specify the peer's address").kw("address", "Address to assign to the peer");
  // `remote address pool` alone is V5's default pool, number 0 (`ip pool 0 A B`).
  auto remote_pool = [](Call& call) {
    const bool implicit = !call.has("pool");
    std::string pool = implicit ? "0" : call.get("pool");
    vt_edit(call, [&](VirtualTemplate& t) {
      t.remote_pool = pool;
      t.remote_pool_implicit = implicit;
      t.remote_address.reset();
      return std::string{};
    });
  };
  Node& pool = remote.kw("pool", "Assign from an IP pool (default: pool 0)").run(remote_pool);
  pool.string("pool", 1, 31, "Pool name", valid_name).run(remote_pool);
  remote.ipv4("address", "Fixed address for the peer").run([](Call& call) {
    Ipv4 a = *Ipv4::parse(call.get("address"));
    vt_edit(call, [&](VirtualTemplate& t) {
      t.remote_address = a;
      t.remote_pool.clear();
      t.remote_pool_implicit = false;
      return std::string{};
    });
  });
  undo.kw("remote", "Specify the peer's address")
      .kw("address", "Assign no address to the peer")
      .run([](Call& call) {
        vt_edit(call, [](VirtualTemplate& t) {
          t.remote_address.reset();
          t.remote_pool.clear();
          t.remote_pool_implicit = false;
          return std::string{};
        });
      });

  // ppp authentication-mode {pap|chap}... [domain NAME]
  Node& ppp = r.kw("ppp", "Specify PPP configuration");
  Node& uppp = undo.kw("ppp", "Specify PPP configuration");
  auto auth = [](Call& call) {
    std::vector<config::PppAuthMode> modes;
    for (auto& m : call.all("mode"))
      modes.push_back(m == "pap" ? config::PppAuthMode::pap : config::PppAuthMode::chap);
    std::string domain = call.get("domain");
    vt_edit(call, [&](VirtualTemplate& t) {
      t.auth_modes = modes;
      t.auth_domain = domain;
      return std::string{};
    });
  };
  Node& am = ppp.kw("authentication-mode", "How the peer is authenticated");
  for (const char* first : {"pap", "chap"}) {
    const char* second = std::string_view(first) == "pap" ? "chap" : "pap";
    Node& a = am.kw(first,
                    std::string_view(first) == "pap" ? "PAP authentication" : "CHAP authentication",
                    "mode");
    a.run(auth);
    a.kw("domain", "ISP domain that authenticates the users")
        .string("domain", 1, 24, "ISP domain name", valid_name)
        .run(auth);
    Node& b = a.kw(second,
                   std::string_view(second) == "pap" ? "PAP authentication" : "CHAP authentication",
                   "mode");
    b.run(auth);
    b.kw("domain", "ISP domain that authenticates the users")
        .string("domain", 1, 24, "ISP domain name", valid_name)
        .run(auth);
  }
  uppp.kw("authentication-mode", "Do not authenticate the peer").run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.auth_modes.clear();
      t.auth_domain.clear();
      return std::string{};
    });
  });
  // The LCP echo interval: V5 `timer hold S`, and `ppp timer hold S`, one setting.
  auto hold = [](Call& call) {
    auto s = call.number("seconds");
    vt_edit(call, [&](VirtualTemplate& t) {
      t.hold_timer_s = s;
      return std::string{};
    });
  };
  auto unhold = [](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.hold_timer_s = VirtualTemplate{}.hold_timer_s;
      return std::string{};
    });
  };
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
    vt_edit(call, [&](VirtualTemplate& t) {
      t.dns_primary = a;
      t.dns_secondary = b;
      return std::string{};
    });
  };
  Node& d1 = ppp.kw("ipcp", "IPCP settings")
                 .kw("dns", "DNS servers offered to the peer")
                 .ipv4("dns1", "Primary DNS server");
  d1.run(dns);
  d1.ipv4("dns2", "Secondary DNS server").run(dns);
  uppp.kw("ipcp", "IPCP settings").kw("dns", "Offer no DNS servers").run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.dns_primary.reset();
      t.dns_secondary.reset();
      return std::string{};
    });
  });

  r.kw("mtu", "Maximum transmission unit")
      .integer("mtu", 128, 1500, "Bytes (default 1500)")
      .run([](Call& call) {
        auto m = static_cast<std::uint16_t>(call.number("mtu"));
        vt_edit(call, [&](VirtualTemplate& t) {
          t.mtu = m;
          return std::string{};
        });
      });
  undo.kw("mtu", "Restore the default MTU (1500)").run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.mtu = 1500;
      return std::string{};
    });
  });

  r.kw("l2tp-auto-client", "The device dials an LNS as an L2TP client")
      .kw("l2tp-group", "L2TP group whose LNS is dialled")
      .integer("group", 1, 65535, "L2TP group number")
      .run([](Call& call) {
        auto n = static_cast<std::uint16_t>(call.number("group"));
        vt_edit(call, [&](VirtualTemplate& t) {
          t.auto_client_group = n;
          return std::string{};
        });
      });
  undo.kw("l2tp-auto-client", "Stop dialling as an L2TP client").run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.auto_client_group.reset();
      return std::string{};
    });
  });

  // Client credentials (l2tp-auto-client): `ppp chap user NAME`, `ppp chap password
  // {simple|cipher} PW`, `ppp pap local-user NAME password {simple|cipher} PW`.
  Node& chap = ppp.kw("chap", "CHAP client settings");
  Node& uchap = uppp.kw("chap", "CHAP client settings");
  chap.kw("user", "Name this device sends in CHAP responses")
      .string("user", 1, 80, "User name", valid_name)
      .run([](Call& call) {
        std::string u = call.get("user");
        vt_edit(call, [&](VirtualTemplate& t) {
          t.chap_user = u;
          return std::string{};
        });
      });
  uchap.kw("user", "Remove the CHAP user name").run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.chap_user.clear();
      return std::string{};
    });
  });
  add_secret_args(chap.kw("password", "CHAP secret of this device"), [](Call& call) {
    auto secret = secret_from(call);
    vt_edit(call, [&](VirtualTemplate& t) {
      t.chap_password = secret;
      return std::string{};
    });
  });
  uchap.kw("password", "Remove the CHAP secret").run([](Call& call) {
    vt_edit(call, [](VirtualTemplate& t) {
      t.chap_password = {};
      return std::string{};
    });
  });
  add_secret_args(ppp.kw("pap", "PAP client settings")
                      .kw("local-user", "Name and password this device sends in PAP")
                      .string("user", 1, 80, "User name", valid_name)
                      .kw("password", "PAP password of this device"),
                  [](Call& call) {
                    std::string u = call.get("user");
                    auto secret = secret_from(call);
                    vt_edit(call, [&](VirtualTemplate& t) {
                      t.pap_user = u;
                      t.pap_password = secret;
                      return std::string{};
                    });
                  });
  uppp.kw("pap", "PAP client settings")
      .kw("local-user", "Remove the PAP credentials")
      .run([](Call& call) {
        vt_edit(call, [](VirtualTemplate& t) {
          t.pap_user.clear();
          t.pap_password = {};
          return std::string{};
        });
      });

  // ---- Linux interface view ----
  Node& ir = root(g, View::interface);
  ir.kw("pppoe-server", "PPPoE server")
      .kw("bind", "Bind the PPPoE server to this interface")
      .kw("virtual-template", "Template the PPPoE sessions use")
      .integer("vt", 0, 1023, "Virtual template number")
      .run([](Call& call) {
        auto n = static_cast<std::uint16_t>(call.number("vt"));
        std::string name = call.session.object();
        call.edit({ConfigSection::interface, name}, [&](RunningConfig& c) {
          auto& i = c.interfaces[name];
          i.name = name;
          i.pppoe_server_template = n;
          return std::string{};
        });
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
