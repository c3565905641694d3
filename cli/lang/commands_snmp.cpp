// SNMP agent (Comware V5/V7 `snmp-agent ...`, system view). vpdnd runs net-snmp's snmpd
// from these settings and serves the L2TP-MIB to it (snmp/snmp.hpp):
//   snmp-agent / undo snmp-agent                       (any other snmp-agent command enables)
//   snmp-agent port N / undo snmp-agent port           (UDP port, default 161)
//   snmp-agent community {read | write} [simple | cipher] NAME
//   undo snmp-agent community [cipher] NAME
//   snmp-agent sys-info version {all | {v1 | v2c | v3}*}   (adds; default v3)
//   undo snmp-agent sys-info version {all | {v1 | v2c | v3}*}
//   snmp-agent sys-info {contact | location} TEXT / undo snmp-agent sys-info {contact | location}
//   snmp-agent usm-user v3 NAME GROUP [simple | cipher] [authentication-mode {md5 | sha} PW
//     [privacy-mode {des56 | aes128} PW]]
//   undo snmp-agent usm-user v3 NAME [GROUP]
//   snmp-agent target-host trap address udp-domain A [udp-port P] params securityname
//     [cipher] NAME [v1 | v2c | v3 [authentication | privacy]]
//   undo snmp-agent target-host trap address udp-domain A [udp-port P] params securityname
//     [cipher] NAME
//   display snmp-agent community [read | write] / sys-info [contact | location | version] /
//     usm-user / target-host                           (any view)
// Community names and USM keys are secrets: printed and displayed in cipher form only.
#include <algorithm>

#include "cli/lang/session.hpp"
#include "startup-config/secret.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::RunningConfig;
using config::SnmpAuth;
using config::SnmpConfig;
using config::SnmpPriv;
using config::SnmpSecurityLevel;
using config::SnmpTargetHost;
using config::SnmpUsmUser;
using config::SnmpVersion;

// A word snmpd.conf carries as one token: printable, no blank, no quote, comment or escape.
bool conf_word(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\'' || c == '#' || c == '\\') return false;
  return true;
}

bool cipher_of(std::string_view s, std::size_t lo, std::size_t hi) {
  auto plain = config::decrypt_secret(s);
  return plain && plain->plain.size() >= lo && plain->plain.size() <= hi && conf_word(plain->plain);
}

constexpr std::size_t kMaxCommunity = 32;
constexpr std::size_t kMinKey = 8;  // net-snmp refuses shorter USM passphrases (RFC 3414 §11.2)
constexpr std::size_t kMaxKey = 64;
constexpr int kMaxTextWords = 16;

void snmp_edit(Call& call, const std::function<std::string(SnmpConfig&)>& fn, bool enable = true) {
  call.edit({ConfigSection::snmp, {}}, [&](RunningConfig& c) -> std::string {
    std::string e = fn(c.snmp);
    if (e.empty() && enable) c.snmp.enabled = true;
    return e;
  });
}

config::Secret word_or_cipher(const Call& call, const std::string& key, bool cipher) {
  if (cipher) return *config::decrypt_secret(call.get(key));
  return config::Secret{call.get(key)};
}

std::uint8_t version_bits(const Call& call) {
  std::uint8_t bits = 0;
  for (auto& v : call.all("version")) {
    if (v == "all") bits |= config::kSnmpAllVersions;
    if (v == "v1") bits |= static_cast<std::uint8_t>(SnmpVersion::v1);
    if (v == "v2c") bits |= static_cast<std::uint8_t>(SnmpVersion::v2c);
    if (v == "v3") bits |= static_cast<std::uint8_t>(SnmpVersion::v3);
  }
  return bits;
}

