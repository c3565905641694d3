#include "aaa/aaa.hpp"

#include <gtest/gtest.h>

#include <set>

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "fake_radius.hpp"

namespace vpdnd::aaa {
namespace {

using test::FakeRadius;

std::vector<std::uint8_t> bytes_of(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

struct SplitCase {
  std::string_view name, user, domain;
};
void expect_splits(const config::L2tpGlobal& g, std::initializer_list<SplitCase> cases) {
  for (const auto& c : cases) {
    auto n = split_user_name(c.name, g);
    EXPECT_EQ(n.user, c.user) << c.name;
    EXPECT_EQ(n.domain, c.domain) << c.name;
  }
}

TEST(UserName, SuffixSplitsAtTheLastSeparator) {
  expect_splits({}, {{"alice@corp.com", "alice", "corp.com"},
                     {"a@b@corp.com", "a@b", "corp.com"},
                     {"alice", "alice", ""},
                     {"alice@", "alice", ""}});
}

TEST(UserName, PrefixSplitsAtTheFirstSeparator) {
  config::L2tpGlobal g;
  g.prefix_separator = true;
  g.separator = '\\';
  expect_splits(g, {{"corp.com\\alice", "alice", "corp.com"},
                    {"corp.com\\al\\ice", "al\\ice", "corp.com"},
                    {"alice@corp.com", "alice@corp.com", ""}});
}

TEST(Chap, KnownAnswers) {
  std::vector<std::uint8_t> challenge;
  for (int i = 0; i < 16; ++i) challenge.push_back(static_cast<std::uint8_t>(i));
  auto r = chap_md5(1, "secret", challenge);
  EXPECT_EQ(std::vector<std::uint8_t>(r.begin(), r.end()),
            bytes_of("740e86463bda3a4d7017d6e0fba0699d"));
  r = chap_md5(0x2a, "alicepw", bytes_of("0123456789abcdeffedcba9876543210"));
  EXPECT_EQ(std::vector<std::uint8_t>(r.begin(), r.end()),
            bytes_of("ac0275bb9d07b4c4d15e7b4a3001a507"));
}

TEST(Tunnels, OrderedByPreferenceThenTagAndFiltered) {
  TunnelSet a{.tag = 1, .type = 3, .medium = 1, .server_endpoint = Ipv4{1}, .preference = 20};
  TunnelSet b{.tag = 2, .type = 3, .medium = 1, .server_endpoint = Ipv4{2}, .preference = 10};
  TunnelSet c{.tag = 3, .type = 3, .medium = 1, .server_endpoint = Ipv4{3}};
  TunnelSet pptp{.tag = 4, .type = 1, .medium = 1, .server_endpoint = Ipv4{4}, .preference = 1};
  TunnelSet v6{.tag = 5, .type = 3, .medium = 2, .server_endpoint = Ipv4{5}, .preference = 1};
  TunnelSet noend{.tag = 6, .type = 3, .medium = 1, .preference = 1};
  TunnelSet d{.tag = 0, .type = 3, .medium = 1, .server_endpoint = Ipv4{6}, .preference = 20};
  auto out = order_l2tp_tunnels({a, b, c, pptp, v6, noend, d});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].tag, 2);
  EXPECT_EQ(out[1].tag, 0);
  EXPECT_EQ(out[2].tag, 1);
  EXPECT_EQ(out[3].tag, 3);
}

class AaaTest : public ::testing::Test {
 protected:
  AaaTest() {
    auto& c = store.mutable_running();
    add_user("alice@corp.com", "alicepw");
    add_user("bob", "bobpw");
    config::Domain corp{.name = "corp.com"};
    c.domains["corp.com"] = corp;
    config::RadiusScheme r1{.name = "r1"};
    r1.primary_authentication = config::RadiusServer{*Ipv4::parse("127.0.0.1"), 1812};
    r1.primary_accounting = config::RadiusServer{*Ipv4::parse("127.0.0.1"), 1813};
    r1.key_authentication.plain = "testing123";
    r1.key_accounting.plain = "testing123";
    r1.realtime_accounting_min = 5;
    c.radius_schemes["r1"] = r1;
    c.ip_pools["1"] = config::IpPool{
        .name = "1", .start = *Ipv4::parse("192.168.0.10"), .end = *Ipv4::parse("192.168.0.12")};
    aaa = std::make_unique<Aaa>(store, timers, radius);
  }
  void add_user(std::string name, std::string pw, std::uint8_t services = 1, bool active = true) {
    config::LocalUser u{
        .name = name, .password = {pw}, .service_types = services, .active = active};
    store.mutable_running().local_users[name] = u;
  }
  config::Domain& corp() { return store.mutable_running().domains["corp.com"]; }
  void use_radius(bool local = false, bool none = false) {
    corp().auth = config::AuthMethod::radius;
    corp().auth_radius_scheme = "r1";
    corp().auth_fallback_local = local;
    corp().auth_fallback_none = none;
  }

