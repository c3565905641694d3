// Display renderers over hand-made snapshots, and the display commands that use them.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/lang.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

// Pool "1", 192.168.0.10 to 192.168.0.200: the leases in use, the other addresses free.
aaa::PoolStatus pool_one(std::vector<aaa::PoolLease> leases) {
  aaa::PoolStatus p;
  p.name = "1";
  p.start = ip("192.168.0.10");
  p.end = ip("192.168.0.200");
  p.in_use = static_cast<std::uint32_t>(leases.size());
  p.free = 191 - p.in_use;
  p.leases = std::move(leases);
  return p;
}

vpdn::TunnelStatus tunnel() {
  vpdn::TunnelStatus t;
  t.local_id = 13006;
  t.remote_id = 8;
  t.remote_address = ip("10.0.0.2");
  t.remote_port = 1701;
  t.local_address = ip("10.0.0.1");
  t.local_port = 1701;
  t.sessions = 2;
  t.remote_name = "LNS";
  t.local_name = "LAC";
  t.state = vpdn::TunnelState::established;
  t.group = 1;
  t.is_lac = true;
  t.authenticated = true;
  t.ns = 4;
  t.nr = 3;
  t.control_in = 10;
  t.control_out = 12;
  t.uptime = std::chrono::seconds(3725);
  return t;
}

vpdn::SessionStatus session_status() {
  vpdn::SessionStatus s;
  s.local_id = 21;
  s.remote_id = 7;
  s.tunnel_local_id = 13006;
  s.state = vpdn::SessionState::established;
  s.interface = "Virtual-Template1:0";
  s.user = "alice@corp.com";
  s.address = ip("192.168.0.10");
  s.auth_method = "proxy CHAP";
  return s;
}

TEST(Render, TunnelTable) {
  EXPECT_EQ(render_l2tp_tunnels({}, Detail::brief), " Total tunnel = 0\n");
  auto t2 = tunnel();
  t2.local_id = 2;
  t2.state = vpdn::TunnelState::wait_reply;
  t2.remote_name = "a-much-longer-peer";
  std::string out = render_l2tp_tunnels({tunnel(), t2}, Detail::brief);
  EXPECT_EQ(out,
            " Total tunnel = 2\n"
            "\n"
            " LocalTID RemoteTID RemoteAddress    Port   Sessions RemoteName         State\n"
            " 13006    8         10.0.0.2         1701   2        LNS                Established\n"
            " 2        8         10.0.0.2         1701   2        a-much-longer-peer Wait-reply\n");
}

TEST(Render, TunnelHeaderMatchesReference) {
  std::string out = render_l2tp_tunnels({tunnel()}, Detail::brief);
  EXPECT_THAT(out, HasSubstr(" LocalTID RemoteTID RemoteAddress    Port   Sessions RemoteName"));
}

TEST(Render, TunnelStatisticsAndVerbose) {
  auto t2 = tunnel();
  t2.state = vpdn::TunnelState::stopping;
  std::string st = render_l2tp_tunnels({tunnel(), t2, tunnel()}, Detail::statistics);
  EXPECT_THAT(st, HasSubstr(" Total tunnel = 2\n"));
  EXPECT_THAT(st, HasSubstr(" Established = 2\n"));
  EXPECT_THAT(st, Not(HasSubstr("Stopping")));
  EXPECT_THAT(st, HasSubstr(" Total session = 4\n"));
  std::string v = render_l2tp_tunnels({tunnel()}, Detail::verbose);
  EXPECT_THAT(v, HasSubstrs({" Tunnel 13006 (LAC, l2tp-group 1)\n",
                             "  Remote: 10.0.0.2:1701, name LNS, tunnel ID 8\n", "  Ns: 4, Nr: 3",
                             "  Control messages in/out: 10/12, retransmits: 0\n",
                             "  Uptime: 0d 01:02:05\n"}));
}

