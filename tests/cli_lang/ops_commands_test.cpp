// Operator commands of the interface, routing, statistics and log-buffer groups.
#include <algorithm>
#include <chrono>

#include "common/logbuffer.hpp"
#include "tests/cli_lang/fixture.hpp"

namespace vpdnd::cli::test {
namespace {

// On a terminal `display l2tp session` prints the count and the titles at once, then the
// rows a page of 1,000 sessions at a time, each page read by itself: the first lines do
// not wait for a table of 100,000 rows. The text is the one a collected listing has, and
// once the operator stops the listing no further page is read.
class PagedOperations : public FakeOperations {
 public:
  mutable std::size_t session_pages_read = 0;
  std::vector<vpdn::SessionStatus> l2tp_sessions_after(std::uint16_t tunnel, std::uint16_t session,
                                                       std::size_t limit) const override {
    ++session_pages_read;
    return Operations::l2tp_sessions_after(tunnel, session, limit);
  }
};

TEST(SessionPaging, SessionTablePrintsPageByPageOnATerminal) {
  ProtocolThread engine;
  engine.start();
  config::ConfigStore store;
  PagedOperations ops;
  ShellContext context{engine, store, ops, ""};
  for (int i = 0; i < 2500; ++i) {
    vpdn::SessionStatus st;
    st.tunnel_local_id = static_cast<std::uint16_t>(100 + i / 700);
    st.local_id = static_cast<std::uint16_t>(1 + i % 700);
    st.remote_id = st.local_id;
    st.state = vpdn::SessionState::established;
    st.interface = "Virtual-Template1:" + std::to_string(st.local_id);
    st.user = "user" + std::to_string(i);
    st.address = Ipv4{0x0ac80000u + static_cast<std::uint32_t>(i)};
    ops.sessions.push_back(st);
  }
  auto s = make_command_session(context, SessionOrigin::console);
  std::vector<std::string> pages;
  bool go_on = true;
  s->set_live_output({[](const std::string&) {}, [] { return false; },
                      [&](const std::string& text) {
                        pages.push_back(text);
                        return go_on;
                      }});
  auto r = s->execute("display l2tp session");
  ASSERT_TRUE(r.ok) << r.output;
  ASSERT_EQ(pages.size(), 4u);  // count and titles, then 1,000 + 1,000 + 500 rows
  EXPECT_EQ(pages[0],
            " Total session = 2500\n\n LocalSID  RemoteSID  LocalTID  State         "
            "Interface                User                      Address\n");
  EXPECT_EQ(ops.session_pages_read, 3u);
  std::string streamed = pages[0] + pages[1] + pages[2] + pages[3] + r.output;
  EXPECT_EQ(streamed, render_l2tp_sessions(ops.sessions, Detail::brief));
  EXPECT_EQ(std::count(pages[1].begin(), pages[1].end(), '\n'), 1000);

  pages.clear();
  ops.session_pages_read = 0;
  go_on = false;  // `q` at the first ---- More ----
  r = s->execute("display l2tp session");
  EXPECT_EQ(pages.size(), 1u);
  EXPECT_EQ(ops.session_pages_read, 0u);

  s->set_live_output({});  // a file or a script: collected as before (less the last newline)
  r = s->execute("display l2tp session");
  EXPECT_EQ(r.output + "\n", render_l2tp_sessions(ops.sessions, Detail::brief));
  s.reset();
  engine.stop();
}

TEST_F(ShellTest, ResetL2tpStatisticsZeroesWhatDisplayShows) {
  ops.stats.messages_in["SCCRQ"] = 4;
  ops.stats.drops["bad length"] = 2;
  ops.stats.retransmits = 3;
  auto s = session();
  auto before = s->execute("display l2tp statistics");
  EXPECT_THAT(before.output, HasSubstr(" Retransmits: 3\n"));
  EXPECT_THAT(before.output, HasSubstr("bad length: 2"));
  auto r = s->execute("reset l2tp statistics");
  ASSERT_TRUE(r.ok) << r.output;
  auto after = s->execute("display l2tp statistics");
  EXPECT_THAT(after.output, HasSubstr(" Retransmits: 0\n"));
  EXPECT_THAT(after.output, HasSubstr(" Dropped: 0"));
  EXPECT_THAT(after.output, Not(HasSubstr("SCCRQ ")));
  EXPECT_THAT(s->help("reset l2tp "), HasSubstr("  statistics "));
  EXPECT_EQ(s->complete("reset l2tp st"), std::vector<std::string>{"statistics"});
  EXPECT_TRUE(s->execute("res l2 stat").ok);
  // A user-view command, as Comware's reset commands.
  EXPECT_FALSE(system_session()->execute("reset l2tp statistics").ok);
}

LinkStatus eth(std::string name, bool up) {
  LinkStatus l;
  l.name = std::move(name);
  l.admin_up = true;
  l.running = up;
  l.addresses = {{*Ipv4::parse("192.168.1.1"), 24}};
  l.mtu = 1500;
  l.mac = "0011-2233-4455";
  l.packets_in = 10;
  l.bytes_in = 1000;
  return l;
}

VirtualAccessStatus user_va() {
  VirtualAccessStatus v;
  v.index = 3;
  v.virtual_template = 1;
  v.access = "L2TP";
  v.carrier = "tunnel 5 session 9";
  v.user = "alice@isp";
  v.local_address = *Ipv4::parse("10.0.0.1");
  v.peer_address = *Ipv4::parse("10.0.0.2");
  v.lcp_up = v.ipcp_up = true;
  v.phase = "Network";
  v.online_s = 62;
  v.packets_in = 7;
  v.bytes_in = 700;
  v.packets_out = 8;
  v.bytes_out = 800;
  return v;
}

TEST_F(ShellTest, DisplayInterfaceBriefIsComwareV7Layout) {
  ops.links = {eth("eth1", true), eth("eth2", false)};
  ops.links[1].admin_up = false;
  ops.accesses = {user_va()};
  auto sys = session_in(
      {"system-view", "interface virtual-template 1", "ip address 10.0.0.1 255.255.255.0"});
  EXPECT_EQ(shown("display interface brief"),
            "Brief information on interfaces in route mode:\n"
            "Link: ADM - administratively down; Stby - standby\n"
            "Protocol: (s) - spoofing\n"
            "Interface            Link Protocol Primary IP      Description\n"
            "eth1                 UP   UP       192.168.1.1\n"
            "eth2                 ADM  DOWN     192.168.1.1\n"
            "VT1                  UP   UP(s)    10.0.0.1\n"
            "VA3                  UP   UP       10.0.0.1        alice@isp");
  // Shut template: ADM, and `display this` keeps it.
  ASSERT_TRUE(sys->execute("shutdown").ok);
  EXPECT_THAT(sys->execute("display interface brief").output,
              HasSubstr("VT1                  ADM  DOWN     10.0.0.1\n"));
  EXPECT_THAT(sys->execute("display this").output, HasSubstr("\n shutdown\n"));
  EXPECT_TRUE(running().virtual_templates.at(1).shutdown);
  ASSERT_TRUE(sys->execute("undo shutdown").ok);
  EXPECT_FALSE(running().virtual_templates.at(1).shutdown);
  EXPECT_THAT(sys->help("display interface "), HasSubstr("  brief "));
  EXPECT_THAT(sys->help("display interface "), HasSubstr("  virtual-template "));
  EXPECT_THAT(sys->help(""), HasSubstr("  shutdown "));
  EXPECT_EQ(sys->complete("display interface br"), std::vector<std::string>{"brief"});
  EXPECT_EQ(sys->complete("shut"), std::vector<std::string>{"shutdown"});
}

TEST_F(ShellTest, DisplayInterfaceDetailAndVirtualAccess) {
  ops.links = {eth("eth1", true)};
  ops.accesses = {user_va()};
  auto s = session_in({"system-view", "interface virtual-template 1", "ip address 10.0.0.1 24"});
  auto vt = s->execute("display interface virtual-template 1");
  ASSERT_TRUE(vt.ok) << vt.output;
  EXPECT_THAT(vt.output, HasSubstr("Virtual-Template1\nCurrent state: UP\n"
                                   "Line protocol state: UP (spoofing)\n"));
  EXPECT_THAT(vt.output, HasSubstr("Internet address: 10.0.0.1/24 (primary)\n"));
  EXPECT_THAT(vt.output, HasSubstr("Virtual-Access interfaces (users): 1"));
  EXPECT_EQ(s->execute("display interface Virtual-Template1").output, vt.output);
  EXPECT_FALSE(s->execute("display interface virtual-template 9").ok);

  auto va = s->execute("display virtual-access 3");
  ASSERT_TRUE(va.ok) << va.output;
  EXPECT_THAT(va.output,
              HasSubstr("Virtual-Access3\nCurrent state: UP\nLine protocol state: UP\n"));
  EXPECT_THAT(va.output, HasSubstr("Bound to Virtual-Template1, L2TP (tunnel 5 session 9)\n"));
  EXPECT_THAT(va.output, HasSubstr("User: alice@isp, peer address 10.0.0.2\n"));
  EXPECT_THAT(va.output, HasSubstr("Online time: 0d 00:01:02\n"));
  EXPECT_THAT(va.output, HasSubstr("Input:  7 packets, 700 bytes\nOutput: 8 packets, 800 bytes"));
  EXPECT_EQ(s->execute("display virtual-access").output, va.output);
  EXPECT_EQ(s->execute("display interface virtual-access 3").output, va.output);
  EXPECT_FALSE(s->execute("display virtual-access 4").ok);

  auto eth1 = s->execute("display interface eth1");
  ASSERT_TRUE(eth1.ok) << eth1.output;
  EXPECT_THAT(eth1.output, HasSubstr("eth1\nCurrent state: UP\nLine protocol state: UP\n"));
  EXPECT_THAT(eth1.output, HasSubstr("Internet address: 192.168.1.1/24 (primary)\n"));
  EXPECT_THAT(eth1.output, HasSubstr("hardware address: 0011-2233-4455\n"));
  EXPECT_FALSE(s->execute("display interface eth9").ok);
  auto all = s->execute("display interface");
  EXPECT_THAT(all.output, HasSubstr("eth1\n"));
  EXPECT_THAT(all.output, HasSubstr("Virtual-Template1\n"));
  EXPECT_THAT(all.output, HasSubstr("Virtual-Access3\n"));

  ops.accesses.clear();
  EXPECT_THAT(s->execute("display virtual-access").output, HasSubstr("No Virtual-Access"));
  EXPECT_EQ(s->complete("display virt"), std::vector<std::string>{"virtual-access"});
}

TEST_F(ShellTest, DisplayIpInterfaceBrief) {
  ops.links = {eth("eth1", true)};
  LinkStatus lo;
  lo.name = "lo";
  lo.admin_up = lo.loopback = true;
  lo.addresses = {{*Ipv4::parse("127.0.0.1"), 8}};
  ops.links.push_back(lo);
  LinkStatus bare = eth("eth3", true);
  bare.addresses.clear();
  ops.links.push_back(bare);
  EXPECT_EQ(shown("display ip interface brief"),
            "*down: administratively down\n"
            "(s): spoofing  (l): loopback\n"
            "Interface                     Physical Protocol IP address       Description\n"
            "eth1                          up       up       192.168.1.1      --\n"
            "lo                            up       up(l)    127.0.0.1        --");
  EXPECT_EQ(session()->complete("display ip interface b"), std::vector<std::string>{"brief"});
}

// The real host: loopback is always there.
TEST(HostLinks, ReadsLoopback) {
  auto links = read_host_links();
  auto lo = std::find_if(links.begin(), links.end(), [](auto& l) { return l.name == "lo"; });
  ASSERT_NE(lo, links.end());
  EXPECT_TRUE(lo->loopback);
  EXPECT_GT(lo->mtu, 0u);
}

TEST_F(ShellTest, IpAddressPppNegotiateRoundTrips) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("interface virtual-template 2").ok);
  ASSERT_TRUE(s->execute("ip address 10.1.1.1 24").ok);
  ASSERT_TRUE(s->execute("ip address ppp-negotiate").ok);
  auto t = running().virtual_templates.at(2);
  EXPECT_TRUE(t.ppp_negotiate);
  EXPECT_FALSE(t.ip_address);
  auto text = render_configuration(running());
  EXPECT_THAT(text, HasSubstr("interface Virtual-Template2\n ip address ppp-negotiate\n"));
  reset_model();
  EXPECT_TRUE(load_text(text).empty());
  EXPECT_TRUE(running().virtual_templates.at(2).ppp_negotiate);
  // A fixed address replaces it, as on Comware.
  ASSERT_TRUE(s->execute("ip address 10.1.1.1 24").ok);
  EXPECT_FALSE(running().virtual_templates.at(2).ppp_negotiate);
  EXPECT_FALSE(s->execute("undo ip address ppp-negotiate").ok);
  EXPECT_THAT(s->help("ip address "), HasSubstr("  ppp-negotiate "));
}

