// DOC: the telnet server. One accept thread; one thread per connection running the login
// (per `user-interface vty 0 4`: authentication-mode none | password | scheme) and then the
// shell. The running config is only read through Engine::call, briefly; no lock is
// held while a connection thread reads or writes its socket, so a silent client only
// stalls itself.
// Login defences: a connection has kLoginTime to log in, then it is closed. Connections
// not logged in yet have their own slots (kMaxPending, at most kMaxPendingPerSource from
// one address), apart from the kMaxSessions of logged-in users, so idle connections can
// never take a logged-in operator's slot; when the pending slots are full, the oldest
// pending connection makes room. A failed login costs the client ~2 s, is logged (user and
// peer, never the password) and counted by the LoginGuard (per address and per user name,
// `password-control login-attempt`); three failures close the connection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "cli/front.hpp"
#include "cli/front/io.hpp"
#include "cli/front/login_guard.hpp"
#include "common/log.hpp"

namespace vpdnd::cli {
namespace {

constexpr auto kFailedLoginDelay = std::chrono::seconds(2);
constexpr int kLoginAttempts = 3;

struct Connection {
  int fd = -1;
  std::string peer;          // "A.B.C.D:port"
  std::string address;       // "A.B.C.D"
  std::uint64_t serial = 0;  // accept order: the oldest pending connection is evicted first
  std::thread thread;
  std::atomic<bool> logged_in{false};
  std::atomic<bool> finished{false};
  std::atomic<bool> evicted{false};  // shut down to make room; its thread is still ending
  bool gone() const { return finished.load() || evicted.load(); }
};

std::string address_of(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return buf;
}

// Sleeps up to `d`, waking early on stop.
void pause_for(std::chrono::steady_clock::duration d, const std::atomic<bool>& stop) {
  auto end = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

struct TelnetServer::Impl {
  explicit Impl(FrontContext c) : context(std::move(c)) {}

  FrontContext context;
  int listen_fd = -1;
  int wake[2] = {-1, -1};
  std::atomic<bool> stop{false};
  std::thread acceptor;
  mutable std::mutex mutex;  // guards connections (list operations only, never I/O)
  std::list<std::unique_ptr<Connection>> connections;
  std::uint64_t next_serial = 0;

  enum class Admission { accept, source_busy, full };
  // Under `mutex`. Makes room for a new pending connection from `address` if it may have
  // one (evicting the oldest pending connection when all pending slots are taken).
  Admission admit_locked(const std::string& address) {
    std::size_t pending = 0, from_source = 0;
    Connection* oldest = nullptr;
    for (auto& c : connections) {
      if (c->gone() || c->logged_in.load()) continue;
      ++pending;
      if (c->address == address) ++from_source;
      if (!oldest || c->serial < oldest->serial) oldest = c.get();
    }
    if (from_source >= TelnetServer::kMaxPendingPerSource) return Admission::source_busy;
    if (pending >= TelnetServer::kMaxPending) {
      if (!oldest) return Admission::full;
      // Its thread sees the end of input and finishes; the slot is free from now on.
      ::shutdown(oldest->fd, SHUT_RDWR);
      oldest->evicted.store(true);
      log_warning(DebugModule::aaa,
                  "event=telnet_login_evicted reason=pending_limit peer=" + oldest->peer);
    }
    return Admission::accept;
  }

  // Under `mutex`.
  std::size_t logged_in_locked() const {
    std::size_t n = 0;
    for (auto& c : connections)
      if (!c->gone() && c->logged_in.load()) ++n;
    return n;
  }

  void accept_loop() {
    while (!stop.load()) {
      reap(false);
      pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
      int r = ::poll(p, 2, 1000);
      if (r < 0 && errno != EINTR) break;
      if (r <= 0 || stop.load()) continue;
      if (!(p[0].revents & POLLIN)) continue;
      sockaddr_in addr{};
      socklen_t len = sizeof addr;
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string address = address_of(addr);
      std::string peer = address + ":" + std::to_string(ntohs(addr.sin_port));
      bool enabled = true;
      try {
        enabled = context.engine.call([this] {
          const auto& c = context.store.running();
          return c.telnet_server && c.vty.allows_telnet();
        });
      } catch (const std::exception&) {
      }
      if (!enabled) {
        ::close(fd);
        continue;
      }
      // A client that stops reading makes our blocking writes fail after this long instead of
      // holding its thread (and its login slot) for ever.
      timeval send_timeout{30, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
      Admission admission;
      {
        std::lock_guard lock(mutex);  // list bookkeeping only; no I/O under it
        admission = admit_locked(address);
        if (admission == Admission::accept) {
          auto conn = std::make_unique<Connection>();
          conn->fd = fd;
          conn->peer = peer;
          conn->address = address;
          conn->serial = ++next_serial;
          Connection* c = conn.get();
          conn->thread = std::thread([this, c] {
            serve(*c);
            ::shutdown(c->fd,
                       SHUT_RDWR);  // the client sees the end now; the fd is closed at reaping
            c->finished.store(true);
          });
          connections.push_back(std::move(conn));
        }
      }
      if (admission == Admission::source_busy) {
        front::write_all(fd,
                         "% Too many logins in progress from your address, try again later.\r\n");
        ::close(fd);
        log_warning(DebugModule::aaa,
                    "event=telnet_refused reason=source_pending_limit peer=" + peer);
      } else if (admission == Admission::full) {
        front::write_all(fd, "% The number of telnet sessions has reached the limit.\r\n");
        ::close(fd);
        log_warning(DebugModule::aaa, "event=telnet_refused reason=session_limit peer=" + peer);
      }
    }
  }

  // Joins finished connections (all of them when `all`, after shutting their sockets).
  void reap(bool all) {
    std::list<std::unique_ptr<Connection>> done;
    {
      std::lock_guard lock(mutex);
      for (auto it = connections.begin(); it != connections.end();) {
        if (all || (*it)->finished.load()) {
          if (all) ::shutdown((*it)->fd, SHUT_RDWR);
          done.push_back(std::move(*it));
          it = connections.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : done) {
      if (c->thread.joinable()) c->thread.join();
      ::close(c->fd);
    }
  }

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

  template <class F>
  auto on_guard(F&& f) -> decltype(f(process_login_guard(), config::LoginAttemptPolicy{})) {
    return context.engine.call(
        [&] { return f(process_login_guard(), context.store.running().login_attempt); });
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
      if (stop.load() || std::chrono::steady_clock::now() < deadline) return;
      front::write_all(c.fd, "\r\n% Login timed out.\r\n");
      log_warning(DebugModule::aaa, "event=login_failed reason=timeout peer=" + c.peer);
    };
    for (int attempt = 0; attempt < kLoginAttempts && !stop.load(); ++attempt) {
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
      auto verdict = on_guard([&](LoginGuard& g, const auto&) { return g.check(c.address, user); });
      if (refused(c, verdict, user)) return std::nullopt;
      bool ok = vty.auth_mode == config::VtyAuthMode::scheme ? check_scheme(user, *pw)
                                                             : *pw == vty.password.plain;
      if (ok) {
        on_guard([&](LoginGuard& g, const auto&) {
          g.succeeded(c.address, user);
          return 0;
        });
        log_info(DebugModule::aaa, "event=login mode=" + mode +
                                       (user.empty() ? "" : " user=" + user) + " peer=" + c.peer);
        return user;
      }
      bool locked = on_guard(
          [&](LoginGuard& g, const auto& policy) { return g.failed(c.address, user, policy); });
      log_warning(DebugModule::aaa, "event=login_failed mode=" + mode +
                                        (user.empty() ? "" : " user=" + user) + " peer=" + c.peer +
                                        " attempt=" + std::to_string(attempt + 1) +
                                        (locked ? " locked=yes" : ""));
      pause_for(kFailedLoginDelay, stop);
      front::write_all(c.fd, "\r\n% Authentication failed.\r\n");
      if (locked) return std::nullopt;
    }
    return std::nullopt;
  }

  void serve(Connection& c) {
    // We echo (WILL ECHO) and want character mode (WILL/DO SUPPRESS-GO-AHEAD), so that
    // passwords are not shown and the terminal sees every key; and the window size (DO NAWS).
    front::TelnetCodec codec;
    if (!front::write_all(c.fd, front::TelnetCodec::greeting())) return;
    front::write_all(c.fd,
                     "\r\n********************************************************\r\n"
                     "*  vpdnd: VPDN (L2TP LAC/LNS) appliance, Comware shell  *\r\n"
                     "********************************************************\r\n");
    auto deadline = std::chrono::steady_clock::now() + TelnetServer::kLoginTime;
    auto vty = vty_settings();
    LoginGuard::Verdict verdict = LoginGuard::Verdict::allowed;
    try {
      verdict = on_guard([&](LoginGuard& g, const auto&) { return g.check(c.address, {}); });
    } catch (const std::exception&) {
      return;
    }
    if (refused(c, verdict, {})) return;
    front::KeyReader keys(c.fd, &codec, stop);
    std::optional<std::string> user;
    try {
      user = login(c, keys, vty, deadline);
    } catch (const std::exception&) {
      return;  // the engine is stopping
    }
    if (!user || stop.load()) return;
    bool full = false;
    {
      std::lock_guard lock(mutex);
      full = logged_in_locked() >= TelnetServer::kMaxSessions;
      if (!full) c.logged_in.store(true);
    }
    if (full) {
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
    run_terminal(context, *session, c.fd, options, stop);
    log_info(DebugModule::aaa, "event=logout" + (user->empty() ? std::string() : " user=" + *user) +
                                   " peer=" + c.peer);
  }
};

TelnetServer::TelnetServer(FrontContext context)
    : impl_(std::make_unique<Impl>(std::move(context))) {}

TelnetServer::~TelnetServer() {
  stop();
}

std::string TelnetServer::start(const std::string& bind_address, std::uint16_t port) {
  ::signal(SIGPIPE, SIG_IGN);
  int fd = -1;
  if (std::string err = front::listen_tcp("telnet", bind_address, port, fd, port_); !err.empty())
    return err;
  if (::pipe2(impl_->wake, O_CLOEXEC) < 0) {
    ::close(fd);
    return std::string("pipe: ") + std::strerror(errno);
  }
  impl_->listen_fd = fd;
  impl_->acceptor = std::thread([this] { impl_->accept_loop(); });
  return {};
}

void TelnetServer::stop() {
  if (!impl_ || impl_->listen_fd < 0) return;
  impl_->stop.store(true);
  if (impl_->wake[1] >= 0) {
    char b = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake[1], &b, 1);
  }
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  impl_->reap(true);
  ::close(impl_->listen_fd);
  impl_->listen_fd = -1;
  for (int& w : impl_->wake) {
    if (w >= 0) ::close(w);
    w = -1;
  }
}

std::size_t TelnetServer::active_sessions() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (auto& c : impl_->connections)
    if (!c->finished.load()) ++n;
  return n;
}

}  // namespace vpdnd::cli
