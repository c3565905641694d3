// The RADIUS client against a scripted fake server on loopback: forged, misdirected and
// unsigned replies are dropped and counted and never end the wait for the real answer;
// many requests are in flight at once; accounting to a dead server does not delay
// authentication. Loopback carries all of 127/8, so a reply "from 127.0.0.2" is real.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <optional>

#include "aaa/aaa.hpp"
#include "aaa/radius/codec.hpp"
#include "common/log.hpp"
#include "common/protocol_thread.hpp"
#include "tests/support/protocol_thread.hpp"

namespace vpdnd::aaa {
namespace {

using namespace std::chrono_literals;
using namespace radius;

constexpr const char* kSecret = "s3cret";

class Udp {
 public:
  explicit Udp(const char* addr = "127.0.0.1", std::uint16_t port = 0) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, addr, &a.sin_addr);
    // Room for hundreds of requests arriving at once.
    int buf = 4 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Udp() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }
  std::uint16_t port() const { return port_; }
  struct Datagram {
    std::vector<std::uint8_t> bytes;
    sockaddr_in from{};
  };
  std::optional<Datagram> recv(int timeout_ms = 3000) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    Datagram d;
    d.bytes.resize(4096);
    socklen_t len = sizeof d.from;
    ssize_t n = recvfrom(fd_, d.bytes.data(), d.bytes.size(), 0,
                         reinterpret_cast<sockaddr*>(&d.from), &len);
    if (n < 0) return std::nullopt;
    d.bytes.resize(static_cast<std::size_t>(n));
    return d;
  }
  void send(const std::vector<std::uint8_t>& b, const sockaddr_in& to) {
    sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::uint16_t port_ = 0;
};

Authenticator authenticator_of(const std::vector<std::uint8_t>& packet) {
  Authenticator a{};
  std::copy(packet.begin() + 4, packet.begin() + 20, a.begin());
  return a;
}

std::vector<std::uint8_t> reply(std::uint8_t code, const std::vector<std::uint8_t>& request,
                                std::string_view secret = kSecret, bool ma = true,
                                std::vector<Attribute> attrs = {}) {
  return encode_reply(code, request[1], authenticator_of(request), attrs, secret, ma);
}

// What a server answers every request with: a reply `code` signed with `secret`.
std::function<std::vector<std::uint8_t>(const std::vector<std::uint8_t>&)> signed_reply(
    std::uint8_t code, std::string secret) {
  return [code, secret](const std::vector<std::uint8_t>& request) {
    return reply(code, request, secret);
  };
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    engine_.start();
    client_ = make_radius_client(engine_);
    target_.scheme.name = "r1";
    target_.scheme.primary_authentication = config::RadiusServer{Ipv4{0x7f000001}, server_.port()};
    target_.scheme.primary_accounting = config::RadiusServer{Ipv4{0x7f000001}, server_.port()};
    target_.scheme.key_authentication.plain = kSecret;
    target_.scheme.key_accounting.plain = kSecret;
    target_.scheme.response_timeout_s = 2;
    target_.scheme.retry = 1;
    target_.nas_identifier = "VPDN";
  }
  void TearDown() override { test::stop_protocol_thread(engine_, client_); }

  std::future<RadiusAccessReply> access(std::string user = "alice") {
    auto promise = std::make_shared<std::promise<RadiusAccessReply>>();
    auto f = promise->get_future();
    engine_.call([&] {
      RadiusAccessRequest r;
      r.user_name = user;
      r.credentials = PapCredentials{"pw"};
      client_->access_request(
          target_, r, [promise](RadiusAccessReply rep) { promise->set_value(std::move(rep)); });
    });
    return f;
  }

  static RadiusOutcome outcome(std::future<RadiusAccessReply>& f, std::chrono::seconds wait = 5s) {
    if (f.wait_for(wait) != std::future_status::ready) return RadiusOutcome::error;
    return f.get().outcome;
  }

  RadiusStatistics stats() {
    return engine_.call([&] { return client_->statistics(); });
  }

  using Counter = std::uint64_t RadiusServerStatistics::*;
  // A bad reply `forge` makes of the request arrives first, from `from` (else from the
  // server); the server's genuine `answer` 100 ms later must be what ends the request, and
  // `counter` must have counted the bad one.
  void expect_bad_reply_dropped(
      const std::function<std::vector<std::uint8_t>(const std::vector<std::uint8_t>&)>& forge,
      std::uint8_t answer, Counter counter, Udp* from = nullptr) {
    auto f = access();
    auto req = server_.recv();
    ASSERT_TRUE(req);
    (from ? *from : server_).send(forge(req->bytes), req->from);
    std::this_thread::sleep_for(100ms);
    server_.send(reply(answer, req->bytes), req->from);
    EXPECT_EQ(outcome(f),
              answer == PW_ACCESS_ACCEPT ? RadiusOutcome::accept : RadiusOutcome::reject);
    EXPECT_EQ(stats().total.*counter, 1u);
  }

  Udp server_;
  ProtocolThread engine_;
  std::unique_ptr<RadiusClient> client_;
  RadiusTarget target_;
};