  // Runs authentication to completion (for local/none); returns the result.
  std::optional<AuthResult> run(AuthRequest req) {
    std::optional<AuthResult> out;
    aaa->authenticate(std::move(req), [&](AuthResult r) { out = std::move(r); });
    EXPECT_FALSE(out.has_value()) << "callback ran inside authenticate()";
    timers.run_due();
    return out;
  }
  // The verdict on `req` once the RADIUS server answered `answer`.
  std::optional<AuthResult> run_radius(AuthRequest req, RadiusAccessReply answer) {
    std::optional<AuthResult> out;
    aaa->authenticate(std::move(req), [&](AuthResult r) { out = std::move(r); });
    radius.answer(std::move(answer));
    return out;
  }
  static AuthRequest pap(std::string user, std::string pw) {
    return AuthRequest{.user_name = user, .credentials = PapCredentials{pw}};
  }
  static AuthRequest chap(std::string user, std::string pw, std::uint8_t id = 7) {
    std::vector<std::uint8_t> challenge(16, 0x5a);
    auto resp = chap_md5(id, pw, challenge);
    return AuthRequest{.user_name = user,
                       .credentials = ChapCredentials{id, challenge, {resp.begin(), resp.end()}}};
  }

  config::ConfigStore store;
  ManualTimerService timers;
  FakeRadius radius;
  std::unique_ptr<Aaa> aaa;
};

TEST_F(AaaTest, LocalPapAcceptAndReject) {
  auto r = run(pap("alice@corp.com", "alicepw"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->accepted);
  EXPECT_EQ(r->method, AuthMethodUsed::local);
  EXPECT_EQ(r->domain, "corp.com");
  EXPECT_EQ(r->user, "alice");
  r = run(pap("alice@corp.com", "wrong"));
  EXPECT_FALSE(r->accepted);
  EXPECT_EQ(r->failure, AuthFailure::bad_password);
  r = run(pap("alice@corp.com", "alicepwx"));
  EXPECT_EQ(r->failure, AuthFailure::bad_password);
  r = run(pap("nobody@corp.com", "x"));
  EXPECT_EQ(r->failure, AuthFailure::no_such_user);
}

TEST_F(AaaTest, LocalChapAcceptAndReject) {
  auto r = run(chap("alice@corp.com", "alicepw"));
  EXPECT_TRUE(r->accepted);
  r = run(chap("alice@corp.com", "nope"));
  EXPECT_EQ(r->failure, AuthFailure::bad_password);
  auto req = chap("alice@corp.com", "alicepw");
  std::get<ChapCredentials>(req.credentials).response.pop_back();  // short response
  EXPECT_EQ(run(req)->failure, AuthFailure::bad_password);
}

TEST_F(AaaTest, BareLocalUserMatchesWhenTheFullNameIsNotConfigured) {
  EXPECT_TRUE(run(pap("bob@corp.com", "bobpw"))->accepted);
  EXPECT_TRUE(run(pap("bob", "bobpw"))->accepted);  // default domain `system`, local
}

TEST_F(AaaTest, BlockedUserNonPppUserBlockedDomain) {
  add_user("carol@corp.com", "pw", 1, /*active=*/false);
  EXPECT_EQ(run(pap("carol@corp.com", "pw"))->failure, AuthFailure::user_blocked);
  add_user("dave@corp.com", "pw", /*telnet*/ 2);
  EXPECT_EQ(run(pap("dave@corp.com", "pw"))->failure, AuthFailure::service_not_allowed);
  corp().active = false;
  auto r = run(pap("alice@corp.com", "alicepw"));
  EXPECT_FALSE(r->accepted);
  EXPECT_EQ(r->failure, AuthFailure::domain_blocked);
}

TEST_F(AaaTest, UnknownDomainUsesTheDefaultDomain) {
  auto& c = store.mutable_running();
  c.domains["isp"] = config::Domain{.name = "isp", .auth = config::AuthMethod::none};
  c.default_domain = "isp";
  auto r = run(pap("eve@unknown.org", "whatever"));
  EXPECT_TRUE(r->accepted);
  EXPECT_EQ(r->domain, "isp");
  EXPECT_EQ(r->method, AuthMethodUsed::none);
  // A known domain still applies.
  EXPECT_FALSE(run(pap("alice@corp.com", "x"))->accepted);
  // Domain names ignore case.
  EXPECT_TRUE(run(pap("alice@CORP.COM", "alicepw"))->accepted);
}

TEST_F(AaaTest, DomainOverrideFromTheTemplate) {
  auto& c = store.mutable_running();
  c.domains["open"] = config::Domain{.name = "open", .auth = config::AuthMethod::none};
  auto req = pap("alice@corp.com", "wrong");
  req.domain_override = "open";
  auto r = run(req);
  EXPECT_TRUE(r->accepted);
  EXPECT_EQ(r->domain, "open");
}

TEST_F(AaaTest, PrefixSeparatorNames) {
  auto& c = store.mutable_running();
  c.l2tp.prefix_separator = true;
  c.l2tp.separator = '\\';
  add_user("zed", "zpw");
  auto r = run(pap("corp.com\\zed", "zpw"));
  EXPECT_TRUE(r->accepted);
  EXPECT_EQ(r->domain, "corp.com");
  EXPECT_EQ(r->user, "zed");
}

TEST_F(AaaTest, RadiusAcceptCarriesAttributes) {
  use_radius();
  std::optional<AuthResult> out;
  auto req = chap("alice@corp.com", "alicepw");
  req.calling_station_id = "00:11:22:33:44:55";
  req.called_station_id = "5551234";
  aaa->authenticate(req, [&](AuthResult r) { out = r; });
  ASSERT_EQ(radius.pending_access(), 1u);
  const auto& sent = radius.last_access();
  EXPECT_EQ(sent.request.user_name, "alice@corp.com");
  EXPECT_EQ(sent.request.called_station_id, "5551234");
  EXPECT_EQ(sent.target.scheme.name, "r1");
  EXPECT_TRUE(std::holds_alternative<ChapCredentials>(sent.request.credentials));
  RadiusAccessReply reply{.outcome = RadiusOutcome::accept};
  reply.framed_ip = *Ipv4::parse("192.168.0.77");
  reply.framed_pool = "vip";
  reply.session_timeout_s = 3600;
  reply.tunnels = {TunnelSet{.tag = 1,
                             .type = 3,
                             .medium = 1,
                             .server_endpoint = *Ipv4::parse("10.0.0.3"),
                             .preference = 2},
                   TunnelSet{.tag = 2,
                             .type = 3,
                             .medium = 1,
                             .server_endpoint = *Ipv4::parse("10.0.0.2"),
                             .preference = 1}};
  radius.answer(reply);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->accepted);
  EXPECT_EQ(out->method, AuthMethodUsed::radius);
  EXPECT_EQ(out->framed_ip, *Ipv4::parse("192.168.0.77"));
  EXPECT_EQ(out->framed_pool, "vip");
  EXPECT_EQ(out->session_timeout_s, 3600u);
  ASSERT_EQ(out->tunnels.size(), 2u);
  EXPECT_EQ(out->tunnels[0].server_endpoint, *Ipv4::parse("10.0.0.2"));
}

// An MS-CHAP v1 Accept's MS-CHAP-MPPE-Keys (the NT key) and the request's challenge give
// the MPPE keys, as a local MS-CHAP v1 authentication would.
TEST_F(AaaTest, RadiusMsChapV1NtKeyBecomesTheMppeKeys) {
  use_radius();
  std::optional<AuthResult> out;
  std::vector<std::uint8_t> challenge{1, 2, 3, 4, 5, 6, 7, 8};
  AuthRequest req{.user_name = "alice@corp.com",
                  .credentials = MsChapCredentials{1, 7, challenge, std::vector<std::uint8_t>(49)}};
  aaa->authenticate(req, [&](AuthResult r) { out = r; });
  const auto hash = mschap::nt_password_hash("alicepw");
  RadiusAccessReply reply{.outcome = RadiusOutcome::accept};
  reply.mschap_v1_nt_key = mschap::hash_nt_password_hash(hash);
  radius.answer(reply);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->accepted);
  ASSERT_TRUE(out->mppe_keys);
  EXPECT_EQ(*out->mppe_keys, mschap::v1_mppe_keys(hash, challenge));
}

