// DOC: the telnet server. One accept thread; one thread per connection running the login
// (per `user-interface vty 0 4`: authentication-mode none | password | scheme) and then the
// libcli shell. The running config is only read through Engine::call, briefly; no lock is
// held while a connection thread reads or writes its socket, so a silent client only
// stalls itself. A failed login costs the client ~2 s and is logged (user and peer, never
// the password); three failures close the connection.
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
#include "common/log.hpp"

namespace vpdnd::cli {
namespace {

constexpr auto kLoginLineTimeout = std::chrono::seconds(60);
constexpr auto kFailedLoginDelay = std::chrono::seconds(2);
constexpr int kLoginAttempts = 3;

struct Connection {
  int fd = -1;
  std::string peer;
  std::thread thread;
  std::atomic<bool> finished{false};
};

std::string peer_name(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
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
      std::string peer = peer_name(addr);
      bool enabled = true;
      try {
        enabled = context.engine.call([this] { return context.store.running().telnet_server; });
      } catch (const std::exception&) {
      }
      if (!enabled) {
        ::close(fd);
        continue;
      }
      if (fd >= FD_SETSIZE) {  // libcli select()s on the fd
        front::write_all(fd, "% Too many open files, try again later.\r\n");
        ::close(fd);
        continue;
      }
      bool full = false;
      {
        std::lock_guard lock(mutex);  // list bookkeeping only; no I/O under it
        full = connections.size() >= kMaxSessions;
        if (!full) {
          auto conn = std::make_unique<Connection>();
          conn->fd = fd;
          conn->peer = peer;
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
      if (full) {
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

  // Returns the logged-in user ("" for modes without a user name), or nullopt.
  std::optional<std::string> login(Connection& c, front::KeyReader& keys,
                                   const config::UserInterfaceVty& vty) {
    using std::chrono::steady_clock;
    if (vty.auth_mode == config::VtyAuthMode::none) return std::string();
    if (vty.auth_mode == config::VtyAuthMode::password && vty.password.empty()) {
      front::write_all(c.fd, "\r\n% Password is required, but not set.\r\n");
      log_warning(DebugModule::aaa, "event=login_failed reason=no_vty_password peer=" + c.peer);
      return std::nullopt;
    }
    for (int attempt = 0; attempt < kLoginAttempts && !stop.load(); ++attempt) {
      std::string user;
      if (vty.auth_mode == config::VtyAuthMode::scheme) {
        front::write_all(c.fd, "\r\nUsername:");
        auto u = keys.line(true, steady_clock::now() + kLoginLineTimeout, 80);
        if (!u) return std::nullopt;
        user = *u;
        if (user.empty()) {
          --attempt;  // an empty Enter only asks again, like a router does
          continue;
        }
      } else {
        front::write_all(c.fd, "\r\n");
      }
      front::write_all(c.fd, "Password:");
      auto pw = keys.line(false, steady_clock::now() + kLoginLineTimeout, 128);
      if (!pw) return std::nullopt;
      bool ok = vty.auth_mode == config::VtyAuthMode::scheme ? check_scheme(user, *pw)
                                                             : *pw == vty.password.plain;
      if (ok) {
        log_info(
            DebugModule::aaa,
            "event=login mode=" +
                std::string(vty.auth_mode == config::VtyAuthMode::scheme ? "scheme" : "password") +
                (user.empty() ? "" : " user=" + user) + " peer=" + c.peer);
        return user;
      }
      log_warning(
          DebugModule::aaa,
          "event=login_failed mode=" +
              std::string(vty.auth_mode == config::VtyAuthMode::scheme ? "scheme" : "password") +
              (user.empty() ? "" : " user=" + user) + " peer=" + c.peer +
              " attempt=" + std::to_string(attempt + 1));
      pause_for(kFailedLoginDelay, stop);
      front::write_all(c.fd, "\r\n% Authentication failed.\r\n");
    }
    return std::nullopt;
  }

  void serve(Connection& c) {
    // We echo (WILL ECHO) and want character mode (WILL/DO SUPPRESS-GO-AHEAD), so that
    // passwords are not shown and libcli sees every key.
    static const char negotiate[] = "\xFF\xFB\x01\xFF\xFB\x03\xFF\xFD\x03";
    if (!front::write_all(c.fd, std::string_view(negotiate, sizeof negotiate - 1))) return;
    front::write_all(c.fd,
                     "\r\n********************************************************\r\n"
                     "*  vpdnd: VPDN (L2TP LAC/LNS) appliance, Comware shell  *\r\n"
                     "********************************************************\r\n");
    auto vty = vty_settings();
    front::KeyReader keys(c.fd, true, stop);
    auto user = login(c, keys, vty);
    if (!user || stop.load()) return;
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
    options.idle_timeout_s = vty.idle_timeout_s;
    options.peer = c.peer;
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
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, bind_address.c_str(), &addr.sin_addr) != 1)
    return "invalid telnet bind address '" + bind_address + "'";
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    std::string err = "cannot bind telnet to " + bind_address + ":" + std::to_string(port) + ": " +
                      std::strerror(errno);
    ::close(fd);
    return err;
  }
  if (::listen(fd, 32) < 0) {
    std::string err = std::string("listen: ") + std::strerror(errno);
    ::close(fd);
    return err;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
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