// A cleared tunnel in its StopCCN hold is not one the operator has: brief and statistics
// neither count nor list it, verbose lists it apart.
TEST(Render, StoppingTunnelOnlyInVerbose) {
  auto held = tunnel();
  held.local_id = 77;
  held.state = vpdn::TunnelState::stopping;
  held.sessions = 0;
  std::string brief = render_l2tp_tunnels({tunnel(), held}, Detail::brief);
  EXPECT_THAT(brief, HasSubstr(" Total tunnel = 1\n"));
  EXPECT_THAT(brief, Not(HasSubstr("Stopping")));
  EXPECT_THAT(brief, Not(HasSubstr(" 77 ")));
  EXPECT_EQ(render_l2tp_tunnels({held}, Detail::brief), " Total tunnel = 0\n");
  EXPECT_EQ(render_l2tp_tunnels({held}, Detail::statistics), " Total tunnel = 0\n");
  std::string v = render_l2tp_tunnels({tunnel(), held}, Detail::verbose);
  EXPECT_THAT(v, HasSubstr(" Total tunnel = 1\n Tunnels being cleared (StopCCN hold) = 1\n"));
  EXPECT_THAT(v, HasSubstr(" Tunnel 77 (LAC, l2tp-group 1)\n  State: Stopping"));
}

TEST(Render, SessionTable) {
  EXPECT_EQ(render_l2tp_sessions({}, Detail::brief), " Total session = 0\n");
  auto s2 = session_status();
  s2.local_id = 3;
  s2.state = vpdn::SessionState::wait_connect;
  s2.user.clear();
  s2.address.reset();
  std::string out = render_l2tp_sessions({session_status(), s2}, Detail::brief);
  EXPECT_EQ(
      out,
      " Total session = 2\n"
      "\n"
      " LocalSID  RemoteSID  LocalTID  State         Interface                User      "
      "                Address\n"
      " 21        7          13006     Established   Virtual-Template1:0      alice@corp.com  "
      "          192.168.0.10\n"
      " 3         7          13006     Wait-connect  Virtual-Template1:0      -             "
      "            -\n");
  std::string v = render_l2tp_sessions({session_status()}, Detail::verbose);
  EXPECT_THAT(v, HasSubstr("  User: alice@corp.com, authentication: proxy CHAP\n"));
  EXPECT_THAT(v, HasSubstr("  Address: 192.168.0.10\n"));
  EXPECT_THAT(render_l2tp_sessions({session_status(), s2}, Detail::statistics),
              HasSubstr(" Wait-connect = 1\n"));
}

TEST(Render, StateNames) {
  EXPECT_EQ(tunnel_state_name(vpdn::TunnelState::idle), "Idle");
  EXPECT_EQ(tunnel_state_name(vpdn::TunnelState::wait_connect), "Wait-connect");
  EXPECT_EQ(session_state_name(vpdn::SessionState::wait_tunnel), "Wait-tunnel");
  EXPECT_EQ(session_state_name(vpdn::SessionState::stopping), "Stopping");
}

TEST(Render, L2tpStatistics) {
  vpdn::L2tpStatistics s;
  s.messages_in = {{"SCCRQ", 3}, {"HELLO", 10}};
  s.messages_out = {{"SCCRP", 3}, {"HELLO", 9}};
  s.drops = {{"bad length", 2}, {"unknown tunnel", 1}};
  s.retransmits = 4;
  s.data_plane_backend = "user-space (TUN)";
  s.tunnels_in_setup = 5;
  s.setup_limit = 1024;
  s.setup_limit_per_source = 32;
  s.setup_timeout_s = 40;
  s.setup_expired = 7;
  s.sccrq_over_limit = 9968;
  s.unconfirmed_bytes_in = 990000;
  s.unconfirmed_bytes_out = 2944;
  std::string out = render_l2tp_statistics(s);
  EXPECT_THAT(
      out,
      HasSubstr(" Tunnels in setup: 5 (limit 1024, 32 per source, removed after 40 s), 7 expired, "
                "9968 SCCRQs over limit\n"));
  EXPECT_THAT(out, HasSubstrs({" Unconfirmed peers: 990000 bytes in, 2944 bytes out\n",
                               " Data plane backend: user-space (TUN)\n", " Retransmits: 4\n",
                               " HELLO    10        9\n", " SCCRP    0         3\n",
                               " SCCRQ    3         0\n",
                               " Dropped: 3\n  bad length: 2\n  unknown tunnel: 1\n"}));
}

