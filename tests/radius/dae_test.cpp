// RFC 5176 Dynamic Authorization without sockets: the request checks on a radclient
// fixture, and DaeProcessor's answers, drops and counters against a fake session owner.
#include "aaa/radius/dae.hpp"

#include <gtest/gtest.h>

#include "tests/support/bytes.hpp"

namespace vpdnd::aaa::radius {
namespace {

// `echo 'User-Name = "alice@corp", Message-Authenticator = 0x00, Event-Timestamp =
// 1700000000' | radclient 127.0.0.1:37990 disconnect s3cr3t` (FreeRADIUS 3.2.1), as sent.
const Bytes kRadclientDisconnect = test::hex(
    "28620038 3570e83f e3221bcd d7e3b81a 8e62b0dc 010c616c 69636540 636f7270 "
    "50127808 930c2784 19ac0d4c bc81fd9f 422d3706 6553f100");
constexpr std::int64_t kFixtureTime = 1700000000;
const Ipv4 kClient{0x7f000001};

struct FakeSessions final : DaeSessions {
  std::vector<OnlineUser> users;
  std::vector<std::uint64_t> disconnected;
  std::vector<std::pair<std::uint64_t, DaeChange>> changed;
  std::size_t refuse_changes = 0;  // the first N matches cannot take a change
  DaeOutcome disconnect(const DaeSelector& s) override {
    DaeOutcome o;
    for (auto it = users.begin(); it != users.end();) {
      if (s.matches(*it)) {
        ++o.matched, ++o.done;
        disconnected.push_back(it->index);
        it = users.erase(it);
      } else {
        ++it;
      }
    }
    return o;
  }
  DaeOutcome change(const DaeSelector& s, const DaeChange& c) override {
    DaeOutcome o;
    for (const auto& u : users) {
      if (!s.matches(u)) continue;
      ++o.matched;
      if (o.matched <= refuse_changes) continue;
      ++o.done;
      changed.emplace_back(u.index, c);
    }
    return o;
  }
};

OnlineUser user(std::uint64_t index, std::string name, Ipv4 address, std::string acct,
                std::uint32_t nas_port) {
  OnlineUser u;
  u.index = index;
  u.user = std::move(name);
  u.address = address;
  u.acct_session_id = std::move(acct);
  u.nas_port = nas_port;
  return u;
}

struct DaeTest : ::testing::Test {
  DaeTest() {
    config.enabled = true;
    config.clients[kClient.value] = {kClient, {"s3cr3t"}};
    sessions.users = {user(1, "alice@corp", Ipv4{0x0a000001}, "00000001", 7),
                      user(2, "bob@corp", Ipv4{0x0a000002}, "00000002", 8),
                      user(3, "bob@corp", Ipv4{0x0a000003}, "00000003", 9)};
  }
  std::optional<Packet> send(const std::vector<std::uint8_t>& request,
                             std::string_view secret = "s3cr3t") {
    auto answer = dae.handle(config, kClient, 40000, request);
    if (!answer) return std::nullopt;
    Authenticator ra{};
    std::copy(request.begin() + 4, request.begin() + 20, ra.begin());
    // The answer's Response Authenticator is over the request's (RFC 5176 §2.3).
    std::vector<std::uint8_t> check = *answer;
    std::copy(ra.begin(), ra.end(), check.begin() + 4);
    EXPECT_TRUE(equal_secret(md5({check, bytes(secret)}),
                             std::span<const std::uint8_t>(answer->data() + 4, 16)));
    return decode(*answer);
  }
  static std::vector<Attribute> attrs(std::initializer_list<Attribute> l) { return l; }
  static Attribute str(std::uint8_t type, std::string_view s) {
    return {type, {s.begin(), s.end()}};
  }
  static Attribute u32(std::uint8_t type, std::uint32_t v) {
    AttributeList l;
    l.add_u32(type, v);
    return l.items()[0];
  }
  std::uint8_t id = 0;
  std::vector<std::uint8_t> request(std::uint8_t code, std::vector<Attribute> a,
                                    std::string_view secret = "s3cr3t", bool ma = true) {
    return encode_request(code, ++id, a, secret, ma);
  }
  static std::optional<std::uint32_t> error_cause(const Packet& p) {
    for (const auto& a : p.attributes)
      if (a.type == PW_ERROR_CAUSE && a.value.size() == 4)
        return std::uint32_t{a.value[0]} << 24 | std::uint32_t{a.value[1]} << 16 |
               std::uint32_t{a.value[2]} << 8 | a.value[3];
    return std::nullopt;
  }

