// System test: vpdnd's AAA and RADIUS client against a real FreeRADIUS (Debian's
// freeradius 3.2) that the test configures from scratch under the build tree and runs on
// 127.0.0.1. Each test gets its own server and port pair from the aaa range 22000-22999, so
// ctest may run them in parallel; the server is killed in TearDown (and by PDEATHSIG if this
// process dies).
#include "tests/support/freeradius.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "aaa/aaa.hpp"
#include "common/log.hpp"
#include "common/mschap.hpp"
#include "common/protocol_thread.hpp"
#include "common/timer.hpp"
#include "tests/support/protocol_thread.hpp"

namespace vpdnd::aaa {
namespace {

using namespace std::chrono_literals;

using test::read_file;

// A UDP socket that is bound but never read: requests to it time out.
class BlackHole {
 public:
  explicit BlackHole(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~BlackHole() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }
  // Datagrams that arrived so far (drained).
  int received() {
    int n = 0;
    char buf[4096];
    while (recv(fd_, buf, sizeof buf, MSG_DONTWAIT) >= 0) ++n;
    return n;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// The reply items of L2TP tunnel `tag` (RFC 2868) towards an LNS, as `files` lines.
std::string l2tp_tunnel(int tag, const std::string& endpoint, const std::string& password,
                        int preference, const std::string& assignment_id) {
  const std::pair<const char*, std::string> items[] = {
      {"Tunnel-Type", "L2TP"},
      {"Tunnel-Medium-Type", "IPv4"},
      {"Tunnel-Server-Endpoint", '"' + endpoint + '"'},
      {"Tunnel-Password", '"' + password + '"'},
      {"Tunnel-Preference", std::to_string(preference)},
      {"Tunnel-Assignment-Id", '"' + assignment_id + '"'},
      {"Tunnel-Client-Auth-Id", "\"LAC\""},
  };
  std::string lines;
  for (const auto& [name, value] : items)
    lines += (lines.empty() ? "\t" : ",\n\t") + std::string(name) + ":" + std::to_string(tag) +
             " := " + value;
  return lines;
}

const std::string kUsers =
    R"(papuser Cleartext-Password := "pappw"
	Reply-Message := "hello pap"

chapuser@corp.com Cleartext-Password := "chappw"

rejectme Auth-Type := Reject
	Reply-Message := "go away"

fixedip Cleartext-Password := "fixedpw"
	Framed-IP-Address := 192.168.0.77,
	Framed-Pool := "vip",
	Session-Timeout := 3600,
	Idle-Timeout := 600

vpdn@corp.com Cleartext-Password := "vpdnpw"
)" + l2tp_tunnel(1, "10.0.0.3", "secretone", 20, "lns-b") +
    ",\n" + l2tp_tunnel(2, "10.0.0.2", "a-much-longer-tunnel-secret-over-16", 10, "lns-a") + "\n";

class FreeRadiusTest : public test::FreeRadiusFixture {
 protected:
  void SetUp() override {
    FreeRadiusFixture::SetUp();
    if (IsSkipped()) return;
    // The debug lines land in the test log, which helps when a server misbehaves.
    LogBus::instance().set_all(DebugModule::radius, true);
    LogBus::instance().set_all(DebugModule::aaa, true);
    sink_ = LogBus::instance().subscribe([this](const LogRecord& r) {
      std::string line = LogBus::instance().format(r);
      if (r.is_debug) std::fprintf(stderr, "%s\n", line.c_str());
      std::lock_guard lock(lines_mutex_);
      lines_ += line + "\n";
    });
  }

