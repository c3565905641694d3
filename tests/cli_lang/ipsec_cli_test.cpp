// IKE/IPsec configuration (Comware V7) and displays, against a fake Operations.
#include "cli/ipsec_display.hpp"
#include "startup-config/secret.hpp"
#include "tests/cli_lang/fixture.hpp"

namespace vpdnd::cli::test {
namespace {

class IpsecCliTest : public ShellTest {};

// The L2TP/IPsec dial-in configuration of the docs, as an operator types it.
const char* kDialIn[] = {
    "ike proposal 1",
    "encryption-algorithm aes-cbc-256",
    "authentication-algorithm sha256",
    "dh group14",
    "sa duration 28800",
    "quit",
    "ike keychain clients",
    "pre-shared-key address 0.0.0.0 0.0.0.0 key simple Sup3r-Secret",
    "quit",
    "ike profile clients",
    "keychain clients",
    "match remote identity address 0.0.0.0 0.0.0.0",
    "proposal 1",
    "quit",
    "ike nat-keepalive 30",
    "ipsec transform-set l2tp",
    "encapsulation-mode transport",
    "esp encryption-algorithm aes-cbc-256 aes-cbc-128 3des-cbc",
    "esp authentication-algorithm sha1 sha256",
    "pfs dh-group2",
    "quit",
    "ipsec policy-template dialin 1",
    "transform-set l2tp",
    "ike-profile clients",
    "quit",
    "ipsec policy vpdn 10 isakmp template dialin",
    "interface eth1",
    "ipsec apply policy vpdn",
    "quit",
};

TEST_F(IpsecCliTest, DialInConfigurationIsKeptWithTheKeyInCipherAndPromptsAreComware) {
  auto s = system_session();
  for (auto* line : kDialIn) {
    auto r = s->execute(line);
    ASSERT_TRUE(r.ok) << line << ": " << r.output;
    if (std::string(line) == "ike proposal 1") {
      EXPECT_EQ(s->prompt(), "[VPDN-ike-proposal-1]");
    }
    if (std::string(line) == "ipsec policy-template dialin 1") {
      EXPECT_EQ(s->prompt(), "[VPDN-ipsec-policy-template-dialin-1]");
    }
  }
  auto c = running();
  const auto& p = c.ipsec.proposals.at(1);
  EXPECT_EQ(p.encryption, config::IkeCipher::aes_cbc_256);
  EXPECT_EQ(p.authentication, config::IkeHash::sha256);
  EXPECT_EQ(p.dh, config::DhGroup::group14);
  EXPECT_EQ(p.sa_duration_s, 28800u);
  ASSERT_EQ(c.ipsec.keychains.at("clients").keys.size(), 1u);
  EXPECT_EQ(c.ipsec.keychains.at("clients").keys[0].key.plain, "Sup3r-Secret");
  EXPECT_EQ(c.ipsec.keychains.at("clients").keys[0].mask, Ipv4{});
  const auto& t = c.ipsec.transform_sets.at("l2tp");
  EXPECT_EQ(t.mode, config::EncapsulationMode::transport);
  EXPECT_EQ(t.esp_encryption.size(), 3u);
  EXPECT_EQ(t.esp_authentication.size(), 2u);
  EXPECT_EQ(t.pfs, config::DhGroup::group2);
  EXPECT_EQ(c.ipsec.policies.at({"vpdn", 10}).template_name, "dialin");
  EXPECT_EQ(c.interfaces.at("eth1").ipsec_policy, "vpdn");
  EXPECT_EQ(c.ipsec.nat_keepalive_s, 30u);

  auto shown = s->execute("display current-configuration").output;
  EXPECT_THAT(shown, Not(HasSubstr("Sup3r-Secret")));
  EXPECT_THAT(shown, HasSubstr(" pre-shared-key address 0.0.0.0 0.0.0.0 key cipher $c$3$"));
  EXPECT_THAT(shown, HasSubstr("ipsec policy vpdn 10 isakmp template dialin\n"));
  EXPECT_THAT(shown, HasSubstr("ipsec transform-set l2tp\n"
                               " esp encryption-algorithm aes-cbc-256 aes-cbc-128 3des-cbc\n"
                               " esp authentication-algorithm sha1 sha256\n"
                               " encapsulation-mode transport\n"
                               " pfs dh-group2\n"));
  EXPECT_THAT(shown, HasSubstr("interface eth1\n ipsec apply policy vpdn\n"));
  EXPECT_THAT(shown, HasSubstr(" ike nat-keepalive 30\n"));
  EXPECT_THAT(shown, HasSubstr("ike proposal 1\n encryption-algorithm aes-cbc-256\n"
                               " authentication-algorithm sha256\n dh group14\n"
                               " sa duration 28800\n"));
}

TEST_F(IpsecCliTest, SavedConfigurationLoadsBackToTheSameModel) {
  auto s = system_session();
  for (auto* line : kDialIn) ASSERT_TRUE(s->execute(line).ok) << line;
  // A LAC-LNS policy too.
  for (auto* line :
       {"ipsec policy tolns 20 isakmp", "remote-address 192.0.2.7", "transform-set l2tp",
        "ike-profile clients", "security acl 3001", "sa duration time-based 7200", "quit"})
    ASSERT_TRUE(s->execute(line).ok) << line;
  auto before = running();
  std::string text = render_configuration(before);
  reset_model();
  auto errors = load_text(text);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(running().ipsec, before.ipsec);
  EXPECT_EQ(running().interfaces, before.interfaces);
}

TEST_F(IpsecCliTest, UndoRemovesEachSetting) {
  auto s = system_session();
  for (auto* line : kDialIn) ASSERT_TRUE(s->execute(line).ok) << line;
  for (auto* line : {"ike proposal 1",
                     "undo encryption-algorithm",
                     "undo dh",
                     "undo sa duration",
                     "undo authentication-algorithm",
                     "quit",
                     "ike keychain clients",
                     "undo pre-shared-key address 0.0.0.0 0.0.0.0",
                     "quit",
                     "ipsec transform-set l2tp",
                     "undo pfs",
                     "undo encapsulation-mode",
                     "undo esp encryption-algorithm",
                     "quit",
                     "interface eth1",
                     "undo ipsec apply policy",
                     "quit",
                     "undo ipsec policy vpdn",
                     "undo ipsec policy-template dialin 1",
                     "undo ike profile clients",
                     "undo ike nat-keepalive"})
    ASSERT_TRUE(s->execute(line).ok) << line;
  auto c = running();
  config::IkeProposal fresh;
  fresh.number = 1;
  EXPECT_EQ(c.ipsec.proposals.at(1), fresh);
  EXPECT_TRUE(c.ipsec.keychains.at("clients").keys.empty());
  EXPECT_EQ(c.ipsec.transform_sets.at("l2tp").mode, config::EncapsulationMode::tunnel);
  EXPECT_FALSE(c.ipsec.transform_sets.at("l2tp").pfs);
  EXPECT_TRUE(c.ipsec.policies.empty());
  EXPECT_TRUE(c.ipsec.templates.empty());
  EXPECT_TRUE(c.ipsec.profiles.empty());
  EXPECT_FALSE(c.interfaces.count("eth1"));  // nothing else was configured on it
  EXPECT_EQ(c.ipsec.nat_keepalive_s, 20u);
  EXPECT_FALSE(s->execute("undo ike proposal 9").ok);
}

// Comware V7 forms an engineer types: each case's lines, typed in a fresh view, and the
// view's `display this` after them (the key in cipher form, shown here as KEY).
TEST_F(IpsecCliTest, ComwareFormsAreAcceptedAndShownAsComwareSavesThem) {
  struct Case {
    std::string view;
    std::vector<std::string> lines;
    std::string shown;
  };
  const Case cases[] = {
      // The mask may be a length, and defaults to a host mask.
      {"ike keychain k",
       {"pre-shared-key address 10.2.0.0 16 key simple abc",
        "pre-shared-key address 10.1.1.1 key simple abc"},
       "ike keychain k\n"
       " pre-shared-key address 10.2.0.0 255.255.0.0 key cipher KEY\n"
       " pre-shared-key address 10.1.1.1 255.255.255.255 key cipher KEY\n"},
      {"ike keychain k",
       {"pre-shared-key address 10.2.0.0 16 key simple abc",
        "undo pre-shared-key address 10.2.0.0 16"},
       "ike keychain k\n"},
      {"ike profile p",
       {"keychain k", "local-identity address 192.0.2.1",
        "match remote identity address 10.0.0.0 8", "proposal 1"},
       "ike profile p\n keychain k\n local-identity address 192.0.2.1\n"
       " match remote identity address 10.0.0.0 255.0.0.0\n proposal 1\n"},
      {"ike profile p",
       {"local-identity address 192.0.2.1", "undo local-identity",
        "match remote identity address 10.0.0.0 8",
        "undo match remote identity address 10.0.0.0 8"},
       "ike profile p\n"},
      // Pre-shared keys and ESP are the defaults (and vpdnd's only choices): never printed.
      {"ike proposal 5",
       {"authentication-method pre-share", "undo authentication-method"},
       "ike proposal 5\n"},
      {"ipsec transform-set t",
       {"protocol esp", "esp encryption-algorithm aes-cbc-128"},
       "ipsec transform-set t\n esp encryption-algorithm aes-cbc-128\n"},
  };
  for (const auto& c : cases) {
    reset_model();
    auto s = system_session();
    ASSERT_TRUE(s->execute(c.view).ok) << c.view;
    for (auto& line : c.lines) ASSERT_TRUE(s->execute(line).ok) << line;
    std::string shown = s->execute("display this").output;
    // Each cipher differs (random salt): replace them before comparing.
    for (auto at = shown.find("$c$3$"); at != std::string::npos; at = shown.find("$c$3$", at)) {
      auto end = shown.find('\n', at);
      shown.replace(at, end - at, "KEY");
    }
    EXPECT_EQ(shown, "#\n" + c.shown + "#\nreturn") << c.view;
  }
  reset_model();
  auto s = system_session();
  ASSERT_TRUE(s->execute("ike proposal 5").ok);
  EXPECT_FALSE(s->execute("authentication-method rsa-signature").ok);
  ASSERT_TRUE(s->execute("quit").ok);
  ASSERT_TRUE(s->execute("ipsec transform-set t").ok);
  EXPECT_FALSE(s->execute("protocol ah").ok);
  ASSERT_TRUE(s->execute("quit").ok);
  ASSERT_TRUE(s->execute("ike keychain k").ok);
  EXPECT_FALSE(s->execute("pre-shared-key address 10.2.0.0 33 key simple abc").ok);
}

// An existing policy entry is entered without its mode, as on Comware.
TEST_F(IpsecCliTest, ExistingPolicyIsEnteredWithoutItsMode) {
  auto s = system_session();
  for (auto* line : {"ipsec policy map 10 isakmp", "quit", "ipsec policy map 20 isakmp template t"})
    ASSERT_TRUE(s->execute(line).ok) << line;
  ASSERT_TRUE(s->execute("ipsec policy map 10").ok);
  EXPECT_EQ(s->prompt(), "[VPDN-ipsec-policy-isakmp-map-10]");
  ASSERT_TRUE(s->execute("quit").ok);
  auto r = s->execute("ipsec policy map 11");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("does not exist"));
  EXPECT_FALSE(s->execute("ipsec policy map 20").ok);
  EXPECT_EQ(s->prompt(), "[VPDN]");
}

// The saved configuration lists the IPsec and IKE nodes in Comware V7's order.
TEST_F(IpsecCliTest, ConfigurationListsNodesInComwareOrder) {
  auto s = system_session();
  for (auto* line : kDialIn) ASSERT_TRUE(s->execute(line).ok) << line;
  std::string shown = s->execute("display current-configuration").output;
  std::vector<std::string> order = {"\nipsec transform-set l2tp\n",
                                    "\nipsec policy-template dialin 1\n",
                                    "\nipsec policy vpdn 10 isakmp template dialin\n",
                                    "\nike profile clients\n",
                                    "\nike proposal 1\n",
                                    "\nike keychain clients\n",
                                    "\n ike nat-keepalive 30\n"};
  std::size_t last = 0;
  for (auto& node : order) {
    auto at = shown.find(node);
    ASSERT_NE(at, std::string::npos) << node;
    EXPECT_GT(at, last) << node << " is out of order in:\n" << shown;
    last = at;
  }
}

// `display ipsec transform-set`, `display ipsec policy` and `display ipsec policy-template`
// over the dial-in configuration plus a LAC-LNS policy, exactly as Comware V7 lays them out.
TEST_F(IpsecCliTest, ConfigurationDisplaysAreComwareLayout) {
  auto s = system_session();
  for (auto* line : kDialIn) ASSERT_TRUE(s->execute(line).ok) << line;
  for (auto* line : {"ipsec transform-set half", "esp encryption-algorithm aes-cbc-128", "quit",
                     "ipsec policy tolns 20 isakmp", "remote-address 192.0.2.7",
                     "transform-set l2tp half", "ike-profile clients", "security acl 3001",
                     "sa duration time-based 7200", "quit", "ipsec policy tolns 30 isakmp", "quit"})
    ASSERT_TRUE(s->execute(line).ok) << line;
  struct Case {
    std::string command;
    std::string shown;  // "" with ok false: refused
    bool ok = true;
  };
  const Case cases[] = {
      {"display ipsec transform-set",
       "IPsec transform set: half\n"
       "  State: incomplete\n"
       "  Encapsulation mode: tunnel\n"
       "  ESN: Disabled\n"
       "  PFS: \n"
       "  Transform: ESP\n"
       "  ESP protocol:\n"
       "    Encryption: AES-CBC-128\n"
       "\n"
       "IPsec transform set: l2tp\n"
       "  State: complete\n"
       "  Encapsulation mode: transport\n"
       "  ESN: Disabled\n"
       "  PFS: dh-group2\n"
       "  Transform: ESP\n"
       "  ESP protocol:\n"
       "    Integrity: SHA1 SHA256\n"
       "    Encryption: AES-CBC-256 AES-CBC-128 3DES-CBC"},
      {"display ipsec transform-set L2TP",
       "IPsec transform set: l2tp\n"
       "  State: complete\n"
       "  Encapsulation mode: transport\n"
       "  ESN: Disabled\n"
       "  PFS: dh-group2\n"
       "  Transform: ESP\n"
       "  ESP protocol:\n"
       "    Integrity: SHA1 SHA256\n"
       "    Encryption: AES-CBC-256 AES-CBC-128 3DES-CBC"},
      {"display ipsec transform-set none", "", false},
      {"display ipsec policy tolns 20",
       "-------------------------------------------\n"
       "IPsec Policy: tolns\n"
       "-------------------------------------------\n"
       "\n"
       "  -----------------------------\n"
       "  Sequence number: 20\n"
       "  Mode: isakmp\n"
       "  -----------------------------\n"
       "  Description:\n"
       "  Security data flow: 3001\n"
       "  Selector mode: standard\n"
       "  Local address:\n"
       "  Remote address: 192.0.2.7\n"
       "  Transform set: l2tp half\n"
       "  IKE profile: clients\n"
       "  SA duration(time based): 7200 seconds\n"
       "  SA duration(traffic based):\n"
       "  SA idle time:"},
      {"display ipsec policy tolns 30",
       "-------------------------------------------\n"
       "IPsec Policy: tolns\n"
       "-------------------------------------------\n"
       "\n"
       "  -----------------------------\n"
       "  Sequence number: 30\n"
       "  Mode: isakmp\n"
       "  -----------------------------\n"
       "  The policy configuration is incomplete:\n"
       "           Remote-address not set\n"
       "           Transform-set not set\n"
       "           IKE profile not set\n"
       "  Description:\n"
       "  Security data flow: \n"
       "  Selector mode: standard\n"
       "  Local address:\n"
       "  Remote address: \n"
       "  Transform set: \n"
       "  IKE profile: \n"
       "  SA duration(time based): \n"
       "  SA duration(traffic based):\n"
       "  SA idle time:"},
      {"display ipsec policy vpdn",
       "-------------------------------------------\n"
       "IPsec Policy: vpdn\n"
       "Interface: eth1\n"
       "-------------------------------------------\n"
       "\n"
       "  -----------------------------\n"
       "  Sequence number: 10\n"
       "  Mode: template\n"
       "  -----------------------------"},
      {"display ipsec policy vpdn 11", "", false},
      {"display ipsec policy-template",
       "-----------------------------------------------\n"
       "IPsec Policy Template: dialin\n"
       "-----------------------------------------------\n"
       "\n"
       "  ---------------------------------\n"
       "  Sequence number: 1\n"
       "  ---------------------------------\n"
       "    Description:\n"
       "    Security data flow : \n"
       "    Selector mode: standard\n"
       "    Local address:\n"
       "    IKE profile:  clients\n"
       "    Remote address: \n"
       "    Transform set:  l2tp\n"
       "    IPsec SA local duration(time based): 3600 seconds"},
  };
  for (const auto& c : cases) {
    auto r = s->execute(c.command);
    EXPECT_EQ(r.ok, c.ok) << c.command << ": " << r.output;
    if (c.ok) {
      EXPECT_EQ(r.output, c.shown) << c.command;
    }
  }
}

TEST_F(IpsecCliTest, CipherKeysAreAcceptedAndBadInputRefused) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("ike keychain k").ok);
  std::string cipher = config::encrypt_secret(config::Secret{"abc"});
  ASSERT_TRUE(s->execute("pre-shared-key address 10.0.0.0 255.255.255.0 key cipher " + cipher).ok);
  EXPECT_EQ(running().ipsec.keychains.at("k").keys.at(0).key.plain, "abc");
  EXPECT_FALSE(s->execute("pre-shared-key address 10.0.0.0 255.0.255.0 key simple x").ok);
  EXPECT_FALSE(s->execute("pre-shared-key address 10.0.0.0 key cipher notacipher").ok);
  ASSERT_TRUE(s->execute("quit").ok);
  EXPECT_FALSE(s->execute("ike proposal 0").ok);
  EXPECT_FALSE(s->execute("ike nat-keepalive 1").ok);
  ASSERT_TRUE(s->execute("ike proposal 2").ok);
  EXPECT_FALSE(s->execute("encryption-algorithm des-cbc").ok);
  EXPECT_FALSE(s->execute("sa duration 10").ok);
}

