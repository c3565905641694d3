// Displays over snapshots holding hostile peer strings: no control byte reaches the
// terminal, tables keep their width, the raw value stays in the snapshot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli/lang.hpp"
#include "common/printable.hpp"

namespace vpdnd::cli::test {
namespace {

using ::testing::HasSubstr;

// NUL, CR/LF with a forged line, an ANSI clear-screen, an 8-bit CSI and UTF-8 CSI (U+009B),
// then padding to the longest Host Name an AVP can carry.
std::string hostile_name() {
  static const char raw[] =
      "evil\0\r\n Forged line\x1b[2J\x1b]0;title\x07\x9b"
      "31m\xc2\x9b"
      "1m\x7f\\";
  std::string s(raw, sizeof raw - 1);
  s.resize(1017, 'A');
  return s;
}

bool terminal_clean(const std::string& s) {
  for (unsigned char c : s)
    if (c != '\n' && (c < 0x20 || c > 0x7e)) return false;
  return true;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

vpdn::TunnelStatus tunnel(const std::string& name) {
  vpdn::TunnelStatus t;
  t.local_id = 13006;
  t.remote_id = 65535;
  t.remote_address = *Ipv4::parse("203.0.113.250");
  t.remote_port = 65535;
  t.sessions = 65535;  // 16-bit session IDs: the most a tunnel can carry
  t.remote_name = name;
  t.local_name = "LNS";
  t.state = vpdn::TunnelState::wait_connect;
  return t;
}

// LocalTID..Sessions columns, the name column with one space after it, the longest state.
constexpr std::size_t kTunnelLineMax = 1 + 9 + 10 + 17 + 7 + 9 + kCellWidth + 1 + 12;

TEST(RenderEscape, TunnelTableEscapesAndBoundsAHostileHostName) {
  const auto t = tunnel(hostile_name());
  const std::string out = render_l2tp_tunnels({t, tunnel("LAC-2")}, Detail::brief);
  EXPECT_TRUE(terminal_clean(out)) << out;
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 5u) << out;  // total, blank, header, two rows
  for (auto& l : lines) EXPECT_LE(l.size(), kTunnelLineMax) << l;
  EXPECT_THAT(lines[3], HasSubstr("evil\\x00\\x0d\\x0a Forg..."));
  EXPECT_THAT(lines[3], HasSubstr("Wait-connect"));
  EXPECT_THAT(lines[4], HasSubstr("LAC-2"));
  // Both rows keep the State column aligned.
  EXPECT_EQ(lines[3].find("Wait-connect"), lines[4].find("Wait-connect"));
  EXPECT_EQ(t.remote_name, hostile_name());  // rendering does not touch the snapshot
}

TEST(RenderEscape, TunnelVerboseEscapesAndBoundsAHostileHostName) {
  const std::string out = render_l2tp_tunnels({tunnel(hostile_name())}, Detail::verbose);
  EXPECT_TRUE(terminal_clean(out)) << out;
  for (auto& l : lines_of(out)) EXPECT_LE(l.size(), kFieldWidth + 64) << l;
  EXPECT_THAT(
      out,
      HasSubstr("name evil\\x00\\x0d\\x0a Forged line\\x1b[2J\\x1b]0;title\\x07\\x9b31m\\xc2\\x9b1m"
                "\\x7f\\\\AAA"));
  EXPECT_THAT(out, HasSubstr("...,"));
}

TEST(RenderEscape, SessionDisplaysEscapeUserAndNumbers) {
  vpdn::SessionStatus s;
  s.local_id = 1;
  s.tunnel_local_id = 2;
  s.state = vpdn::SessionState::established;
  s.interface = "Virtual-Template1:0";
  s.user = hostile_name();
  s.calling_number = "555\x1b[8m";
  s.called_number = std::string("1\0002", 3);
  const std::string brief = render_l2tp_sessions({s}, Detail::brief);
  const std::string verbose = render_l2tp_sessions({s}, Detail::verbose);
  for (auto* out : {&brief, &verbose}) {
    EXPECT_TRUE(terminal_clean(*out)) << *out;
    for (auto& l : lines_of(*out)) EXPECT_LE(l.size(), kFieldWidth + 80) << l;
  }
  EXPECT_THAT(verbose, HasSubstr("calling: 555\\x1b[8m, called: 1\\x002\n"));
}

TEST(RenderEscape, PoolPppoeAndConnectionDisplaysEscapeUsers) {
  aaa::PoolStatus p;
  p.name = "1";
  p.start = *Ipv4::parse("192.168.0.10");
  p.end = *Ipv4::parse("192.168.0.20");
  p.leases = {{*Ipv4::parse("192.168.0.10"), hostile_name()}};
  ppp::PppoeSessionStatus ps;
  ps.session_id = 1;
  ps.interface = "eth1";
  ps.state = "Up";
  ps.user = hostile_name();
  aaa::OnlineUser u;
  u.index = 1;
  u.user = hostile_name();
  u.domain = "d\x1b[2J";
  u.acct_session_id = "\x07";
  ConnectionFilter f;
  f.kind = ConnectionFilter::Kind::index;
  f.index = 1;
  for (const std::string& out : {render_ip_pools({p}, "1"), render_pppoe_sessions({ps}),
                                 render_connections({u}, f, std::chrono::system_clock::now())}) {
    EXPECT_TRUE(terminal_clean(out)) << out;
    for (auto& l : lines_of(out)) EXPECT_LE(l.size(), kFieldWidth + 80) << l;
    EXPECT_THAT(out, HasSubstr("evil\\x00"));
  }
}

// `display saved-configuration` of a file saved with CRLF line ends: the CRs are line
// ends, not bytes to show escaped.
TEST(RenderEscape, SavedConfigurationWithCrlf) {
  EXPECT_EQ(mask_secrets("sysname a\r\n#\r\n"), "sysname a\n#\n");
}

}  // namespace
}  // namespace vpdnd::cli::test
