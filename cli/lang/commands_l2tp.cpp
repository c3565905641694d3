// L2TP group view (`l2tp-group N`): the LAC side (`start l2tp`, V7 `lns-ip` + `user`), the
// LNS side (`allow l2tp`), and the tunnel settings both share. A group is LAC or LNS,
// never both (CLI-REFERENCE.md: `start l2tp` and `allow l2tp` are mutually exclusive).
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::GroupMode;
using config::L2tpGroup;
using config::LacMatchKind;
using config::RunningConfig;

bool domain_name(std::string_view s) {
  return valid_name(s) && s.find('@') == std::string_view::npos;
}
bool dnis(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '*' || c == '#')) return false;
  return true;
}

bool has_lac_content(const L2tpGroup& g) {
  return !g.lns_addresses.empty() || g.match_kind != LacMatchKind::none;
}
bool lac_role(const L2tpGroup& g) {
  return g.mode == GroupMode::lac || has_lac_content(g);
}
bool lns_role(const L2tpGroup& g) {
  return g.mode == GroupMode::lns || g.allow_virtual_template.has_value();
}

const ObjectTable<decltype(RunningConfig::l2tp_groups)> kGroups{
    ConfigSection::l2tp_group, &RunningConfig::l2tp_groups, "L2TP group "};
void group_edit(Call& call, const std::function<std::string(L2tpGroup&, RunningConfig&)>& fn) {
  kGroups.edit(call, fn);
}

// mandatory-chap/-lcp are LNS settings, but like Comware we keep them in a LAC group too
// (where they do nothing): refusing them would make `mode lac` after them unprintable.
Action set_flag(bool L2tpGroup::*field, bool on) {
  return [=](Call& call) {
    group_edit(call, [&](L2tpGroup& g, RunningConfig&) -> std::string {
      g.*field = on;
      return {};
    });
  };
}

std::string set_addresses(L2tpGroup& g, const std::vector<std::string>& ips) {
  std::vector<Ipv4> list;
  for (auto& s : ips) {
    Ipv4 a = *Ipv4::parse(s);
    for (auto& b : list)
      if (a == b) return "Error: LNS address " + s + " is given twice.";
    list.push_back(a);
  }
  g.lns_addresses = std::move(list);
  return {};
}

LacMatchKind match_kind(const std::string& word) {
  if (word == "domain") return LacMatchKind::domain;
  if (word == "dnis") return LacMatchKind::dnis;
  return LacMatchKind::fullusername;
}

const char* kNotLac =
    "Error: The group is an LNS group (allow l2tp or mode lns); start l2tp and allow l2tp are "
    "mutually exclusive.";
const char* kNotLns =
    "Error: The group is a LAC group (start l2tp or mode lac); start l2tp and allow l2tp are "
    "mutually exclusive.";

}  // namespace