TEST_F(ShellTest, StaticRoutesRoundTripAndRoutingTable) {
  ops.links = {eth("eth1", true)};
  ops.accesses = {user_va()};
  auto s = system_session();
  ASSERT_TRUE(s->execute("interface virtual-template 1").ok);
  ASSERT_TRUE(s->execute("ip address 10.0.0.1 255.255.255.0").ok);
  ASSERT_TRUE(s->execute("quit").ok);
  for (const char* line :
       {"ip route-static 10.9.0.0 255.255.0.0 192.168.1.254",
        "ip route-static 0.0.0.0 0 eth1 preference 10",
        "ip route-static 172.16.1.7 12 virtual-template1 10.0.0.9",
        "ip route-static 10.50.0.0 16 203.0.113.1"}) {  // next hop not connected: inactive
    auto r = s->execute(line);
    ASSERT_TRUE(r.ok) << line << "\n" << r.output;
  }
  ASSERT_EQ(running().static_routes.size(), 4u);
  EXPECT_EQ(running().static_routes[2].prefix, *Ipv4::parse("172.16.0.0"));  // host bits off
  auto text = render_configuration(running());
  EXPECT_THAT(text, HasSubstr("#\n ip route-static 10.9.0.0 255.255.0.0 192.168.1.254\n"
                              " ip route-static 0.0.0.0 0.0.0.0 eth1 preference 10\n"
                              " ip route-static 172.16.0.0 255.240.0.0 Virtual-Template1 10.0.0.9\n"
                              " ip route-static 10.50.0.0 255.255.0.0 203.0.113.1\n#\n"));
  EXPECT_EQ(shown("display ip routing-table"),
            "Destinations : 6        Routes : 6\n"
            "\n"
            "Destination/Mask    Proto  Pre  Cost         NextHop         Interface\n"
            "0.0.0.0/0           Static 10   0            0.0.0.0         eth1\n"
            "10.0.0.0/24         Direct 0    0            10.0.0.1        VT1\n"
            "10.0.0.2/32         Direct 0    0            10.0.0.2        VA3\n"
            "10.9.0.0/16         Static 60   0            192.168.1.254   eth1\n"
            "172.16.0.0/12       Static 60   0            10.0.0.9        VT1\n"
            "192.168.1.0/24      Direct 0    0            192.168.1.1     eth1");
  // The same preference again replaces it; a second route to a prefix is its own route.
  ASSERT_TRUE(s->execute("ip route-static 10.9.0.0 16 192.168.1.254 preference 100").ok);
  ASSERT_TRUE(s->execute("ip route-static 10.9.0.0 16 192.168.1.253").ok);
  EXPECT_EQ(running().static_routes.size(), 5u);
  EXPECT_EQ(running().static_routes[0].preference, 100u);
  // Loads back as saved.
  text = render_configuration(running());
  auto saved = running();
  reset_model();
  EXPECT_TRUE(load_text(text).empty());
  EXPECT_EQ(running().static_routes, saved.static_routes);
  // undo: one route by its next hop, or every route to the prefix.
  ASSERT_TRUE(s->execute("undo ip route-static 10.9.0.0 16 192.168.1.253").ok);
  EXPECT_EQ(running().static_routes.size(), 4u);
  ASSERT_TRUE(s->execute("undo ip route-static 10.9.0.0 255.255.0.0").ok);
  EXPECT_EQ(running().static_routes.size(), 3u);
  EXPECT_FALSE(s->execute("undo ip route-static 10.9.0.0 16").ok);
  EXPECT_FALSE(s->execute("ip route-static 10.0.0.0 255.0.255.0 10.0.0.9").ok);
  EXPECT_FALSE(s->execute("ip route-static 10.0.0.0 8").ok);  // incomplete
  EXPECT_THAT(s->help("ip route-static 10.0.0.0 8 "), HasSubstr("X.X.X.X"));
  EXPECT_EQ(s->complete("ip route-st"), std::vector<std::string>{"route-static"});
  EXPECT_EQ(s->complete("display ip rout"), std::vector<std::string>{"routing-table"});
}