TEST_F(IpsecCliTest, HelpAndTabOfferTheKeywords) {
  auto s = system_session();
  EXPECT_THAT(s->help("ike "), HasSubstr("keychain"));
  EXPECT_THAT(s->help("ike "), HasSubstr("nat-keepalive"));
  EXPECT_THAT(s->help("ipsec "), HasSubstr("policy-template"));
  ASSERT_TRUE(s->execute("ipsec transform-set t").ok);
  std::string h = s->help("esp encryption-algorithm ");
  for (const char* w : {"3des-cbc", "aes-cbc-128", "aes-cbc-192", "aes-cbc-256"})
    EXPECT_THAT(h, HasSubstr(w));
  auto c = s->complete("encapsulation-mode tra");
  ASSERT_FALSE(c.empty());
  EXPECT_THAT(c[0], HasSubstr("transport"));
  ASSERT_TRUE(s->execute("quit").ok);
  ASSERT_TRUE(s->execute("ike proposal 3").ok);
  EXPECT_THAT(s->help("dh "), HasSubstr("group14"));
  EXPECT_THAT(s->help("authentication-algorithm "), HasSubstr("sha256"));
}

TEST_F(IpsecCliTest, DebuggingIkeAndIpsecAreSwitches) {
  LogBus::instance().clear_all();
  auto s = session();
  ASSERT_TRUE(s->execute("debugging ike all").ok);
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::ike, DebugClass::event));
  ASSERT_TRUE(s->execute("debugging ipsec error").ok);
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::ipsec, DebugClass::error));
  EXPECT_THAT(s->execute("display debugging").output,
              HasSubstr("IKE event debugging switch is on"));
  LogBus::instance().clear_all();
}

