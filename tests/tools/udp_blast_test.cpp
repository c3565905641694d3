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

}  // namespace
}  // namespace vpdnd::blast
