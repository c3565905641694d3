// System test: the codec against a real, independent L2TP implementation. Debian's xl2tpd
// runs as LNS on 127.0.0.1:25020 with its own config dir; this test is the LAC, built only
// from vpdn/codec.hpp over a UDP socket. Our SCCCN Challenge Response and our ICRQ's
// Assigned Session ID are sent HIDDEN (§4.3): xl2tpd accepting the first and addressing
// its ICRP to the second proves it un-hid them with the shared secret; its own Challenge
// Response proves the §4.2 digest the other way.
// xl2tpd then forks pppd, which fails without /dev/ppp, and clears the call with a CDN that
// we decode and acknowledge. Skips when xl2tpd is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/process.hpp"
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

constexpr std::uint16_t kLnsPort = 25020;
constexpr const char* kSecret = "interop-secret";

class Xl2tpd {
 public:
  explicit Xl2tpd(const std::filesystem::path& dir) {
    std::ofstream(dir / "xl2tpd.conf")
        << "[global]\nport = " << kLnsPort
        << "\nlisten-addr = 127.0.0.1\nauth file = " << (dir / "secrets").string()
        << "\naccess control = no\n[lns default]\nip range = 10.97.0.10-10.97.0.20\n"
           "local ip = 10.97.0.1\nhostname = xl2tpd-lns\nchallenge = yes\n"
           "require authentication = no\nlength bit = yes\npppoptfile = "
        << (dir / "ppp.opts").string() << "\n";
    std::ofstream(dir / "secrets") << "* * " << kSecret << "\n";
    std::filesystem::permissions(
        dir / "secrets", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::ofstream(dir / "ppp.opts") << "noauth\n";
    const std::string conf = (dir / "xl2tpd.conf").string(), pid = (dir / "xl2tpd.pid").string(),
                      ctl = (dir / "l2tp-control").string(), log = (dir / "xl2tpd.log").string();
    // Its own process group: pppd children die with it.
    xl2tpd_.spawn({"xl2tpd", "-D", "-c", conf, "-p", pid, "-C", ctl},
                  {.log = log, .own_group = true});
  }
  ~Xl2tpd() { xl2tpd_.stop(std::chrono::seconds(1)); }
  bool started() const { return xl2tpd_.pid() > 0; }

 private:
  vpdnd::test::Child xl2tpd_;
};

class Lac {
 public:
  Lac() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    timeval tv{0, 200000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    lns_.sin_family = AF_INET;
    lns_.sin_port = htons(kLnsPort);
    lns_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~Lac() { close(fd_); }

  void send(ControlMessage m, bool sequenced = true) {
    m.ns = ns_;
    m.nr = nr_;
    if (sequenced && !m.zlb) ++ns_;
    auto wire = encode_control(m, &secret_, rnd_);
    ASSERT_TRUE(wire);
    last_ = *wire;
    ASSERT_GT(
        sendto(fd_, wire->data(), wire->size(), 0, reinterpret_cast<sockaddr*>(&lns_), sizeof lns_),
        0);
  }
  void resend() {
    sendto(fd_, last_.data(), last_.size(), 0, reinterpret_cast<sockaddr*>(&lns_), sizeof lns_);
  }

  // Next non-ZLB message (ZLBs are acks we only note), in sequence; nullopt on timeout.
  std::optional<ControlMessage> receive(double seconds, bool want_zlb = false) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    std::uint8_t buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      auto m = decode_control(ByteView(buf, static_cast<std::size_t>(n)), &secret_);
      EXPECT_TRUE(m) << describe(m.error());
      if (!m) continue;
      peer_nr_ = m->nr;
      if (m->zlb) {
        if (want_zlb) return std::move(*m);
        continue;
      }
      if (m->ns != nr_) continue;  // duplicate of something already handled
      ++nr_;
      return std::move(*m);
    }
    return std::nullopt;
  }
  void ack(std::uint16_t tunnel_id) { send(ControlMessage::make_zlb(tunnel_id), false); }
  std::uint16_t peer_nr() const { return peer_nr_; }

 private:
  int fd_ = -1;
  sockaddr_in lns_{};
  HidingContext secret_{kSecret};
  SeededRandom rnd_{2661};
  std::uint16_t ns_ = 0, nr_ = 0, peer_nr_ = 0;
  Bytes last_;
};