ipsec::SaSnapshot sample_snapshot() {
  ipsec::SaSnapshot snap;
  snap.available = true;
  ipsec::IkeSa sa;
  sa.name = "vpdn-10-1";
  sa.uniqueid = 7;
  sa.state = "ESTABLISHED";
  sa.local_host = "192.0.2.1";
  sa.remote_host = "198.51.100.9";
  sa.remote_port = 4500;
  sa.encr_alg = "AES_CBC";
  sa.encr_keysize = 256;
  sa.nat_remote = true;
  ipsec::ChildSa c;
  c.uniqueid = 3;
  c.state = "INSTALLED";
  c.mode = "TRANSPORT";
  c.spi_in = "c1d2e3f4";
  c.spi_out = "0000abcd";
  c.encr_alg = "AES_CBC";
  c.encr_keysize = 256;
  c.integ_alg = "HMAC_SHA1_96";
  c.encap = true;
  c.packets_in = 11;
  c.bytes_in = 1100;
  c.local_ts = {"192.0.2.1/32[udp/l2f]"};
  c.remote_ts = {"198.51.100.9/32[udp/1701]"};
  sa.children.push_back(c);
  snap.sas.push_back(sa);
  return snap;
}

// `display ike proposal` is Comware V7's table, byte for byte: the header, one row a
// proposal in priority order, columns at Comware's offsets.
TEST_F(IpsecCliTest, IkeProposalTableIsComwareLayout) {
  struct Case {
    std::vector<std::string> lines;  // typed in system view
    std::string rows;                // what follows the header
  };
  const Case cases[] = {
      {{}, ""},
      {{"ike proposal 1"},
       " 1        PRE-SHARED-KEY     SHA1       AES-CBC-128 Group 1        86400\n"},
      {{"ike proposal 11", "encryption-algorithm aes-cbc-256", "authentication-algorithm sha256",
        "dh group14", "sa duration 28800", "quit", "ike proposal 2",
        "encryption-algorithm 3des-cbc", "authentication-algorithm md5", "dh group2",
        "sa duration 600"},
       " 2        PRE-SHARED-KEY     MD5        3DES-CBC    Group 2        600\n"
       " 11       PRE-SHARED-KEY     SHA256     AES-CBC-256 Group 14       28800\n"},
  };
  for (const auto& c : cases) {
    reset_model();
    auto s = system_session();
    for (auto& line : c.lines) ASSERT_TRUE(s->execute(line).ok) << line;
    // The shell takes the last newline off what a command prints.
    EXPECT_EQ(s->execute("display ike proposal").output + "\n",
              " Priority Authentication Authentication Encryption  Diffie-Hellman Duration\n"
              "              method       algorithm    algorithm       group      (seconds)\n"
              "----------------------------------------------------------------------------\n" +
                  c.rows);
  }
}