  // Starts FreeRADIUS on 22900 + 2*slot (auth) and +1 (acct); black holes on 22800 + 2*slot
  // and +1 stand for dead servers. Every test uses its own slot.
  void start_server(int slot) {
    auth_port_ = static_cast<std::uint16_t>(22900 + 2 * slot);
    dead_port_ = static_cast<std::uint16_t>(22800 + 2 * slot);
    configure_server("slot" + std::to_string(slot), auth_port_, kUsers);
    dead1_ = std::make_unique<BlackHole>(dead_port_);
    dead2_ = std::make_unique<BlackHole>(dead_port_ + 1);
    ASSERT_TRUE(dead1_->ok() && dead2_->ok()) << "ports " << dead_port_ << " busy";
    FreeRadiusFixture::start_server();
    if (HasFatalFailure()) return;

    engine_.start();
    engine_.call([&] {
      radius_ = make_radius_client(engine_);
      aaa_ = std::make_unique<Aaa>(store_, timers_, *radius_);
    });
  }

  void TearDown() override {
    test::stop_protocol_thread(engine_, aaa_, radius_);
    FreeRadiusFixture::TearDown();
    LogBus::instance().clear_all();
    LogBus::instance().unsubscribe(sink_);
  }

  config::RadiusServer server(std::uint16_t port) {
    return config::RadiusServer{*Ipv4::parse("127.0.0.1"), port};
  }

  // Scheme r1 on the live server (or the given ports), used by domains `system` and corp.com.
  void configure(std::uint16_t primary, std::optional<std::uint16_t> secondary = std::nullopt,
                 bool fallback_local = false) {
    engine_.call([&] {
      auto& c = store_.mutable_running();
      config::RadiusScheme s;
      s.name = "r1";
      s.primary_authentication = server(primary);
      s.primary_accounting = server(static_cast<std::uint16_t>(primary + 1));
      if (secondary) {
        s.secondary_authentication = server(*secondary);
        s.secondary_accounting = server(static_cast<std::uint16_t>(*secondary + 1));
      }
      s.key_authentication.plain = "testing123";
      s.key_accounting.plain = "testing123";
      s.user_name_format = config::UserNameFormat::keep_original;
      s.response_timeout_s = 1;
      s.retry = 1;
      s.realtime_accounting_min = 1;
      s.nas_ip = *Ipv4::parse("127.0.0.1");
      c.radius_schemes["r1"] = s;
      for (const char* name : {"system", "corp.com"}) {
        config::Domain d;
        d.name = name;
        d.auth = config::AuthMethod::radius;
        d.auth_radius_scheme = "r1";
        d.auth_fallback_local = fallback_local;
        d.accounting_radius = true;
        d.accounting_radius_scheme = "r1";
        c.domains[name] = d;
      }
      config::LocalUser u;
      u.name = "localonly";
      u.password.plain = "localpw";
      u.service_types = static_cast<std::uint8_t>(config::ServiceType::ppp);
      c.local_users[u.name] = u;
    });
  }

  AuthResult authenticate(AuthRequest req) {
    std::promise<AuthResult> p;
    auto f = p.get_future();
    engine_.call(
        [&] { aaa_->authenticate(req, [&p](AuthResult r) { p.set_value(std::move(r)); }); });
    for (int i = 0; i < 400; ++i) {
      if (f.wait_for(25ms) == std::future_status::ready) return f.get();
      engine_.call([&] { timers_.run_due(); });  // deferred local/none answers
    }
    ADD_FAILURE() << "no answer for " << req.user_name;
    return {};
  }

  static AuthRequest pap(std::string user, std::string pw) {
    AuthRequest r;
    r.user_name = std::move(user);
    r.credentials = PapCredentials{std::move(pw)};
    r.calling_station_id = "00-11-22-33-44-55";
    r.called_station_id = "5551234";
    r.nas_port = 7;
    r.nas_port_id = "eth1";
    return r;
  }

  std::string wait_detail(std::size_t records) {
    std::string text;
    for (int i = 0; i < 200; ++i) {
      text = read_file(detail_file());
      std::size_t n = 0;
      for (std::size_t pos = 0; (pos = text.find("Acct-Status-Type", pos)) != std::string::npos;
           ++pos)
        ++n;
      if (n >= records) break;
      std::this_thread::sleep_for(50ms);
    }
    return text;
  }

