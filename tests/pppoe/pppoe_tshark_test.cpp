// Every PPPoE frame our codec, server and client produce, written to a pcap and dissected by
// tshark (Wireshark's independent PPPoE dissector): the fields read back as we meant them
// and tshark raises no malformed-packet flag and no expert warning or error.
// Skips when tshark is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "ppp/pppoe.hpp"
#include "tests/support/process.hpp"

namespace vpdnd::ppp {
namespace {

using test::run_output;

void write_pcap(const std::string& path, const std::vector<Bytes>& frames) {
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  u32(0xa1b2c3d4);  // native-endian pcap, microseconds
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(1);  // LINKTYPE_ETHERNET
  std::uint32_t t = 1764115200;
  for (const auto& fr : frames) {
    u32(t++);
    u32(0);
    u32(static_cast<std::uint32_t>(fr.size()));
    u32(static_cast<std::uint32_t>(fr.size()));
    f.write(reinterpret_cast<const char*>(fr.data()), static_cast<std::streamsize>(fr.size()));
  }
}

struct Capture : PppoeFrameSink {
  std::vector<Bytes> frames;
  PppoeServer* deliver_to_server = nullptr;
  std::vector<PppoeClient*> deliver_to_clients;
  void send_frame(ByteView f) override { frames.emplace_back(f.begin(), f.end()); }
};

struct NoopClient : PppoeClientListener {
  void on_pppoe_up(std::uint16_t, const MacAddress&) override {}
  void on_pppoe_frame(ByteView) override {}
  void on_pppoe_down(std::string_view) override {}
};

TEST(PppoeWire, TsharkDissectsOurFramesCleanly) {
  if (run_output("command -v tshark").empty()) GTEST_SKIP() << "tshark not installed";
  // A whole exchange through the real server and client, captured in wire order.
  ManualTimerService clock;
  Capture wire;
  PppoeServerConfig sc;
  sc.mac = {0x02, 0xac, 0, 0, 0, 1};
  sc.ac_name = "BRAS-1";
  sc.services = {"corp"};
  PppoeServer server(sc, wire, clock);
  NoopClient listener;
  PppoeClientConfig cc;
  cc.mac = {0x02, 0, 0, 0, 0, 7};
  cc.service_name = "corp";
  cc.host_uniq = {0xde, 0xad, 0xbe, 0xef};
  PppoeClient client(cc, wire, clock, listener);
  client.start();
  for (std::size_t i = 0; i < wire.frames.size() && i < 16; ++i) {
    Bytes f = wire.frames[i];
    std::array<std::uint8_t, 6> dst;
    std::copy_n(f.begin(), 6, dst.begin());
    if (dst == sc.mac || dst == kBroadcastMac) server.on_frame(f);
    if (dst == cc.mac) client.on_frame(f);
  }
  ASSERT_EQ(client.state(), PppoeClient::State::session);
  Bytes lcp{0xc0, 0x21, 0x01, 0x01, 0x00, 0x0e, 0x01, 0x04,
            0x05, 0xd4, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78};
  client.send(lcp);
  server.send(client.session_id(), lcp);
  client.close();  // PADT from the host
  // And a PADT from the AC plus a PADS error, built directly.
  PppoeDiscovery padt{cc.mac, sc.mac, PppoeCode::padt, 0x0042, {}};
  padt.add(pppoe_tag::ac_name, "BRAS-1");
  padt.add(pppoe_tag::generic_error, "session ended by operator");
  wire.frames.push_back(encode_pppoe_discovery(padt));
  PppoeDiscovery err{cc.mac, sc.mac, PppoeCode::pads, 0, {}};
  err.add(pppoe_tag::service_name, "gaming");
  err.add(pppoe_tag::service_name_error, "service not offered");
  err.add(pppoe_tag::relay_session_id, Bytes{1, 2, 3, 4});
  wire.frames.push_back(encode_pppoe_discovery(err));

  std::string pcap = "/tmp/vdp-pppoe-" + std::to_string(::getpid()) + ".pcap";
  write_pcap(pcap, wire.frames);
  std::string fields =
      run_output("tshark -r " + pcap +
          " -T fields -E separator=, -e pppoe.code -e pppoe.session_id "
          "-e pppoed.tags.ac_name -e pppoed.tags.service_name -e pppoed.tags.host_uniq "
          "-e _ws.malformed 2>/dev/null");
  std::string expert = run_output("tshark -r " + pcap + " -q -z expert,warn 2>/dev/null");
  ::unlink(pcap.c_str());

  // PADI, PADO, PADR, PADS, two session frames, PADT, PADT, PADS(error).
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < fields.size();) {
    auto nl = fields.find('\n', at);
    lines.push_back(fields.substr(at, nl - at));
    at = nl == std::string::npos ? fields.size() : nl + 1;
  }
  ASSERT_EQ(lines.size(), 9u) << fields;
  EXPECT_EQ(lines[0].rfind("0x09,", 0), 0u) << lines[0];  // PADI
  EXPECT_NE(lines[0].find("deadbeef"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("0x07,", 0), 0u) << lines[1];  // PADO
  EXPECT_NE(lines[1].find("BRAS-1"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("corp"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2].rfind("0x19,", 0), 0u) << lines[2];                // PADR
  EXPECT_EQ(lines[3].rfind("0x65,", 0), 0u) << lines[3];                // PADS
  EXPECT_NE(lines[4].find(",0x0001,"), std::string::npos) << lines[4];  // session frame, id 1
  EXPECT_EQ(lines[6].rfind("0xa7,", 0), 0u) << lines[6];                // PADT
  EXPECT_EQ(fields.find(",1\n"), std::string::npos) << "malformed flag set: " << fields;
  EXPECT_EQ(expert.find("Warning"), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Error"), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Malformed"), std::string::npos) << expert;
}

}  // namespace
}  // namespace vpdnd::ppp
