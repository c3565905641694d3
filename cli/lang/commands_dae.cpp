// RADIUS Dynamic Authorization Server (RFC 5176), Comware V7 form:
//   radius dynamic-author server                       (system view; enters the view)
//    client ip A key {simple K | cipher C}             (several clients)
//    undo client ip A
//    port N / undo port                                (default 3799)
//   undo radius dynamic-author server
//   display radius dynamic-author statistics           (any view)
//   reset radius dynamic-author statistics             (user view)
#include <cstdio>

#include "cli/lang.hpp"
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::DynamicAuthor;
using config::RunningConfig;

void dae_edit(Call& call, const std::function<std::string(DynamicAuthor&)>& fn) {
  call.edit({ConfigSection::dynamic_author, {}}, [&](RunningConfig& c) -> std::string {
    if (!c.dynamic_author.enabled) return "Error: The dynamic-author server no longer exists.";
    return fn(c.dynamic_author);
  });
}

// dae_edit with a change that cannot fail.
void dae_apply(Call& call, const std::function<void(DynamicAuthor&)>& fn) {
  dae_edit(call, [&](DynamicAuthor& d) {
    fn(d);
    return std::string{};
  });
}

std::string render(const aaa::DaeStatistics& s, std::uint16_t port) {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  std::string out;
  out += port ? " Listening on UDP port " + std::to_string(port) + "\n" : " Not listening\n";
  const std::pair<const char*, std::uint64_t> rows[] = {
      {"Disconnect-Requests", s.disconnect_requests},
      {"Disconnect-ACKs", s.disconnect_acks},
      {"Disconnect-NAKs", s.disconnect_naks},
      {"CoA-Requests", s.coa_requests},
      {"CoA-ACKs", s.coa_acks},
      {"CoA-NAKs", s.coa_naks},
      {"Sessions disconnected", s.sessions_disconnected},
      {"Sessions changed", s.sessions_changed},
      {"Dropped, unknown client", s.unknown_client},
      {"Dropped, malformed", s.malformed},
      {"Dropped, bad authenticator", s.bad_authenticator},
      {"Dropped, bad Message-Authenticator", s.bad_message_authenticator},
      {"Dropped, Event-Timestamp out of window", s.stale},
      {"Duplicates (answer re-sent)", s.duplicates},
  };
  char line[128];
  for (const auto& [what, v] : rows) {
    std::snprintf(line, sizeof line, " %-40s: %s\n", what, n(v).c_str());
    out += line;
  }
  return out;
}

}  // namespace

void register_dae(Grammar& g) {
  Node& sys = root(g, View::system);
  sys.kw("radius", "Specify RADIUS configuration")
      .kw("dynamic-author", "RADIUS Dynamic Authorization (RFC 5176)")
      .kw("server", "Enter the dynamic authorization server view")
      .run([](Call& call) {
        call.edit({ConfigSection::dynamic_author, {}}, [](RunningConfig& c) {
          c.dynamic_author.enabled = true;
          return std::string{};
        });
        if (!call.failed) call.session.enter(View::dae, "");
      });
  sys.kw("undo", "Cancel current setting")
      .kw("radius", "Specify RADIUS configuration")
      .kw("dynamic-author", "RADIUS Dynamic Authorization (RFC 5176)")
      .kw("server", "Remove the dynamic authorization server and its clients")
      .run([](Call& call) {
        call.edit({ConfigSection::dynamic_author, {}, true}, [](RunningConfig& c) {
          c.dynamic_author = {};
          return std::string{};
        });
      });

  Node& v = root(g, View::dae);
  Node& vu = v.kw("undo", "Cancel current setting");
  Node& key = v.kw("client", "A RADIUS client allowed to send Disconnect and CoA requests")
                  .kw("ip", "By IPv4 address")
                  .ipv4("ip", "Client address")
                  .kw("key", "Shared key with the client");
  add_secret_args(
      key,
      [](Call& call) {
        Ipv4 a = *Ipv4::parse(call.get("ip"));
        auto secret = secret_from(call);
        dae_apply(call, [&](DynamicAuthor& d) { d.clients[a.value] = {a, secret}; });
      },
      64);
  vu.kw("client", "Remove a RADIUS client")
      .kw("ip", "By IPv4 address")
      .ipv4("ip", "Client address")
      .run([](Call& call) {
        Ipv4 a = *Ipv4::parse(call.get("ip"));
        dae_edit(call, [&](DynamicAuthor& d) {
          if (!d.clients.erase(a.value))
            return "Error: The client " + a.to_string() + " does not exist.";
          return std::string{};
        });
      });
  v.kw("port", "UDP port for Disconnect and CoA requests")
      .integer("port", 1, 65535, "Port number (default 3799)")
      .run([](Call& call) {
        auto port = static_cast<std::uint16_t>(call.number("port"));
        dae_apply(call, [&](DynamicAuthor& d) { d.port = port; });
      });
  vu.kw("port", "Restore port 3799").run([](Call& call) {
    dae_apply(call, [](DynamicAuthor& d) { d.port = DynamicAuthor{}.port; });
  });

  auto display = [](Call& call) {
    auto stats = on_engine(call, [](Operations& o) { return o.dae_statistics(); });
    auto port = on_engine(call, [](Operations& o) { return o.dae_port(); });
    call.print(render(stats, port));
  };
  for (std::size_t i = 0; i < static_cast<std::size_t>(View::count); ++i) {
    root(g, static_cast<View>(i))
        .kw("display", "Display current system information")
        .kw("radius", "RADIUS information")
        .kw("dynamic-author", "RADIUS Dynamic Authorization")
        .kw("statistics", "Requests received and answered, and drops")
        .run(display);
  }
  root(g, View::user)
      .kw("reset", "Reset operation")
      .kw("radius", "RADIUS")
      .kw("dynamic-author", "RADIUS Dynamic Authorization")
      .kw("statistics", "Clear the dynamic authorization statistics")
      .run([](Call& call) {
        on_engine(call, [](Operations& o) {
          o.reset_dae_statistics();
          return 0;
        });
      });
}

}  // namespace vpdnd::cli::lang