// The SA displays name algorithms, groups and flows in Comware's words, not charon's.
TEST_F(IpsecCliTest, SaDisplaysUseComwareNames) {
  struct Case {
    std::string charon;
    std::string shown;
  };
  auto snap = sample_snapshot();
  auto& sa = snap.sas[0];
  sa.integ_alg = "HMAC_SHA2_256_128";
  sa.dh_group = "MODP_2048";
  ipsec::Statistics stats;
  ipsec::ConnectionOrigin o;
  o.connection = "vpdn-10-1";
  o.ike_profile = "clients";
  stats.connections.push_back(o);
  auto s = system_session();
  for (auto* line : {"ike profile clients", "exchange-mode aggressive", "quit"})
    ASSERT_TRUE(s->execute(line).ok) << line;
  std::string verbose = render_ike_sas_verbose(snap, stats, running(), std::nullopt);
  EXPECT_THAT(
      verbose,
      HasSubstrs({"   Authentication-algorithm: SHA256\n", "   Encryption-algorithm: AES-CBC-256\n",
                  "   Diffie-Hellman group: Group 14\n", "   Exchange-mode: Aggressive\n"}));
  EXPECT_THAT(verbose, Not(HasSubstr("State:")));

  const Case integrity[] = {{"HMAC_MD5_96", "MD5"},
                            {"HMAC_SHA1_96", "SHA1"},
                            {"HMAC_SHA2_384_192", "SHA384"},
                            {"HMAC_SHA2_512_256", "SHA512"},
                            {"AES_XCBC_96", "AES_XCBC_96"}};
  for (auto& c : integrity) {
    sa.integ_alg = c.charon;
    EXPECT_THAT(render_ike_sas_verbose(snap, stats, running(), std::nullopt),
                HasSubstr("   Authentication-algorithm: " + c.shown + "\n"))
        << c.charon;
  }
  const Case groups[] = {{"MODP_768", "1"}, {"MODP_1024", "2"}, {"MODP_1536", "5"},
                         {"ECP_256", "19"}, {"ECP_384", "20"},  {"MODP_2048_256", "24"}};
  for (auto& c : groups) {
    sa.dh_group = c.charon;
    sa.children[0].dh_group = c.charon;
    EXPECT_THAT(render_ike_sas_verbose(snap, stats, running(), std::nullopt),
                HasSubstr("   Diffie-Hellman group: Group " + c.shown + "\n"));
    EXPECT_THAT(render_ipsec_sas(snap, stats),
                HasSubstr("    Perfect Forward Secrecy: dh-group" + c.shown + "\n"));
  }

  const Case flows[] = {
      {"192.0.2.1/32[udp/l2f]", "192.0.2.1/255.255.255.255  port: 1701  protocol: udp"},
      {"198.51.100.9/32[udp/1701]", "198.51.100.9/255.255.255.255  port: 1701  protocol: udp"},
      {"10.1.0.0/16", "10.1.0.0/255.255.0.0  port: 0  protocol: ip"},
      {"10.2.0.0/24[tcp]", "10.2.0.0/255.255.255.0  port: 0  protocol: tcp"},
      {"not-an-address", "not-an-address  port: 0  protocol: ip"},
  };
  for (auto& c : flows) {
    snap.sas[0].children[0].local_ts = {c.charon};
    EXPECT_THAT(render_ipsec_sas(snap, stats), HasSubstr("        sour addr: " + c.shown + "\n"))
        << c.charon;
  }
}