TEST_F(ClientTest, AccessRequestCarriesValidMessageAuthenticatorAndHiddenPassword) {
  auto f = access();
  auto req = server_.recv();
  ASSERT_TRUE(req);
  auto p = decode(req->bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, PW_ACCESS_REQUEST);
  ASSERT_FALSE(p->attributes.empty());
  ASSERT_EQ(p->attributes.front().type, PW_MESSAGE_AUTHENTICATOR);
  auto zeroed = req->bytes;
  std::fill(zeroed.begin() + 22, zeroed.begin() + 38, 0);
  const auto mac = hmac_md5(kSecret, zeroed);
  EXPECT_TRUE(std::equal(mac.begin(), mac.end(), p->attributes.front().value.begin()));
  bool saw_password = false;
  for (const auto& a : p->attributes)
    if (a.type == PW_USER_PASSWORD) {
      saw_password = true;
      EXPECT_EQ(unhide_user_password(a.value, kSecret, p->authenticator), "pw");
    }
  EXPECT_TRUE(saw_password);
  server_.send(reply(PW_ACCESS_ACCEPT, req->bytes), req->from);
  EXPECT_EQ(outcome(f), RadiusOutcome::accept);
  auto s = stats();
  EXPECT_EQ(s.total.access_requests, 1u);
  EXPECT_EQ(s.total.access_accepts, 1u);
  ASSERT_EQ(s.servers.size(), 1u);
  EXPECT_EQ(s.servers[0].server, "127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(ClientTest, AllZeroResponseAuthenticatorIsDropped) {
  expect_bad_reply_dropped(
      [](const std::vector<std::uint8_t>& request) {
        auto forged = reply(PW_ACCESS_ACCEPT, request);
        std::fill(forged.begin() + 4, forged.begin() + 20, 0);
        return forged;
      },
      PW_ACCESS_REJECT, &RadiusServerStatistics::bad_authenticator);
}

TEST_F(ClientTest, ReplySignedWithAnotherSecretIsDropped) {
  expect_bad_reply_dropped(signed_reply(PW_ACCESS_ACCEPT, "other-secret"), PW_ACCESS_REJECT,
                           &RadiusServerStatistics::bad_authenticator);
}

TEST_F(ClientTest, CorrectReplyFromAnotherSourcePortIsDropped) {
  Udp other;
  ASSERT_TRUE(other.ok());
  expect_bad_reply_dropped(signed_reply(PW_ACCESS_ACCEPT, kSecret), PW_ACCESS_REJECT,
                           &RadiusServerStatistics::unknown_source, &other);
}

TEST_F(ClientTest, CorrectReplyFromAnotherAddressIsDropped) {
  Udp other("127.0.0.2", server_.port());
  ASSERT_TRUE(other.ok());
  expect_bad_reply_dropped(signed_reply(PW_ACCESS_ACCEPT, kSecret), PW_ACCESS_REJECT,
                           &RadiusServerStatistics::unknown_source, &other);
}

TEST_F(ClientTest, ForgedRejectFirstDoesNotEndTheWait) {
  expect_bad_reply_dropped(signed_reply(PW_ACCESS_REJECT, "attacker"), PW_ACCESS_ACCEPT,
                           &RadiusServerStatistics::bad_authenticator);
}

TEST_F(ClientTest, WrongIdentifierIsDropped) {
  expect_bad_reply_dropped(
      [](const std::vector<std::uint8_t>& request) {
        auto wrong = request;
        wrong[1] = static_cast<std::uint8_t>(wrong[1] + 1);
        return reply(PW_ACCESS_ACCEPT, wrong);
      },
      PW_ACCESS_REJECT, &RadiusServerStatistics::unknown_id);
}

TEST_F(ClientTest, DroppedRepliesLoggedOncePerServerAndReasonNoSecret) {
  std::mutex m;
  std::vector<std::string> lines;
  auto sink = LogBus::instance().subscribe([&](const LogRecord& r) {
    if (r.is_debug || r.text.find("radius-reply-dropped") == std::string::npos) return;
    std::lock_guard lock(m);
    lines.push_back(r.text);
  });
  auto f = access();
  auto req = server_.recv();
  ASSERT_TRUE(req);
  for (int i = 0; i < 20; ++i)
    server_.send(reply(PW_ACCESS_ACCEPT, req->bytes, "forger"), req->from);
  std::this_thread::sleep_for(100ms);
  server_.send(reply(PW_ACCESS_REJECT, req->bytes), req->from);
  EXPECT_EQ(outcome(f), RadiusOutcome::reject);
  LogBus::instance().unsubscribe(sink);
  EXPECT_EQ(stats().total.bad_authenticator, 20u);
  std::lock_guard lock(m);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("bad Response Authenticator"), std::string::npos);
  EXPECT_EQ(lines[0].find(kSecret), std::string::npos);
}