TEST(Render, IpPools) {
  auto p = pool_one({{ip("192.168.0.10"), "alice@corp.com"}});
  std::string all = render_ip_pools({p}, "");
  EXPECT_EQ(all,
            "  Pool name   Start IP address   End IP address   Free   In use\n"
            "  1           192.168.0.10       192.168.0.200    190    1\n");
  std::string one = render_ip_pools({p}, "1");
  EXPECT_THAT(one, HasSubstr("  In use IP addresses:\n"));
  EXPECT_THAT(one, HasSubstr("    192.168.0.10      alice@corp.com\n"));
  EXPECT_EQ(render_ip_pools({p}, "2"), "");
}

TEST(Render, PppoeSessions) {
  ppp::PppoeSessionStatus s;
  s.session_id = 1;
  s.interface = "eth1";
  s.peer_mac = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  s.state = "Up";
  s.user = "alice@corp.com";
  s.l2tp_tunnel = 13006;
  s.l2tp_session = 21;
  EXPECT_THAT(render_pppoe_sessions({s}),
              HasSubstrs({" Total PPPoE session = 1\n", "0011-2233-4455", "13006/21"}));
}

TEST(Render, ConfigDisplaysNeverShowSecrets) {
  config::RunningConfig c;
  config::RadiusScheme r;
  r.name = "r1";
  r.key_authentication = {"topsecret1"};
  r.primary_authentication = config::RadiusServer{ip("127.0.0.1"), 1812};
  c.radius_schemes["r1"] = r;
  config::LocalUser u;
  u.name = "alice";
  u.password = {"alicepw99"};
  u.service_types = 1;
  c.local_users["alice"] = u;
  std::string schemes = render_radius_schemes(c, "");
  EXPECT_THAT(schemes, HasSubstr(" SchemeName  : r1\n"));
  EXPECT_THAT(schemes, HasSubstr("IP: 127.0.0.1  Port: 1812"));
  EXPECT_THAT(schemes, HasSubstr("Auth Server Encryption Key : ******"));
  EXPECT_THAT(schemes, Not(HasSubstr("topsecret1")));
  EXPECT_EQ(render_radius_schemes(c, "nope"), "");
  std::string users = render_local_users(c);
  EXPECT_THAT(users, HasSubstr(" The contents of local user alice:\n"));
  EXPECT_THAT(users, HasSubstr("ServiceType:    PPP\n"));
  EXPECT_THAT(users, Not(HasSubstr("alicepw99")));
  std::string domains = render_domains(c, "");
  EXPECT_THAT(domains, HasSubstr("Domain: system (default)"));
  EXPECT_THAT(domains, HasSubstr("Total 1 domain(s)."));
  EXPECT_EQ(render_domains(c, "x"), "");
}

TEST(Render, MaskSecretsInSavedText) {
  std::string masked =
      mask_secrets("local-user a\n password simple abc\n key authentication simple k1\n");
  EXPECT_THAT(masked, Not(HasSubstr("abc")));
  EXPECT_THAT(masked, Not(HasSubstr(" k1")));
  EXPECT_THAT(masked, HasSubstr(" password cipher $c$3$"));
  EXPECT_THAT(masked, HasSubstr(" key authentication cipher $c$3$"));
}