// What a terminal gives a session: the lines as they come, and Ctrl+C.
struct LiveCapture {
  std::vector<std::string> lines;
  int interrupt_after_lines = -1;  // -1: never
  LiveOutput output() {
    return {[this](const std::string& l) { lines.push_back(l); },
            [this] {
              return interrupt_after_lines >= 0 &&
                     static_cast<int>(lines.size()) >= interrupt_after_lines;
            }};
  }
  std::string text() const {
    std::string t;
    for (auto& l : lines) t += l + "\n";
    return t;
  }
};

TEST_F(ShellTest, PingLoopbackComwareOutput) {
  auto s = session();
  LiveCapture live;
  s->set_live_output(live.output());
  auto r = s->execute("ping -c 3 -s 100 127.0.0.1");
  ASSERT_TRUE(r.ok) << r.output;
  ASSERT_GE(live.lines.size(), 7u) << live.text();
  EXPECT_EQ(live.lines[0], "Ping 127.0.0.1 (127.0.0.1): 100 data bytes, press CTRL+C to break");
  for (int i = 0; i < 3; ++i)
    EXPECT_THAT(live.lines[1 + i],
                ::testing::MatchesRegex("100 bytes from 127\\.0\\.0\\.1: icmp_seq=" +
                                        std::to_string(i) + " ttl=64 time=[0-9]+\\.[0-9]{3} ms"));
  EXPECT_EQ(live.lines[4], "");
  EXPECT_EQ(live.lines[5], "--- Ping statistics for 127.0.0.1 ---");
  EXPECT_EQ(live.lines[6], "3 packet(s) transmitted, 3 packet(s) received, 0.0% packet loss");
  EXPECT_THAT(live.lines[7], ::testing::MatchesRegex("round-trip min/avg/max/std-dev = "
                                                     "[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms"));
  // -a names the source.
  live.lines.clear();
  ASSERT_TRUE(s->execute("ping -a 127.0.0.1 -c 1 127.0.0.1").ok);
  EXPECT_EQ(live.lines[0],
            "Ping 127.0.0.1 (127.0.0.1) from 127.0.0.1: 56 data bytes, press CTRL+C to break");
  // A source that is not ours is refused.
  EXPECT_FALSE(s->execute("ping -a 192.0.2.77 -c 1 127.0.0.1").ok);
  EXPECT_THAT(s->help("ping "), HasSubstr("  -c "));
  EXPECT_THAT(s->help("ping -c 2 "), Not(HasSubstr("  -c ")));
  EXPECT_EQ(s->complete("tra"), std::vector<std::string>{"tracert"});
}

