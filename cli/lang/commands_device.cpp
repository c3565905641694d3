// VTY lines (`user-interface vty A [B]`): how telnet users log in, idle timeout, paging.
// All VTY lines share one setting in the model; the view remembers the range typed.
// Password control: what failed telnet and SSH logins cost (`password-control login-attempt`), and
// the blacklist of the login guard (`display|reset password-control blacklist`).
#include <map>

#include "cli/front/login_guard.hpp"
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::RunningConfig;
using config::UserInterfaceVty;

void vty_edit(Call& call, const std::function<std::string(UserInterfaceVty&)>& fn) {
  call.edit({ConfigSection::user_interface, "vty"}, [&](RunningConfig& c) { return fn(c.vty); });
}

void display_blacklist(Call& call) {
  std::string user = call.get("user");
  std::string ip = call.get("ip");
  auto list = call.session.context().engine.call([] { return process_login_guard().blacklist(); });
  std::map<std::string, std::vector<BlacklistEntry>> by_user;
  std::size_t matched = 0;
  for (auto& e : list) {
    if ((call.has("user") && e.user != user) || (call.has("ip") && e.address != ip)) continue;
    by_user[e.user].push_back(e);
    ++matched;
  }
  std::string out;
  for (auto& [name, entries] : by_user) {
    out += "Username: " + (name.empty() ? std::string("-") : name) + "\n";
    for (auto& e : entries) {
      std::string ip_field = e.address;
      ip_field.resize(std::max<std::size_t>(ip_field.size() + 1, 20), ' ');  // Comware's columns
      std::string failures = std::to_string(e.failures);
      failures.resize(std::max<std::size_t>(failures.size() + 1, 7), ' ');
      out += "   IP: " + ip_field + "Login failed times: " + failures +
             "Lock flag: " + (e.locked ? "lock" : "unlock") + "\n";
    }
  }
  if (!out.empty()) out += "\n";
  out += "Total " + std::to_string(matched) + " blacklist item(s) matched. " +
         std::to_string(matched) + " listed.";
  call.print(out);
}

void reset_blacklist(Call& call) {
  std::string user = call.get("user");
  std::string ip = call.get("ip");
  bool by_user = call.has("user"), by_ip = call.has("ip");
  call.session.context().engine.call([&] {
    auto& guard = process_login_guard();
    if (by_user) return guard.reset_user(user);
    if (by_ip) return guard.reset_address(ip);
    return guard.reset_all();
  });
}

void policy_edit(Call& call, const config::LoginAttemptPolicy& p) {
  call.edit({ConfigSection::system, "password-control"}, [&](RunningConfig& c) {
    c.login_attempt = p;
    return std::string{};
  });
}

}  // namespace