TEST(L2tpCodecXl2tpdInterop, HiddenAvpsChallengeAndCallAgainstXl2tpdLns) {
  if (std::system("command -v xl2tpd >/dev/null 2>&1") != 0) GTEST_SKIP() << "xl2tpd not installed";
  std::string tmpl = (std::filesystem::temp_directory_path() / "l2tp-interop-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir = tmpl;
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{dir};
  Xl2tpd lns(dir);
  ASSERT_TRUE(lns.started());
  Lac lac;

  constexpr std::uint16_t kOurTunnel = 0x5a17, kOurSession = 0x0c55;
  const Bytes challenge = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  ControlMessage sccrq = ControlMessage::make(MessageType::sccrq, 0);
  sccrq.add_protocol_version()
      .add_string(AvpType::host_name, "vpdnd-codec-lac")
      // Plain here: xl2tpd 1.3.18 looks the tunnel secret up only after the whole SCCRQ was
      // parsed, so it cannot un-hide AVPs in SCCRQ ("Invalid Hidden AVP", StopCCN 2/6).
      .add_u32(AvpType::framing_capabilities, kFramingSync | kFramingAsync)
      .add_u16(AvpType::assigned_tunnel_id, kOurTunnel)
      .add_u16(AvpType::receive_window_size, 8)
      .add_bytes(AvpType::challenge, challenge);
  lac.send(sccrq);
  std::optional<ControlMessage> sccrp;
  for (int attempt = 0; attempt < 25 && !sccrp; ++attempt) {  // xl2tpd may still be starting
    sccrp = lac.receive(0.2);
    if (!sccrp) lac.resend();
  }
  ASSERT_TRUE(sccrp) << "no SCCRP from xl2tpd";
  ASSERT_EQ(sccrp->type, MessageType::sccrp) << describe(*sccrp);
  EXPECT_EQ(sccrp->tunnel_id, kOurTunnel);
  const auto* response = sccrp->find(AvpType::challenge_response);
  ASSERT_NE(response, nullptr);
  EXPECT_TRUE(chap_response_matches(response->value, chap_response(2, kSecret, challenge)));
  const std::uint16_t peer_tunnel = sccrp->u16(AvpType::assigned_tunnel_id).value_or(0);
  ASSERT_NE(peer_tunnel, 0);
  auto peer_challenge = sccrp->bytes(AvpType::challenge);
  ASSERT_TRUE(peer_challenge);

  ControlMessage scccn = ControlMessage::make(MessageType::scccn, peer_tunnel);
  const auto our_response = chap_response(3, kSecret, *peer_challenge);
  scccn.add_bytes(AvpType::challenge_response, our_response, true);
  lac.send(scccn);
  ASSERT_TRUE(lac.receive(3, true)) << "SCCCN not acknowledged";
  EXPECT_EQ(lac.peer_nr(), 2);

  ControlMessage icrq = ControlMessage::make(MessageType::icrq, peer_tunnel);
  icrq.add_u16(AvpType::assigned_session_id, kOurSession, true)
      .add_u32(AvpType::call_serial_number, 1, true)
      .add_u32(AvpType::bearer_type, kBearerDigital)
      .add_string(AvpType::calling_number, "0123456789-hidden-calling-number", true);
  lac.send(icrq);
  auto icrp = lac.receive(3);
  ASSERT_TRUE(icrp) << "no ICRP";
  ASSERT_EQ(icrp->type, MessageType::icrp) << describe(*icrp);
  EXPECT_EQ(icrp->session_id, kOurSession) << "xl2tpd did not un-hide our Assigned Session ID";
  const std::uint16_t peer_session = icrp->u16(AvpType::assigned_session_id).value_or(0);
  ASSERT_NE(peer_session, 0);

  ControlMessage iccn = ControlMessage::make(MessageType::iccn, peer_tunnel, peer_session);
  iccn.add_u32(AvpType::tx_connect_speed, 10000000).add_u32(AvpType::framing_type, kFramingSync);
  lac.send(iccn);
  // pppd cannot run here (no /dev/ppp, or it fails anyway): xl2tpd clears the call.
  auto cdn = lac.receive(10);
  if (cdn) {
    EXPECT_EQ(cdn->type, MessageType::cdn) << describe(*cdn);
    EXPECT_EQ(cdn->session_id, kOurSession);
    EXPECT_TRUE(cdn->result_code());
    EXPECT_EQ(cdn->u16(AvpType::assigned_session_id), peer_session);
    lac.ack(peer_tunnel);
  }
  ControlMessage stop = ControlMessage::make(MessageType::stopccn, peer_tunnel);
  stop.add_u16(AvpType::assigned_tunnel_id, kOurTunnel, true)
      .add_result_code({stopccn_result::clear, std::nullopt, {}});
  // Our Ns so far: SCCRQ 0, SCCCN 1, ICRQ 2, ICCN 3, so StopCCN is 4.
  constexpr std::uint16_t stop_ns = 4;
  lac.send(stop);
  ASSERT_TRUE(lac.receive(3, true)) << "StopCCN not acknowledged";
  EXPECT_EQ(lac.peer_nr(), stop_ns + 1);
}

}  // namespace
}  // namespace vpdnd::vpdn