TEST_F(IpsecCliTest, IkeSaTableIsComwareLayout) {
  std::string out = render_ike_sas(sample_snapshot());
  EXPECT_THAT(out, HasSubstr("    Connection-ID   Remote                Flag         DOI\n"));
  EXPECT_THAT(out, HasSubstr("    7               198.51.100.9/4500     RD           IPsec\n"));
}

TEST_F(IpsecCliTest, IpsecSaShowsInterfacePolicyAndSpis) {
  ipsec::Statistics stats;
  ipsec::ConnectionOrigin o;
  o.connection = "vpdn-10-1";
  o.interface = "eth1";
  o.policy = "vpdn";
  o.sequence = 10;
  o.template_name = "dialin";
  stats.connections.push_back(o);
  std::string out = render_ipsec_sas(sample_snapshot(), stats);
  EXPECT_THAT(out, HasSubstr("Interface: eth1\n"));
  EXPECT_THAT(out, HasSubstr("  IPsec policy: vpdn\n  Sequence number: 10\n"));
  EXPECT_THAT(out, HasSubstr("    Encapsulation mode: transport\n"));
  EXPECT_THAT(out, HasSubstr("      SPI: 3251823604 (0xc1d2e3f4)\n"));
  EXPECT_THAT(out, HasSubstr("      Transform set: ESP-ENCRYPT-AES-CBC-256 ESP-AUTH-SHA1\n"));
  EXPECT_THAT(out, HasSubstr("      UDP encapsulation used for NAT traversal: Y\n"));
  EXPECT_THAT(out, HasSubstr("    Perfect Forward Secrecy: \n"
                             "    Inside VPN:\n"
                             "    Extended Sequence Numbers enable: N\n"
                             "    Traffic Flow Confidentiality enable: N\n"));
  EXPECT_THAT(out,
              HasSubstr("    Flow:\n"
                        "        sour addr: 192.0.2.1/255.255.255.255  port: 1701  protocol: udp\n"
                        "        dest addr: 198.51.100.9/255.255.255.255  port: 1701  protocol: "
                        "udp\n"));
}

