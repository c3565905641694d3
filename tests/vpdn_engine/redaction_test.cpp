// What the L2TP engine's debug and log lines show of a peer: strings escaped and bounded,
// PPP passwords and CHAP responses never, in text or in hex.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/log.hpp"
#include "common/printable.hpp"
#include "harness.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn::test {
namespace {

const std::string kPassword = "S3cr3tPw";
// Hex of the password's first bytes as to_hex() would print them.
const std::string kPasswordHex = "53 33 63 72";

bool terminal_clean(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return ch == '\n' || (c >= 0x20 && c < 0x7f);
  });
}

struct Redaction : ::testing::Test {
  World w;
  Node lac{w.net, w.timers, kLac, 1};
  Node lns{w.net, w.timers, kLns, 2};
  CallLog calls;
  std::vector<LogRecord> lines;
  LogBus::SinkId sink = 0;

  void SetUp() override {
    lac.config.l2tp_groups[1] = lac_group(1, {kLns.address}, "LAC", "aabbcc");
    lns.config.l2tp_groups[1] = lns_group(1, 1, "LAC", "LNS", "aabbcc");
    LogBus::instance().set_stderr(false);
    sink = LogBus::instance().subscribe([this](const LogRecord& r) { lines.push_back(r); });
  }
  void TearDown() override {
    LogBus::instance().unsubscribe(sink);
    LogBus::instance().set_all(DebugModule::l2tp, false);
    LogBus::instance().set_stderr(true);
  }
  LacCallRequest pap_request() {
    LacCallRequest r;
    r.group = 1;
    r.user = "bob@corp.com";
    r.bearer_type = kBearerDigital;
    ppp::ProxyData p;
    p.last_sent_confreq = {0x03, 0x04, 0xc0, 0x23};
    p.last_received_confreq = {0x01, 0x04, 0x05, 0xd4};
    p.auth_type = ppp::ProxyAuthType::pap;
    p.auth_name = r.user;
    p.auth_id = 1;
    p.auth_response = Bytes(kPassword.begin(), kPassword.end());
    r.proxy = p;
    return r;
  }
  void dial(LacCallRequest r) {
    auto h = lac.engine->place_call(std::move(r), calls.callbacks());
    ASSERT_TRUE(h.has_value());
  }
  std::string all_text() const {
    std::string s;
    for (auto& r : lines) s += r.text + "\n";
    return s;
  }
};

Bytes pap_request_frame() {
  // ff 03 c0 23 | Authenticate-Request id 1 | Peer-ID "u" | Password
  ByteWriter w;
  w.u16(0xff03);
  w.u16(0xc023);
  w.u8(0x01);
  w.u8(0x01);
  w.u16(static_cast<std::uint16_t>(4 + 2 + 1 + kPassword.size()));
  w.u8(0x01);
  w.u8('u');
  w.u8(static_cast<std::uint8_t>(kPassword.size()));
  w.bytes(kPassword);
  return w.take();
}

Bytes chap_response_frame() {
  // ff 03 c2 23 | Response id 1 | Value-Size 16, value d1..e0 | Name "u"
  Bytes f{0xff, 0x03, 0xc2, 0x23, 0x02, 0x01, 0x00, 4 + 1 + 16 + 1, 16};
  for (std::uint8_t b = 0xd1; b <= 0xe0; ++b) f.push_back(b);
  f.push_back('u');
  return f;
}