TEST_F(AaaTest, RadiusRejectNeverFallsBack) {
  use_radius(/*local=*/true, /*none=*/true);
  auto out = run_radius(pap("alice@corp.com", "alicepw"),
                        {.outcome = RadiusOutcome::reject, .reply_message = "go away"});
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->accepted);
  EXPECT_EQ(out->failure, AuthFailure::radius_reject);
  EXPECT_EQ(out->reply_message, "go away");
}

TEST_F(AaaTest, RadiusTimeoutFallsBackToLocal) {
  use_radius(/*local=*/true);
  auto out = run_radius(pap("alice@corp.com", "alicepw"), {.outcome = RadiusOutcome::timeout});
  EXPECT_TRUE(out->accepted);
  EXPECT_EQ(out->method, AuthMethodUsed::local);
  // Local still checks the password.
  out = run_radius(pap("alice@corp.com", "bad"), {.outcome = RadiusOutcome::timeout});
  EXPECT_FALSE(out->accepted);
  EXPECT_EQ(out->failure, AuthFailure::bad_password);
}

TEST_F(AaaTest, RadiusTimeoutFallsBackToNone) {
  use_radius(false, /*none=*/true);
  auto out = run_radius(pap("ghost@corp.com", "x"), {.outcome = RadiusOutcome::error});
  EXPECT_TRUE(out->accepted);
  EXPECT_EQ(out->method, AuthMethodUsed::none);
}

