// The SSH commands: server switch, peer keys (typed key code and imported OpenSSH file),
// ssh users, VTY protocols, service-type ssh, host keys and their displays, and that all of
// it survives display current-configuration -> load.
#include <cctype>
#include <fstream>

#include "cli/front/ssh_keys.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

// An ed25519 key made by ssh-keygen (public half only).
constexpr char kOpenSshKey[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOsTWmjbrp8eXSIA+mqMLjwlQpsekjOQchBLOnPhQ+Z1 user@host";

std::string hex_of(const std::string& bytes) {
  static const char d[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string lower_case(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class SshCommandsTest : public ShellTest {};

TEST_F(SshCommandsTest, ServerSwitchAndVtyProtocolAndServiceType) {
  auto s = system_session();
  EXPECT_FALSE(running().ssh_server);
  EXPECT_TRUE(s->execute("ssh server enable").ok);
  EXPECT_TRUE(running().ssh_server);
  EXPECT_TRUE(s->execute("local-user op").ok);
  EXPECT_TRUE(s->execute("service-type ssh telnet").ok);
  EXPECT_TRUE(running().local_users.at("op").has_service(config::ServiceType::ssh));
  EXPECT_TRUE(s->execute("quit").ok);
  EXPECT_TRUE(s->execute("user-interface vty 0 4").ok);
  EXPECT_TRUE(s->execute("protocol inbound ssh").ok);
  EXPECT_EQ(running().vty.protocol, config::VtyProtocol::ssh);
  // SSH needs scheme login on the lines, both ways round.
  EXPECT_TRUE(s->execute("set authentication password simple x1").ok);
  auto r = s->execute("authentication-mode password");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("scheme"), std::string::npos) << r.output;
  EXPECT_TRUE(s->execute("protocol inbound all").ok);
  EXPECT_TRUE(s->execute("authentication-mode password").ok);
  EXPECT_FALSE(s->execute("protocol inbound ssh").ok);
  EXPECT_EQ(running().vty.protocol, config::VtyProtocol::all);
  EXPECT_TRUE(s->execute("protocol inbound telnet").ok);
  EXPECT_TRUE(s->execute("quit").ok);
  EXPECT_TRUE(s->execute("undo ssh server enable").ok);
  EXPECT_FALSE(running().ssh_server);
}

TEST_F(SshCommandsTest, KeyCodeTypedInTheKeyCodeViewIsStored) {
  std::string error;
  auto blob = key_blob_from_openssh(kOpenSshKey, &error);
  ASSERT_TRUE(blob) << error;
  std::string hex = hex_of(*blob);
  auto s = system_session();
  EXPECT_TRUE(s->execute("public-key peer alice-key").ok);
  EXPECT_EQ(s->prompt(), "[VPDN-pkey-public-key]");
  EXPECT_TRUE(s->execute("public-key-code begin").ok);
  EXPECT_EQ(s->prompt(), "[VPDN-pkey-key-code]");
  // Split across lines and words, lower case too.
  EXPECT_TRUE(s->execute(hex.substr(0, 20) + " " + hex.substr(20, 30)).ok);
  EXPECT_TRUE(s->execute(lower_case(hex.substr(50))).ok);
  auto r = s->execute("public-key-code end");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_EQ(s->prompt(), "[VPDN-pkey-public-key]");
  EXPECT_TRUE(s->execute("peer-public-key end").ok);
  EXPECT_EQ(s->prompt(), "[VPDN]");
  auto keys = running().peer_public_keys;
  ASSERT_EQ(keys.count("alice-key"), 1u);
  EXPECT_EQ(keys.at("alice-key").blob, *blob);
}

TEST_F(SshCommandsTest, BadKeyCodeIsRefusedAndNothingStored) {
  auto s = system_session();
  s->execute("public-key peer k");
  s->execute("public-key-code begin");
  EXPECT_FALSE(s->execute("zz11").ok);  // not hex
  EXPECT_TRUE(s->execute("0000000B7373682D6564323535313900000002ABCD").ok);
  auto r = s->execute("public-key-code end");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("not a valid public key"), std::string::npos) << r.output;
  EXPECT_TRUE(running().peer_public_keys.empty());
  s->execute("public-key-code begin");
  s->execute("ABC");
  EXPECT_FALSE(s->execute("public-key-code end").ok);  // odd number of digits
  EXPECT_TRUE(running().peer_public_keys.empty());
}

TEST_F(SshCommandsTest, ImportSshKeyReadsOnlyAFileBesideTheStartupConfig) {
  std::ofstream(dir / "alice.pub") << kOpenSshKey << "\n";
  auto s = system_session();
  auto r = s->execute("public-key peer alice import sshkey alice.pub");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_EQ(running().peer_public_keys.count("alice"), 1u);
  EXPECT_FALSE(s->execute("public-key peer bob import sshkey ../etc/passwd").ok);
  EXPECT_FALSE(s->execute("public-key peer bob import sshkey missing.pub").ok);
  std::ofstream(dir / "junk.pub") << "ssh-rsa bm90IGEga2V5\n";
  EXPECT_FALSE(s->execute("public-key peer bob import sshkey junk.pub").ok);
  EXPECT_EQ(running().peer_public_keys.count("bob"), 0u);
  EXPECT_TRUE(s->execute("undo public-key peer alice").ok);
  EXPECT_TRUE(running().peer_public_keys.empty());
}

TEST_F(SshCommandsTest, SshUserForms) {
  auto s = system_session();
  EXPECT_TRUE(s->execute("ssh user u1 service-type stelnet authentication-type password").ok);
  EXPECT_TRUE(
      s->execute(
           "ssh user u2 service-type stelnet authentication-type publickey assign publickey k")
          .ok);
  EXPECT_TRUE(
      s->execute("ssh user u3 authentication-type password-publickey assign publickey k").ok);
  EXPECT_FALSE(s->execute("ssh user u4 service-type stelnet authentication-type publickey").ok);
  auto users = running().ssh_users;
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users.at("u1").auth, config::SshAuthType::password);
  EXPECT_EQ(users.at("u2").auth, config::SshAuthType::publickey);
  EXPECT_EQ(users.at("u2").publickey, "k");
  EXPECT_EQ(users.at("u3").auth, config::SshAuthType::password_publickey);
  EXPECT_TRUE(s->execute("undo ssh user u1").ok);
  EXPECT_FALSE(s->execute("undo ssh user u1").ok);
  EXPECT_EQ(running().ssh_users.size(), 2u);
}

TEST_F(SshCommandsTest, EverythingRoundTripsThroughTheConfigFile) {
  std::ofstream(dir / "alice.pub") << kOpenSshKey << "\n";
  auto s = system_session();
  for (const char* line : {"ssh server enable", "public-key peer alice import sshkey alice.pub",
                           "ssh user alice service-type stelnet authentication-type any assign "
                           "publickey alice",
                           "local-user alice", "service-type ssh", "password simple pw-1", "quit",
                           "user-interface vty 0 4", "protocol inbound ssh", "quit"}) {
    auto r = s->execute(line);
    ASSERT_TRUE(r.ok) << line << ": " << r.output;
  }
  auto before = running();
  std::string text = render_configuration(before);
  EXPECT_NE(text.find(" ssh server enable\n"), std::string::npos) << text;
  EXPECT_NE(text.find("public-key peer alice\n public-key-code begin\n  0000000B"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" ssh user alice service-type stelnet authentication-type any assign "
                      "publickey alice\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" protocol inbound ssh\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" service-type ssh\n"), std::string::npos) << text;
  reset_model();
  auto errors = load_text(text);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(running(), before);
  EXPECT_EQ(render_configuration(running()), text);
}

TEST_F(SshCommandsTest, HostKeysAreCreatedShownAndStoredPrivately) {
  auto& keys = process_host_keys();
  keys.set_directory(dir.string());
  ASSERT_EQ(keys.load_or_create(), "");
  for (const char* name : {"ssh_host_rsa_key", "ssh_host_ecdsa_key"}) {
    auto st = std::filesystem::status(dir / name);
    ASSERT_TRUE(std::filesystem::exists(st)) << name;
    EXPECT_EQ(st.permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << name;
  }
  auto rsa = keys.public_key(HostKeyType::rsa);
  ASSERT_TRUE(rsa);
  EXPECT_EQ(key_blob_type(rsa->blob), "ssh-rsa");
  auto s = session();
  auto r = s->execute("display public-key local rsa public");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_NE(r.output.find("Key type: RSA"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(openssh_line(rsa->blob, "")), std::string::npos) << r.output;
  r = s->execute("display public-key local ecdsa public");
  EXPECT_NE(r.output.find("ecdsa-sha2-nistp256 "), std::string::npos) << r.output;
  // A new key replaces the old one, in memory and on disk.
  s->execute("system-view");
  r = s->execute("public-key local create ecdsa");
  EXPECT_TRUE(r.ok) << r.output;
  auto ecdsa = keys.public_key(HostKeyType::ecdsa);
  HostKeys reread;
  reread.set_directory(dir.string());
  ASSERT_EQ(reread.load_or_create(), "");
  EXPECT_EQ(reread.public_key(HostKeyType::ecdsa)->blob, ecdsa->blob);
  EXPECT_EQ(reread.public_key(HostKeyType::rsa)->blob, rsa->blob);
  // The private key never shows.
  r = s->execute("display current-configuration");
  EXPECT_EQ(r.output.find("PRIVATE"), std::string::npos);
}

TEST_F(SshCommandsTest, StatusAndSessionDisplays) {
  auto s = session();
  auto r = s->execute("display ssh server status");
  EXPECT_NE(r.output.find("SSH server: Disable"), std::string::npos) << r.output;
  auto id = process_ssh_sessions().add("127.0.0.1:40000");
  process_ssh_sessions().update(id, [](SshSessionInfo& i) {
    i.user = "alice";
    i.state = "Established";
    i.cipher = "aes256-ctr";
  });
  r = s->execute("display ssh server session");
  EXPECT_NE(r.output.find("Established"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("alice"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("127.0.0.1:40000"), std::string::npos) << r.output;
  process_ssh_sessions().remove(id);
  r = s->execute("display ssh server session");
  EXPECT_NE(r.output.find("No SSH session"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace vpdnd::cli::test