void register_l2tp(Grammar& g) {
  Node& r = root(g, View::l2tp_group);
  Node& undo = r.kw("undo", "Cancel current setting");

  // start l2tp ip A [ip B ...up to 5] {domain D | dnis N | fullusername U}
  auto start = [](Call& call) {
    auto ips = call.all("ip");
    std::string kind = call.get("kind"), value = call.get("value");
    group_edit(call, [&](L2tpGroup& grp, RunningConfig&) -> std::string {
      if (lns_role(grp)) return kNotLac;
      if (auto e = set_addresses(grp, ips); !e.empty()) return e;
      grp.match_kind = match_kind(kind);
      grp.match_value = value;
      return {};
    });
  };
  auto add_tail = [&](Node& n) {
    n.kw("domain", "Tunnel the users of an ISP domain", "kind")
        .string("value", 1, 24, "ISP domain name", domain_name)
        .run(start);
    n.kw("dnis", "Tunnel the calls to a called number", "kind")
        .string("value", 1, 31, "Called number (DNIS)", dnis)
        .run(start);
    n.kw("fullusername", "Tunnel one user by full name", "kind")
        .string("value", 1, 80, "Full user name", valid_name)
        .run(start);
  };
  Node* level = &r.kw("start", "Start L2TP tunnels for users (LAC)").kw("l2tp", "L2TP");
  for (int i = 0; i < 5; ++i) {
    level = &level->kw("ip", "Specify an LNS address (up to 5, tried in order)")
                 .ipv4("ip", "IP address of the LNS");
    add_tail(*level);
  }
  undo.kw("start", "Stop tunnelling users (LAC)").kw("l2tp", "L2TP").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) {
      grp.lns_addresses.clear();
      grp.match_kind = LacMatchKind::none;
      grp.match_value.clear();
      return std::string{};
    });
  });

  // V7: lns-ip A [B ...5]
  auto lns_ip = [](Call& call) {
    auto ips = call.all("ip");
    group_edit(call, [&](L2tpGroup& grp, RunningConfig&) -> std::string {
      if (lns_role(grp)) return kNotLac;
      return set_addresses(grp, ips);
    });
  };
  level = &r.kw("lns-ip", "Specify the LNS addresses (V7)");
  for (int i = 0; i < 5; ++i) {
    level = &level->ipv4("ip", "IP address of the LNS (up to 5, tried in order)");
    level->run(lns_ip);
  }
  undo.kw("lns-ip", "Remove the LNS addresses").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) {
      grp.lns_addresses.clear();
      return std::string{};
    });
  });
  // V7: user {domain D | fullusername U}
  auto user = [](Call& call) {
    std::string kind = call.get("kind"), value = call.get("value");
    group_edit(call, [&](L2tpGroup& grp, RunningConfig&) -> std::string {
      if (lns_role(grp)) return kNotLac;
      grp.match_kind = match_kind(kind);
      grp.match_value = value;
      return {};
    });
  };
  Node& u = r.kw("user", "Specify which users the group tunnels (V7)");
  u.kw("domain", "Users of an ISP domain", "kind")
      .string("value", 1, 24, "ISP domain name", domain_name)
      .run(user);
  u.kw("dnis", "Calls to a called number (ours)", "kind")
      .string("value", 1, 31, "Called number (DNIS)", dnis)
      .run(user);
  u.kw("fullusername", "One user by full name", "kind")
      .string("value", 1, 80, "Full user name", valid_name)
      .run(user);
  undo.kw("user", "Remove the user match").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) {
      grp.match_kind = LacMatchKind::none;
      grp.match_value.clear();
      return std::string{};
    });
  });

  // allow l2tp virtual-template N [remote NAME]
  auto allow = [](Call& call) {
    auto vt = static_cast<std::uint16_t>(call.number("vt"));
    std::string remote = call.get("remote");
    group_edit(call, [&](L2tpGroup& grp, RunningConfig& c) -> std::string {
      if (lac_role(grp)) return kNotLns;
      if (remote.empty() && grp.number != 1)
        return "Error: Only L2TP group 1 may omit remote (it is the default group).";
      for (auto& [n, other] : c.l2tp_groups)
        if (n != grp.number && other.allow_virtual_template && !remote.empty() &&
            other.allow_remote == remote)
          return "Error: L2TP group " + std::to_string(n) + " already accepts remote " + remote +
                 ".";
      grp.allow_virtual_template = vt;
      grp.allow_remote = remote;
      return {};
    });
  };
  Node& vt = r.kw("allow", "Accept tunnels from LACs (LNS)")
                 .kw("l2tp", "L2TP")
                 .kw("virtual-template", "Virtual template the sessions use")
                 .integer("vt", 0, 1023, "Virtual template number");
  vt.run(allow);
  vt.kw("remote", "Accept only the peer with this host name")
      .string("remote", 1, 30, "Peer's tunnel name (Host Name AVP)", valid_name)
      .run(allow);
  auto disallow = [](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) {
      grp.allow_virtual_template.reset();
      grp.allow_remote.clear();
      return std::string{};
    });
  };
  // `undo allow l2tp` is Comware's spelling; the reference also names the short `undo allow`.
  Node& uallow = undo.kw("allow", "Stop accepting tunnels (LNS)");
  uallow.run(disallow);
  uallow.kw("l2tp", "L2TP").run(disallow);

  // tunnel ...
  Node& t = r.kw("tunnel", "Specify tunnel settings");
  Node& ut = undo.kw("tunnel", "Specify tunnel settings");
  t.kw("name", "Local tunnel name (Host Name AVP)")
      .string("name", 1, 30, "Tunnel name (default: the sysname)", valid_name)
      .run([](Call& call) {
        std::string name = call.get("name");
        group_edit(call, [&](L2tpGroup& grp, RunningConfig&) {
          grp.tunnel_name = name;
          return std::string{};
        });
      });
  ut.kw("name", "Use the sysname as tunnel name").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) {
      grp.tunnel_name.clear();
      return std::string{};
    });
  });
  t.kw("authentication", "Authenticate the tunnel peer (default on)")
      .run(set_flag(&L2tpGroup::tunnel_authentication, true));
  ut.kw("authentication", "Do not authenticate the tunnel peer")
      .run(set_flag(&L2tpGroup::tunnel_authentication, false));
  add_secret_args(
      t.kw("password", "Tunnel authentication password"),
      [](Call& call) {
        auto secret = secret_from(call);
        group_edit(call, [&](L2tpGroup& grp, RunningConfig&) {
          grp.tunnel_password = secret;
          return std::string{};
        });
      },
      16);
  ut.kw("password", "Remove the tunnel password").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) -> std::string {
      if (grp.avp_hidden) return "Error: tunnel avp-hidden needs the password: undo it first.";
      grp.tunnel_password = {};
      return {};
    });
  });
  t.kw("timer", "Specify tunnel timers")
      .kw("hello", "Hello interval")
      .integer("seconds", 60, 1000, "Seconds (default 60)")
      .run(kGroups.set_number(&L2tpGroup::hello_interval_s, "seconds"));
  ut.kw("timer", "Specify tunnel timers")
      .kw("hello", "Restore the default Hello interval (60 s)")
      .run(kGroups.set_value(&L2tpGroup::hello_interval_s, 60));
  t.kw("timer", "Specify tunnel timers")
      .kw("idle", "Clear the tunnel after this long without a session")
      .integer("seconds", 0, 3600, "Seconds (default 10; 0 = keep idle tunnels)")
      .run(kGroups.set_number(&L2tpGroup::idle_timeout_s, "seconds"));
  ut.kw("timer", "Specify tunnel timers")
      .kw("idle", "Restore the default idle time (10 s)")
      .run(kGroups.set_value(&L2tpGroup::idle_timeout_s, L2tpGroup{}.idle_timeout_s));
  t.kw("avp-hidden", "Send sensitive AVPs hidden (needs a tunnel password)").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) -> std::string {
      if (grp.tunnel_password.empty()) return "Error: Configure the tunnel password first.";
      grp.avp_hidden = true;
      return {};
    });
  });
  ut.kw("avp-hidden", "Send AVPs in clear").run(set_flag(&L2tpGroup::avp_hidden, false));
  t.kw("flow-control", "Use sequence numbers on data messages")
      .run(set_flag(&L2tpGroup::flow_control, true));
  ut.kw("flow-control", "No sequence numbers on data messages")
      .run(set_flag(&L2tpGroup::flow_control, false));

  r.kw("mandatory-chap", "CHAP-authenticate the user again (LNS)")
      .run(set_flag(&L2tpGroup::mandatory_chap, true));
  undo.kw("mandatory-chap", "Trust the LAC's proxy authentication")
      .run(set_flag(&L2tpGroup::mandatory_chap, false));
  r.kw("mandatory-lcp", "Renegotiate LCP with the user (LNS)")
      .run(set_flag(&L2tpGroup::mandatory_lcp, true));
  undo.kw("mandatory-lcp", "Accept the LAC's proxy LCP")
      .run(set_flag(&L2tpGroup::mandatory_lcp, false));

  r.kw("session-limit", "Limit the sessions of this group")
      .integer("limit", 1, 65535, "Maximum sessions")
      .run(kGroups.set_number(&L2tpGroup::session_limit, "limit"));
  undo.kw("session-limit", "Remove the session limit").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) {
      grp.session_limit.reset();
      return std::string{};
    });
  });
}

}  // namespace vpdnd::cli::lang