TEST_F(AaaTest, RadiusTimeoutWithoutFallbackFails) {
  use_radius();
  auto out = run_radius(pap("alice@corp.com", "alicepw"), {.outcome = RadiusOutcome::timeout});
  EXPECT_FALSE(out->accepted);
  EXPECT_EQ(out->failure, AuthFailure::radius_unreachable);
}

TEST_F(AaaTest, MissingSchemeFallsBackOrFails) {
  use_radius(true);
  corp().auth_radius_scheme = "nope";
  auto r = run(pap("alice@corp.com", "alicepw"));
  EXPECT_TRUE(r->accepted);
  EXPECT_EQ(r->method, AuthMethodUsed::local);
  corp().auth_fallback_local = false;
  EXPECT_EQ(run(pap("alice@corp.com", "alicepw"))->failure, AuthFailure::config_error);
}

TEST_F(AaaTest, RadiusUserNameFormats) {
  use_radius();
  auto& s = store.mutable_running().radius_schemes["r1"];
  auto sent_name = [&](std::string user) {
    aaa->authenticate(pap(user, "x"), [](AuthResult) {});
    std::string n = radius.last_access().request.user_name;
    radius.answer({.outcome = RadiusOutcome::reject});
    return n;
  };
  EXPECT_EQ(sent_name("alice@corp.com"), "alice@corp.com");
  s.user_name_format = config::UserNameFormat::without_domain;
  EXPECT_EQ(sent_name("alice@corp.com"), "alice");
  s.user_name_format = config::UserNameFormat::keep_original;
  EXPECT_EQ(sent_name("alice@corp.com"), "alice@corp.com");
  // with-domain adds the domain that applied when the user typed none.
  s.user_name_format = config::UserNameFormat::with_domain;
  store.mutable_running().default_domain = "corp.com";
  EXPECT_EQ(sent_name("alice"), "alice@corp.com");
}

TEST_F(AaaTest, CancelSuppressesTheCallback) {
  use_radius();
  bool called = false;
  auto h = aaa->authenticate(pap("alice@corp.com", "alicepw"), [&](AuthResult) { called = true; });
  aaa->cancel(h);
  EXPECT_EQ(radius.cancelled_.size(), 1u);
  EXPECT_EQ(radius.pending_access(), 0u);
  // A local answer cancelled before its deferred delivery never arrives either.
  corp().auth = config::AuthMethod::local;
  h = aaa->authenticate(pap("alice@corp.com", "alicepw"), [&](AuthResult) { called = true; });
  aaa->cancel(h);
  timers.run_due();
  EXPECT_FALSE(called);
  aaa->cancel(h);  // twice is harmless
  aaa->cancel(12345);
}