// {all | {v1 | v2c | v3}*} under `n`, each ending in `act`.
void add_versions(Node& n, const Action& act) {
  n.kw("all", "SNMPv1, SNMPv2c and SNMPv3", "version").run(act);
  struct Add {
    static void at(Node& n, std::uint8_t used, const Action& act) {
      const std::pair<const char*, const char*> all[] = {
          {"v1", "SNMPv1"}, {"v2c", "SNMPv2c"}, {"v3", "SNMPv3"}};
      for (std::uint8_t i = 0; i < 3; ++i) {
        if (used & (1u << i)) continue;
        Node& c = n.kw(all[i].first, all[i].second, "version");
        c.run(act);
        at(c, used | static_cast<std::uint8_t>(1u << i), act);
      }
    }
  };
  Add::at(n, 0, act);
}

// TEXT as up to kMaxTextWords words under `n`.
void add_text(Node& n, const Action& act) {
  Node* level = &n;
  for (int i = 0; i < kMaxTextWords; ++i) {
    level = &level->string("text", 1, 200, "Text", conf_word);
    level->run(act);
  }
}

std::string joined(const Call& call) {
  std::string out;
  for (auto& w : call.all("text")) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string version_words(std::uint8_t bits) {
  if (bits == config::kSnmpAllVersions) return "all";
  std::string out;
  if (bits & static_cast<std::uint8_t>(SnmpVersion::v1)) out += " v1";
  if (bits & static_cast<std::uint8_t>(SnmpVersion::v2c)) out += " v2c";
  if (bits & static_cast<std::uint8_t>(SnmpVersion::v3)) out += " v3";
  return out.empty() ? out : out.substr(1);
}

const char* auth_word(SnmpAuth a) {
  return a == SnmpAuth::md5 ? "md5" : "sha";
}
const char* priv_word(SnmpPriv p) {
  return p == SnmpPriv::des56 ? "des56" : "aes128";
}

void usm_user(Call& call) {
  SnmpUsmUser u;
  u.name = call.get("user");
  u.group = call.get("group");
  bool cipher = call.get("form") == "cipher";
  if (call.has("auth")) {
    u.auth = call.get("auth") == "md5" ? SnmpAuth::md5 : SnmpAuth::sha;
    u.auth_key = word_or_cipher(call, "auth-key", cipher);
  }
  if (call.has("priv")) {
    u.priv = call.get("priv") == "des56" ? SnmpPriv::des56 : SnmpPriv::aes128;
    u.priv_key = word_or_cipher(call, "priv-key", cipher);
  }
  for (auto* k : {&u.auth_key, &u.priv_key})
    if (!k->empty() && (k->plain.size() < kMinKey || k->plain.size() > kMaxKey))
      return call.error("Error: A USM key must have 8 to 64 characters.");
  snmp_edit(call, [&](SnmpConfig& s) {
    s.users[u.name] = u;
    return std::string{};
  });
}

// `usm-user v3 NAME GROUP` and the key forms after it.
void add_usm_keys(Node& group) {
  group.run(usm_user);
  auto keys = [](Node& n, bool cipher) {
    auto check = [cipher](std::string_view s) {
      return cipher ? cipher_of(s, 1, kMaxKey) : conf_word(s);  // length: usm_user
    };
    const char* key_help = cipher ? "Key in cipher form ($c$3$...)" : "Key (8 to 64 characters)";
    Node& am = n.kw("authentication-mode", "Authentication protocol");
    for (auto [word, help] : {std::pair{"md5", "HMAC-MD5-96"}, std::pair{"sha", "HMAC-SHA-96"}}) {
      Node& ak = am.kw(word, help, "auth").string("auth-key", 1, 256, key_help, check);
      ak.run(usm_user);
      Node& pm = ak.kw("privacy-mode", "Privacy (encryption) protocol");
      for (auto [pw, ph] : {std::pair{"des56", "DES-CBC"}, std::pair{"aes128", "AES-128-CFB"}})
        pm.kw(pw, ph, "priv").string("priv-key", 1, 256, key_help, check).run(usm_user);
    }
  };
  keys(group, false);
  keys(group.kw("simple", "Keys in clear (saved as cipher)", "form"), false);
  keys(group.kw("cipher", "Keys in cipher form", "form"), true);
}

std::optional<SnmpTargetHost> target_from(const Call& call) {
  SnmpTargetHost t;
  t.address = *Ipv4::parse(call.get("ip"));
  if (call.has("port")) t.port = static_cast<std::uint16_t>(call.number("port"));
  t.security_name = word_or_cipher(call, "name", call.get("name-form") == "cipher");
  std::string v = call.get("tversion");
  t.version = v == "v3" ? SnmpVersion::v3 : v == "v2c" ? SnmpVersion::v2c : SnmpVersion::v1;
  std::string l = call.get("level");
  t.level = l == "privacy"          ? SnmpSecurityLevel::privacy
            : l == "authentication" ? SnmpSecurityLevel::authentication
                                    : SnmpSecurityLevel::none;
  return t;
}

// `address udp-domain A [udp-port P] params securityname [cipher] NAME` under `n`; returns the
// NAME nodes (plain and cipher) for what follows.
std::vector<Node*> add_target(Node& n, const Action& act) {
  Node& a = n.kw("address", "Target address")
                .kw("udp-domain", "UDP transport")
                .ipv4("ip", "Target IPv4 address");
  std::vector<Node*> names;
  for (Node* at : {&a, &a.kw("udp-port", "UDP port").integer("port", 1, 65535, "Port (162)")}) {
    Node& sn = at->kw("params", "Parameters").kw("securityname", "Community or USM user");
    names.push_back(&sn.string("name", 1, kMaxCommunity, "Community or USM user name", conf_word));
    names.push_back(
        &sn.kw("cipher", "Community in cipher form", "name-form")
             .string("name", 1, 256, "Community in cipher form ($c$3$...)",
                     [](std::string_view s) { return cipher_of(s, 1, kMaxCommunity); }));
  }
  for (Node* nn : names) nn->run(act);
  return names;
}

void display_community(Call& call) {
  auto c = call.snapshot().snmp;
  std::string want = call.get("access");
  std::string out;
  for (auto& com : c.communities) {
    if (!want.empty() && (want == "write") != com.write) continue;
    out += "   Community name: " + config::encrypt_secret(com.name) + "\n";
    out += std::string("       Access right: ") + (com.write ? "read-write" : "read-only") + "\n";
    out += "       Storage-type: nonVolatile\n\n";
  }
  if (out.empty()) return call.print(" No community is configured.");
  out.pop_back();
  out.pop_back();
  call.print(out);
}

void display_sys_info(Call& call) {
  auto c = call.snapshot().snmp;
  std::string what = call.get("what");
  std::string out;
  if (what.empty() || what == "contact")
    out += "   The contact information of the agent:\n     " + c.contact + "\n";
  if (what.empty() || what == "location")
    out += "   The physical location information of the agent:\n     " + c.location + "\n";
  if (what.empty() || what == "version") {
    std::string v;
    if (c.has(SnmpVersion::v1)) v += " SNMPv1";
    if (c.has(SnmpVersion::v2c)) v += " SNMPv2c";
    if (c.has(SnmpVersion::v3)) v += " SNMPv3";
    out += "   SNMP version running in the system:\n    " + (v.empty() ? " none" : v) + "\n";
  }
  out.pop_back();
  call.print(out);
}

void display_usm_users(Call& call) {
  auto c = call.snapshot().snmp;
  if (c.users.empty()) return call.print(" No USM user is configured.");
  std::string out;
  for (auto& [name, u] : c.users) {
    out += "   User name: " + name + "\n";
    out += "   Group name: " + u.group + "\n";
    out += std::string("   Authentication mode: ") +
           (u.auth == SnmpAuth::none ? "none" : auth_word(u.auth)) + "\n";
    out += std::string("   Privacy mode: ") +
           (u.priv == SnmpPriv::none ? "none" : priv_word(u.priv)) + "\n";
    out += "   Storage-type: nonVolatile\n   UserStatus: active\n\n";
  }
  out.pop_back();
  out.pop_back();
  call.print(out);
}

std::string target_name(const SnmpTargetHost& t) {
  if (t.version == SnmpVersion::v3) return t.security_name.plain;
  return "cipher " + config::encrypt_secret(t.security_name);
}

void display_targets(Call& call) {
  auto c = call.snapshot().snmp;
  if (c.targets.empty()) return call.print(" No target host is configured.");
  std::string out;
  for (auto& t : c.targets) {
    out += "   Target UDP address: " + t.address.to_string() + "\n";
    out += "   UDP port: " + std::to_string(t.port) + "\n";
    out += "   Security name: " + target_name(t) + "\n";
    out += std::string("   Security model: ") +
           (t.version == SnmpVersion::v3    ? "v3"
            : t.version == SnmpVersion::v2c ? "v2c"
                                            : "v1") +
           "\n";
    out += std::string("   Security level: ") +
           (t.level == SnmpSecurityLevel::privacy          ? "privacy"
            : t.level == SnmpSecurityLevel::authentication ? "authentication"
                                                           : "no authentication") +
           "\n\n";
  }
  out.pop_back();
  out.pop_back();
  call.print(out);
}

}  // namespace

