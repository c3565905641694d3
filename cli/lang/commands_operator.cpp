// Operator commands: `display ...` (every view), `save` (every view), and in user view
// `reset l2tp ...`, `debugging ...`, `terminal ...`, `screen-length ...`. Live state comes
// from ShellContext::operations on the protocol thread; the renderers only format it.
#include <cctype>
#include <fstream>
#include <sstream>

#include "cli/lang.hpp"
#include "cli/lang/session.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"

namespace vpdnd::cli::lang {
namespace {

Detail detail_of(const Call& call) {
  std::string d = call.get("detail");
  return d == "statistics" ? Detail::statistics : d == "verbose" ? Detail::verbose : Detail::brief;
}

std::string resolve(const std::string& startup, const std::string& file) {
  auto slash = startup.rfind('/');
  return slash == std::string::npos ? file : startup.substr(0, slash + 1) + file;
}

void do_save(Call& call, const std::string& path) {
  auto cfg = call.snapshot();
  std::string err = save_configuration(cfg, path);
  if (!err.empty())
    return call.error("Error: Failed to save the configuration to " + path + ": " + err);
  call.print(" Configuration is saved to device successfully (" + path + ").");
}

// `save FILE` names a file beside the startup config, never a path: vpdnd runs as root and
// a telnet admin must not be able to overwrite an arbitrary file.
bool valid_save_file(std::string_view s) {
  if (s.size() < 5 || s.size() > 63 || s == "." || s == "..") return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  std::string ext(s.substr(s.size() - 4));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".cfg";
}

void save(Call& call) {
  if (call.session.origin() == SessionOrigin::file)
    return call.error("Error: save cannot be run from a configuration file.");
  if (call.has("file") && !valid_save_file(call.get("file")))
    return call.error(
        "Error: The file name is invalid. Use a name of up to 63 letters, digits, '.', '_' or '-' "
        "ending in .cfg (it is saved beside the startup configuration).");
  std::string path = call.has("file")
                         ? resolve(call.session.context().startup_path, call.get("file"))
                         : call.session.context().startup_path;
  if (path.empty()) return call.error("Error: No startup configuration file is set.");
  if (call.has("force")) return do_save(call, path);
  call.output +=
      call.has("file")
          ? "The current configuration will be saved to " + path + ". Are you sure? [Y/N]:"
          : "The current configuration will be written to the device. Are you sure? [Y/N]:";
  Session* s = &call.session;
  call.question = [s, path](const std::string& answer) {
    auto first = answer.find_first_not_of(" \t");
    char a = first == std::string::npos ? 'n' : static_cast<char>(std::tolower(answer[first]));
    Call inner(*s, {});
    if (a == 'y')
      do_save(inner, path);
    else
      inner.print(" Configuration is not saved.");
    ExecResult r;
    r.output = inner.output;
    if (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    r.ok = !inner.failed;
    return r;
  };
}

bool valid_name_or_path(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

ConnectionFilter connection_filter(const Call& call) {
  ConnectionFilter f;
  if (call.has("domain")) {
    f.kind = ConnectionFilter::Kind::domain;
    f.text = call.get("domain");
  } else if (call.has("ip")) {
    f.kind = ConnectionFilter::Kind::ip;
    f.address = Ipv4::parse(call.get("ip")).value_or(Ipv4{});
  } else if (call.has("index")) {
    f.kind = ConnectionFilter::Kind::index;
    f.index = call.number("index");
  } else if (call.has("user")) {
    f.kind = ConnectionFilter::Kind::user_name;
    f.text = call.get("user");
  }
  return f;
}

bool valid_user_name(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return !s.empty();
}

// The selectors shared by `display connection` and `cut connection`.
void connection_selectors(Node& n, const Action& run) {
  n.kw("domain", "Connections of an ISP domain")
      .string("domain", 1, 24, "ISP domain name", valid_name)
      .run(run);
  n.kw("ip", "The connection with an IP address").ipv4("ip", "IP address").run(run);
  n.kw("ucibindex", "The connection with an index")
      .integer("index", 0, 4294967295LL, "Connection index")
      .run(run);
  n.kw("user-name", "Connections of a user name")
      .string("user", 1, 80, "User name (case-sensitive)", valid_user_name)
      .run(run);
}

// `display l2tp session` on a terminal: the count and titles at once, then the rows a page
// of sessions at a time, each page read on the protocol thread by itself (so neither the
// operator nor the sessions wait for a table of 100,000 rows to be built).
void stream_sessions(Call& call) {
  constexpr std::size_t kPage = 1000;
  const auto& page = call.session.live_output().page;
  const std::size_t total = on_engine(call, [](Operations& o) { return o.l2tp_session_count(); });
  if (!page(terminal_safe(render_l2tp_session_head(total), true)) || total == 0) return;
  std::uint16_t tunnel = 0, session = 0;
  for (;;) {
    auto list = on_engine(
        call, [&](Operations& o) { return o.l2tp_sessions_after(tunnel, session, kPage); });
    if (list.empty()) return;
    tunnel = list.back().tunnel_local_id;
    session = list.back().local_id;
    if (!page(terminal_safe(render_l2tp_session_rows(list), true)) || list.size() < kPage) return;
  }
}

void add_display(Node& r) {
  Node& d = r.kw("display", "Display current system information");
  d.kw("current-configuration", "The running configuration").run([](Call& call) {
    call.print(render_configuration(call.snapshot()));
  });
  d.kw("this", "The configuration of the current view").run([](Call& call) {
    call.print(render_view_block(call.snapshot(), call.session.view(), call.session.object()));
  });
  d.kw("saved-configuration", "The startup configuration file").run([](Call& call) {
    const std::string& path = call.session.context().startup_path;
    std::ifstream in(path);
    if (!in) return call.error(" The saved configuration file " + path + " does not exist.");
    std::stringstream text;
    text << in.rdbuf();
    call.print(mask_secrets(text.str()));
  });
  d.kw("debugging", "Debugging switches that are on").run([](Call& call) {
    call.print(render_debugging());
  });
  d.kw("version", "Version of vpdnd").run([](Call& call) { call.print(render_version()); });

  Node& l2tp = d.kw("l2tp", "L2TP information");
  auto tunnels = [](Call& call) {
    auto list = on_engine(call, [](Operations& o) { return o.l2tp_tunnels(); });
    call.print(render_l2tp_tunnels(list, detail_of(call)));
  };
  // `display l2tp {tunnel|session} [statistics | verbose]`
  auto details = [](Node& n, const char* verbose_help, const Action& act) {
    n.run(act);
    n.kw("statistics", "Counts only", "detail").run(act);
    n.kw("verbose", verbose_help, "detail").run(act);
  };
  details(l2tp.kw("tunnel", "L2TP tunnels"), "Every detail of each tunnel", tunnels);
  auto sessions = [](Call& call) {
    const Detail detail = detail_of(call);
    if (detail == Detail::brief && call.session.live_output().page) return stream_sessions(call);
    auto list = on_engine(call, [](Operations& o) { return o.l2tp_sessions(); });
    call.print(render_l2tp_sessions(list, detail));
  };
  details(l2tp.kw("session", "L2TP sessions"), "Every detail of each session", sessions);
  l2tp.kw("statistics", "L2TP message and drop counters").run([](Call& call) {
    auto st = on_engine(call, [](Operations& o) { return o.l2tp_statistics(); });
    call.print(render_l2tp_statistics(st));
  });

  auto pools = [](Call& call) {
    auto list = on_engine(call, [](Operations& o) { return o.ip_pools(); });
    std::string name = call.get("pool");
    std::string text = render_ip_pools(list, name);
    if (text.empty()) return call.error("Error: Pool " + name + " does not exist.");
    call.print(text);
  };
  Node& pool = d.kw("ip", "IP information").kw("pool", "IP address pools");
  pool.run(pools);
  pool.string("pool", 1, 31, "Pool name", valid_name).run(pools);

  // `display domain [NAME]`, `display radius scheme [NAME]`: all, or the one named.
  auto all_or_named = [](std::string (*render)(const config::RunningConfig&, const std::string&),
                         const char* what) {
    return [render, what](Call& call) {
      std::string name = call.get("name");
      std::string text = render(call.snapshot(), name);
      if (text.empty())
        return call.error(std::string("Error: ") + what + name + " does not exist.");
      call.print(text);
    };
  };
  auto domains = all_or_named(render_domains, "Domain ");
  Node& dom = d.kw("domain", "ISP domains");
  dom.run(domains);
  dom.string("name", 1, 24, "ISP domain name", valid_name).run(domains);
  d.kw("local-user", "Local users").run([](Call& call) {
    call.print(render_local_users(call.snapshot()));
  });
  auto schemes = all_or_named(render_radius_schemes, "RADIUS scheme ");
  Node& dr = d.kw("radius", "RADIUS information");
  Node& rs = dr.kw("scheme", "RADIUS schemes");
  rs.run(schemes);
  rs.string("name", 1, 32, "Scheme name", valid_name).run(schemes);
  dr.kw("statistics", "RADIUS packet statistics").run([](Call& call) {
    auto stats = on_engine(call, [](Operations& o) { return o.radius_statistics(); });
    call.print(render_radius_statistics(stats));
  });
  auto connections = [](Call& call) {
    ConnectionFilter f = connection_filter(call);
    auto list = on_engine(call, [](Operations& o) { return o.online_users(); });
    call.print(render_connections(list, f, std::chrono::system_clock::now()));
  };
  Node& conn = d.kw("connection", "User connections (online users)");
  conn.run(connections);
  connection_selectors(conn, connections);
  d.kw("pppoe-server", "PPPoE server information")
      .kw("session", "PPPoE sessions")
      .run([](Call& call) {
        auto list = on_engine(call, [](Operations& o) { return o.pppoe_sessions(); });
        call.print(render_pppoe_sessions(list));
      });
}

}  // namespace

void register_operator(Grammar& g) {
  for (std::size_t v = 0; v < static_cast<std::size_t>(View::count); ++v) {
    Node& r = root(g, static_cast<View>(v));
    add_display(r);
    Node& sv = r.kw("save", "Save the current configuration");
    sv.run(save);
    sv.kw("force", "Save without asking", "force").run(save);
    Node& file =
        sv.string("file", 1, 255, "File name ending in .cfg (saved beside the startup file)",
                  valid_name_or_path);
    file.run(save);
    file.kw("force", "Save without asking", "force").run(save);
  }

  // cut connection {all | domain D | ip A | ucibindex N | user-name U} (system view, V5)
  auto cut = [](Call& call) {
    ConnectionFilter f = connection_filter(call);
    auto n = on_engine(call, [&](Operations& o) { return o.cut_connections(f); });
    if (n == 0) call.error("% No connection matched.");
  };
  Node& cc =
      root(g, View::system).kw("cut", "Cut user connections").kw("connection", "User connections");
  cc.kw("all", "Every connection").run(cut);
  connection_selectors(cc, cut);

  Node& u = root(g, View::user);
  Node& undo = u.kw("undo", "Cancel current setting");

  // reset l2tp tunnel {id N | name NAME}, reset l2tp session id N
  Node& reset = u.kw("reset", "Reset operation");
  reset.kw("radius", "RADIUS")
      .kw("statistics", "Clear RADIUS packet statistics")
      .run([](Call& call) {
        on_engine(call, [](Operations& o) {
          o.reset_radius_statistics();
          return 0;
        });
      });
  Node& rl = reset.kw("l2tp", "L2TP");
  auto report = [](Call& call, const std::string& err) {
    if (!err.empty()) call.error(err);
  };
  Node& rt = rl.kw("tunnel", "Tear down a tunnel (StopCCN)");
  rt.kw("id", "By local tunnel ID")
      .integer("id", 1, 65535, "Local tunnel ID")
      .run([report](Call& call) {
        auto id = static_cast<std::uint16_t>(call.number("id"));
        report(call, on_engine(call, [&](Operations& o) { return o.reset_l2tp_tunnel_id(id); }));
      });
  rt.kw("name", "By the peer's tunnel name")
      .string("name", 1, 30, "Remote tunnel name", valid_name)
      .run([report](Call& call) {
        std::string name = call.get("name");
        report(call,
               on_engine(call, [&](Operations& o) { return o.reset_l2tp_tunnel_name(name); }));
      });
  rl.kw("session", "Tear down a session (CDN)")
      .kw("id", "By local session ID")
      .integer("id", 1, 65535, "Local session ID")
      .run([report](Call& call) {
        auto id = static_cast<std::uint16_t>(call.number("id"));
        report(call, on_engine(call, [&](Operations& o) { return o.reset_l2tp_session_id(id); }));
      });

  // debugging MODULE CLASS | undo debugging MODULE CLASS | undo debugging all
  Node& dbg = u.kw("debugging", "Turn on debugging");
  Node& udbg = undo.kw("debugging", "Turn off debugging");
  udbg.kw("all", "Turn off every debugging switch").run([](Call& call) {
    LogBus::instance().clear_all();
    call.print(" All possible debugging has been turned off.");
  });
  for (std::size_t m = 0; m < static_cast<std::size_t>(DebugModule::count); ++m) {
    auto mod = static_cast<DebugModule>(m);
    std::string module_help = std::string(to_string(mod)) + " debugging";
    auto set = [mod](bool on) {
      return [mod, on](Call& call) {
        std::string cls = call.get("class");
        if (cls == "all") {
          LogBus::instance().set_all(mod, on);
          return;
        }
        for (std::size_t c = 0; c < static_cast<std::size_t>(DebugClass::count); ++c)
          if (keyword(static_cast<DebugClass>(c)) == cls)
            LogBus::instance().set(mod, static_cast<DebugClass>(c), on);
      };
    };
    Node& on = dbg.kw(keyword(mod), module_help);
    Node& off = udbg.kw(keyword(mod), module_help);
    on.kw("all", "All classes", "class").run(set(true));
    off.kw("all", "All classes", "class").run(set(false));
    const char* helps[] = {"Control messages", "Errors", "State machine events", "Hidden AVPs",
                           "Data payload"};
    for (std::size_t c = 0; c < static_cast<std::size_t>(DebugClass::count); ++c) {
      auto cls = static_cast<DebugClass>(c);
      on.kw(keyword(cls), helps[c], "class").run(set(true));
      off.kw(keyword(cls), helps[c], "class").run(set(false));
    }
  }

  // terminal monitor|debugging|logging (per session)
  Node& term = u.kw("terminal", "Settings of this terminal");
  Node& uterm = undo.kw("terminal", "Settings of this terminal");
  const std::pair<const char*, bool TerminalSettings::*> switches[] = {
      {"monitor", &TerminalSettings::monitor},
      {"debugging", &TerminalSettings::debugging},
      {"logging", &TerminalSettings::logging}};
  const char* term_help[] = {"Show log and debug output on this terminal",
                             "Show debug lines (with monitor)", "Show log lines (with monitor)"};
  for (std::size_t i = 0; i < 3; ++i) {
    auto field = switches[i].second;
    std::string word = switches[i].first;
    auto set = [field, word](bool on) {
      return [field, word, on](Call& call) {
        call.session.mutable_terminal().*field = on;
        call.print(" Info: Current terminal " + word + " is " + (on ? "on." : "off."));
      };
    };
    term.kw(word, term_help[i]).run(set(true));
    uterm.kw(word, term_help[i]).run(set(false));
  }

  // screen-length N | screen-length disable | undo screen-length disable
  Node& sl = u.kw("screen-length", "Lines per page on this terminal");
  sl.integer("lines", 0, 512, "Lines (0: no paging)").run([](Call& call) {
    call.session.mutable_terminal().screen_length = call.number("lines");
    call.session.mutable_terminal().screen_length_typed = true;
  });
  sl.kw("disable", "No paging on this terminal").run([](Call& call) {
    call.session.mutable_terminal().screen_length = 0;
  });
  undo.kw("screen-length", "Lines per page on this terminal")
      .kw("disable", "Page again (24 lines)")
      .run([](Call& call) {
        call.session.mutable_terminal().screen_length = 24;
        call.session.mutable_terminal().screen_length_typed = false;
      });
}

}  // namespace vpdnd::cli::lang
