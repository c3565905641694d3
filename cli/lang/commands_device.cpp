// VTY lines (`user-interface vty A [B]`): how telnet users log in, idle timeout, paging.
// All VTY lines share one setting in the model; the view remembers the range typed.
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::RunningConfig;
using config::UserInterfaceVty;

void vty_edit(Call& call, const std::function<std::string(UserInterfaceVty&)>& fn) {
  call.edit({ConfigSection::user_interface, "vty"}, [&](RunningConfig& c) { return fn(c.vty); });
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
                         "A local user with service-type telnet"};
  for (std::size_t i = 0; i < 3; ++i) {
    auto mode = modes[i].second;
    am.kw(modes[i].first, helps[i]).run([mode](Call& call) {
      vty_edit(call, [&](UserInterfaceVty& v) -> std::string {
        if (mode == config::VtyAuthMode::password && v.password.empty())
          return "Error: Configure the password first (set authentication password).";
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
}

}  // namespace vpdnd::cli::lang
