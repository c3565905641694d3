// Every frame a PAP and a CHAP session exchange (LCP, auth, IPCP, echo, terminate,
// Protocol-Reject) written to a pcap and decoded by tshark, an independent dissector: no
// malformed packet and no expert warning or error. Skips when tshark is missing.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "ppp/ppp.hpp"

namespace vpdnd::ppp {
namespace {

struct Wire : PppLowerLayer {
  std::vector<Bytes>* capture;
  std::vector<Bytes> queue;
  void send(ByteView f) override {
    capture->emplace_back(f.begin(), f.end());
    queue.emplace_back(f.begin(), f.end());
  }
};
struct Quiet : PppListener {
  bool up = false, down = false;
  void on_ready_to_tunnel(const ProxyData&, const AuthResult&) override {}
  void on_up(const SessionUpInfo&) override { up = true; }
  void on_down(DownReason, std::string_view) override { down = true; }
};
struct Auth : Authenticator {
  Handle authenticate(const AuthRequest& r, Done done) override {
    AuthResult res;
    res.accepted = r.method == AuthMethod::pap
                       ? r.password == "pw"
                       : chap_md5_response(r.chap_id, "pw", r.chap_challenge) == r.chap_response;
    res.message = res.accepted ? "Welcome" : "Denied";
    done(res);
    return 1;
  }
  void cancel(Handle) override {}
};
struct Pool : AddressProvider {
  std::optional<Ipv4> acquire(const std::string&, const AuthResult&) override {
    return Ipv4{0x0a000002};
  }
  void release(Ipv4) override {}
};

void session_frames(AuthMethod method, std::vector<Bytes>& capture) {
  ManualTimerService timers;
  Wire to_client, to_server;
  to_client.capture = to_server.capture = &capture;
  Quiet sev, cev;
  Auth auth;
  Pool pool;
  SessionConfig s;
  s.auth_methods = {method};
  s.local_address = Ipv4{0x0a000001};
  s.dns_primary = Ipv4{0x08080808};
  s.mru = 1492;
  s.echo_interval = 5s;
  SessionConfig c;
  c.mode = SessionMode::client;
  c.user = "alice";
  c.password = "pw";
  c.request_pfc = c.request_acfc = true;
  PppSession server(s, to_client, sev, timers, &auth, &pool);
  PppSession client(c, to_server, cev, timers);
  server.start();
  client.start();
  auto pump = [&] {
    while (!to_client.queue.empty() || !to_server.queue.empty()) {
      auto a = std::move(to_server.queue);
      to_server.queue.clear();
      for (auto& f : a) server.receive(f);
      auto b = std::move(to_client.queue);
      to_client.queue.clear();
      for (auto& f : b) client.receive(f);
    }
  };
  pump();
  ASSERT_TRUE(sev.up && cev.up);
  timers.advance(6s);  // one echo round trip
  pump();
  Bytes ipv6cp =
      encode_frame(proto::ipv6cp, encode_control(1, 1, Bytes{1, 10, 0, 0, 0, 0, 0, 0, 0, 1}));
  capture.push_back(ipv6cp);
  server.receive(ipv6cp);  // Protocol-Reject
  server.close("bye");
  pump();
  ASSERT_TRUE(sev.down);
}

void write_pcap(const std::string& path, const std::vector<Bytes>& frames) {
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  u32(0xa1b2c3d4);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(9);  // LINKTYPE_PPP: RFC 1662 framing with FF 03
  std::uint32_t t = 1;
  for (const auto& fr : frames) {
    Bytes framed = {0xff, 0x03};
    framed.insert(framed.end(), fr.begin(), fr.end());
    u32(t++);
    u32(0);
    u32(static_cast<std::uint32_t>(framed.size()));
    u32(static_cast<std::uint32_t>(framed.size()));
    f.write(reinterpret_cast<const char*>(framed.data()),
            static_cast<std::streamsize>(framed.size()));
  }
}

std::string run(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p.get())) out.append(buf, n);
  return out;
}

TEST(PppWire, TsharkDecodesEverythingWithoutWarnings) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
  std::vector<Bytes> frames;
  session_frames(AuthMethod::pap, frames);
  session_frames(AuthMethod::chap_md5, frames);
  ASSERT_GT(frames.size(), 30u);
  const char* dir = std::getenv("VPDND_BUILD_DIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/ppp_wire_test.pcap";
  write_pcap(path, frames);
  std::string fields = run("tshark -n -r " + path + " -T fields -e frame.protocols 2>&1");
  std::size_t lines = 0, lcp = 0, pap = 0, chap = 0, ipcp = 0;
  for (std::size_t at = 0; (at = fields.find("ppp:", at)) != std::string::npos; ++at) ++lines;
  for (std::size_t at = 0; (at = fields.find("lcp", at)) != std::string::npos; ++at) ++lcp;
  for (std::size_t at = 0; (at = fields.find("pap", at)) != std::string::npos; ++at) ++pap;
  for (std::size_t at = 0; (at = fields.find("chap", at)) != std::string::npos; ++at) ++chap;
  for (std::size_t at = 0; (at = fields.find("ipcp", at)) != std::string::npos; ++at) ++ipcp;
  EXPECT_EQ(lines, frames.size()) << fields;
  EXPECT_GT(lcp, 10u);
  EXPECT_GE(pap, 2u);
  EXPECT_GE(chap, 3u);
  EXPECT_GE(ipcp, 4u);
  std::string expert = run("tshark -n -r " + path + " -q -z expert,warn 2>&1");
  EXPECT_EQ(expert.find("Malformed"), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Warning"), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Error"), std::string::npos) << expert;
  std::string verbose = run("tshark -n -r " + path + " -V 2>&1");
  EXPECT_EQ(verbose.find("Malformed"), std::string::npos);
  EXPECT_NE(verbose.find("Magic Number"), std::string::npos);
  EXPECT_NE(verbose.find("IP Address: 10.0.0.2"), std::string::npos) << verbose.substr(0, 3000);
}

}  // namespace
}  // namespace vpdnd::ppp