TEST(Render, VersionAndDebugging) {
  EXPECT_THAT(render_version(), HasSubstr("vpdnd"));
  LogBus::instance().clear_all();
  EXPECT_EQ(render_debugging(), " No debugging switch is on.\n");
  LogBus::instance().set(DebugModule::l2tp, DebugClass::event, true);
  EXPECT_EQ(render_debugging(), " L2TP event debugging switch is on\n");
  LogBus::instance().clear_all();
}

// Taken during static initialisation, like the renderer's own start time.
const auto binary_started = std::chrono::steady_clock::now();

// `display version` counts from process start, not from its first use: the first call,
// however late, already shows the seconds the process has lived (an earlier call in this
// binary would hide a function-local static start only when run alone: run it so too).
TEST(Render, VersionUptimeCountsFromProcessStart) {
  auto age = std::chrono::steady_clock::now() - binary_started;
  if (age < std::chrono::milliseconds(2100))
    std::this_thread::sleep_for(std::chrono::milliseconds(2100) - age);
  std::string v = render_version();
  long long lived = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - binary_started)
                        .count();
  auto at = v.find("Uptime is ");
  ASSERT_NE(at, std::string::npos) << v;
  int d = 0, h = 0, m = 0, sec = 0;
  ASSERT_EQ(std::sscanf(v.c_str() + at, "Uptime is %dd %d:%d:%d", &d, &h, &m, &sec), 4) << v;
  long long shown = ((d * 24LL + h) * 60 + m) * 60 + sec;
  EXPECT_GE(shown, lived - 1) << v;
  EXPECT_LE(shown, lived + 1) << v;
  EXPECT_GE(shown, 2) << v;
}

class DisplayTest : public ShellTest {};

TEST_F(DisplayTest, DisplayCommandsUseOperations) {
  ops.tunnels = {tunnel()};
  ops.sessions = {session_status()};
  auto s = session();
  auto r = s->execute("display l2tp tunnel");
  EXPECT_THAT(r.output, HasSubstr(" Total tunnel = 1"));
  EXPECT_THAT(r.output, HasSubstr(" 13006    8         10.0.0.2"));
  r = s->execute("dis l2tp sess verbose");
  EXPECT_THAT(r.output, HasSubstr("alice@corp.com"));
  r = s->execute("display l2tp statistics");
  EXPECT_TRUE(r.ok);
  r = s->execute("display ip pool 9");
  EXPECT_FALSE(r.ok);
  r = s->execute("display pppoe-server session");
  EXPECT_THAT(r.output, HasSubstr("Total PPPoE session = 0"));
  EXPECT_TRUE(s->execute("display version").ok);
}

// The snapshot the CLI gets is every pool with its leases (aaa pool_status() without a
// name, as app/services.cpp asks it); `display ip pool NAME` must list the named pool's
// leases from it, the summary none.
TEST_F(DisplayTest, DisplayIpPoolNameListsTheLeasesOfTheAllPoolsSnapshot) {
  aaa::PoolStatus one =
      pool_one({{ip("192.168.0.10"), "alice@corp.com"}, {ip("192.168.0.11"), "bob@corp.com"}});
  aaa::PoolStatus two = one;
  two.name = "2";
  two.start = ip("10.9.0.1");
  two.end = ip("10.9.0.9");
  two.free = 8;
  two.in_use = 1;
  two.leases = {{ip("10.9.0.1"), "carol"}};
  ops.pools = {one, two};
  auto s = session();
  auto r = s->execute("dis ip pool 1");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr("    192.168.0.10      alice@corp.com\n"));
  EXPECT_THAT(r.output, HasSubstr("    192.168.0.11      bob@corp.com"));
  EXPECT_THAT(r.output, Not(HasSubstr("carol")));
  r = s->execute("display ip pool");
  EXPECT_THAT(r.output, HasSubstr("  2           10.9.0.1           10.9.0.9         8      1"));
  EXPECT_THAT(r.output, Not(HasSubstr("alice")));
}