  ProtocolThread engine_;
  config::ConfigStore store_;
  ManualTimerService timers_;
  std::unique_ptr<RadiusClient> radius_;
  std::unique_ptr<Aaa> aaa_;
  // Every line the LogBus emitted during the test: secrets must never appear in it.
  std::string logged() {
    std::lock_guard lock(lines_mutex_);
    return lines_;
  }
  std::mutex lines_mutex_;
  std::string lines_;
  LogBus::SinkId sink_ = 0;
  std::uint16_t auth_port_ = 0;
  std::uint16_t dead_port_ = 0;
  std::unique_ptr<BlackHole> dead1_, dead2_;
};

TEST_F(FreeRadiusTest, PapAcceptAndWrongPasswordReject) {
  start_server(0);
  configure(auth_port_);
  auto r = authenticate(pap("papuser", "pappw"));
  EXPECT_TRUE(r.accepted) << to_string(r.failure);
  EXPECT_EQ(r.method, AuthMethodUsed::radius);
  EXPECT_EQ(r.reply_message, "hello pap");
  r = authenticate(pap("papuser", "wrong"));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.failure, AuthFailure::radius_reject);
  // Names RADIUS cannot carry are refused, not treated as a silent server.
  r = authenticate(pap(std::string(300, 'x'), "pw"));
  EXPECT_EQ(r.failure, AuthFailure::radius_reject);
  r = authenticate(pap("papuser", std::string(200, 'p')));
  EXPECT_EQ(r.failure, AuthFailure::radius_reject);
}

TEST_F(FreeRadiusTest, ChapAccept) {
  start_server(1);
  configure(auth_port_);
  AuthRequest req = pap("chapuser@corp.com", "");
  std::vector<std::uint8_t> challenge;
  for (int i = 0; i < 16; ++i) challenge.push_back(static_cast<std::uint8_t>(0x30 + i * 3));
  auto resp = chap_md5(0x42, "chappw", challenge);
  req.credentials = ChapCredentials{0x42, challenge, {resp.begin(), resp.end()}};
  auto r = authenticate(req);
  EXPECT_TRUE(r.accepted) << to_string(r.failure);
  EXPECT_EQ(r.domain, "corp.com");
  // A wrong CHAP response is rejected.
  auto bad = chap_md5(0x42, "nope", challenge);
  req.credentials = ChapCredentials{0x42, challenge, {bad.begin(), bad.end()}};
  EXPECT_EQ(authenticate(req).failure, AuthFailure::radius_reject);
}

// RFC 2548 over FreeRADIUS's mschap module with a Cleartext-Password user: MS-CHAP-V2 is
// accepted with the authenticator response the client checks and the MPPE keys (both as
// vpdnd computes them from the password), a wrong password is rejected with E=691.
TEST_F(FreeRadiusTest, MsChapV2AcceptWithAuthenticatorResponseAndMppeKeys) {
  start_server(10);
  configure(auth_port_);
  const std::string user = "chapuser@corp.com";
  std::vector<std::uint8_t> challenge, peer;
  for (int i = 0; i < 16; ++i) {
    challenge.push_back(static_cast<std::uint8_t>(0x51 + i * 5));
    peer.push_back(static_cast<std::uint8_t>(0x13 + i * 11));
  }
  auto response = [&](std::string_view password) {
    mschap::V2Response v;
    std::copy(peer.begin(), peer.end(), v.peer_challenge.begin());
    v.nt_response =
        mschap::v2_nt_response(challenge, peer, user, mschap::nt_password_hash(password));
    return mschap::encode_v2_response(v);
  };
  AuthRequest req = pap(user, "");
  req.credentials = MsChapCredentials{2, 0x21, challenge, response("chappw")};
  auto r = authenticate(req);
  ASSERT_TRUE(r.accepted) << to_string(r.failure) << " " << r.reply_message;
  auto local = mschap::verify_v2("chappw", challenge, response("chappw"), user);
  ASSERT_TRUE(local);
  EXPECT_EQ(r.mschap_auth_response, local->authenticator_response);
  ASSERT_TRUE(r.mppe_keys);
  EXPECT_EQ(*r.mppe_keys, local->keys);

  req.credentials = MsChapCredentials{2, 0x22, challenge, response("wrong")};
  r = authenticate(req);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.failure, AuthFailure::radius_reject);
  EXPECT_EQ(r.mschap_error.rfind("E=691", 0), 0u) << r.mschap_error;
  EXPECT_EQ(logged().find("chappw"), std::string::npos);
}

TEST_F(FreeRadiusTest, MsChapV1Accept) {
  start_server(11);
  configure(auth_port_);
  std::vector<std::uint8_t> challenge{1, 2, 3, 4, 5, 6, 7, 8};
  mschap::V1Response v;
  v.nt_response = mschap::v1_nt_response(challenge, mschap::nt_password_hash("pappw"));
  AuthRequest req = pap("papuser", "");
  req.credentials = MsChapCredentials{1, 0x31, challenge, mschap::encode_v1_response(v)};
  auto r = authenticate(req);
  EXPECT_TRUE(r.accepted) << to_string(r.failure);
  // v1 keys come as MS-CHAP-MPPE-Keys (RFC 2548 §2.4.1), decoded and kept like v2's.
  EXPECT_TRUE(r.mppe_keys);
  v.nt_response = mschap::v1_nt_response(challenge, mschap::nt_password_hash("nope"));
  req.credentials = MsChapCredentials{1, 0x31, challenge, mschap::encode_v1_response(v)};
  EXPECT_EQ(authenticate(req).failure, AuthFailure::radius_reject);
}

TEST_F(FreeRadiusTest, RejectDoesNotFallBackToLocal) {
  start_server(2);
  configure(auth_port_, std::nullopt, /*fallback_local=*/true);
  auto r = authenticate(pap("rejectme", "x"));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.failure, AuthFailure::radius_reject);
  EXPECT_EQ(r.reply_message, "go away");
  // `localonly` exists only locally: RADIUS rejects it and local is not consulted.
  r = authenticate(pap("localonly", "localpw"));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.failure, AuthFailure::radius_reject);
}