TEST_F(Redaction, PayloadDumpMasksPapPasswordAndChapResponse) {
  dial(pap_request());
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  ASSERT_EQ(lns.handler.incoming.size(), 1u);
  LogBus::instance().set(DebugModule::l2tp, DebugClass::payload, true);
  lines.clear();
  // Sent (LAC) and received (LNS) dumps, both ways.
  for (const Bytes& f : {pap_request_frame(), chap_response_frame()}) {
    EXPECT_TRUE(lac.engine->send_data(calls.up[0], f));
    EXPECT_TRUE(lns.engine->send_data(lns.handler.incoming[0].ref, f));
  }
  w.net.pump();
  ASSERT_EQ(lns.handler.data.size(), 2u);
  EXPECT_EQ(lns.handler.data[0].second, pap_request_frame());  // the data itself is intact
  const std::string text = all_text();
  EXPECT_GE(lines.size(), 8u) << text;
  EXPECT_NE(text.find("sent data (len=19): ff 03 c0 23 01 01 00 0f 01 75 08 ** ** ** ** **"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(kPasswordHex), std::string::npos) << text;
  EXPECT_EQ(text.find("S3cr3"), std::string::npos) << text;
  EXPECT_EQ(text.find("d1 d2"), std::string::npos) << text;
  EXPECT_EQ(text.find("d5 d6"), std::string::npos) << text;
}

TEST_F(Redaction, ControlDumpMasksProxyAuthenResponse) {
  LogBus::instance().set_all(DebugModule::l2tp, true);
  lns.config.l2tp_groups[1].avp_hidden = true;
  lac.config.l2tp_groups[1].avp_hidden = true;
  dial(pap_request());
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  const std::string text = all_text();
  EXPECT_NE(text.find("Proxy Authen Response"), std::string::npos) << text;
  EXPECT_NE(text.find("bytes masked>"), std::string::npos) << text;
  EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
  EXPECT_EQ(text.find(kPasswordHex), std::string::npos) << text;
  EXPECT_EQ(text.find("aabbcc"), std::string::npos) << text;  // tunnel password
}

// A peer's Host Name holding NUL, CR/LF and an ANSI sequence, 1,017 bytes long: kept raw for
// matching, shown escaped and bounded in every debug and log line.
TEST_F(Redaction, HostileHostNameEscapedInDebugAndLogLines) {
  static const char raw[] = "evil\0\r\n%Dec  7 VPDN L2TP/6/INFO: forged\x1b[2J\x9b";
  std::string hostile(raw, sizeof raw - 1);
  hostile.resize(1017, 'A');
  // The LAC names itself so: its SCCRQ is the unauthenticated input an LNS must log safely
  // (an LNS answering with a 1 KiB SCCRP to a 0.1 KiB SCCRQ would exceed what it may send
  // to a peer not yet confirmed).
  lac.config.l2tp_groups[1].tunnel_name = hostile;
  lns.config.l2tp_groups[1].allow_remote = hostile;
  LogBus::instance().set_all(DebugModule::l2tp, true);
  dial(pap_request());
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  auto tunnels = lns.engine->snapshot_tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_EQ(tunnels[0].remote_name, hostile);
  bool saw_name = false;
  for (auto& r : lines) {
    EXPECT_TRUE(terminal_clean(r.text)) << r.text;
    if (!r.is_debug) {
      EXPECT_EQ(r.text.find('\n'), std::string::npos) << r.text;
    }
    std::size_t line_start = 0;
    while (line_start <= r.text.size()) {
      std::size_t end = r.text.find('\n', line_start);
      if (end == std::string::npos) end = r.text.size();
      const std::string line = r.text.substr(line_start, end - line_start);
      EXPECT_LE(line.size(), kFieldWidth + 100) << line;
      EXPECT_NE(line.rfind("%Dec", 0), 0u) << line;  // no forged line start
      if (line.find("evil\\x00\\x0d\\x0a%Dec") != std::string::npos) saw_name = true;
      line_start = end + 1;
    }
  }
  EXPECT_TRUE(saw_name) << all_text();
}

// An unauthenticated SCCRQ whose Host Name no l2tp-group allows: refused, and the refusal's
// log and debug lines show the name escaped.
TEST_F(Redaction, RefusedPeerNameEscapedInStopCcnLines) {
  static const char raw[] = "evil\0\r\n%Dec  7 VPDN L2TP/6/INFO: forged\x1b[2J";
  lns.config.l2tp_groups[1] = lns_group(1, 1, "someone-else", "LNS", "aabbcc");
  lac.config.l2tp_groups[1].tunnel_name = std::string(raw, sizeof raw - 1);
  LogBus::instance().set_all(DebugModule::l2tp, true);
  dial(pap_request());
  w.settle();
  EXPECT_TRUE(calls.up.empty());
  bool refused_log = false, refused_debug = false;
  for (auto& r : lines) {
    EXPECT_TRUE(terminal_clean(r.text)) << r.text;
    if (r.text.find("no l2tp-group allows peer 'evil\\x00\\x0d\\x0a%Dec") != std::string::npos) {
      (r.is_debug ? refused_debug : refused_log) = true;
      EXPECT_EQ(r.text.find('\n'), std::string::npos) << r.text;
    }
  }
  EXPECT_TRUE(refused_log) << all_text();
  EXPECT_TRUE(refused_debug) << all_text();
}

// describe(), behind `debugging l2tp control`: string AVPs escaped and bounded, secret AVPs
// masked.
TEST(RedactionDescribe, HostNameBoundedAndSecretsMasked) {
  std::string name = "lns\x1b[2J\n";
  name.resize(1017, 'x');
  ControlMessage m = ControlMessage::make(MessageType::iccn, 1, 2);
  m.add_string(AvpType::host_name, name)
      .add_string(AvpType::proxy_authen_name, "bob\r\nforged")
      .add_bytes(AvpType::proxy_authen_response, Bytes(kPassword.begin(), kPassword.end()))
      .add_bytes(AvpType::challenge_response, Bytes(16, 0xd7));
  const std::string text = describe(m);
  EXPECT_TRUE(terminal_clean(text)) << text;
  EXPECT_NE(text.find("Host Name [M]: \"lns\\x1b[2J\\x0axxx"), std::string::npos) << text;
  EXPECT_NE(text.find("Proxy Authen Name: \"bob\\x0d\\x0aforged\""), std::string::npos) << text;
  EXPECT_LT(text.size(), 600u) << text;
  EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
  EXPECT_EQ(text.find(kPasswordHex), std::string::npos) << text;
  EXPECT_EQ(text.find("d7 d7"), std::string::npos) << text;
}

}  // namespace
}  // namespace vpdnd::vpdn::test