TEST_F(AaaTest, AccountingStartInterimStopAndAddressReturned) {
  corp().accounting_radius = true;
  corp().accounting_radius_scheme = "r1";
  auto a = aaa->allocate("1", "alice@corp.com");
  ASSERT_TRUE(a);
  Counters counters{};
  SessionStart st{.user_name = "alice@corp.com",
                  .domain = "corp.com",
                  .interface = "Virtual-Template1:1",
                  .address = *a,
                  .pool = "1",
                  .calling_station_id = "mac",
                  .called_station_id = "dnis",
                  .nas_port = 5};
  st.counters = [&] { return counters; };
  auto id = aaa->open_session(st);
  ASSERT_EQ(radius.accounting_log_.size(), 1u);
  const auto start = radius.accounting_log_[0];
  EXPECT_EQ(start.status, AcctStatus::start);
  EXPECT_EQ(start.user_name, "alice@corp.com");
  EXPECT_EQ(start.framed_ip, *a);
  EXPECT_FALSE(start.session_id.empty());
  EXPECT_EQ(start.session_id, aaa->accounting_session_id(id));
  auto online = aaa->online_users();
  ASSERT_EQ(online.size(), 1u);
  EXPECT_EQ(online[0].address, *a);
  EXPECT_EQ(online[0].domain, "corp.com");

  counters.input_octets = (5ull << 32) + 7;
  counters.output_packets = 99;
  radius.ack_all_accounting();
  timers.advance(std::chrono::minutes(5));
  ASSERT_EQ(radius.accounting_log_.size(), 2u);
  EXPECT_EQ(radius.accounting_log_[1].status, AcctStatus::interim);
  EXPECT_EQ(radius.accounting_log_[1].session_time_s, 300u);
  EXPECT_EQ(radius.accounting_log_[1].counters.input_octets, (5ull << 32) + 7);
  radius.ack_all_accounting();
  timers.advance(std::chrono::minutes(5));
  ASSERT_EQ(radius.accounting_log_.size(), 3u);
  EXPECT_EQ(radius.accounting_log_[2].status, AcctStatus::interim);

  radius.ack_all_accounting();
  timers.advance(std::chrono::seconds(30));
  aaa->close_session(id, TerminateCause::admin_reset);
  ASSERT_EQ(radius.accounting_log_.size(), 4u);
  const auto& stop = radius.accounting_log_[3];
  EXPECT_EQ(stop.status, AcctStatus::stop);
  EXPECT_EQ(stop.session_time_s, 630u);
  EXPECT_EQ(stop.terminate_cause, TerminateCause::admin_reset);
  EXPECT_EQ(stop.session_id, start.session_id);
  EXPECT_EQ(stop.counters.output_packets, 99u);
  EXPECT_TRUE(aaa->online_users().empty());
  EXPECT_EQ(aaa->pool_status("1")[0].in_use, 0u);
  // No more interims after Stop.
  timers.advance(std::chrono::minutes(30));
  EXPECT_EQ(radius.accounting_log_.size(), 4u);
  radius.ack_all_accounting();
  aaa->close_session(id, TerminateCause::admin_reset);  // unknown now: no-op
  EXPECT_EQ(radius.accounting_log_.size(), 4u);
}