aaa::OnlineUser online(std::uint64_t index, const std::string& user, const std::string& domain,
                       const char* address) {
  aaa::OnlineUser u;
  u.index = index;
  u.user = user;
  u.domain = domain;
  u.interface = "Virtual-Template1:" + std::to_string(index);
  if (address) u.address = ip(address);
  u.acct_session_id = "0000000" + std::to_string(index);
  u.online_s = 3723;
  return u;
}

TEST_F(DisplayTest, DisplayConnectionListsOnlineUsersV5Style) {
  ops.users = {online(1, "alice@corp.com", "corp.com", "192.168.0.10"),
               online(2, "bob@other.net", "other.net", "192.168.0.11"),
               online(7, "carol@corp.com", "corp.com", nullptr)};
  auto s = session();
  auto r = s->execute("display connection");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("Index=1   ,Username=alice@corp.com\nIP=192.168.0.10\nIPv6=N/A\n"));
  EXPECT_THAT(r.output, HasSubstr("Index=7   ,Username=carol@corp.com\nIP=N/A\n"));
  EXPECT_THAT(r.output, HasSubstr(" Total 3 connection(s) matched."));
  r = s->execute("dis conn domain CORP.com");
  EXPECT_THAT(r.output, HasSubstr(" Total 2 connection(s) matched."));
  EXPECT_THAT(r.output, Not(HasSubstr("bob")));
  r = s->execute("display connection ip 192.168.0.11");
  EXPECT_THAT(r.output, HasSubstr("Username=bob@other.net"));
  EXPECT_THAT(r.output, HasSubstr(" Total 1 connection(s) matched."));
  r = s->execute("display connection user-name alice@corp.com");
  EXPECT_THAT(r.output, HasSubstr(" Total 1 connection(s) matched."));
  r = s->execute("display connection user-name ALICE@corp.com");  // user names are exact
  EXPECT_THAT(r.output, HasSubstr(" Total 0 connection(s) matched."));
  r = s->execute("display connection ucibindex 1");
  EXPECT_THAT(r.output, HasSubstr("Access=PPP ,Port Name=Virtual-Template1:1\n"));
  EXPECT_THAT(r.output, HasSubstr("Domain=corp.com ,Acct-Session-Id=00000001\n"));
  EXPECT_THAT(r.output, HasSubstr(",Online=01h02m03s\n"));
  EXPECT_FALSE(s->execute("display connection ip 300.1.1.1").ok);
}

TEST_F(DisplayTest, CutConnectionIsASystemViewCommandThatSaysWhenNothingMatched) {
  ops.users = {online(1, "alice@corp.com", "corp.com", "192.168.0.10"),
               online(2, "bob@other.net", "other.net", "192.168.0.11")};
  auto user_view = session();
  EXPECT_FALSE(user_view->execute("cut connection all").ok);  // not a user-view command
  auto s = system_session();
  auto r = s->execute("cut connection user-name bob@other.net");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_TRUE(r.output.empty()) << r.output;
  ASSERT_EQ(ops.users.size(), 1u);
  r = s->execute("cut connection ucibindex 2");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("% No connection matched."));
  EXPECT_TRUE(s->execute("cut connection all").ok);
  EXPECT_TRUE(ops.users.empty());
  ASSERT_EQ(ops.cuts.size(), 3u);
  EXPECT_EQ(ops.cuts[0].kind, ConnectionFilter::Kind::user_name);
  EXPECT_EQ(ops.cuts[1].index, 2u);
  EXPECT_EQ(ops.cuts[2].kind, ConnectionFilter::Kind::all);
  EXPECT_FALSE(s->execute("cut connection").ok);  // incomplete
}