TEST_F(FreeRadiusTest, FramedIpPoolAndTimeoutsHonoured) {
  start_server(3);
  configure(auth_port_);
  engine_.call([&] {
    store_.edit({config::ConfigSection::ip_pool, "vip"}, [](config::RunningConfig& c) {
      c.ip_pools["vip"] =
          config::IpPool{"vip", *Ipv4::parse("192.168.0.70"), *Ipv4::parse("192.168.0.80"), ""};
      return std::string();
    });
  });
  auto r = authenticate(pap("fixedip", "fixedpw"));
  ASSERT_TRUE(r.accepted) << to_string(r.failure);
  EXPECT_EQ(r.framed_ip, Ipv4::parse("192.168.0.77"));
  EXPECT_EQ(r.framed_pool, "vip");
  EXPECT_EQ(r.session_timeout_s, 3600u);
  EXPECT_EQ(r.idle_timeout_s, 600u);
  // The Framed-IP is honoured by the pool the reply named.
  auto lease = engine_.call([&] {
    std::string pool = choose_pool(store_.running(), r, "tpl");
    return aaa_->allocate(pool, "fixedip", r.framed_ip, true);
  });
  ASSERT_TRUE(lease);
  EXPECT_EQ(*lease, *Ipv4::parse("192.168.0.77"));
}