// The session record stores its texts compactly (the usual "NAS-Port-Id:NAS-Port"
// interface is derived, no address is 0.0.0.0): what the display and the accounting
// records show is exactly what open_session was given.
TEST_F(AaaTest, SessionTextsComeBackAsGiven) {
  corp().accounting_radius = true;
  corp().accounting_radius_scheme = "r1";
  struct Case {
    std::string interface, nas_port_id;
    std::uint32_t nas_port;
    std::optional<Ipv4> address;
  };
  const std::vector<Case> cases = {
      {"Virtual-Template1:4711", "Virtual-Template1", 4711, Ipv4{0x0a000005}},  // derived
      {"Virtual-Template1:4712", "Virtual-Template1", 4711, Ipv4{0x0a000006}},  // other port
      {"eth1", "eth1", 17, std::nullopt},                                       // LAC
      {"", "", 0, std::nullopt},
      {":0", "", 0, std::nullopt},
  };
  std::vector<Aaa::SessionId> ids;
  for (const auto& c : cases) {
    ids.push_back(aaa->open_session({.user_name = "carol@corp.com",
                                     .domain = "corp.com",
                                     .interface = c.interface,
                                     .address = c.address,
                                     .calling_station_id = "00:11:22:33:44:55",
                                     .called_station_id = "5551234",
                                     .nas_port = c.nas_port,
                                     .nas_port_id = c.nas_port_id}));
    radius.ack_all_accounting();
  }
  auto online = aaa->online_users();
  ASSERT_EQ(online.size(), cases.size());
  ASSERT_EQ(radius.accounting_log_.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].interface);
    EXPECT_EQ(online[i].interface, cases[i].interface);
    EXPECT_EQ(online[i].user, "carol@corp.com");
    EXPECT_EQ(online[i].domain, "corp.com");
    EXPECT_EQ(online[i].address, cases[i].address.value_or(Ipv4{}));
    EXPECT_EQ(online[i].acct_session_id, aaa->accounting_session_id(ids[i]));
    const auto& start = radius.accounting_log_[i];
    EXPECT_EQ(start.session_id, online[i].acct_session_id);
    EXPECT_EQ(start.framed_ip, cases[i].address);
    EXPECT_EQ(start.nas_port, cases[i].nas_port);
    EXPECT_EQ(start.nas_port_id, cases[i].nas_port_id);
    EXPECT_EQ(start.calling_station_id, "00:11:22:33:44:55");
    EXPECT_EQ(start.called_station_id, "5551234");
  }
  aaa->close_session(ids[0], TerminateCause::user_request);
  ASSERT_EQ(radius.accounting_log_.size(), cases.size() + 1);
  const auto& stop = radius.accounting_log_.back();
  EXPECT_EQ(stop.status, AcctStatus::stop);
  EXPECT_EQ(stop.framed_ip, cases[0].address);
  EXPECT_EQ(stop.nas_port_id, "Virtual-Template1");
  EXPECT_EQ(stop.user_name, "carol@corp.com");
  // Interims armed for the others: destroying Aaa cancels them (nothing fires into it).
  radius.ack_all_accounting();
  const std::size_t armed = timers.pending();
  EXPECT_GE(armed, cases.size() - 1);
  aaa.reset();
  EXPECT_LE(timers.pending(), armed - (cases.size() - 1));
  timers.advance(std::chrono::hours(1));
}

TEST_F(AaaTest, AccountingGoesOutInOrderPerSession) {
  corp().accounting_radius = true;
  corp().accounting_radius_scheme = "r1";
  auto s1 = aaa->open_session({.user_name = "a", .domain = "corp.com"});
  auto s2 = aaa->open_session({.user_name = "b", .domain = "corp.com"});
  aaa->close_session(s1, TerminateCause::user_request);
  // Both Starts are on the wire at once (different sessions); s1's Stop waits for its Start.
  ASSERT_EQ(radius.accounting_log_.size(), 2u);
  EXPECT_EQ(radius.accounting_log_[0].status, AcctStatus::start);
  EXPECT_EQ(radius.accounting_log_[1].status, AcctStatus::start);
  // A failed (timed out) Start still lets the Stop go.
  auto it = radius.accounting_.begin();
  auto done = std::move(it->second.done);
  radius.accounting_.erase(it);
  done({RadiusOutcome::timeout});
  ASSERT_EQ(radius.accounting_log_.size(), 3u);
  EXPECT_EQ(radius.accounting_log_[2].status, AcctStatus::stop);
  EXPECT_EQ(radius.accounting_log_[2].user_name, "a");
  aaa->close_session(s2, TerminateCause::user_request);
  EXPECT_EQ(radius.accounting_log_.size(), 3u);
  radius.ack_all_accounting();  // s1 Stop and s2 Start answered; s2 Stop goes out
  ASSERT_EQ(radius.accounting_log_.size(), 4u);
  EXPECT_EQ(radius.accounting_log_[3].user_name, "b");
  EXPECT_EQ(radius.accounting_log_[3].status, AcctStatus::stop);
  radius.ack_all_accounting();
  EXPECT_EQ(aaa->accounting_in_flight(), 0u);
}

TEST_F(AaaTest, AccountingNoneSendsNothingButTracksTheUser) {
  auto id = aaa->open_session({.user_name = "bob", .domain = "system"});
  EXPECT_TRUE(radius.accounting_log_.empty());
  EXPECT_EQ(aaa->session_count(), 1u);
  timers.advance(std::chrono::hours(2));
  aaa->close_session(id, TerminateCause::user_request);
  EXPECT_TRUE(radius.accounting_log_.empty());
  EXPECT_EQ(aaa->session_count(), 0u);
}

