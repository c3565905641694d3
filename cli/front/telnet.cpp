// DOC: the telnet server: the login (per `user-interface vty 0 4`: authentication-mode
// none | password | scheme) and then the shell, for each connection the TerminalListener
// (cli/front/listener.hpp: slots, the accept thread) hands over. The running config is
// only read through ProtocolThread::call, briefly; no lock is held while a connection thread reads
// or writes its socket, so a silent client only stalls itself.
// Login defences beyond the listener's: a connection has kLoginTime from the connect to
// log in, then it is closed. A failed login costs the client ~2 s, is logged (user and
// peer, never the password) and counted by the LoginGuard (per address and per user name,
// `password-control login-attempt`); three failures close the connection.
#include <sys/socket.h>

#include "cli/front.hpp"
#include "cli/front/io.hpp"
#include "cli/front/listener.hpp"
#include "cli/front/login_guard.hpp"
#include "common/log.hpp"

namespace vpdnd::cli {
namespace {

constexpr auto kFailedLoginDelay = std::chrono::seconds(2);
constexpr int kLoginAttempts = 3;

using front::Connection;
using front::pause_for;

// The telnet server and the VTY lines let a new connection in.
bool takes_connections(const config::RunningConfig& c) {
  return c.telnet_server && c.vty.allows_telnet();
}

}  // namespace

struct TelnetServer::Impl {
  explicit Impl(FrontContext c) : context(std::move(c)) {}

  FrontContext context;
  front::TerminalListener* listener = nullptr;

  config::UserInterfaceVty vty_settings() {
    try {
      return context.engine.call([this] { return context.store.running().vty; });
    } catch (const std::exception&) {
      return {};
    }
  }

  bool check_scheme(const std::string& user, const std::string& password) {
    try {
      return context.engine.call([&] {
        const auto& users = context.store.running().local_users;
        auto it = users.find(user);
        if (it == users.end()) return false;
        const auto& u = it->second;
        return u.active && u.has_service(config::ServiceType::telnet) && !u.password.empty() &&
               u.password.plain == password;
      });
    } catch (const std::exception&) {
      return false;
    }
  }

  // Says why a locked address or user may not log in, and logs it.
  bool refused(Connection& c, LoginGuard::Verdict v, const std::string& user) {
    if (v == LoginGuard::Verdict::allowed) return false;
    bool address = v == LoginGuard::Verdict::address_locked;
    front::write_all(
        c.fd, address
                  ? "\r\n% Too many failed logins from your address, try again later.\r\n"
                  : "\r\n% The user is locked after too many failed logins, try again later.\r\n");
    log_warning(DebugModule::aaa, std::string("event=login_refused reason=") +
                                      (address ? "address_locked" : "user_locked") +
                                      (user.empty() ? "" : " user=" + user) + " peer=" + c.peer);
    return true;
  }

  // Returns the logged-in user ("" for modes without a user name), or nullopt.
  std::optional<std::string> login(Connection& c, front::KeyReader& keys,
                                   const config::UserInterfaceVty& vty,
                                   std::chrono::steady_clock::time_point deadline) {
    if (vty.auth_mode == config::VtyAuthMode::none) return std::string();
    if (vty.auth_mode == config::VtyAuthMode::password && vty.password.empty()) {
      front::write_all(c.fd, "\r\n% Password is required, but not set.\r\n");
      log_warning(DebugModule::aaa, "event=login_failed reason=no_vty_password peer=" + c.peer);
      return std::nullopt;
    }
    const std::string mode = vty.auth_mode == config::VtyAuthMode::scheme ? "scheme" : "password";
    auto timed_out = [&] {
      if (c.stop.load() || std::chrono::steady_clock::now() < deadline) return;
      front::write_all(c.fd, "\r\n% Login timed out.\r\n");
      log_warning(DebugModule::aaa, "event=login_failed reason=timeout peer=" + c.peer);
    };
    for (int attempt = 0; attempt < kLoginAttempts && !c.stop.load(); ++attempt) {
      std::string user;
      if (vty.auth_mode == config::VtyAuthMode::scheme) {
        front::write_all(c.fd, "\r\nUsername:");
        auto u = keys.line(true, deadline, 80);
        if (!u) return timed_out(), std::nullopt;
        user = *u;
        if (user.empty()) {
          --attempt;  // an empty Enter only asks again, like a router does
          continue;
        }
      } else {
        front::write_all(c.fd, "\r\n");
      }
      front::write_all(c.fd, "Password:");
      auto pw = keys.line(false, deadline, 128);
      if (!pw) return timed_out(), std::nullopt;
      // A locked user is not even checked, so a guess made while locked tells nothing.
      auto verdict = front::on_login_guard(
          context, [&](LoginGuard& g, const auto&) { return g.check(c.address, user); });
      if (refused(c, verdict, user)) return std::nullopt;
      bool ok = vty.auth_mode == config::VtyAuthMode::scheme ? check_scheme(user, *pw)
                                                             : *pw == vty.password.plain;
      if (ok) {
        front::on_login_guard(context, [&](LoginGuard& g, const auto&) {
          g.succeeded(c.address, user);
          return 0;
        });
        log_info(DebugModule::aaa, "event=login mode=" + mode +
                                       (user.empty() ? "" : " user=" + user) + " peer=" + c.peer);
        return user;
      }
      bool locked = front::on_login_guard(context, [&](LoginGuard& g, const auto& policy) {
        return g.failed(c.address, user, policy);
      });
      log_warning(DebugModule::aaa, "event=login_failed mode=" + mode +
                                        (user.empty() ? "" : " user=" + user) + " peer=" + c.peer +
                                        " attempt=" + std::to_string(attempt + 1) +
                                        (locked ? " locked=yes" : ""));
      pause_for(kFailedLoginDelay, c.stop);
      front::write_all(c.fd, "\r\n% Authentication failed.\r\n");
      if (locked) return std::nullopt;
    }
    return std::nullopt;
  }