TEST_F(ClientTest, MissingMessageAuthenticatorRefusedByDefault) {
  target_.scheme.response_timeout_s = 1;
  auto f = access();
  auto req = server_.recv();
  ASSERT_TRUE(req);
  server_.send(reply(PW_ACCESS_ACCEPT, req->bytes, kSecret, false), req->from);
  EXPECT_EQ(outcome(f), RadiusOutcome::timeout);
  auto s = stats();
  EXPECT_EQ(s.total.bad_message_authenticator, 1u);
  EXPECT_EQ(s.total.timeouts, 1u);
}

TEST_F(ClientTest, MissingMessageAuthenticatorAcceptedWhenLoose) {
  target_.scheme.message_authenticator_strict = false;
  auto f = access();
  auto req = server_.recv();
  ASSERT_TRUE(req);
  server_.send(reply(PW_ACCESS_ACCEPT, req->bytes, kSecret, false), req->from);
  EXPECT_EQ(outcome(f), RadiusOutcome::accept);
}

TEST_F(ClientTest, WrongMessageAuthenticatorRefusedEvenWhenLoose) {
  target_.scheme.message_authenticator_strict = false;
  auto f = access();
  auto req = server_.recv();
  ASSERT_TRUE(req);
  // A Message-Authenticator keyed with another secret, the Response Authenticator right.
  auto bad = reply(PW_ACCESS_ACCEPT, req->bytes, "other", true);
  const auto auth = md5({std::span<const std::uint8_t>(bad).first(4), authenticator_of(req->bytes),
                         std::span<const std::uint8_t>(bad).subspan(20), bytes(kSecret)});
  std::copy(auth.begin(), auth.end(), bad.begin() + 4);
  server_.send(bad, req->from);
  std::this_thread::sleep_for(100ms);
  server_.send(reply(PW_ACCESS_REJECT, req->bytes), req->from);
  EXPECT_EQ(outcome(f), RadiusOutcome::reject);
  EXPECT_EQ(stats().total.bad_message_authenticator, 1u);
}

TEST_F(ClientTest, RetransmissionReusesIdentifierAndAuthenticator) {
  target_.scheme.response_timeout_s = 1;
  target_.scheme.retry = 3;
  auto f = access();
  auto first = server_.recv();
  auto second = server_.recv();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->bytes, second->bytes);
  server_.send(reply(PW_ACCESS_ACCEPT, second->bytes), second->from);
  EXPECT_EQ(outcome(f), RadiusOutcome::accept);
  EXPECT_EQ(stats().total.retransmissions, 1u);
}

TEST_F(ClientTest, RetryCountsTransmissionsThenSecondaryIsAsked) {
  Udp secondary;
  ASSERT_TRUE(secondary.ok());
  target_.scheme.response_timeout_s = 1;
  target_.scheme.retry = 2;
  target_.scheme.secondary_authentication =
      config::RadiusServer{Ipv4{0x7f000001}, secondary.port()};
  auto f = access();
  ASSERT_TRUE(server_.recv());
  ASSERT_TRUE(server_.recv());
  auto req = secondary.recv(3000);
  ASSERT_TRUE(req);
  EXPECT_FALSE(server_.recv(0));
  secondary.send(reply(PW_ACCESS_ACCEPT, req->bytes), req->from);
  EXPECT_EQ(outcome(f), RadiusOutcome::accept);
  // The silent primary is quiet now: the next request goes to the secondary first.
  auto g = access();
  auto again = secondary.recv(1000);
  ASSERT_TRUE(again);
  secondary.send(reply(PW_ACCESS_REJECT, again->bytes), again->from);
  EXPECT_EQ(outcome(g), RadiusOutcome::reject);
}