TEST_F(ShellTest, PingStopsOnCtrlC) {
  auto s = session();
  LiveCapture live;
  live.interrupt_after_lines = 2;  // the header and the first reply
  s->set_live_output(live.output());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(s->execute("ping -c 1000 127.0.0.1").ok);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_THAT(live.text(), HasSubstr("\n1 packet(s) transmitted, 1 packet(s) received"));
}

TEST_F(ShellTest, PingAndTracertNeedATerminal) {
  auto s = session();
  auto r = s->execute("ping 127.0.0.1");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("only be run from a terminal"));
  EXPECT_THAT(load_text("ping 127.0.0.1\n").front(), HasSubstr("terminal"));
}

TEST_F(ShellTest, TracertLoopbackIsOneHop) {
  auto s = session();
  LiveCapture live;
  s->set_live_output(live.output());
  ASSERT_TRUE(s->execute("tracert -w 1000 127.0.0.1").ok);
  ASSERT_EQ(live.lines.size(), 2u) << live.text();
  EXPECT_EQ(live.lines[0],
            "traceroute to 127.0.0.1 (127.0.0.1), 30 hops at most, 40 bytes each packet, press "
            "CTRL+C to break");
  EXPECT_THAT(live.lines[1],
              ::testing::MatchesRegex(
                  " 1   127\\.0\\.0\\.1 \\(127\\.0\\.0\\.1\\)  [0-9]+ ms  [0-9]+ ms  [0-9]+ ms"));
}