  void serve(Connection& c) {
    // A client that stops reading makes our blocking writes fail after this long instead of
    // holding its thread (and its login slot) for ever.
    timeval send_timeout{30, 0};
    ::setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    // We echo (WILL ECHO) and want character mode (WILL/DO SUPPRESS-GO-AHEAD), so that
    // passwords are not shown and the terminal sees every key; and the window size (DO NAWS).
    front::TelnetCodec codec;
    if (!front::write_all(c.fd, front::TelnetCodec::greeting())) return;
    front::write_all(c.fd,
                     "\r\n********************************************************\r\n"
                     "*  vpdnd: VPDN (L2TP LAC/LNS) appliance, Comware shell  *\r\n"
                     "********************************************************\r\n");
    auto vty = vty_settings();
    auto verdict = front::check_address(context, c.address);
    if (!verdict || refused(c, *verdict, {})) return;
    front::KeyReader keys(c.fd, &codec, c.stop);
    std::optional<std::string> user;
    try {
      user = login(c, keys, vty, c.deadline);
    } catch (const std::exception&) {
      return;  // the engine is stopping
    }
    if (!user || c.stop.load()) return;
    if (!listener->log_in(c)) {
      front::write_all(c.fd, "\r\n% The number of telnet sessions has reached the limit.\r\n");
      log_warning(DebugModule::aaa, "event=telnet_refused reason=session_limit peer=" + c.peer);
      return;
    }
    std::unique_ptr<CommandSession> session;
    try {
      session = context.make_session(SessionOrigin::telnet, *user);
    } catch (const std::exception& e) {
      front::write_all(c.fd, std::string("\r\n% Cannot start a shell: ") + e.what() + "\r\n");
      return;
    }
    if (!session) return;
    TerminalOptions options;
    options.telnet = true;
    options.codec = &codec;
    options.idle_timeout_s = vty.idle_timeout_s;
    options.peer = c.peer;
    options.user = *user;
    front::write_all(c.fd, "\r\n");
    run_terminal(context, *session, c.fd, options, c.stop);
    log_info(DebugModule::aaa, "event=logout" + (user->empty() ? std::string() : " user=" + *user) +
                                   " peer=" + c.peer);
  }
};

TelnetServer::TelnetServer(FrontContext context)
    : impl_(std::make_unique<Impl>(std::move(context))) {
  listener_ = std::make_unique<front::TerminalListener>(front::TerminalListener::Service{
      .name = "telnet",
      .event = "telnet",
      .enabled = [this] { return front::read_running(impl_->context, takes_connections); },
      .serve = [this](Connection& c) { impl_->serve(c); },
      .source_busy_text = "% Too many logins in progress from your address, try again later.\r\n",
      .full_text = "% The number of telnet sessions has reached the limit.\r\n",
  });
  impl_->listener = listener_.get();
}

// The connection threads use impl_: they end before it goes.
TelnetServer::~TelnetServer() {
  stop();
}

}  // namespace vpdnd::cli