TEST_F(ClientTest, ManyRequestsInFlightUseMoreThan256Identifiers) {
  constexpr int kCount = 600;
  std::vector<std::future<RadiusAccessReply>> futures;
  for (int i = 0; i < kCount; ++i) futures.push_back(access("user" + std::to_string(i)));
  std::vector<Udp::Datagram> requests;
  while (requests.size() < static_cast<std::size_t>(kCount)) {
    auto r = server_.recv(2000);
    ASSERT_TRUE(r) << "only " << requests.size() << " requests arrived";
    requests.push_back(std::move(*r));
  }
  // All were on the wire before any answer: answer them in reverse.
  for (auto it = requests.rbegin(); it != requests.rend(); ++it)
    server_.send(reply(PW_ACCESS_ACCEPT, it->bytes), it->from);
  for (auto& f : futures) EXPECT_EQ(outcome(f), RadiusOutcome::accept);
  auto s = stats();
  EXPECT_EQ(s.total.access_accepts, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(s.total.bad_authenticator + s.total.unknown_id + s.total.unknown_source, 0u);
}

TEST_F(ClientTest, AuthenticationDoesNotWaitBehindDeadAccounting) {
  Udp black_hole;  // bound, never read
  ASSERT_TRUE(black_hole.ok());
  target_.scheme.primary_accounting = config::RadiusServer{Ipv4{0x7f000001}, black_hole.port()};
  target_.scheme.response_timeout_s = 3;
  target_.scheme.retry = 3;
  engine_.call([&] {
    for (int i = 0; i < 40; ++i) {
      RadiusAccountingRequest r;
      r.status = AcctStatus::stop;
      r.session_id = "s" + std::to_string(i);
      r.user_name = "u";
      client_->accounting_request(target_, r, [](RadiusAccountingReply) {});
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto f = access();
  auto req = server_.recv(1000);
  ASSERT_TRUE(req);
  server_.send(reply(PW_ACCESS_ACCEPT, req->bytes), req->from);
  EXPECT_EQ(outcome(f, 2s), RadiusOutcome::accept);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(ClientTest, AccountingResponseCheckedAndDelayTimeSent) {
  std::promise<RadiusOutcome> done;
  auto f = done.get_future();
  engine_.call([&] {
    RadiusAccountingRequest r;
    r.status = AcctStatus::stop;
    r.session_id = "abc";
    r.user_name = "alice";
    r.delay_time_s = 42;
    r.terminate_cause = TerminateCause::user_request;
    client_->accounting_request(
        target_, r, [&done](RadiusAccountingReply rep) { done.set_value(rep.outcome); });
  });
  auto req = server_.recv();
  ASSERT_TRUE(req);
  auto p = decode(req->bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, PW_ACCOUNTING_REQUEST);
  // RFC 2866 §3 Request Authenticator.
  auto zeroed = req->bytes;
  std::fill(zeroed.begin() + 4, zeroed.begin() + 20, 0);
  EXPECT_EQ(md5({zeroed, bytes(kSecret)}), p->authenticator);
  std::optional<std::uint32_t> delay;
  for (const auto& a : p->attributes)
    if (a.type == PW_ACCT_DELAY_TIME && a.value.size() == 4) delay = a.value[3];
  EXPECT_EQ(delay, 42u);
  server_.send(reply(PW_ACCOUNTING_RESPONSE, req->bytes, "wrong", false), req->from);
  std::this_thread::sleep_for(100ms);
  server_.send(reply(PW_ACCOUNTING_RESPONSE, req->bytes, kSecret, false), req->from);
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), RadiusOutcome::accept);
  auto s = stats();
  EXPECT_EQ(s.total.accounting_requests, 1u);
  EXPECT_EQ(s.total.accounting_responses, 1u);
  EXPECT_EQ(s.total.bad_authenticator, 1u);
}

// Destroying the client with requests on the wire drops them: no callback, and the
// replies and timers that arrive afterwards touch nothing (checked under ASan).
TEST_F(ClientTest, DestroyedWithRequestsOutstandingCallsNothingBack) {
  std::atomic<int> called{0};
  target_.scheme.response_timeout_s = 1;
  engine_.call([&] {
    for (int i = 0; i < 10; ++i) {
      RadiusAccessRequest r;
      r.user_name = "u" + std::to_string(i);
      r.credentials = PapCredentials{"pw"};
      client_->access_request(target_, r, [&](RadiusAccessReply) { ++called; });
    }
  });
  auto req = server_.recv();
  ASSERT_TRUE(req);
  engine_.call([&] { client_.reset(); });
  server_.send(reply(PW_ACCESS_ACCEPT, req->bytes), req->from);
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(called.load(), 0);
}

TEST_F(ClientTest, CancelledRequestNeverCallsBackAndResetClearsCounters) {
  bool called = false;
  RadiusClient::Id id = 0;
  engine_.call([&] {
    RadiusAccessRequest r;
    r.user_name = "alice";
    r.credentials = PapCredentials{"pw"};
    id = client_->access_request(target_, r, [&](RadiusAccessReply) { called = true; });
  });
  auto req = server_.recv();
  ASSERT_TRUE(req);
  engine_.call([&] { client_->cancel(id); });
  server_.send(reply(PW_ACCESS_ACCEPT, req->bytes), req->from);
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(engine_.call([&] { return called; }));
  EXPECT_EQ(stats().total.unknown_id, 1u);
  engine_.call([&] { client_->reset_statistics(); });
  EXPECT_EQ(stats().total, RadiusServerStatistics{});
}

}  // namespace
}  // namespace vpdnd::aaa