TEST_F(ShellTest, LogBufferKeepsTheNewestLinesInComwareFormat) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("sysname LBTEST").ok);
  ASSERT_TRUE(s->execute("info-center logbuffer size 3").ok);
  auto u = session();
  ASSERT_TRUE(u->execute("reset logbuffer").ok);
  for (int i = 0; i < 5; ++i) log_info(DebugModule::l2tp, "line " + std::to_string(i));
  auto r = u->execute("display logbuffer");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Log buffer: Enabled\nMax buffer size: 1024\n"
                                  "Actual buffer size: 3\nOverwritten messages: 2\n"
                                  "Current messages: 3\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex(
                            "\n%[A-Z][a-z][a-z] [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}:[0-9]{3} "
                            "[0-9]{4} LBTEST L2TP/6/INFO: line 2\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("line 1")));
  auto rev = u->execute("display logbuffer reverse size 1");
  EXPECT_THAT(rev.output, HasSubstr("line 4"));
  EXPECT_THAT(rev.output, Not(HasSubstr("line 3")));
  // Level: warnings and worse only.
  ASSERT_TRUE(s->execute("info-center source default logbuffer level warning").ok);
  ASSERT_TRUE(u->execute("reset logbuffer").ok);
  log_info(DebugModule::l2tp, "quiet");
  log_warning(DebugModule::l2tp, "loud");
  r = u->execute("display logbuffer");
  EXPECT_THAT(r.output, HasSubstr("L2TP/4/WARNING: loud"));
  EXPECT_THAT(r.output, Not(HasSubstr("quiet")));
  // Off: nothing more is kept.
  ASSERT_TRUE(s->execute("undo info-center logbuffer").ok);
  log_warning(DebugModule::l2tp, "while off");
  EXPECT_THAT(u->execute("display logbuffer").output, Not(HasSubstr("while off")));
  EXPECT_THAT(u->execute("display logbuffer").output, HasSubstr("Log buffer: Disabled"));
  auto text = render_configuration(running());
  EXPECT_THAT(text,
              HasSubstr(" undo info-center logbuffer\n info-center logbuffer size 3\n"
                        " info-center source default channel logbuffer log level warnings\n"));
  reset_model();
  EXPECT_TRUE(load_text(text).empty());
  EXPECT_EQ(running().info_center.logbuffer_size, 3u);
  EXPECT_EQ(running().info_center.logbuffer_level, 4);
  EXPECT_FALSE(running().info_center.logbuffer);
  ASSERT_TRUE(s->execute("undo info-center source default channel 4").ok);
  ASSERT_TRUE(s->execute("info-center logbuffer").ok);
  ASSERT_TRUE(s->execute("undo info-center logbuffer size").ok);
  EXPECT_EQ(running().info_center, config::InfoCenter{});
  EXPECT_EQ(LogBuffer::instance().settings(), LogBuffer::Settings{});
  EXPECT_THAT(s->help("info-center "), HasSubstr("  logbuffer "));
  EXPECT_EQ(u->complete("display logb"), std::vector<std::string>{"logbuffer"});
  EXPECT_EQ(u->complete("reset logb"), std::vector<std::string>{"logbuffer"});
}

}  // namespace
}  // namespace vpdnd::cli::test