std::vector<std::string> snmp_block(const RunningConfig& rc) {
  const SnmpConfig& c = rc.snmp;
  const SnmpConfig def;
  std::vector<std::string> b;
  if (c.port != def.port) b.push_back(" snmp-agent port " + std::to_string(c.port));
  for (auto& com : c.communities)
    b.push_back(std::string(" snmp-agent community ") + (com.write ? "write" : "read") +
                " cipher " + config::encrypt_secret(com.name));
  if (!c.contact.empty()) b.push_back(" snmp-agent sys-info contact " + c.contact);
  if (!c.location.empty()) b.push_back(" snmp-agent sys-info location " + c.location);
  std::uint8_t added = c.versions & ~def.versions;
  std::uint8_t removed = def.versions & ~c.versions;
  if (c.versions == config::kSnmpAllVersions)
    b.push_back(" snmp-agent sys-info version all");
  else if (added)
    b.push_back(" snmp-agent sys-info version " + version_words(added));
  if (removed) b.push_back(" undo snmp-agent sys-info version " + version_words(removed));
  for (auto& [name, u] : c.users) {
    std::string line = " snmp-agent usm-user v3 " + name + " " + u.group;
    if (u.auth != SnmpAuth::none) {
      line += std::string(" cipher authentication-mode ") + auth_word(u.auth) + " " +
              config::encrypt_secret(u.auth_key);
      if (u.priv != SnmpPriv::none)
        line += std::string(" privacy-mode ") + priv_word(u.priv) + " " +
                config::encrypt_secret(u.priv_key);
    }
    b.push_back(line);
  }
  for (auto& t : c.targets) {
    std::string line = " snmp-agent target-host trap address udp-domain " + t.address.to_string();
    if (t.port != 162) line += " udp-port " + std::to_string(t.port);
    line += " params securityname " + target_name(t);
    line += t.version == SnmpVersion::v3 ? " v3" : t.version == SnmpVersion::v2c ? " v2c" : " v1";
    if (t.version == SnmpVersion::v3 && t.level != SnmpSecurityLevel::none)
      line += t.level == SnmpSecurityLevel::privacy ? " privacy" : " authentication";
    b.push_back(line);
  }
  if (c.enabled)
    b.insert(b.begin(), " snmp-agent");
  else if (!b.empty())
    b.push_back(" undo snmp-agent");  // the settings above enable it again when loaded
  return b;
}