  config::DynamicAuthor config;
  FakeSessions sessions;
  std::int64_t now = kFixtureTime;
  DaeProcessor dae{sessions, [this] { return now; }};
};

TEST(DaeCodec, RadclientRequestVerifies) {
  Packet p;
  ASSERT_EQ(check_request(kRadclientDisconnect, "s3cr3t", &p), RequestCheck::ok);
  EXPECT_EQ(p.code, kDisconnectRequest);
  EXPECT_EQ(p.attributes.size(), 3u);
  EXPECT_EQ(check_request(kRadclientDisconnect, "other"), RequestCheck::bad_authenticator);
  // Our encoder produces the same bytes for the same packet.
  EXPECT_EQ(encode_request(kDisconnectRequest, p.id, p.attributes, "s3cr3t", false),
            kRadclientDisconnect);
}

TEST(DaeCodec, TamperedRequestsRefused) {
  auto flipped = kRadclientDisconnect;
  flipped[25] ^= 1;  // a User-Name octet
  EXPECT_EQ(check_request(flipped, "s3cr3t"), RequestCheck::bad_authenticator);
  // A Message-Authenticator that does not match, with the Request Authenticator recomputed
  // (a client that knows the key but computes the HMAC wrongly).
  auto bad_ma = kRadclientDisconnect;
  bad_ma[40] ^= 1;
  std::fill(bad_ma.begin() + 4, bad_ma.begin() + 20, 0);
  auto ra = md5({bad_ma, bytes("s3cr3t")});
  std::copy(ra.begin(), ra.end(), bad_ma.begin() + 4);
  EXPECT_EQ(check_request(bad_ma, "s3cr3t"), RequestCheck::bad_message_authenticator);
  // Not a request, or cut short.
  auto reply = kRadclientDisconnect;
  reply[0] = kDisconnectAck;
  EXPECT_EQ(check_request(reply, "s3cr3t"), RequestCheck::malformed);
  EXPECT_EQ(check_request(std::span(kRadclientDisconnect).first(30), "s3cr3t"),
            RequestCheck::malformed);
}

TEST_F(DaeTest, DisconnectByUserNameAcked) {
  auto p = send(kRadclientDisconnect);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, kDisconnectAck);
  EXPECT_EQ(p->id, 0x62);
  EXPECT_FALSE(error_cause(*p));
  EXPECT_EQ(sessions.disconnected, std::vector<std::uint64_t>{1});
  // The request carried a Message-Authenticator, so the answer does too, and it verifies.
  Authenticator ra{};
  std::copy(kRadclientDisconnect.begin() + 4, kRadclientDisconnect.begin() + 20, ra.begin());
  auto answer = dae.handle(config, kClient, 40000, kRadclientDisconnect);  // duplicate
  ASSERT_TRUE(answer);
  ASSERT_GE(answer->size(), 38u);
  ASSERT_EQ((*answer)[20], PW_MESSAGE_AUTHENTICATOR);
  auto buf = *answer;
  std::copy(ra.begin(), ra.end(), buf.begin() + 4);
  std::fill(buf.begin() + 22, buf.begin() + 38, 0);
  EXPECT_TRUE(equal_secret(hmac_md5("s3cr3t", buf),
                           std::span<const std::uint8_t>(answer->data() + 22, 16)));
  EXPECT_EQ(dae.statistics().disconnect_acks, 1u);
  EXPECT_EQ(dae.statistics().sessions_disconnected, 1u);
}

TEST_F(DaeTest, DuplicateNotActedOnTwice) {
  auto req = request(kDisconnectRequest, {str(PW_USER_NAME, "bob@corp")});
  auto first = dae.handle(config, kClient, 40000, req);
  ASSERT_TRUE(first);
  EXPECT_EQ(sessions.disconnected.size(), 2u);
  sessions.users.push_back(user(4, "bob@corp", Ipv4{0x0a000004}, "00000004", 10));
  auto again = dae.handle(config, kClient, 40000, req);
  EXPECT_EQ(again, first);  // the same answer, and bob's new session stays
  EXPECT_EQ(sessions.disconnected.size(), 2u);
  EXPECT_EQ(dae.statistics().duplicates, 1u);
  EXPECT_EQ(dae.statistics().disconnect_requests, 1u);
  // After the window, the same packet is stale only if it carries an old Event-Timestamp;
  // without one it is a new request.
  now += DaeProcessor::kWindowSeconds + 1;
  auto later = dae.handle(config, kClient, 40000, req);
  ASSERT_TRUE(later);
  EXPECT_EQ(sessions.disconnected.size(), 3u);
}

TEST_F(DaeTest, SelectorsCombine) {
  // Every attribute must match: bob with alice's address matches nothing.
  auto p = send(request(kDisconnectRequest,
                        {str(PW_USER_NAME, "bob@corp"), u32(PW_FRAMED_IP_ADDRESS, 0x0a000001)}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, kDisconnectNak);
  EXPECT_EQ(error_cause(*p), kSessionContextNotFound);
  p = send(request(kDisconnectRequest, {str(PW_ACCT_SESSION_ID, "00000003")}));
  EXPECT_EQ(p->code, kDisconnectAck);
  p = send(
      request(kDisconnectRequest, {u32(PW_NAS_PORT, 8), u32(PW_FRAMED_IP_ADDRESS, 0x0a000002)}));
  EXPECT_EQ(p->code, kDisconnectAck);
  EXPECT_EQ(sessions.disconnected, (std::vector<std::uint64_t>{3, 2}));
}

TEST_F(DaeTest, UnknownSessionNak503) {
  auto p = send(request(kDisconnectRequest, {str(PW_USER_NAME, "nobody")}, "s3cr3t", false));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, kDisconnectNak);
  EXPECT_EQ(error_cause(*p), 503u);
  EXPECT_EQ(dae.statistics().disconnect_naks, 1u);
}

TEST_F(DaeTest, ErrorCauses) {
  // No session identification at all.
  auto p = send(request(kDisconnectRequest, {str(PW_NAS_IDENTIFIER, "VPDN")}));
  EXPECT_EQ(error_cause(*p), kMissingAttribute);
  // An attribute we do not act on (Filter-Id), in a Disconnect and in a CoA.
  p = send(request(kDisconnectRequest, {str(PW_USER_NAME, "alice@corp"), str(11, "web-only")}));
  EXPECT_EQ(p->code, kDisconnectNak);
  EXPECT_EQ(error_cause(*p), kUnsupportedAttribute);
  p = send(request(kCoaRequest, {str(PW_USER_NAME, "alice@corp"), str(11, "web-only")}));
  EXPECT_EQ(p->code, kCoaNak);
  EXPECT_EQ(error_cause(*p), 401u);
  // Session-Timeout belongs in a CoA, not a Disconnect.
  p = send(
      request(kDisconnectRequest, {str(PW_USER_NAME, "alice@corp"), u32(PW_SESSION_TIMEOUT, 5)}));
  EXPECT_EQ(error_cause(*p), kUnsupportedAttribute);
  // A Framed-IP-Address of the wrong length.
  p = send(request(kDisconnectRequest, {{PW_FRAMED_IP_ADDRESS, {10, 0, 0}}}));
  EXPECT_EQ(error_cause(*p), kInvalidRequest);
  EXPECT_TRUE(sessions.disconnected.empty());
  EXPECT_TRUE(sessions.changed.empty());
}

TEST_F(DaeTest, CoaChangesTimeouts) {
  auto p = send(request(kCoaRequest, {str(PW_USER_NAME, "bob@corp"), u32(PW_SESSION_TIMEOUT, 3600),
                                      u32(PW_IDLE_TIMEOUT, 300)}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, kCoaAck);
  ASSERT_EQ(sessions.changed.size(), 2u);
  EXPECT_EQ(sessions.changed[0].second.session_timeout_s, 3600u);
  EXPECT_EQ(sessions.changed[0].second.idle_timeout_s, 300u);
  p = send(request(kCoaRequest, {str(PW_USER_NAME, "carol"), u32(PW_IDLE_TIMEOUT, 1)}));
  EXPECT_EQ(p->code, kCoaNak);
  EXPECT_EQ(error_cause(*p), 503u);
  // A session that cannot take the change: NAK.
  sessions.refuse_changes = 1;
  p = send(request(kCoaRequest, {str(PW_USER_NAME, "alice@corp"), u32(PW_IDLE_TIMEOUT, 1)}));
  EXPECT_EQ(p->code, kCoaNak);
  EXPECT_EQ(error_cause(*p), kUnsupportedService);
  EXPECT_EQ(dae.statistics().coa_acks, 1u);
  EXPECT_EQ(dae.statistics().coa_naks, 2u);
  EXPECT_EQ(dae.statistics().sessions_changed, 2u);
}

TEST_F(DaeTest, ProxyStateEchoed) {
  auto p =
      send(request(kDisconnectRequest, {str(PW_PROXY_STATE, "p1"), str(PW_USER_NAME, "alice@corp"),
                                        str(PW_PROXY_STATE, "p2")}));
  ASSERT_TRUE(p);
  std::vector<std::string> echoed;
  for (const auto& a : p->attributes)
    if (a.type == PW_PROXY_STATE) echoed.emplace_back(a.value.begin(), a.value.end());
  EXPECT_EQ(echoed, (std::vector<std::string>{"p1", "p2"}));
}

TEST_F(DaeTest, DroppedAndCounted) {
  // Unknown client.
  EXPECT_FALSE(dae.handle(config, Ipv4{0x7f000002}, 40000, kRadclientDisconnect));
  // Wrong key.
  EXPECT_FALSE(dae.handle(config, kClient, 40000,
                          request(kDisconnectRequest, {str(PW_USER_NAME, "alice@corp")}, "wrong")));
  // Event-Timestamp too old and too far ahead.
  now = kFixtureTime + DaeProcessor::kWindowSeconds + 1;
  EXPECT_FALSE(dae.handle(config, kClient, 40000, kRadclientDisconnect));
  now = kFixtureTime - DaeProcessor::kWindowSeconds - 1;
  EXPECT_FALSE(dae.handle(config, kClient, 40000, kRadclientDisconnect));
  // Garbage and an answer code.
  EXPECT_FALSE(dae.handle(config, kClient, 40000, std::vector<std::uint8_t>(10, 0)));
  auto ack = request(kDisconnectAck, {str(PW_USER_NAME, "alice@corp")});
  EXPECT_FALSE(dae.handle(config, kClient, 40000, ack));
  // The server switched off.
  config.enabled = false;
  now = kFixtureTime;
  EXPECT_FALSE(dae.handle(config, kClient, 40000, kRadclientDisconnect));
  const auto& s = dae.statistics();
  EXPECT_EQ(s.unknown_client, 2u);
  EXPECT_EQ(s.bad_authenticator, 1u);
  EXPECT_EQ(s.stale, 2u);
  EXPECT_EQ(s.malformed, 2u);
  EXPECT_EQ(s.disconnect_requests, 0u);
  EXPECT_TRUE(sessions.disconnected.empty());
  dae.reset_statistics();
  EXPECT_EQ(dae.statistics(), DaeStatistics{});
}

TEST_F(DaeTest, CacheBounded) {
  for (std::size_t i = 0; i < DaeProcessor::kCacheCapacity + 10; ++i) {
    auto req = encode_request(kDisconnectRequest, static_cast<std::uint8_t>(i),
                              {str(PW_USER_NAME, "n" + std::to_string(i))}, "s3cr3t", false);
    ASSERT_TRUE(dae.handle(config, kClient, static_cast<std::uint16_t>(1000 + i / 256), req));
  }
  // The first request left the cache: sent again it is processed again (a NAK here).
  auto first = encode_request(kDisconnectRequest, 0, {str(PW_USER_NAME, "n0")}, "s3cr3t", false);
  dae.handle(config, kClient, 1000, first);
  EXPECT_EQ(dae.statistics().duplicates, 0u);
  EXPECT_EQ(dae.statistics().disconnect_requests, DaeProcessor::kCacheCapacity + 11);
}

}  // namespace
}  // namespace vpdnd::aaa::radius
