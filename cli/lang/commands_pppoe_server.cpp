// PPPoE server operator commands in Comware V5 spellings:
//   display pppoe-server session { all | packet }                          (any view)
//   [undo] debugging pppoe-server { all | error | event | packet | verbose } (user view)
//   reset pppoe-server { all | interface IFNAME | virtual-template N }       (user view)
// `display pppoe-server session` (no keyword) is in commands_operator.cpp.
#include <cstdio>

#include "cli/lang.hpp"
#include "cli/lang/session.hpp"
#include "common/log.hpp"

namespace vpdnd::cli::lang {
namespace {

std::string mac_text(const std::array<std::uint8_t, 6>& m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x%02x-%02x%02x-%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

// V5 `display pppoe-server session all`: one line per session, SID first.
std::string render_all(const std::vector<ppp::PppoeSessionStatus>& list) {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "%-6s%-16s%-16s%-16s%s\n", "SID", "Intf", "RemMAC", "LocMAC",
                "State");
  out += line;
  for (const auto& s : list) {
    std::string intf = s.interface.size() > 15 ? s.interface.substr(0, 15) : s.interface;
    std::snprintf(line, sizeof line, "%-6u%-16s%-16s%-16s%s\n", unsigned{s.session_id},
                  intf.c_str(), mac_text(s.peer_mac).c_str(), mac_text(s.local_mac).c_str(),
                  s.state.substr(0, 20).c_str());
    out += line;
  }
  return out;
}

// V5 `display pppoe-server session packet`: per-session packets / octets / discards.
std::string render_packet(const std::vector<ppp::PppoeSessionStatus>& list) {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%-6s%-11s%-11s%-11s%-11s%-11s%s\n", "SID", "InP", "InO", "InD",
                "OutP", "OutO", "OutD");
  out += line;
  auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  for (const auto& s : list) {
    std::snprintf(line, sizeof line, "%-6u%-11llu%-11llu%-11llu%-11llu%-11llu%llu\n",
                  unsigned{s.session_id}, u(s.in_packets), u(s.in_octets), u(s.in_discards),
                  u(s.out_packets), u(s.out_octets), u(s.out_discards));
    out += line;
  }
  return out;
}

void show(Call& call, std::string (*render)(const std::vector<ppp::PppoeSessionStatus>&)) {
  auto list = on_engine(call, [](Operations& o) { return o.pppoe_sessions(); });
  std::string text = render(list);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  call.print(text);
}

}  // namespace

void register_pppoe_server(Grammar& g) {
  for (Node& d : display_roots(g)) {
    Node& s = d.kw("pppoe-server", "PPPoE server information").kw("session", "PPPoE sessions");
    s.kw("all", "Every session: interface, MAC addresses and state").run([](Call& call) {
      show(call, render_all);
    });
    s.kw("packet", "Packet statistics of every session").run([](Call& call) {
      show(call, render_packet);
    });
  }

  Node& u = root(g, View::user);

  // The V5 classes onto the PPPoE debug switches: discovery packets are its control
  // class, session payload its verbose one.
  Node& on = u.kw("debugging", "Turn on debugging").kw("pppoe-server", "PPPoE server debugging");
  Node& off = u.kw("undo", "Cancel current setting")
                  .kw("debugging", "Turn off debugging")
                  .kw("pppoe-server", "PPPoE server debugging");
  auto set = [](std::optional<DebugClass> cls, bool enable) {
    return [cls, enable](Call&) {
      if (cls)
        LogBus::instance().set(DebugModule::pppoe, *cls, enable);
      else
        LogBus::instance().set_all(DebugModule::pppoe, enable);
    };
  };
  const struct {
    const char* word;
    const char* help;
    std::optional<DebugClass> cls;
  } classes[] = {
      {"all", "All PPPoE server debugging", std::nullopt},
      {"error", "Errors and dropped frames", DebugClass::error},
      {"event", "Session events", DebugClass::event},
      {"packet", "Discovery packets (PADI/PADO/PADR/PADS/PADT)", DebugClass::control},
      {"verbose", "Session payload", DebugClass::payload},
  };
  for (const auto& c : classes) {
    on.kw(c.word, c.help).run(set(c.cls, true));
    off.kw(c.word, c.help).run(set(c.cls, false));
  }

  auto reset = [](Call& call, const PppoeSessionFilter& f) {
    auto n = on_engine(call, [&](Operations& o) { return o.reset_pppoe_sessions(f); });
    if (n == 0) call.error("% No PPPoE session matched.");
  };
  Node& r = u.kw("reset", "Reset operation").kw("pppoe-server", "End PPPoE sessions (PADT)");
  r.kw("all", "Every PPPoE session").run([reset](Call& call) { reset(call, {}); });
  r.kw("interface", "The sessions on one access interface")
      .string("ifname", 1, 31, "Interface name (GigabitEthernet0/0, GE0/0 or Linux eth1)",
              [](std::string_view s) {
                return valid_name(s) || !config::comware_interface_name(s).empty();
              })
      .run([reset](Call& call) {
        PppoeSessionFilter f;
        f.kind = PppoeSessionFilter::Kind::interface;
        // Sessions carry the interface as configured: a Comware name in its canonical form.
        std::string canonical = config::comware_interface_name(call.get("ifname"));
        f.interface = canonical.empty() ? call.get("ifname") : canonical;
        reset(call, f);
      });
  r.kw("virtual-template", "The sessions of one virtual template")
      .integer("vt", 0, 1023, "Virtual template number")
      .run([reset](Call& call) {
        PppoeSessionFilter f;
        f.kind = PppoeSessionFilter::Kind::virtual_template;
        f.virtual_template = static_cast<std::uint16_t>(call.number("vt"));
        reset(call, f);
      });
}

}  // namespace vpdnd::cli::lang
