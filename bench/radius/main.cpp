// radius_load: N users authenticate at once through the production RADIUS client against a
// fake server on 127.0.0.1 that answers every Access-Request after a fixed delay (default
// 1.5 s), correctly signed. Run 1: authentication alone. Run 2: the same after M accounting
// Stops were sent to an accounting server that never answers (a bound, unread socket).
// Prints p50/p99/max of the time from access_request() to its callback. Loopback only;
// bounded in count and time.
//   radius_load [users=1000] [delay_ms=1500] [stops=1000]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <thread>

#include "aaa/aaa.hpp"
#include "aaa/radius/codec.hpp"
#include "common/protocol_thread.hpp"

using namespace vpdnd;
using namespace vpdnd::aaa;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kSecret = "bench-secret";

int udp_socket(std::uint16_t* port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// Answers each Access-Request `delay` after it arrived.
class DelayedServer {
 public:
  explicit DelayedServer(std::chrono::milliseconds delay) : delay_(delay) {
    fd_ = udp_socket(&port_);
    thread_ = std::thread([this] { run(); });
  }
  ~DelayedServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  struct Due {
    SteadyClock::time_point at;
    std::vector<std::uint8_t> reply;
    sockaddr_in to;
  };
  void run() {
    std::deque<Due> due;  // arrival order = due order (fixed delay)
    while (!stop_) {
      int wait = 50;
      if (!due.empty()) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(due.front().at -
                                                                        SteadyClock::now());
        wait = static_cast<int>(std::clamp<long>(ms.count(), 0, 50));
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, wait) == 1) {
        std::vector<std::uint8_t> b(4096);
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n >= 20) {
          b.resize(static_cast<std::size_t>(n));
          radius::Authenticator ra{};
          std::copy(b.begin() + 4, b.begin() + 20, ra.begin());
          due.push_back({SteadyClock::now() + delay_,
                         radius::encode_reply(PW_ACCESS_ACCEPT, b[1], ra, {}, kSecret, true),
                         from});
        }
      }
      while (!due.empty() && due.front().at <= SteadyClock::now()) {
        sendto(fd_, due.front().reply.data(), due.front().reply.size(), 0,
               reinterpret_cast<sockaddr*>(&due.front().to), sizeof due.front().to);
        due.pop_front();
      }
    }
  }
  std::chrono::milliseconds delay_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct Run {
  std::vector<double> latency_s;
  int accepted = 0;
};

Run authenticate_all(ProtocolThread& engine, RadiusClient& client, const RadiusTarget& target,
                     int users) {
  Run run;
  std::promise<void> all_done;
  auto remaining = std::make_shared<int>(users);
  run.latency_s.reserve(static_cast<std::size_t>(users));
  engine.call([&] {
    for (int i = 0; i < users; ++i) {
      RadiusAccessRequest r;
      r.user_name = "user" + std::to_string(i) + "@bench";
      r.credentials = PapCredentials{"pw"};
      const auto t0 = SteadyClock::now();
      client.access_request(target, r, [&, t0, remaining](RadiusAccessReply rep) {
        run.latency_s.push_back(std::chrono::duration<double>(SteadyClock::now() - t0).count());
        if (rep.outcome == RadiusOutcome::accept) ++run.accepted;
        if (--*remaining == 0) all_done.set_value();
      });
    }
  });
  auto f = all_done.get_future();
  if (f.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::fprintf(stderr, "not all answers within 60 s\n");
    std::exit(1);
  }
  return run;
}

void print(const char* name, const Run& r, int users) {
  std::printf("%-44s users=%d accepted=%d p50=%.3fs p99=%.3fs max=%.3fs\n", name, users, r.accepted,
              pct(r.latency_s, 0.50), pct(r.latency_s, 0.99), pct(r.latency_s, 1.0));
}

// A scripted server for the attack runs: receives one request, lets `forge` send its forged
// Access-Accept (from wherever it likes), then sends the real Access-Reject. The forged
// reply is refused when the user ends up rejected.
struct Scripted {
  int fd = -1;
  std::uint16_t port = 0;
  Scripted() { fd = udp_socket(&port); }
  ~Scripted() { close(fd); }
};