void register_device(Grammar& g) {
  auto enter = [](Call& call) {
    auto a = call.number("first");
    auto b = call.has("last") ? call.number("last") : a;
    if (b < a) return call.error("Error: The last line number must not be lower than the first.");
    call.session.enter(View::vty, std::to_string(a) + (b != a ? "-" + std::to_string(b) : ""));
  };
  Node& first = root(g, View::system)
                    .kw("user-interface", "Enter the view of terminal lines")
                    .kw("vty", "Virtual terminal (telnet) lines")
                    .integer("first", 0, 63, "First line number");
  first.run(enter);
  first.integer("last", 0, 63, "Last line number").run(enter);

  Node& r = root(g, View::vty);
  Node& undo = r.kw("undo", "Cancel current setting");
  Node& am = r.kw("authentication-mode", "How telnet users log in");
  const std::pair<const char*, config::VtyAuthMode> modes[] = {
      {"none", config::VtyAuthMode::none},
      {"password", config::VtyAuthMode::password},
      {"scheme", config::VtyAuthMode::scheme}};
  const char* helps[] = {"No login", "The line password (set authentication password)",
                         "A local user with service-type telnet or ssh"};
  for (std::size_t i = 0; i < 3; ++i) {
    auto mode = modes[i].second;
    am.kw(modes[i].first, helps[i]).run([mode](Call& call) {
      vty_edit(call, [&](UserInterfaceVty& v) -> std::string {
        if (mode == config::VtyAuthMode::password && v.password.empty())
          return "Error: Configure the password first (set authentication password).";
        if (mode != config::VtyAuthMode::scheme && v.protocol == config::VtyProtocol::ssh)
          return "Error: SSH needs authentication-mode scheme: set protocol inbound all first.";
        v.auth_mode = mode;
        return {};
      });
    });
  }
  undo.kw("authentication-mode", "Restore scheme login").run([](Call& call) {
    vty_edit(call, [](UserInterfaceVty& v) {
      v.auth_mode = config::VtyAuthMode::scheme;
      return std::string{};
    });
  });
  add_secret_args(
      r.kw("set", "Set a line attribute")
          .kw("authentication", "Login settings")
          .kw("password", "Password of the lines"),
      [](Call& call) {
        auto s = secret_from(call);
        vty_edit(call, [&](UserInterfaceVty& v) {
          v.password = s;
          return std::string{};
        });
      },
      16);
  undo.kw("set", "Set a line attribute")
      .kw("authentication", "Login settings")
      .kw("password", "Remove the line password")
      .run([](Call& call) {
        vty_edit(call, [](UserInterfaceVty& v) -> std::string {
          if (v.auth_mode == config::VtyAuthMode::password)
            return "Error: authentication-mode password needs the password: change the mode first.";
          v.password = {};
          return {};
        });
      });
  auto idle = [](Call& call) {
    std::uint32_t s =
        call.number("minutes") * 60 + (call.has("seconds") ? call.number("seconds") : 0);
    vty_edit(call, [&](UserInterfaceVty& v) {
      v.idle_timeout_s = s;
      return std::string{};
    });
  };
  Node& mins = r.kw("idle-timeout", "Disconnect idle users")
                   .integer("minutes", 0, 35791, "Minutes (default 10; 0 0: never)");
  mins.run(idle);
  mins.integer("seconds", 0, 59, "Seconds").run(idle);
  undo.kw("idle-timeout", "Restore the default idle timeout (10 minutes)").run([](Call& call) {
    vty_edit(call, [](UserInterfaceVty& v) {
      v.idle_timeout_s = 600;
      return std::string{};
    });
  });
  r.kw("screen-length", "Lines per screen page")
      .integer("lines", 0, 512, "Lines (default 24, 0: no paging)")
      .run([](Call& call) {
        auto n = call.number("lines");
        vty_edit(call, [&](UserInterfaceVty& v) {
          v.screen_length = n;
          return std::string{};
        });
      });
  undo.kw("screen-length", "Restore the default page length (24)").run([](Call& call) {
    vty_edit(call, [](UserInterfaceVty& v) {
      v.screen_length = 24;
      return std::string{};
    });
  });

  // password-control login-attempt N [exceed {lock | lock-time MIN | unlock}] (system view)
  using Exceed = config::LoginAttemptPolicy::Exceed;
  auto attempt = [](Exceed exceed) {
    return [exceed](Call& call) {
      config::LoginAttemptPolicy p;
      p.attempts = call.number("attempts");
      p.exceed = exceed;
      p.lock_minutes = exceed == Exceed::lock_time ? call.number("minutes") : 1;
      policy_edit(call, p);
    };
  };
  Node& sys = root(g, View::system);
  Node& la = sys.kw("password-control", "Password control")
                 .kw("login-attempt", "Failed telnet and SSH logins allowed")
                 .integer("attempts", 2, 10, "Failed logins before the action (default 3)");
  la.run([](Call& call) {
    config::LoginAttemptPolicy p;
    p.attempts = call.number("attempts");
    policy_edit(call, p);
  });
  Node& ex = la.kw("exceed", "Action when the attempts are used up");
  ex.kw("lock", "Lock until reset password-control blacklist").run(attempt(Exceed::lock));
  ex.kw("lock-time", "Lock for a while (default: 1 minute)")
      .integer("minutes", 1, 360, "Lock time in minutes")
      .run(attempt(Exceed::lock_time));
  ex.kw("unlock", "Never lock").run(attempt(Exceed::unlock));
  sys.kw("undo", "Cancel current setting")
      .kw("password-control", "Password control")
      .kw("login-attempt", "Restore 3 attempts, then a lock of 1 minute")
      .run([](Call& call) { policy_edit(call, {}); });

  // `... blacklist [user-name U | ip A]`
  auto blacklist = [](Node& parent, const char* help, const Action& act) {
    Node& bl = parent.kw("password-control", "Password control").kw("blacklist", help);
    bl.run(act);
    bl.kw("user-name", "By user name").string("user", 1, 80, "User name").run(act);
    bl.kw("ip", "By source address").ipv4("ip", "IPv4 address").run(act);
  };
  for (Node& d : display_roots(g))
    blacklist(d, "Users and addresses with failed telnet and SSH logins", display_blacklist);
  blacklist(root(g, View::user).kw("reset", "Reset operation"),
            "Unlock and forget failed telnet and SSH logins", reset_blacklist);
}

}  // namespace vpdnd::cli::lang