TEST_F(AaaTest, AcctSessionIdsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto id = aaa->open_session({.user_name = "u", .domain = "system"});
    ids.insert(aaa->accounting_session_id(id));
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST_F(AaaTest, PoolChoicePrecedence) {
  AuthResult auth;
  auth.domain = "corp.com";
  const auto& c = store.running();
  EXPECT_EQ(choose_pool(c, auth, "tpl"), "tpl");
  corp().authorization_ip_pool = "dom";
  EXPECT_EQ(choose_pool(c, auth, "tpl"), "dom");
  auth.framed_pool = "rad";
  EXPECT_EQ(choose_pool(c, auth, "tpl"), "rad");
}

TEST_F(AaaTest, PoolFollowsConfigChanges) {
  auto a = aaa->allocate("1", "x");
  auto b = aaa->allocate("1", "y");
  ASSERT_TRUE(a && b);
  // One transaction per step, as a command would make it.
  auto edit = [&](std::string pool, bool removed,
                  const std::function<void(config::RunningConfig&)>& fn) {
    store.edit({config::ConfigSection::ip_pool, pool, removed}, [&](config::RunningConfig& c) {
      fn(c);
      return std::string();
    });
  };
  // Grow the pool: leases kept.
  edit("1", false,
       [&](config::RunningConfig& c) { c.ip_pools["1"].end = *Ipv4::parse("192.168.0.20"); });
  auto st = aaa->pool_status("1")[0];
  EXPECT_EQ(st.in_use, 2u);
  EXPECT_EQ(st.free, 9u);
  ASSERT_EQ(st.leases.size(), 2u);
  EXPECT_EQ(st.leases[0].user, "x");
  // Shrink so that b falls out: a stays leased, b stays reserved outside the pool.
  edit("1", false, [&](config::RunningConfig& c) { c.ip_pools["1"].end = c.ip_pools["1"].start; });
  st = aaa->pool_status("1")[0];
  EXPECT_EQ(st.in_use, 1u);
  // Grow it back: b is leased again, never handed to someone else.
  edit("1", false,
       [&](config::RunningConfig& c) { c.ip_pools["1"].end = *Ipv4::parse("192.168.0.12"); });
  EXPECT_EQ(aaa->pool_status("1")[0].in_use, 2u);
  auto c1 = aaa->allocate("1", "c");
  ASSERT_TRUE(c1);
  EXPECT_NE(*c1, *a);
  EXPECT_NE(*c1, *b);
  EXPECT_FALSE(aaa->allocate("1", "d"));  // 3 addresses, 3 leases
  EXPECT_TRUE(aaa->release("1", *b));
  EXPECT_FALSE(aaa->release("1", *b));
  EXPECT_EQ(*aaa->allocate("1", "e"), *b);
  // Remove the pool while a is leased, re-create it: a is still taken.
  edit("1", true, [&](config::RunningConfig& c) { c.ip_pools.erase("1"); });
  EXPECT_EQ(aaa->allocate("1", "x").error(), PoolError::no_such_pool);
  edit("1", false, [&](config::RunningConfig& c) {
    c.ip_pools["1"] = config::IpPool{.name = "1", .start = *a, .end = *a};
  });
  EXPECT_EQ(aaa->allocate("1", "y").error(), PoolError::exhausted);
  EXPECT_TRUE(aaa->release("1", *a));  // the session ends
  EXPECT_EQ(*aaa->allocate("1", "y"), *a);
  // A new pool appears, a removed one disappears; orphans of a removed pool still release.
  edit("2", false, [&](config::RunningConfig& c) {
    c.ip_pools["2"] = config::IpPool{
        .name = "2", .start = *Ipv4::parse("10.1.0.1"), .end = *Ipv4::parse("10.1.0.1")};
  });
  EXPECT_TRUE(aaa->allocate("2", "z"));
  edit("1", true, [&](config::RunningConfig& c) { c.ip_pools.erase("1"); });
  EXPECT_EQ(aaa->pool_status().size(), 1u);
  ASSERT_EQ(aaa->pool_status()[0].leases.size(), 1u);
  EXPECT_EQ(aaa->pool_status()[0].leases[0].user, "z");
  EXPECT_TRUE(aaa->release("1", *a));
  EXPECT_FALSE(aaa->release("1", *a));
}

TEST_F(AaaTest, DestroyingAaaCancelsInFlightRequests) {
  use_radius();
  aaa->authenticate(pap("alice@corp.com", "alicepw"), [](AuthResult) { FAIL(); });
  aaa.reset();
  EXPECT_EQ(radius.pending_access(), 0u);
  // The config store's listener must not touch the dead object.
  store.edit({config::ConfigSection::ip_pool, "1"},
             [](config::RunningConfig&) { return std::string(); });
}

}  // namespace
}  // namespace vpdnd::aaa