class SaOperations : public FakeOperations {
 public:
  std::shared_future<ipsec::SaSnapshot> ipsec_sas() override {
    std::promise<ipsec::SaSnapshot> p;
    p.set_value(sample_snapshot());
    return p.get_future().share();
  }
  ipsec::Statistics ipsec_statistics() const override {
    ipsec::Statistics s;
    s.plain_l2tp_refused = 4;
    s.kernel_block = true;
    s.kernel_blocked_in = 3;
    s.kernel_blocked_out = 5;
    s.l2tp_filter = true;
    s.l2tp_filtered = 9;
    return s;
  }
  std::vector<std::string> ike_resets;
  std::string reset_ike_sa(std::optional<std::uint32_t> id) override {
    ike_resets.push_back(id ? std::to_string(*id) : "all");
    return {};
  }
};

TEST_F(IpsecCliTest, DisplaysReadTheSasThroughOperations) {
  SaOperations sa_ops;
  ShellContext ctx{engine, store, sa_ops, ""};
  auto s = make_command_session(ctx, SessionOrigin::console);
  auto r = s->execute("display ike sa");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr("198.51.100.9/4500"));
  r = s->execute("display ike sa verbose connection-id 7");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr("   Connection ID: 7\n"));
  EXPECT_THAT(r.output, HasSubstr("NAT traversal: Detected"));
  r = s->execute("display ipsec statistics");
  // Comware V7's layout: the packet block under a two-space title, its drop reasons a level
  // further in.
  EXPECT_THAT(r.output, HasSubstr("  IPsec packet statistics:\n"
                                  "    Received/sent packets: 11/0\n"));
  EXPECT_THAT(r.output, HasSubstr("\n    Dropped packets statistics\n"
                                  "      Plain L2TP refused (no IPsec SA): 4\n"
                                  "      Blocked by kernel policy (inbound/outbound): 3/5\n"
                                  "      Plain L2TP dropped by filter: 9\n"));
  r = s->execute("display ipsec sa brief");
  ASSERT_TRUE(r.ok) << r.output;
  const std::string rule(71, '-');
  EXPECT_EQ(r.output,
            rule + "\nInterface/Global   Dst Address      SPI         Protocol  Status\n" + rule +
                "\n"
                "-                  192.0.2.1        3251823604  ESP       Active\n"
                "-                  198.51.100.9     43981       ESP       Active");
  r = s->execute("display ipsec sa count");
  EXPECT_EQ(r.output, "Total IPsec SAs count: 2");
  ASSERT_TRUE(s->execute("reset ike sa connection-id 7").ok);
  ASSERT_TRUE(s->execute("reset ike sa").ok);
  EXPECT_EQ(sa_ops.ike_resets, (std::vector<std::string>{"7", "all"}));
}

TEST_F(IpsecCliTest, DisplayIkeSaSaysWhenIpsecIsNotRunning) {
  EXPECT_THAT(refused("display ike sa"), HasSubstr("IPsec is not running"));
}

}  // namespace
}  // namespace vpdnd::cli::test