TEST_F(FreeRadiusTest, TunnelAttributesGiveAnOrderedLnsList) {
  start_server(4);
  configure(auth_port_);
  auto r = authenticate(pap("vpdn@corp.com", "vpdnpw"));
  ASSERT_TRUE(r.accepted) << to_string(r.failure);
  ASSERT_EQ(r.tunnels.size(), 2u);
  EXPECT_EQ(r.tunnels[0].server_endpoint, Ipv4::parse("10.0.0.2"));
  EXPECT_EQ(r.tunnels[0].preference, 10u);
  EXPECT_EQ(r.tunnels[0].tag, 2);
  EXPECT_EQ(r.tunnels[0].type, 3u);
  EXPECT_EQ(r.tunnels[0].medium, 1u);
  EXPECT_EQ(r.tunnels[0].password, "a-much-longer-tunnel-secret-over-16");
  EXPECT_EQ(r.tunnels[0].assignment_id, "lns-a");
  EXPECT_EQ(r.tunnels[0].client_auth_id, "LAC");
  EXPECT_EQ(r.tunnels[1].server_endpoint, Ipv4::parse("10.0.0.3"));
  EXPECT_EQ(r.tunnels[1].password, "secretone");
  EXPECT_EQ(r.tunnels[1].assignment_id, "lns-b");
  // Debug lines describe the tunnels but never carry a password or the shared key.
  std::string log = logged();
  EXPECT_NE(log.find("10.0.0.2"), std::string::npos) << log;
  for (const char* secret : {"secretone", "a-much-longer", "vpdnpw", "testing123"})
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " leaked:\n" << log;
}

TEST_F(FreeRadiusTest, AccountingStartInterimStopInDetailFile) {
  start_server(5);
  configure(auth_port_);
  auto id = engine_.call([&] {
    SessionStart s;
    s.user_name = "chapuser@corp.com";
    s.domain = "corp.com";
    s.interface = "Virtual-Template1:1";
    s.address = *Ipv4::parse("192.168.0.20");
    s.calling_station_id = "00-11-22-33-44-55";
    s.called_station_id = "5551234";
    s.nas_port = 9;
    s.counters = [] { return Counters{(1ull << 32) + 1000, 2000, 30, 40}; };
    return aaa_->open_session(s);
  });
  std::string session_id = engine_.call([&] { return aaa_->accounting_session_id(id); });
  wait_detail(1);
  engine_.call([&] { timers_.advance(std::chrono::minutes(1)); });  // Interim-Update
  wait_detail(2);
  engine_.call([&] { aaa_->close_session(id, TerminateCause::admin_reset); });
  std::string detail = wait_detail(3);
  EXPECT_NE(detail.find("Acct-Status-Type = Start"), std::string::npos) << detail;
  EXPECT_NE(detail.find("Acct-Status-Type = Interim-Update"), std::string::npos) << detail;
  EXPECT_NE(detail.find("Acct-Status-Type = Stop"), std::string::npos) << detail;
  EXPECT_LT(detail.find("Acct-Status-Type = Start"),
            detail.find("Acct-Status-Type = Interim-Update"));
  EXPECT_LT(detail.find("Acct-Status-Type = Interim-Update"),
            detail.find("Acct-Status-Type = Stop"));
  EXPECT_NE(detail.find("Acct-Session-Id = \"" + session_id + "\""), std::string::npos) << detail;
  for (const char* attribute :
       {"User-Name = \"chapuser@corp.com\"", "Framed-IP-Address = 192.168.0.20",
        "Acct-Input-Octets = 1000", "Acct-Input-Gigawords = 1", "Acct-Output-Octets = 2000",
        "Acct-Input-Packets = 30", "Acct-Output-Packets = 40", "Acct-Session-Time = 60",
        "Acct-Terminate-Cause = Admin-Reset", "NAS-Port-Type = Virtual",
        "NAS-IP-Address = 127.0.0.1", "Calling-Station-Id = \"00-11-22-33-44-55\""})
    EXPECT_NE(detail.find(attribute), std::string::npos) << attribute;
  // The secret is nowhere in what the server logged about us.
  EXPECT_EQ(detail.find("testing123"), std::string::npos);
}