int bound_socket(const char* addr, std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr, &a.sin_addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("bind attacker");
    std::exit(1);
  }
  return fd;
}

bool attack(
    ProtocolThread& engine, RadiusClient& client, RadiusTarget target, const char* name,
    const std::function<void(const std::vector<std::uint8_t>& request, const sockaddr_in& to,
                             int server_fd, std::uint16_t server_port)>& forge) {
  Scripted server;
  target.scheme.primary_authentication = config::RadiusServer{Ipv4{0x7f000001}, server.port};
  target.scheme.response_timeout_s = 2;
  target.scheme.retry = 1;
  std::promise<RadiusOutcome> done;
  auto before = engine.call([&] { return client.statistics().total; });
  engine.call([&] {
    RadiusAccessRequest r;
    r.user_name = "victim";
    r.credentials = PapCredentials{"wrong"};
    client.access_request(target, r, [&](RadiusAccessReply rep) { done.set_value(rep.outcome); });
  });
  pollfd p{server.fd, POLLIN, 0};
  if (poll(&p, 1, 2000) != 1) return false;
  std::vector<std::uint8_t> req(4096);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ssize_t n =
      recvfrom(server.fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
  if (n < 20) return false;
  req.resize(static_cast<std::size_t>(n));
  forge(req, from, server.fd, server.port);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  radius::Authenticator ra{};
  std::copy(req.begin() + 4, req.begin() + 20, ra.begin());
  auto real = radius::encode_reply(PW_ACCESS_REJECT, req[1], ra, {}, kSecret, true);
  sendto(server.fd, real.data(), real.size(), 0, reinterpret_cast<sockaddr*>(&from), sizeof from);
  auto f = done.get_future();
  const bool answered = f.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  const RadiusOutcome outcome = answered ? f.get() : RadiusOutcome::error;
  auto after = engine.call([&] { return client.statistics().total; });
  const auto dropped = (after.bad_authenticator + after.bad_message_authenticator +
                        after.unknown_source + after.unknown_id + after.malformed) -
                       (before.bad_authenticator + before.bad_message_authenticator +
                        before.unknown_source + before.unknown_id + before.malformed);
  const bool refused = outcome == RadiusOutcome::reject && dropped == 1;
  std::printf("attack %-52s %s (user %s by the real reply; %llu reply dropped)\n", name,
              refused ? "REFUSED" : "ACCEPTED", std::string(to_string(outcome)).c_str(),
              static_cast<unsigned long long>(dropped));
  return refused;
}

}  // namespace

