// System test: every message encode_control() produces is dissected by tshark (an
// independent L2TP implementation) as the same message, without expert warnings or
// "Malformed" markers. Skips when text2pcap or tshark is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/vpdn_codec/avp_samples.hpp"
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

bool have_tool(const char* name) {
  const std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string run(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    status = -1;
    return out;
  }
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  status = pclose(p);
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "l2tp-codec-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// sample_value(), with what tshark dissects further made real: the proxy LCP AVPs as LCP
// options (MRU, magic), 16- and 32-bit values as small numbers (enumerations).
Bytes dissectable_value(const AvpInfo& info, std::uint8_t seed) {
  if (info.type == AvpType::initial_received_lcp_confreq ||
      info.type == AvpType::last_sent_lcp_confreq ||
      info.type == AvpType::last_received_lcp_confreq)
    return {0x01, 0x04, 0x05, 0xdc, 0x05, 0x06, 0x12, 0x34, 0x56, seed};
  if (info.kind == AvpValueKind::u16) return {0, seed};
  if (info.kind == AvpValueKind::u32) return {0, 0, 0, static_cast<std::uint8_t>(seed % 2 + 1)};
  return sample_value(info, seed);
}

TEST(L2tpCodecTshark, EncodedMessagesDissectCleanly) {
  if (!have_tool("tshark") || !have_tool("text2pcap"))
    GTEST_SKIP() << "tshark/text2pcap not installed";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());

  SeededRandom rnd(2661);
  const HidingContext secret{"tshark-secret"};
  std::vector<Bytes> packets;
  std::vector<std::string> expected_types;  // tshark's l2tp.avp.message_type per frame
  for (std::uint16_t t = 1; t <= 16; ++t) {
    if (!is_known_message_type(t)) continue;
    const auto type = static_cast<MessageType>(t);
    for (bool hide : {false, true}) {
      ControlMessage m = ControlMessage::make(type, 0x1001, is_tunnel_message(type) ? 0 : 0x2002);
      m.ns = static_cast<std::uint16_t>(packets.size());
      std::uint8_t seed = 1;
      const MessageSpec* spec = message_spec(type);
      for (const auto* list : {&spec->required, &spec->optional}) {
        for (AvpType a : *list) {
          const AvpInfo* info = avp_info(a);
          m.add(Avp{0, static_cast<std::uint16_t>(a), info->mandatory, hide && info->may_hide,
                    dissectable_value(*info, seed++)});
        }
      }
      auto wire = encode_control(m, hide ? &secret : nullptr, rnd);
      ASSERT_TRUE(wire);
      packets.push_back(*wire);
      expected_types.push_back(std::to_string(t));
    }
  }
  auto zlb = encode_control(ControlMessage::make_zlb(7, 0), nullptr, rnd);
  ASSERT_TRUE(zlb);
  packets.push_back(*zlb);
  expected_types.push_back("");

  // text2pcap input: offset + hex bytes, one packet per block.
  const auto txt = dir.path() / "packets.txt";
  const auto pcap = dir.path() / "packets.pcap";
  {
    std::ofstream out(txt);
    for (const Bytes& p : packets) {
      for (std::size_t i = 0; i < p.size(); i += 16) {
        char off[32];
        std::snprintf(off, sizeof off, "%06zx ", i);
        out << off << to_hex(ByteView(p).subspan(i, std::min<std::size_t>(16, p.size() - i)))
            << "\n";
      }
      out << "\n";
    }
  }
  int status = 0;
  run("text2pcap -q -4 127.0.0.2,127.0.0.1 -u 25100,1701 " + txt.string() + " " + pcap.string() +
          " 2>&1",
      status);
  ASSERT_EQ(status, 0);

  const std::string verbose = run("tshark -r " + pcap.string() + " -V 2>&1", status);
  ASSERT_EQ(status, 0) << verbose;
  EXPECT_EQ(verbose.find("Malformed"), std::string::npos) << verbose;
  EXPECT_EQ(verbose.find("Expert Info (Warning"), std::string::npos) << verbose;
  EXPECT_EQ(verbose.find("Expert Info (Error"), std::string::npos) << verbose;
  const std::string expert = run("tshark -r " + pcap.string() + " -q -z expert,warn 2>&1", status);
  EXPECT_EQ(expert.find("Warning"), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Error"), std::string::npos) << expert;

  // Frame by frame: tshark sees the message type we sent and the right Length.
  const std::string fields =
      run("tshark -r " + pcap.string() +
              " -T fields -E separator=, -e l2tp.length -e l2tp.avp.message_type 2>/dev/null",
          status);
  ASSERT_EQ(status, 0);
  std::istringstream lines(fields);
  std::string line;
  std::size_t i = 0;
  for (; std::getline(lines, line) && i < packets.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string want = std::to_string(packets[i].size()) + "," + expected_types[i];
    EXPECT_EQ(line, want);
  }
  EXPECT_EQ(i, packets.size());
}

}  // namespace
}  // namespace vpdnd::vpdn