TEST_F(FreeRadiusTest, PrimaryDownSecondaryAnswers) {
  start_server(6);
  configure(dead_port_, auth_port_);
  auto t0 = std::chrono::steady_clock::now();
  auto r = authenticate(pap("papuser", "pappw"));
  EXPECT_TRUE(r.accepted) << to_string(r.failure);
  EXPECT_EQ(r.method, AuthMethodUsed::radius);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);  // the primary was waited for
  // The silent primary is now quiet: the next request goes to the secondary first.
  t0 = std::chrono::steady_clock::now();
  r = authenticate(pap("papuser", "pappw"));
  EXPECT_TRUE(r.accepted);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 900ms);
  // Accounting fails over the same way.
  auto id = engine_.call([&] {
    SessionStart s;
    s.user_name = "papuser";
    s.domain = "system";
    return aaa_->open_session(s);
  });
  engine_.call([&] { aaa_->close_session(id, TerminateCause::user_request); });
  std::string detail = wait_detail(2);
  EXPECT_NE(detail.find("Acct-Status-Type = Start"), std::string::npos) << detail;
  EXPECT_NE(detail.find("Acct-Terminate-Cause = User-Request"), std::string::npos) << detail;
}

TEST_F(FreeRadiusTest, BothDownFallsBackToLocal) {
  start_server(7);
  // Both servers are black holes; the live FreeRADIUS is not in the scheme.
  configure(dead_port_, std::nullopt, /*fallback_local=*/true);
  engine_.call([&] {
    auto& s = store_.mutable_running().radius_schemes["r1"];
    s.secondary_authentication = server(static_cast<std::uint16_t>(dead_port_ + 1));
  });
  auto r = authenticate(pap("localonly", "localpw"));
  EXPECT_TRUE(r.accepted) << to_string(r.failure);
  EXPECT_EQ(r.method, AuthMethodUsed::local);
  // Without the fallback the user is refused as unreachable.
  engine_.call([&] { store_.mutable_running().domains["system"].auth_fallback_local = false; });
  r = authenticate(pap("localonly", "localpw"));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.failure, AuthFailure::radius_unreachable);
}

// `retry N` is the number of transmissions to a silent server, as on Comware.
TEST_F(FreeRadiusTest, RetryCountsTransmissions) {
  start_server(9);
  configure(dead_port_, std::nullopt, /*fallback_local=*/true);
  engine_.call([&] { store_.mutable_running().radius_schemes["r1"].retry = 3; });
  dead1_->received();
  auto r = authenticate(pap("localonly", "localpw"));
  EXPECT_EQ(r.method, AuthMethodUsed::local);
  EXPECT_EQ(dead1_->received(), 3);
}

TEST_F(FreeRadiusTest, ManyConcurrentRequests) {
  start_server(8);
  configure(auth_port_);
  constexpr int kCount = 300;
  std::atomic<int> accepted{0}, answered{0};
  std::promise<void> all;
  auto t0 = std::chrono::steady_clock::now();
  engine_.call([&] {
    for (int i = 0; i < kCount; ++i)
      aaa_->authenticate(pap(i % 3 ? "papuser" : "vpdn@corp.com", i % 3 ? "pappw" : "vpdnpw"),
                         [&](AuthResult r) {
                           if (r.accepted) ++accepted;
                           if (++answered == kCount) all.set_value();
                         });
  });
  ASSERT_EQ(all.get_future().wait_for(30s), std::future_status::ready);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(accepted.load(), kCount);
  RecordProperty("auth_per_s", static_cast<int>(kCount * 1000 / std::max<long>(1, ms)));
  std::fprintf(stderr, "%d Access-Requests in %ld ms\n", kCount, static_cast<long>(ms));
}

}  // namespace
}  // namespace vpdnd::aaa
