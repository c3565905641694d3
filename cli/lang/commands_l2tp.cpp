// L2TP group view (`l2tp-group N`): the LAC side (`start l2tp`, V7 `lns-ip` + `user`), the
// LNS side (`allow l2tp`), and the tunnel settings both share. A group is LAC or LNS,
// never both: `start l2tp` and `allow l2tp` are mutually exclusive.
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
  return kGroups.set_value(field, on);
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

// The users a LAC group tunnels: `start l2tp ip A ... KIND VALUE` and V7 `user KIND VALUE`.
struct MatchWord {
  const char* word;
  const char* start_help;
  const char* user_help;
  std::int64_t max;
  const char* value_help;
  bool (*check)(std::string_view);
};
const MatchWord kMatches[] = {
    {"domain", "Tunnel the users of an ISP domain", "Users of an ISP domain", 24, "ISP domain name",
     domain_name},
    {"dnis", "Tunnel the calls to a called number", "Calls to a called number (ours)", 31,
     "Called number (DNIS)", dnis},
    {"fullusername", "Tunnel one user by full name", "One user by full name", 80, "Full user name",
     valid_name},
};
void clear_match(L2tpGroup& grp) {
  grp.match_kind = LacMatchKind::none;
  grp.match_value.clear();
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
    for (auto& m : kMatches)
      n.kw(m.word, m.start_help, "kind")
          .string("value", 1, m.max, m.value_help, m.check)
          .run(start);
  };
  Node* level = &r.kw("start", "Start L2TP tunnels for users (LAC)").kw("l2tp", "L2TP");
  for (int i = 0; i < 5; ++i) {
    level = &level->kw("ip", "Specify an LNS address (up to 5, tried in order)")
                 .ipv4("ip", "IP address of the LNS");
    add_tail(*level);
  }
  undo.kw("start", "Stop tunnelling users (LAC)")
      .kw("l2tp", "L2TP")
      .run(kGroups.apply([](L2tpGroup& grp) {
        grp.lns_addresses.clear();
        clear_match(grp);
      }));

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
  undo.kw("lns-ip", "Remove the LNS addresses").run(kGroups.reset(&L2tpGroup::lns_addresses));
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
  for (auto& m : kMatches)
    u.kw(m.word, m.user_help, "kind").string("value", 1, m.max, m.value_help, m.check).run(user);
  undo.kw("user", "Remove the user match").run(kGroups.apply(clear_match));

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
  auto disallow = kGroups.apply([](L2tpGroup& grp) {
    grp.allow_virtual_template.reset();
    grp.allow_remote.clear();
  });
  // `undo allow l2tp` is Comware's spelling; the reference also names the short `undo allow`.
  Node& uallow = undo.kw("allow", "Stop accepting tunnels (LNS)");
  uallow.run(disallow);
  uallow.kw("l2tp", "L2TP").run(disallow);

  // tunnel ...
  Node& t = r.kw("tunnel", "Specify tunnel settings");
  Node& ut = undo.kw("tunnel", "Specify tunnel settings");
  t.kw("name", "Local tunnel name (Host Name AVP)")
      .string("name", 1, 30, "Tunnel name (default: the sysname)", valid_name)
      .run(kGroups.set_text(&L2tpGroup::tunnel_name, "name"));
  ut.kw("name", "Use the sysname as tunnel name").run(kGroups.reset(&L2tpGroup::tunnel_name));
  // `WORD` turns a flag of the group on, `undo WORD` off.
  auto flag = [](Node& on, Node& off, const char* word, const char* on_help, const char* off_help,
                 bool L2tpGroup::*field) {
    on.kw(word, on_help).run(set_flag(field, true));
    off.kw(word, off_help).run(set_flag(field, false));
  };
  flag(t, ut, "authentication", "Authenticate the tunnel peer (default on)",
       "Do not authenticate the tunnel peer", &L2tpGroup::tunnel_authentication);
  add_secret_args(t.kw("password", "Tunnel authentication password"),
                  kGroups.set_secret(&L2tpGroup::tunnel_password), 16);
  ut.kw("password", "Remove the tunnel password").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) -> std::string {
      if (grp.avp_hidden) return "Error: tunnel avp-hidden needs the password: undo it first.";
      grp.tunnel_password = {};
      return {};
    });
  });
  // `tunnel timer WORD SECONDS`; its undo restores the default.
  Node& timer = t.kw("timer", "Specify tunnel timers");
  Node& utimer = ut.kw("timer", "Specify tunnel timers");
  struct Timer {
    const char* word;
    const char* help;
    std::int64_t lo, hi;
    const char* seconds_help;
    const char* undo_help;
    std::uint32_t L2tpGroup::*field;
  };
  for (const Timer& tm : {
           Timer{"hello", "Hello interval", 60, 1000, "Seconds (default 60)",
                 "Restore the default Hello interval (60 s)", &L2tpGroup::hello_interval_s},
           Timer{"idle", "Clear the tunnel after this long without a session", 0, 3600,
                 "Seconds (default 10; 0 = keep idle tunnels)",
                 "Restore the default idle time (10 s)", &L2tpGroup::idle_timeout_s},
       }) {
    timer.kw(tm.word, tm.help)
        .integer("seconds", tm.lo, tm.hi, tm.seconds_help)
        .run(kGroups.set_number(tm.field, "seconds"));
    utimer.kw(tm.word, tm.undo_help).run(kGroups.set_value(tm.field, L2tpGroup{}.*tm.field));
  }
  t.kw("avp-hidden", "Send sensitive AVPs hidden (needs a tunnel password)").run([](Call& call) {
    group_edit(call, [](L2tpGroup& grp, RunningConfig&) -> std::string {
      if (grp.tunnel_password.empty()) return "Error: Configure the tunnel password first.";
      grp.avp_hidden = true;
      return {};
    });
  });
  ut.kw("avp-hidden", "Send AVPs in clear").run(set_flag(&L2tpGroup::avp_hidden, false));
  flag(t, ut, "flow-control", "Use sequence numbers on data messages",
       "No sequence numbers on data messages", &L2tpGroup::flow_control);

  flag(r, undo, "mandatory-chap", "CHAP-authenticate the user again (LNS)",
       "Trust the LAC's proxy authentication", &L2tpGroup::mandatory_chap);
  flag(r, undo, "mandatory-lcp", "Renegotiate LCP with the user (LNS)",
       "Accept the LAC's proxy LCP", &L2tpGroup::mandatory_lcp);

  r.kw("session-limit", "Limit the sessions of this group")
      .integer("limit", 1, 65535, "Maximum sessions")
      .run(kGroups.set_number(&L2tpGroup::session_limit, "limit"));
  undo.kw("session-limit", "Remove the session limit")
      .run(kGroups.reset(&L2tpGroup::session_limit));
}

}  // namespace vpdnd::cli::lang