namespace vpdnd::aaa {
namespace {

// A client that answers inside the call, as a cache or a refusing client might.
class SyncRadius : public RadiusClient {
 public:
  Id access_request(const RadiusTarget&, RadiusAccessRequest, AccessCallback done) override {
    done({.outcome = RadiusOutcome::accept, .framed_ip = Ipv4{0x0a000001}});
    return next_++;
  }
  Id accounting_request(const RadiusTarget&, RadiusAccountingRequest r,
                        AccountingCallback done) override {
    statuses.push_back(r.status);
    done({RadiusOutcome::accept});
    return next_++;
  }
  void cancel(Id) override { ++cancels; }
  std::vector<AcctStatus> statuses;
  int cancels = 0;
  Id next_ = 1;
};

TEST(AaaSync, ImmediateAnswersAreSafe) {
  config::ConfigStore store;
  ManualTimerService timers;
  SyncRadius radius;
  auto& c = store.mutable_running();
  config::RadiusScheme r1;
  r1.name = "r1";
  r1.secondary_authentication = config::RadiusServer{Ipv4{0x7f000001}, 1812};  // no primary
  r1.secondary_accounting = config::RadiusServer{Ipv4{0x7f000001}, 1813};
  c.radius_schemes["r1"] = r1;
  auto& sys = c.domains["system"];
  sys.auth = config::AuthMethod::radius;
  sys.auth_radius_scheme = "r1";
  sys.accounting_radius = true;
  sys.accounting_radius_scheme = "r1";
  {
    Aaa aaa(store, timers, radius);
    std::optional<AuthResult> out;
    auto h = aaa.authenticate({.user_name = "u", .credentials = PapCredentials{"p"}},
                              [&](AuthResult r) { out = r; });
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->accepted);
    EXPECT_EQ(out->framed_ip, Ipv4{0x0a000001});
    aaa.cancel(h);  // already finished: no-op
    auto id = aaa.open_session({.user_name = "u", .domain = "system"});
    EXPECT_EQ(aaa.accounting_in_flight(), 0u);
    timers.advance(std::chrono::minutes(12));  // default realtime-accounting interval
    aaa.close_session(id, TerminateCause::user_request);
    EXPECT_EQ(aaa.accounting_in_flight(), 0u);
  }
  EXPECT_EQ(radius.cancels, 0);
  EXPECT_EQ(radius.statuses,
            (std::vector<AcctStatus>{AcctStatus::start, AcctStatus::interim, AcctStatus::stop}));
}

TEST_F(AaaTest, CloseAllSessionsSendsStopsAndFreesAddresses) {
  corp().accounting_radius = true;
  corp().accounting_radius_scheme = "r1";
  for (int i = 0; i < 3; ++i) {
    auto a = aaa->allocate("1", "u" + std::to_string(i));
    ASSERT_TRUE(a);
    aaa->open_session(
        {.user_name = "u" + std::to_string(i), .domain = "corp.com", .address = *a, .pool = "1"});
  }
  timers.advance(std::chrono::seconds(42));
  auto online = aaa->online_users();
  ASSERT_EQ(online.size(), 3u);
  EXPECT_EQ(online[0].online_s, 42u);
  EXPECT_FALSE(online[0].acct_session_id.empty());
  EXPECT_EQ(aaa->accounting_in_flight(), 3u);  // three Starts unanswered
  aaa->close_all_sessions(TerminateCause::admin_reboot);
  EXPECT_EQ(aaa->session_count(), 0u);
  EXPECT_EQ(aaa->pool_status("1")[0].in_use, 0u);
  // Each Stop waits for its session's Start to be answered.
  EXPECT_EQ(aaa->accounting_in_flight(), 6u);
  EXPECT_EQ(radius.accounting_log_.size(), 3u);
  radius.ack_all_accounting();
  EXPECT_EQ(aaa->accounting_in_flight(), 3u);
  std::size_t stops = 0;
  for (const auto& r : radius.accounting_log_)
    if (r.status == AcctStatus::stop) {
      ++stops;
      EXPECT_EQ(r.terminate_cause, TerminateCause::admin_reboot);
    }
  EXPECT_EQ(stops, 3u);
  radius.ack_all_accounting();
  EXPECT_EQ(aaa->accounting_in_flight(), 0u);
}

}  // namespace
}  // namespace vpdnd::aaa
