#include "cli/front/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/front/io.hpp"
#include "common/log.hpp"

namespace vpdnd::cli::front {
namespace {

constexpr int kTickMs = 500;

std::string address_of(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return buf;
}

}  // namespace

void Connection::drop() {
  stop.store(true);
  ::shutdown(fd, SHUT_RDWR);
}

void pause_for(std::chrono::steady_clock::duration d, const std::atomic<bool>& stop) {
  auto end = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::string TerminalListener::start(const std::string& bind_address, std::uint16_t port) {
  // A client may vanish while we write to it: that is an error to handle, not a signal.
  ::signal(SIGPIPE, SIG_IGN);
  int fd = -1;
  if (std::string err = listen_tcp(service_.name, bind_address, port, fd, port_); !err.empty())
    return err;
  if (::pipe2(wake_, O_CLOEXEC) < 0) {
    ::close(fd);
    return std::string("pipe: ") + std::strerror(errno);
  }
  listen_fd_ = fd;
  acceptor_ = std::thread([this] { accept_loop(); });
  return {};
}

void TerminalListener::stop() {
  if (listen_fd_ < 0) return;
  stopping_.store(true);
  if (wake_[1] >= 0) {
    char b = 1;
    [[maybe_unused]] auto n = ::write(wake_[1], &b, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  reap(true);
  ::close(listen_fd_);
  listen_fd_ = -1;
  for (int& w : wake_) {
    if (w >= 0) ::close(w);
    w = -1;
  }
}

std::size_t TerminalListener::active_sessions() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto& c : connections_)
    if (!c->finished.load()) ++n;
  return n;
}

bool TerminalListener::log_in(Connection& c) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto& other : connections_)
    if (!other->gone() && other->logged_in.load()) ++n;
  if (n >= service_.limits.max_sessions) return false;
  c.logged_in.store(true);
  return true;
}

void TerminalListener::for_each(const std::function<void(Connection&)>& f) {
  std::lock_guard lock(mutex_);
  for (auto& c : connections_)
    if (!c->gone()) f(*c);
}

// Under `mutex_`. Makes room for a new pending connection from `address` if it may have
// one (evicting the oldest pending connection when all pending slots are taken).
TerminalListener::Admission TerminalListener::admit_locked(const std::string& address) {
  std::size_t pending = 0, from_source = 0;
  Connection* oldest = nullptr;
  for (auto& c : connections_) {
    if (c->gone() || c->logged_in.load()) continue;
    ++pending;
    if (c->address == address) ++from_source;
    if (!oldest || c->serial < oldest->serial) oldest = c.get();
  }
  if (from_source >= service_.limits.max_pending_per_source) return Admission::source_busy;
  if (pending >= service_.limits.max_pending) {
    if (!oldest) return Admission::full;
    // Its thread sees the end of input and finishes; the slot is free from now on.
    oldest->drop();
    oldest->evicted.store(true);
    log_warning(DebugModule::aaa, "event=" + service_.event +
                                      "_login_evicted reason=pending_limit peer=" + oldest->peer);
  }
  return Admission::accept;
}

void TerminalListener::accept_loop() {
  auto last_tick = std::chrono::steady_clock::now();
  while (!stopping_.load()) {
    reap(false);
    if (service_.tick &&
        std::chrono::steady_clock::now() - last_tick >= std::chrono::milliseconds(kTickMs)) {
      service_.tick();
      last_tick = std::chrono::steady_clock::now();
    }
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int r = ::poll(p, 2, kTickMs);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0 || stopping_.load()) continue;
    if (!(p[0].revents & POLLIN)) continue;
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string address = address_of(addr);
    std::string peer = address + ":" + std::to_string(ntohs(addr.sin_port));
    bool enabled = false;
    try {
      enabled = service_.enabled();
    } catch (const std::exception&) {
    }
    if (!enabled) {
      ::close(fd);
      continue;
    }
    Admission admission;
    {
      std::lock_guard lock(mutex_);  // list bookkeeping only; no I/O under it
      admission = admit_locked(address);
      if (admission == Admission::accept) {
        auto conn = std::make_unique<Connection>();
        conn->fd = fd;
        conn->peer = peer;
        conn->address = address;
        conn->serial = ++next_serial_;
        conn->deadline = std::chrono::steady_clock::now() + service_.limits.login_time;
        Connection* c = conn.get();
        conn->thread = std::thread([this, c] {
          service_.serve(*c);
          ::shutdown(c->fd, SHUT_RDWR);  // the client sees the end now; the fd is closed at reaping
          c->finished.store(true);
        });
        connections_.push_back(std::move(conn));
      }
    }
    if (admission == Admission::accept) continue;
    const bool busy = admission == Admission::source_busy;
    const std::string& text = busy ? service_.source_busy_text : service_.full_text;
    if (!text.empty()) write_all(fd, text);
    ::close(fd);
    log_warning(DebugModule::aaa, "event=" + service_.event + "_refused reason=" +
                                      (busy ? "source_pending_limit" : "session_limit") +
                                      " peer=" + peer);
  }
}

// Joins finished connections (all of them when `all`, after dropping them).
void TerminalListener::reap(bool all) {
  std::list<std::unique_ptr<Connection>> done;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (all || (*it)->finished.load()) {
        if (all) (*it)->drop();
        done.push_back(std::move(*it));
        it = connections_.erase(it);
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

}  // namespace vpdnd::cli::front

namespace vpdnd::cli {

TerminalServer::TerminalServer() = default;
TerminalServer::~TerminalServer() = default;

std::string TerminalServer::start(const std::string& bind_address, std::uint16_t port) {
  return listener_->start(bind_address, port);
}

void TerminalServer::stop() {
  if (listener_) listener_->stop();
}

std::uint16_t TerminalServer::port() const {
  return listener_->port();
}

std::size_t TerminalServer::active_sessions() const {
  return listener_->active_sessions();
}

}  // namespace vpdnd::cli