int main(int argc, char** argv) {
  const int users = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int delay_ms = argc > 2 ? std::atoi(argv[2]) : 1500;
  const int stops = argc > 3 ? std::atoi(argv[3]) : 1000;
  DelayedServer server{std::chrono::milliseconds(delay_ms)};
  std::uint16_t hole_port = 0;
  int hole = udp_socket(&hole_port);  // accounting black hole: bound, never read

  ProtocolThread engine;
  engine.start();
  auto client = make_radius_client(engine);
  RadiusTarget target;
  target.nas_identifier = "bench";
  target.scheme.name = "bench";
  target.scheme.primary_authentication = config::RadiusServer{Ipv4{0x7f000001}, server.port()};
  target.scheme.primary_accounting = config::RadiusServer{Ipv4{0x7f000001}, hole_port};
  target.scheme.key_authentication.plain = kSecret;
  target.scheme.key_accounting.plain = kSecret;
  target.scheme.response_timeout_s = 3;
  target.scheme.retry = 3;

  std::printf("radius_load: server answers after %d ms on 127.0.0.1; timeout 3 s, retry 3\n",
              delay_ms);
  auto alone = authenticate_all(engine, *client, target, users);
  print("authentication alone", alone, users);

  engine.call([&] {
    for (int i = 0; i < stops; ++i) {
      RadiusAccountingRequest r;
      r.status = AcctStatus::stop;
      r.session_id = "bench-" + std::to_string(i);
      r.user_name = "user" + std::to_string(i) + "@bench";
      r.terminate_cause = TerminateCause::user_request;
      client->accounting_request(target, r, [](RadiusAccountingReply) {});
    }
  });
  char name[96];
  std::snprintf(name, sizeof name, "authentication, %d Stops to a dead acct server", stops);
  auto behind = authenticate_all(engine, *client, target, users);
  print(name, behind, users);
  auto s = engine.call([&] { return client->statistics(); });
  std::printf(
      "client: access requests %llu, accepts %llu, accounting requests %llu, retransmissions %llu, "
      "timeouts %llu, dropped replies %llu\n",
      static_cast<unsigned long long>(s.total.access_requests),
      static_cast<unsigned long long>(s.total.access_accepts),
      static_cast<unsigned long long>(s.total.accounting_requests),
      static_cast<unsigned long long>(s.total.retransmissions),
      static_cast<unsigned long long>(s.total.timeouts),
      static_cast<unsigned long long>(s.total.bad_authenticator +
                                      s.total.bad_message_authenticator + s.total.unknown_id +
                                      s.total.unknown_source + s.total.malformed));
  // Forged Access-Accepts, each followed by the server's real Access-Reject.
  using Bytes = std::vector<std::uint8_t>;
  auto ra_of = [](const Bytes& req) {
    radius::Authenticator ra{};
    std::copy(req.begin() + 4, req.begin() + 20, ra.begin());
    return ra;
  };
  auto send = [](int fd, const Bytes& b, const sockaddr_in& to) {
    sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  };
  // A forged Access-Accept for `req`, signed with `secret`, with or without a
  // Message-Authenticator.
  auto accept = [&](const Bytes& req, const char* secret, bool message_authenticator) {
    return radius::encode_reply(PW_ACCESS_ACCEPT, req[1], ra_of(req), {}, secret,
                                message_authenticator);
  };
  // Sends `reply` from another socket, bound to `address`:`port`.
  auto send_from = [&](const char* address, std::uint16_t port, const Bytes& reply,
                       const sockaddr_in& to) {
    int other = bound_socket(address, port);
    send(other, reply, to);
    close(other);
  };
  bool all_refused = true;
  all_refused &= attack(engine, *client, target, "Access-Accept, all-zero Response Authenticator",
                        [&](const Bytes& req, const sockaddr_in& to, int fd, std::uint16_t) {
                          auto b = accept(req, kSecret, true);
                          std::fill(b.begin() + 4, b.begin() + 20, 0);
                          send(fd, b, to);
                        });
  all_refused &= attack(engine, *client, target, "Access-Accept signed with another secret",
                        [&](const Bytes& req, const sockaddr_in& to, int fd, std::uint16_t) {
                          send(fd, accept(req, "guess", true), to);
                        });
  all_refused &= attack(engine, *client, target, "correct Access-Accept from another source port",
                        [&](const Bytes& req, const sockaddr_in& to, int, std::uint16_t) {
                          send_from("127.0.0.1", 0, accept(req, kSecret, true), to);
                        });
  all_refused &= attack(engine, *client, target, "correct Access-Accept from 127.0.0.2, same port",
                        [&](const Bytes& req, const sockaddr_in& to, int, std::uint16_t port) {
                          send_from("127.0.0.2", port, accept(req, kSecret, true), to);
                        });
  all_refused &=
      attack(engine, *client, target, "correct Access-Accept without Message-Authenticator",
             [&](const Bytes& req, const sockaddr_in& to, int fd, std::uint16_t) {
               send(fd, accept(req, kSecret, false), to);
             });
  std::printf("%s\n",
              all_refused ? "every forged reply refused" : "SOME FORGED REPLY WAS ACCEPTED");

  engine.call([&] { client.reset(); });
  engine.stop();
  close(hole);
  const bool ok = all_refused && alone.accepted == users && behind.accepted == users &&
                  pct(alone.latency_s, 0.99) <= 2.0 && pct(behind.latency_s, 0.99) <= 2.0;
  std::printf("%s (target: every user accepted, p99 <= 2.0 s in both runs)\n",
              ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