TEST_F(DisplayTest, NoSecretInAnyDisplay) {
  auto s = system_session();
  for (const char* l :
       {"local-user alice", "password simple AlicePw1", "quit", "radius scheme r1",
        "key authentication simple RadKey22", "key accounting simple RadKey33", "quit",
        "l2tp-group 1", "tunnel password simple TunPw44", "quit", "user-interface vty 0 4",
        "set authentication password simple VtyPw55", "return", "save force"})
    ASSERT_TRUE(s->execute(l).ok) << l;
  std::string all;
  for (const char* l :
       {"display current-configuration", "display saved-configuration", "display local-user",
        "display radius scheme", "display radius scheme r1", "display domain", "display this"})
    all += s->execute(l).output;
  s->execute("system-view");
  s->execute("l2tp-group 1");
  all += s->execute("display this").output;
  for (const char* secret : {"AlicePw1", "RadKey22", "RadKey33", "TunPw44", "VtyPw55"})
    EXPECT_THAT(all, Not(HasSubstr(secret)));
  EXPECT_THAT(all, HasSubstr("tunnel password cipher $c$3$"));
}

TEST_F(DisplayTest, RadiusStatisticsTotalAndPerServerThenReset) {
  ops.radius.total.access_requests = 12;
  ops.radius.total.access_accepts = 9;
  ops.radius.total.bad_authenticator = 3;
  ops.radius.total.unknown_source = 2;
  aaa::RadiusServerStatistics srv;
  srv.server = "10.0.0.5:1812";
  srv.access_requests = 12;
  srv.bad_authenticator = 3;
  ops.radius.servers.push_back(srv);
  EXPECT_THAT(shown("display radius statistics"),
              HasSubstrs({" Total statistics:", "  Request Packet              : 12          0\n",
                          "  Access Accept               : 9           -\n",
                          "  Bad Authenticator           : 3\n",
                          "  Unknown Source              : 2\n", " Server 10.0.0.5:1812:"}));
  auto s = session();
  EXPECT_THAT(s->help("display radius "), HasSubstr("statistics"));
  EXPECT_THAT(s->help("reset radius "), HasSubstr("statistics"));
  ASSERT_TRUE(s->execute("reset radius statistics").ok);
  EXPECT_EQ(ops.radius.total, aaa::RadiusServerStatistics{});
  EXPECT_TRUE(ops.radius.servers.empty());
}

TEST_F(DisplayTest, RadiusSchemeShowsAttribute80CheckMode) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("radius scheme r1").ok);
  EXPECT_THAT(s->execute("display radius scheme r1").output,
              HasSubstr("Attribute 80 Check Mode  : strict"));
  ASSERT_TRUE(s->execute("attribute 80 check-mode loose").ok);
  EXPECT_THAT(s->execute("display radius scheme r1").output,
              HasSubstr("Attribute 80 Check Mode  : loose"));
  EXPECT_THAT(s->execute("display this").output, HasSubstr(" attribute 80 check-mode loose\n"));
  EXPECT_THAT(s->help("attribute 80 check-mode "), HasSubstr("strict"));
  ASSERT_TRUE(s->execute("undo attribute 80 check-mode").ok);
  EXPECT_TRUE(running().radius_schemes.at("r1").message_authenticator_strict);
}

TEST_F(DisplayTest, DisplayThisShowsTheCurrentBlock) {
  auto s = system_session();
  s->execute("sysname LNS");
  s->execute("l2tp enable");
  auto r = s->execute("display this");
  EXPECT_EQ(r.output, "#\n sysname LNS\n#\n l2tp enable\n#\n telnet server enable\n#\nreturn");
  s->execute("interface virtual-template 1");
  s->execute("mtu 1400");
  r = s->execute("display this");
  EXPECT_EQ(r.output, "#\ninterface Virtual-Template1\n mtu 1400\n#\nreturn");
}

TEST_F(DisplayTest, SavedConfigurationMissing) {
  EXPECT_THAT(refused("display saved-configuration"), HasSubstr("does not exist"));
}

}  // namespace
}  // namespace vpdnd::cli::test