void register_snmp(Grammar& g) {
  Node& sys = root(g, View::system);
  Node& sa = sys.kw("snmp-agent", "Specify SNMP agent configuration");
  Node& undo = sys.kw("undo", "Cancel current setting")
                   .kw("snmp-agent", "Disable the SNMP agent or remove an SNMP setting");

  sa.run([](Call& call) { snmp_edit(call, [](SnmpConfig&) { return std::string{}; }); });
  undo.run([](Call& call) {
    snmp_edit(
        call,
        [](SnmpConfig& s) {
          s.enabled = false;
          return std::string{};
        },
        false);
  });

  sa.kw("port", "UDP port the agent listens on")
      .integer("port", 1, 65535, "Port number (161)")
      .run([](Call& call) {
        auto port = static_cast<std::uint16_t>(call.number("port"));
        snmp_edit(call, [&](SnmpConfig& s) {
          s.port = port;
          return std::string{};
        });
      });
  undo.kw("port", "Listen on UDP port 161").run([](Call& call) {
    snmp_edit(
        call,
        [](SnmpConfig& s) {
          s.port = 161;
          return std::string{};
        },
        false);
  });

  // community {read | write} [simple | cipher] NAME
  auto community = [](Call& call) {
    bool write = call.get("access") == "write";
    auto name = word_or_cipher(call, "name", call.get("form") == "cipher");
    snmp_edit(call, [&](SnmpConfig& s) {
      auto it = std::find_if(s.communities.begin(), s.communities.end(),
                             [&](auto& c) { return c.name == name; });
      if (it != s.communities.end())
        it->write = write;
      else
        s.communities.push_back({name, write});
      return std::string{};
    });
  };
  Node& com = sa.kw("community", "SNMPv1/v2c community");
  for (auto [word, help] : {std::pair{"read", "Read-only access"},
                            std::pair{"write", "Read and write access (as read-only here)"}}) {
    Node& a = com.kw(word, help, "access");
    a.string("name", 1, kMaxCommunity, "Community name", conf_word).run(community);
    a.kw("simple", "Community in clear (saved as cipher)", "form")
        .string("name", 1, kMaxCommunity, "Community name", conf_word)
        .run(community);
    a.kw("cipher", "Community in cipher form", "form")
        .string("name", 1, 256, "Community in cipher form ($c$3$...)",
                [](std::string_view s) { return cipher_of(s, 1, kMaxCommunity); })
        .run(community);
  }
  auto undo_community = [](Call& call) {
    auto name = word_or_cipher(call, "name", call.get("form") == "cipher");
    snmp_edit(
        call,
        [&](SnmpConfig& s) -> std::string {
          auto it = std::find_if(s.communities.begin(), s.communities.end(),
                                 [&](auto& c) { return c.name == name; });
          if (it == s.communities.end()) return "Error: The community does not exist.";
          s.communities.erase(it);
          return {};
        },
        false);
  };
  Node& ucom = undo.kw("community", "Remove a community");
  ucom.string("name", 1, kMaxCommunity, "Community name", conf_word).run(undo_community);
  ucom.kw("cipher", "Community in cipher form", "form")
      .string("name", 1, 256, "Community in cipher form ($c$3$...)",
              [](std::string_view s) { return cipher_of(s, 1, kMaxCommunity); })
      .run(undo_community);

  // sys-info version / contact / location
  Node& si = sa.kw("sys-info", "System information of the agent");
  add_versions(si.kw("version", "Enable SNMP versions"), [](Call& call) {
    std::uint8_t bits = version_bits(call);
    snmp_edit(call, [&](SnmpConfig& s) {
      s.versions |= bits;
      return std::string{};
    });
  });
  Node& usi = undo.kw("sys-info", "System information of the agent");
  add_versions(usi.kw("version", "Disable SNMP versions"), [](Call& call) {
    std::uint8_t bits = version_bits(call);
    snmp_edit(
        call,
        [&](SnmpConfig& s) {
          s.versions &= static_cast<std::uint8_t>(~bits);
          return std::string{};
        },
        false);
  });
  for (bool contact : {true, false}) {
    const char* word = contact ? "contact" : "location";
    add_text(si.kw(word, contact ? "Contact information (sysContact)" : "Location (sysLocation)"),
             [contact](Call& call) {
               std::string text = joined(call);
               snmp_edit(call, [&](SnmpConfig& s) {
                 (contact ? s.contact : s.location) = text;
                 return std::string{};
               });
             });
    usi.kw(word, contact ? "Remove the contact information" : "Remove the location")
        .run([contact](Call& call) {
          snmp_edit(
              call,
              [&](SnmpConfig& s) {
                (contact ? s.contact : s.location).clear();
                return std::string{};
              },
              false);
        });
  }

  // usm-user v3 NAME GROUP ...
  Node& uu = sa.kw("usm-user", "SNMPv3 user (USM)")
                 .kw("v3", "SNMPv3")
                 .string("user", 1, 32, "User name", conf_word);
  add_usm_keys(uu.string("group", 1, 32, "Group name", conf_word));
  auto undo_user = [](Call& call) {
    std::string name = call.get("user");
    snmp_edit(
        call,
        [&](SnmpConfig& s) -> std::string {
          if (!s.users.erase(name)) return "Error: The USM user " + name + " does not exist.";
          return {};
        },
        false);
  };
  Node& uuu = undo.kw("usm-user", "Remove an SNMPv3 user")
                  .kw("v3", "SNMPv3")
                  .string("user", 1, 32, "User name", conf_word);
  uuu.run(undo_user);
  uuu.string("group", 1, 32, "Group name", conf_word).run(undo_user);

  // target-host trap address udp-domain A [udp-port P] params securityname NAME [version]
  auto target = [](Call& call) {
    auto t = *target_from(call);
    if (t.version != SnmpVersion::v3 && t.level != SnmpSecurityLevel::none)
      return call.error("Error: Only SNMPv3 has security levels.");
    snmp_edit(call, [&](SnmpConfig& s) {
      auto it = std::find_if(s.targets.begin(), s.targets.end(),
                             [&](auto& o) { return o.same_target(t); });
      if (it != s.targets.end())
        *it = t;
      else
        s.targets.push_back(t);
      return std::string{};
    });
  };
  for (Node* n :
       add_target(sa.kw("target-host", "Notification target").kw("trap", "Traps"), target)) {
    n->kw("v1", "SNMPv1 (sent as SNMPv2c)", "tversion").run(target);
    n->kw("v2c", "SNMPv2c", "tversion").run(target);
    Node& v3 = n->kw("v3", "SNMPv3", "tversion");
    v3.run(target);
    v3.kw("authentication", "Authentication without privacy", "level").run(target);
    v3.kw("privacy", "Authentication and privacy", "level").run(target);
  }
  add_target(undo.kw("target-host", "Remove a notification target").kw("trap", "Traps"),
             [](Call& call) {
               auto t = *target_from(call);
               snmp_edit(
                   call,
                   [&](SnmpConfig& s) -> std::string {
                     auto it = std::find_if(s.targets.begin(), s.targets.end(),
                                            [&](auto& o) { return o.same_target(t); });
                     if (it == s.targets.end()) return "Error: The target host does not exist.";
                     s.targets.erase(it);
                     return {};
                   },
                   false);
             });

  for (Node& display_node : display_roots(g)) {
    Node& d = display_node.kw("snmp-agent", "SNMP agent information");
    Node& dc = d.kw("community", "Communities (names in cipher form)");
    dc.run(display_community);
    dc.kw("read", "Read-only communities", "access").run(display_community);
    dc.kw("write", "Read-write communities", "access").run(display_community);
    Node& ds = d.kw("sys-info", "System information");
    ds.run(display_sys_info);
    ds.kw("contact", "Contact information", "what").run(display_sys_info);
    ds.kw("location", "Location", "what").run(display_sys_info);
    ds.kw("version", "SNMP versions", "what").run(display_sys_info);
    d.kw("usm-user", "SNMPv3 users").run(display_usm_users);
    d.kw("target-host", "Notification targets").run(display_targets);
  }
}

}  // namespace vpdnd::cli::lang
