#include <gtest/gtest.h>

#include "tools/udp-blast/blast.hpp"

namespace vpdnd::blast {
namespace {

using std::chrono::duration;

Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

TEST(UdpBlastOptions, ParsesEveryOption) {
  auto o = parse_options({"--from", "10.0.0.1,10.0.0.2", "--to", "10.1.0.1", "--port", "5001",
                          "--size", "1400", "--seconds", "2.5", "--pps", "1000", "--batch", "64"});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->from, (std::vector<Ipv4>{ip("10.0.0.1"), ip("10.0.0.2")}));
  EXPECT_EQ(o->to, std::vector<Ipv4>{ip("10.1.0.1")});
  EXPECT_EQ(o->port, 5001);
  EXPECT_EQ(o->size, 1400u);
  EXPECT_DOUBLE_EQ(o->seconds, 2.5);
  EXPECT_DOUBLE_EQ(o->pps, 1000);
  EXPECT_EQ(o->batch, 64u);
}

TEST(UdpBlastOptions, RejectsWhatCannotBeSent) {
  auto err = [](std::vector<std::string> extra) {
    std::vector<std::string> a{"--from", "10.0.0.1", "--to", "10.1.0.1"};
    a.insert(a.end(), extra.begin(), extra.end());
    auto o = parse_options(a);
    return o ? std::string() : o.error();
  };
  EXPECT_EQ(err({"--size", "27"}), "--size 27: below the 28 octets of the IPv4 and UDP headers");
  EXPECT_NE(err({"--size", "65536"}), "");
  EXPECT_EQ(err({"--size", "28"}), "");  // an empty payload is a datagram too
  EXPECT_NE(err({"--port", "0"}), "");
  EXPECT_NE(err({"--seconds", "0"}), "");
  EXPECT_NE(err({"--pps", "-1"}), "");
  EXPECT_NE(err({"--batch", "1025"}), "");
  EXPECT_NE(err({"--batch"}), "");
  EXPECT_EQ(err({"--bogus", "1"}), "unknown option --bogus");
  EXPECT_EQ(parse_options({"--to", "10.1.0.1"}).error(), "--from is required");
  EXPECT_EQ(parse_options({"--from", "10.1.0.1"}).error(), "--to is required");
  EXPECT_EQ(parse_options({"--from", "10.0.0.1,10.0.0.x", "--to", "10.1.0.1"}).error(),
            "--from 10.0.0.1,10.0.0.x: not an IPv4 address: \"10.0.0.x\"");
  EXPECT_FALSE(parse_address_list("10.0.0.1,"));
}

TEST(UdpBlastFlows, PairUpOrFanOut) {
  auto a = ip("10.0.0.1"), b = ip("10.0.0.2"), c = ip("10.1.0.1"), d = ip("10.1.0.2");
  auto zip = make_flows({a, b}, {c, d});
  ASSERT_TRUE(zip);
  EXPECT_EQ(*zip, (std::vector<std::pair<Ipv4, Ipv4>>{{a, c}, {b, d}}));
  auto many_to_one = make_flows({a, b}, {c});
  ASSERT_TRUE(many_to_one);
  EXPECT_EQ(*many_to_one, (std::vector<std::pair<Ipv4, Ipv4>>{{a, c}, {b, c}}));
  auto one_to_many = make_flows({c}, {a, b});
  ASSERT_TRUE(one_to_many);
  EXPECT_EQ(*one_to_many, (std::vector<std::pair<Ipv4, Ipv4>>{{c, a}, {c, b}}));
  EXPECT_FALSE(make_flows({a, b}, {c, d, a}));
  EXPECT_FALSE(make_flows({}, {c}));
  EXPECT_FALSE(
      parse_options({"--from", "10.0.0.1,10.0.0.2", "--to", "10.1.0.1,10.1.0.2,10.1.0.3"}));
}

TEST(UdpBlastPacer, UnpacedSendsFullBatches) {
  Pacer p(0, 32);
  EXPECT_EQ(p.allowed(duration<double>(0), 0), 32u);
  EXPECT_EQ(p.allowed(duration<double>(10), 1'000'000'000), 32u);
  EXPECT_EQ(p.wait(duration<double>(0), 5).count(), 0);
}

TEST(UdpBlastPacer, PacedFollowsTheRateSinceTheStart) {
  Pacer p(1000, 32);  // one datagram per millisecond
  EXPECT_EQ(p.allowed(duration<double>(0), 0), 0u);
  EXPECT_EQ(p.allowed(duration<double>(0.0105), 0), 10u);
  EXPECT_EQ(p.allowed(duration<double>(0.0105), 10), 0u);
  EXPECT_EQ(p.allowed(duration<double>(0.0105), 12), 0u);  // ahead: waits
  EXPECT_EQ(p.allowed(duration<double>(1.0), 0), 32u);     // behind: full batches
  EXPECT_NEAR(p.wait(duration<double>(0.0105), 10).count(), 0.0005, 1e-9);
  EXPECT_EQ(p.wait(duration<double>(1.0), 0).count(), 0);
}

TEST(UdpBlastReport, OneLineTheBenchParses) {
  const Report r{.flows = 100,
                 .size = 64,
                 .sent = 500000,
                 .send_errors = 3,
                 .seconds = 5,
                 .cpu_user_s = 0.5,
                 .cpu_sys_s = 4.25};
  EXPECT_EQ(format_report(r),
            "udp-blast: flows=100 size=64 sent=500000 send_errors=3 seconds=5.000 pps=100000 "
            "cpu_user_s=0.50 cpu_sys_s=4.25");
}

TEST(UdpBlastOptions, L2tpTakesAFileAndOneServer) {
  auto o = parse_options({"--l2tp", "/tmp/s", "--to", "10.251.0.1", "--size", "1400"});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->l2tp_file, "/tmp/s");
  EXPECT_TRUE(o->from.empty());
  EXPECT_EQ(parse_options({"--l2tp", "/tmp/s", "--from", "10.0.0.1", "--to", "10.1.0.1"}).error(),
            "--l2tp and --from exclude each other");
  EXPECT_EQ(parse_options({"--l2tp", "/tmp/s"}).error(), "--l2tp needs one --to address");
  EXPECT_FALSE(parse_options({"--l2tp", "/tmp/s", "--to", "10.1.0.1,10.1.0.2"}));
  EXPECT_FALSE(parse_options({"--l2tp", "", "--to", "10.1.0.1"}));
  // The user's 65,535 octets would not fit in the LAC's packet.
  EXPECT_FALSE(parse_options({"--l2tp", "/tmp/s", "--to", "10.1.0.1", "--size", "65535"}));
  EXPECT_TRUE(parse_options({"--l2tp", "/tmp/s", "--to", "10.1.0.1", "--size", "65497"}));
}

const L2tpSession kSession{.lac = {ip("10.250.0.2"), 41234},
                           .lns = {ip("10.250.0.1"), 1701},
                           .tunnel = 5,
                           .session = 0x1234,
                           .address = ip("192.168.16.2")};

TEST(UdpBlastSessions, LineRoundTrips) {
  const std::string line =
      "lac=10.250.0.2:41234 lns=10.250.0.1:1701 tunnel=5 session=4660 address=192.168.16.2";
  EXPECT_EQ(format_session_line(kSession), line);
  auto s = parse_session_line(line);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(*s, kSession);
  // Any order, extra spaces.
  auto t = parse_session_line(
      "address=192.168.16.2  session=4660 tunnel=5 lns=10.250.0.1:1701 lac=10.250.0.2:41234 ");
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(*t, kSession);
}

TEST(UdpBlastSessions, BadLinesSayWhy) {
  auto err = [](std::string_view line) {
    auto s = parse_session_line(line);
    return s ? std::string() : s.error();
  };
  EXPECT_EQ(err("lac=10.250.0.2:41234 lns=10.250.0.1:1701 tunnel=5 session=7"), "no address=");
  EXPECT_EQ(err("lac=10.250.0.2:41234 lns=10.250.0.1:1701 tunnel=0 session=7 address=1.2.3.4"),
            "bad tunnel=0");
  EXPECT_EQ(err("lac=10.250.0.2 lns=10.250.0.1:1701 tunnel=5 session=7 address=1.2.3.4"),
            "bad lac=10.250.0.2");
  EXPECT_EQ(err("lac=10.250.0.2:0 lns=10.250.0.1:1701 tunnel=5 session=7 address=1.2.3.4"),
            "bad lac=10.250.0.2:0");
  EXPECT_EQ(err("lac=1.2.3.4:1 lns=1.2.3.4:1 tunnel=5 session=65536 address=1.2.3.4"),
            "bad session=65536");
  EXPECT_EQ(err("lac=1.2.3.4:1 lac=1.2.3.4:1"), "field lac twice");
  EXPECT_EQ(err("peer=1"), "unknown field \"peer=1\"");
  EXPECT_EQ(err("lac"), "bad lac");
  EXPECT_EQ(err(""), "no lac=");
  EXPECT_NE(err("tunnel="), "");
  EXPECT_NE(err("address=1.2.3"), "");
}

TEST(UdpBlastSessions, FileSkipsBlankLinesAndNamesTheBadOne) {
  auto all = parse_sessions(format_session_line(kSession) + "\n\n" + format_session_line(kSession) +
                            "\r\n");
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->size(), 2u);
  EXPECT_TRUE(parse_sessions("")->empty());
  auto bad = parse_sessions(format_session_line(kSession) + "\n\nlac=x\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "line 3: bad lac=x");
}

TEST(UdpBlastL2tp, PacketIsWhatTheLacSends) {
  Bytes p = l2tp_data_packet(kSession, ip("10.251.0.1"), 9, 64);
  ASSERT_EQ(p.size(), 64 + kL2tpOverhead);
  auto u16 = [&](std::size_t at) { return p[at] << 8 | p[at + 1]; };
  auto ipv4_ok = [&](std::size_t at) {  // the header's one's-complement sum is all ones
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>(u16(at + i));
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
  };
  // Outer IPv4: LAC -> LNS, UDP, DF.
  EXPECT_EQ(p[0], 0x45);
  EXPECT_EQ(u16(2), 102);
  EXPECT_EQ(u16(6), 0x4000);
  EXPECT_EQ(p[8], 64);
  EXPECT_EQ(p[9], 17);
  EXPECT_EQ(Bytes(p.begin() + 12, p.begin() + 20), (Bytes{10, 250, 0, 2, 10, 250, 0, 1}));
  EXPECT_TRUE(ipv4_ok(0));
  // UDP: the tunnel's ports, no checksum.
  EXPECT_EQ(u16(20), 41234);
  EXPECT_EQ(u16(22), 1701);
  EXPECT_EQ(u16(24), 82);
  EXPECT_EQ(u16(26), 0);
  // L2TP data header (T=0, version 2), the LNS's ids; PPP IPv4 with address and control.
  EXPECT_EQ(Bytes(p.begin() + 28, p.begin() + 38),
            (Bytes{0x00, 0x02, 0x00, 0x05, 0x12, 0x34, 0xff, 0x03, 0x00, 0x21}));
  // The user's IPv4/UDP datagram of 64 octets to the server's port.
  EXPECT_EQ(p[38], 0x45);
  EXPECT_EQ(u16(40), 64);
  EXPECT_EQ(p[47], 17);
  EXPECT_EQ(Bytes(p.begin() + 50, p.begin() + 58), (Bytes{192, 168, 16, 2, 10, 251, 0, 1}));
  EXPECT_TRUE(ipv4_ok(38));
  EXPECT_EQ(u16(58), 9);
  EXPECT_EQ(u16(60), 9);
  EXPECT_EQ(u16(62), 44);
  EXPECT_EQ(u16(64), 0);
  EXPECT_EQ(l2tp_data_packet(kSession, ip("10.251.0.1"), 5001, 1400).size(), 1438u);
}

}  // namespace
}  // namespace vpdnd::blast
