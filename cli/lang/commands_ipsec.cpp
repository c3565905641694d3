// IKE and IPsec, Comware V7 spellings. vpdnd keeps this configuration and strongSwan's
// charon does IKE and ESP (ipsec/ renders it):
//   system view:  ike proposal N | ike keychain NAME | ike profile NAME | ike nat-keepalive S
//                 ipsec transform-set NAME | ipsec policy-template NAME N
//                 ipsec policy NAME N isakmp [template T]          (and the undo of each)
//   interface:    [undo] ipsec apply policy NAME
//   any view:     display ike proposal | display ike sa [verbose [connection-id N]]
//                 display ipsec sa | display ipsec statistics
//                 display ipsec transform-set [NAME] | display ipsec {policy|policy-template}
//                 [NAME [N]]
//   user view:    reset ike sa [connection-id N] | reset ipsec sa [policy NAME [N]]
#include <algorithm>
#include <cstdio>

#include "cli/ipsec_display.hpp"
#include "cli/lang/session.hpp"
#include "startup-config/secret.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::DhGroup;
using config::EncapsulationMode;
using config::EspCipher;
using config::EspHash;
using config::ExchangeMode;
using config::IkeCipher;
using config::IkeHash;
using config::IpsecPolicyEntry;
using config::RunningConfig;

template <class E>
struct Word {
  E value;
  const char* word;
  const char* help;
};

const Word<IkeCipher> kIkeCiphers[] = {
    {IkeCipher::des3_cbc, "3des-cbc", "168-bit 3DES in CBC mode"},
    {IkeCipher::aes_cbc_128, "aes-cbc-128", "128-bit AES in CBC mode"},
    {IkeCipher::aes_cbc_192, "aes-cbc-192", "192-bit AES in CBC mode"},
    {IkeCipher::aes_cbc_256, "aes-cbc-256", "256-bit AES in CBC mode"},
};
const Word<IkeHash> kIkeHashes[] = {
    {IkeHash::md5, "md5", "HMAC-MD5"},          {IkeHash::sha, "sha", "HMAC-SHA1"},
    {IkeHash::sha256, "sha256", "HMAC-SHA256"}, {IkeHash::sha384, "sha384", "HMAC-SHA384"},
    {IkeHash::sha512, "sha512", "HMAC-SHA512"},
};
const Word<DhGroup> kGroups[] = {
    {DhGroup::group1, "group1", "768-bit MODP group"},
    {DhGroup::group2, "group2", "1024-bit MODP group"},
    {DhGroup::group5, "group5", "1536-bit MODP group"},
    {DhGroup::group14, "group14", "2048-bit MODP group"},
    {DhGroup::group19, "group19", "256-bit ECP group"},
    {DhGroup::group20, "group20", "384-bit ECP group"},
    {DhGroup::group24, "group24", "2048-bit MODP group with 256-bit prime order subgroup"},
};
const Word<EspCipher> kEspCiphers[] = {
    {EspCipher::des3_cbc, "3des-cbc", "168-bit 3DES in CBC mode"},
    {EspCipher::aes_cbc_128, "aes-cbc-128", "128-bit AES in CBC mode"},
    {EspCipher::aes_cbc_192, "aes-cbc-192", "192-bit AES in CBC mode"},
    {EspCipher::aes_cbc_256, "aes-cbc-256", "256-bit AES in CBC mode"},
    {EspCipher::null, "null", "No encryption (integrity only)"},
};
const Word<EspHash> kEspHashes[] = {
    {EspHash::md5, "md5", "HMAC-MD5-96"},           {EspHash::sha1, "sha1", "HMAC-SHA1-96"},
    {EspHash::sha256, "sha256", "HMAC-SHA256-128"}, {EspHash::sha384, "sha384", "HMAC-SHA384-192"},
    {EspHash::sha512, "sha512", "HMAC-SHA512-256"},
};

template <class E, std::size_t N>
const char* word_of(const Word<E> (&table)[N], E v) {
  for (auto& w : table)
    if (w.value == v) return w.word;
  return "?";
}
template <class E, std::size_t N>
E value_of(const Word<E> (&table)[N], const std::string& word) {
  for (auto& w : table)
    if (word == w.word) return w.value;
  return table[0].value;
}
// One keyword per table entry under `parent`, captured as `key`, each ending in `act`.
template <class E, std::size_t N>
void choices(Node& parent, const Word<E> (&table)[N], std::string_view key, const Action& act,
             std::string_view prefix = {}) {
  for (auto& w : table) parent.kw(std::string(prefix) + w.word, w.help, key).run(act);
}

// A list of up to `depth` keywords of `table` (`esp encryption-algorithm aes-cbc-256 3des-cbc`),
// each captured as "alg".
template <class E, std::size_t N>
void keyword_list(Node& parent, const Word<E> (&table)[N], int depth, const Action& act) {
  if (depth == 0) return;
  for (auto& w : table)
    keyword_list(parent.kw(w.word, w.help, "alg").run(act), table, depth - 1, act);
}

constexpr std::size_t kMaxList = 6;  // keychains, proposals, transform sets per node

std::pair<std::string, std::uint16_t> split_object(const std::string& object) {
  auto sp = object.rfind(' ');
  return {object.substr(0, sp), static_cast<std::uint16_t>(std::stoul(object.substr(sp + 1)))};
}

// Edits the IPsec part of the running config; `fn` returns an error text or "".
void ipsec_edit(Call& call, const std::string& key,
                const std::function<std::string(config::IpsecConfig&)>& fn, bool removed = false) {
  call.edit({ConfigSection::ipsec, key, removed},
            [&](RunningConfig& c) -> std::string { return fn(c.ipsec); });
}

// The node of the view the session is in, or an error if it was removed meanwhile.
template <class Map, class Key>
auto* find(Map& m, const Key& k) {
  auto it = m.find(k);
  return it == m.end() ? nullptr : &it->second;
}

// A named IKE/IPsec object with a view of its own (`ike keychain NAME`): entering the view
// creates the object, `undo` removes it.
struct NamedView {
  const char* word;       // "keychain"
  const char* command;    // "ike keychain": the ConfigChange key is it and the name
  const char* what;       // "IKE keychain", in the help and the errors
  const char* name_help;  // "Keychain name"
  View view;
};
template <class Map>
void add_named_view(Node& parent, Node& undo_parent, const NamedView& v,
                    Map config::IpsecConfig::*map) {
  parent.kw(v.word, std::string("Enter an ") + v.what + " view")
      .string("name", 1, 63, v.name_help, valid_name)
      .run([v, map](Call& call) {
        std::string name = call.get("name");
        ipsec_edit(call, std::string(v.command) + " " + name, [&](config::IpsecConfig& c) {
          if (!(c.*map).count(name)) (c.*map)[name].name = name;
          return std::string{};
        });
        if (!call.failed) call.session.enter(v.view, name);
      });
  undo_parent.kw(v.word, std::string("Remove an ") + v.what)
      .string("name", 1, 63, v.name_help, valid_name)
      .run([v, map](Call& call) {
        std::string name = call.get("name");
        ipsec_edit(
            call, std::string(v.command) + " " + name,
            [&](config::IpsecConfig& c) {
              return (c.*map).erase(name)
                         ? std::string{}
                         : std::string("Error: ") + v.what + " " + name + " does not exist.";
            },
            true);
      });
}

const char* kGone = "Error: The configuration of this view no longer exists.";

void proposal_edit(Call& call, const std::function<void(config::IkeProposal&)>& fn) {
  auto n = static_cast<std::uint16_t>(std::stoul(call.session.object()));
  ipsec_edit(call, "ike proposal " + call.session.object(),
             [&](config::IpsecConfig& c) -> std::string {
               auto* p = find(c.proposals, n);
               if (!p) return kGone;
               fn(*p);
               return {};
             });
}
void keychain_edit(Call& call, const std::function<std::string(config::IkeKeychain&)>& fn) {
  std::string name = call.session.object();
  ipsec_edit(call, "ike keychain " + name, [&](config::IpsecConfig& c) -> std::string {
    auto* k = find(c.keychains, name);
    return k ? fn(*k) : kGone;
  });
}
void profile_edit(Call& call, const std::function<std::string(config::IkeProfile&)>& fn) {
  std::string name = call.session.object();
  ipsec_edit(call, "ike profile " + name, [&](config::IpsecConfig& c) -> std::string {
    auto* p = find(c.profiles, name);
    return p ? fn(*p) : kGone;
  });
}
void transform_edit(Call& call, const std::function<void(config::TransformSet&)>& fn) {
  std::string name = call.session.object();
  ipsec_edit(call, "ipsec transform-set " + name, [&](config::IpsecConfig& c) -> std::string {
    auto* t = find(c.transform_sets, name);
    if (!t) return kGone;
    fn(*t);
    return {};
  });
}
// The policy-template or policy entry of the current view.
void entry_edit(Call& call, const std::function<void(IpsecPolicyEntry&)>& fn) {
  bool is_template = call.session.view() == View::ipsec_policy_template;
  auto key = split_object(call.session.object());
  ipsec_edit(call,
             (is_template ? "ipsec policy-template " : "ipsec policy ") + call.session.object(),
             [&](config::IpsecConfig& c) -> std::string {
               auto* e = find(is_template ? c.templates : c.policies, key);
               if (!e) return kGone;
               fn(*e);
               return {};
             });
}

// The `[MASK | MASK-LENGTH]` after an address; a host mask when neither is given.
bool parse_mask(Call& call, Ipv4* mask) {
  *mask = Ipv4{0xffffffffu};
  if (call.has("length")) *mask = prefix_to_mask(static_cast<int>(call.number("length")));
  if (call.has("mask")) {
    *mask = *Ipv4::parse(call.get("mask"));
    if (!mask_to_prefix(*mask)) {
      call.error("Error: The mask is not contiguous.");
      return false;
    }
  }
  return true;
}

std::string mask_text(Ipv4 mask) {
  return mask.to_string();
}

// ---- the configuration blocks ------------------------------------------------------------

using Block = std::vector<std::string>;

Block proposal_block(const config::IkeProposal& p) {
  const config::IkeProposal def;
  Block b{"ike proposal " + std::to_string(p.number)};
  if (p.encryption != def.encryption)
    b.push_back(std::string(" encryption-algorithm ") + word_of(kIkeCiphers, p.encryption));
  if (p.authentication != def.authentication)
    b.push_back(std::string(" authentication-algorithm ") + word_of(kIkeHashes, p.authentication));
  if (p.dh != def.dh) b.push_back(std::string(" dh ") + word_of(kGroups, p.dh));
  if (p.sa_duration_s != def.sa_duration_s)
    b.push_back(" sa duration " + std::to_string(p.sa_duration_s));
  return b;
}

Block keychain_block(const config::IkeKeychain& k) {
  Block b{"ike keychain " + k.name};
  for (auto& psk : k.keys)
    b.push_back(" pre-shared-key address " + psk.address.to_string() + " " + mask_text(psk.mask) +
                " key cipher " + config::encrypt_secret(psk.key));
  return b;
}

Block profile_block(const config::IkeProfile& p) {
  Block b{"ike profile " + p.name};
  for (auto& k : p.keychains) b.push_back(" keychain " + k);
  if (p.exchange_mode == ExchangeMode::aggressive) b.push_back(" exchange-mode aggressive");
  if (p.local_identity) b.push_back(" local-identity address " + p.local_identity->to_string());
  if (p.match_address)
    b.push_back(" match remote identity address " + p.match_address->first.to_string() + " " +
                mask_text(p.match_address->second));
  if (!p.proposals.empty()) {
    std::string s = " proposal";
    for (auto n : p.proposals) s += " " + std::to_string(n);
    b.push_back(s);
  }
  return b;
}

Block transform_block(const config::TransformSet& t) {
  Block b{"ipsec transform-set " + t.name};
  if (!t.esp_encryption.empty()) {
    std::string s = " esp encryption-algorithm";
    for (auto e : t.esp_encryption) s += std::string(" ") + word_of(kEspCiphers, e);
    b.push_back(s);
  }
  if (!t.esp_authentication.empty()) {
    std::string s = " esp authentication-algorithm";
    for (auto e : t.esp_authentication) s += std::string(" ") + word_of(kEspHashes, e);
    b.push_back(s);
  }
  if (t.mode == EncapsulationMode::transport) b.push_back(" encapsulation-mode transport");
  if (t.pfs) b.push_back(std::string(" pfs dh-") + word_of(kGroups, *t.pfs));
  return b;
}

Block entry_block(const IpsecPolicyEntry& e, bool is_template) {
  std::string head = (is_template ? "ipsec policy-template " : "ipsec policy ") + e.name + " " +
                     std::to_string(e.sequence);
  if (!is_template) {
    head += " isakmp";
    if (!e.template_name.empty()) return Block{head + " template " + e.template_name};
  }
  Block b{head};
  if (!e.transform_sets.empty()) {
    std::string s = " transform-set";
    for (auto& t : e.transform_sets) s += " " + t;
    b.push_back(s);
  }
  if (e.acl) b.push_back(" security acl " + std::to_string(*e.acl));
  if (e.remote_address) b.push_back(" remote-address " + e.remote_address->to_string());
  if (!e.ike_profile.empty()) b.push_back(" ike-profile " + e.ike_profile);
  if (e.lifetime) b.push_back(" sa duration time-based " + std::to_string(*e.lifetime));
  return b;
}

// ---- operator displays -----------------------------------------------------------------

// charon is asked off the protocol thread; the terminal waits here, never the engine.
std::optional<ipsec::SaSnapshot> read_sas(Call& call) {
  auto future = on_engine(call, [](Operations& o) { return o.ipsec_sas(); });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    call.error("% strongSwan did not answer within 10 seconds.");
    return std::nullopt;
  }
  ipsec::SaSnapshot snap = future.get();
  if (!snap.available) {
    call.error("% Cannot read the SAs: " + snap.error + ".");
    return std::nullopt;
  }
  return snap;
}

void print_text(Call& call, std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  call.print(text);
}

}  // namespace

const char* keyword(IkeCipher c) {
  return word_of(kIkeCiphers, c);
}
const char* keyword(IkeHash h) {
  return word_of(kIkeHashes, h);
}
const char* keyword(EspCipher c) {
  return word_of(kEspCiphers, c);
}
const char* keyword(EspHash h) {
  return word_of(kEspHashes, h);
}

std::vector<std::vector<std::string>> ipsec_blocks(const RunningConfig& c) {
  const auto& s = c.ipsec;
  std::vector<Block> out;
  for (auto& [n, t] : s.transform_sets) out.push_back(transform_block(t));
  for (auto& [k, e] : s.templates) out.push_back(entry_block(e, true));
  for (auto& [k, e] : s.policies) out.push_back(entry_block(e, false));
  // Comware V7's order: profiles before the proposals and keychains they name (references
  // load in any order).
  for (auto& [n, p] : s.profiles) out.push_back(profile_block(p));
  for (auto& [n, p] : s.proposals) out.push_back(proposal_block(p));
  for (auto& [n, k] : s.keychains) out.push_back(keychain_block(k));
  if (s.nat_keepalive_s != config::IpsecConfig{}.nat_keepalive_s)
    out.push_back(Block{" ike nat-keepalive " + std::to_string(s.nat_keepalive_s)});
  return out;
}

std::vector<std::string> ipsec_view_block(const RunningConfig& c, View v,
                                          const std::string& object) {
  const auto& s = c.ipsec;
  switch (v) {
    case View::ike_proposal:
      if (auto* p = find(s.proposals, static_cast<std::uint16_t>(std::stoul(object))))
        return proposal_block(*p);
      break;
    case View::ike_keychain:
      if (auto* k = find(s.keychains, object)) return keychain_block(*k);
      break;
    case View::ike_profile:
      if (auto* p = find(s.profiles, object)) return profile_block(*p);
      break;
    case View::ipsec_transform_set:
      if (auto* t = find(s.transform_sets, object)) return transform_block(*t);
      break;
    case View::ipsec_policy_template:
      if (auto* e = find(s.templates, split_object(object))) return entry_block(*e, true);
      break;
    case View::ipsec_policy:
      if (auto* e = find(s.policies, split_object(object))) return entry_block(*e, false);
      break;
    default:
      break;
  }
  return {};
}

void register_ipsec(Grammar& g) {
  Node& sys = root(g, View::system);
  Node& sys_undo = sys.kw("undo", "Cancel current setting");
  Node& ike = sys.kw("ike", "IKE configuration");
  Node& uike = sys_undo.kw("ike", "IKE configuration");
  Node& ips = sys.kw("ipsec", "IPsec configuration");
  Node& uips = sys_undo.kw("ipsec", "IPsec configuration");

  // ---- ike proposal N ----
  ike.kw("proposal", "Enter an IKE proposal view")
      .integer("n", 1, 65535, "IKE proposal number")
      .run([](Call& call) {
        auto n = static_cast<std::uint16_t>(call.number("n"));
        ipsec_edit(call, "ike proposal " + std::to_string(n), [&](config::IpsecConfig& c) {
          if (!c.proposals.count(n)) {
            config::IkeProposal p;
            p.number = n;
            c.proposals.emplace(n, p);
          }
          return std::string{};
        });
        if (!call.failed) call.session.enter(View::ike_proposal, std::to_string(n));
      });
  uike.kw("proposal", "Remove an IKE proposal")
      .integer("n", 1, 65535, "IKE proposal number")
      .run([](Call& call) {
        auto n = static_cast<std::uint16_t>(call.number("n"));
        ipsec_edit(
            call, "ike proposal " + std::to_string(n),
            [&](config::IpsecConfig& c) {
              return c.proposals.erase(n)
                         ? std::string{}
                         : "Error: IKE proposal " + std::to_string(n) + " does not exist.";
            },
            true);
      });
  {
    Node& r = root(g, View::ike_proposal);
    Node& u = r.kw("undo", "Cancel current setting");
    choices(r.kw("encryption-algorithm", "Specify the encryption algorithm"), kIkeCiphers, "alg",
            [](Call& call) {
              auto v = value_of(kIkeCiphers, call.get("alg"));
              proposal_edit(call, [&](config::IkeProposal& p) { p.encryption = v; });
            });
    u.kw("encryption-algorithm", "Restore the default encryption algorithm").run([](Call& call) {
      proposal_edit(
          call, [](config::IkeProposal& p) { p.encryption = config::IkeProposal{}.encryption; });
    });
    choices(r.kw("authentication-algorithm", "Specify the authentication algorithm"), kIkeHashes,
            "alg", [](Call& call) {
              auto v = value_of(kIkeHashes, call.get("alg"));
              proposal_edit(call, [&](config::IkeProposal& p) { p.authentication = v; });
            });
    u.kw("authentication-algorithm", "Restore the default authentication algorithm")
        .run([](Call& call) {
          proposal_edit(call, [](config::IkeProposal& p) {
            p.authentication = config::IkeProposal{}.authentication;
          });
        });
    choices(r.kw("dh", "Specify the Diffie-Hellman group"), kGroups, "group", [](Call& call) {
      auto v = value_of(kGroups, call.get("group"));
      proposal_edit(call, [&](config::IkeProposal& p) { p.dh = v; });
    });
    u.kw("dh", "Restore the default Diffie-Hellman group").run([](Call& call) {
      proposal_edit(call, [](config::IkeProposal& p) { p.dh = config::IkeProposal{}.dh; });
    });
    // Pre-shared keys are vpdnd's only IKE authentication: the default, so never printed.
    r.kw("authentication-method", "Specify the authentication method")
        .kw("pre-share", "Pre-shared key authentication")
        .run([](Call& call) { proposal_edit(call, [](config::IkeProposal&) {}); });
    u.kw("authentication-method", "Restore the default authentication method (pre-share)")
        .run([](Call& call) { proposal_edit(call, [](config::IkeProposal&) {}); });
    r.kw("sa", "Specify the IKE SA settings")
        .kw("duration", "IKE SA lifetime")
        .integer("s", 60, 604800, "Lifetime in seconds")
        .run([](Call& call) {
          auto s = call.number("s");
          proposal_edit(call, [&](config::IkeProposal& p) { p.sa_duration_s = s; });
        });
    u.kw("sa", "Specify the IKE SA settings")
        .kw("duration", "Restore the default IKE SA lifetime (86400 s)")
        .run([](Call& call) {
          proposal_edit(call, [](config::IkeProposal& p) {
            p.sa_duration_s = config::IkeProposal{}.sa_duration_s;
          });
        });
  }

  // ---- ike keychain NAME ----
  add_named_view(ike, uike,
                 {"keychain", "ike keychain", "IKE keychain", "Keychain name", View::ike_keychain},
                 &config::IpsecConfig::keychains);
  {
    Node& r = root(g, View::ike_keychain);
    Node& u = r.kw("undo", "Cancel current setting");
    auto set_key = [](Call& call) {
      Ipv4 a = *Ipv4::parse(call.get("address"));
      Ipv4 mask;
      if (!parse_mask(call, &mask)) return;
      config::Secret key = secret_from(call);
      keychain_edit(call, [&](config::IkeKeychain& k) -> std::string {
        for (auto& psk : k.keys)
          if (psk.address == a && psk.mask == mask) {
            psk.key = key;
            return {};
          }
        k.keys.push_back({a, mask, key});
        return {};
      });
    };
    Node& addr = r.kw("pre-shared-key", "Specify a pre-shared key")
                     .kw("address", "The peers the key is for, by IP address")
                     .ipv4("address", "Peer IP address (0.0.0.0 0.0.0.0: any peer)");
    add_secret_args(addr.kw("key", "The key"), set_key, 128);
    add_secret_args(addr.ipv4("mask", "Address mask").kw("key", "The key"), set_key, 128);
    add_secret_args(addr.integer("length", 0, 32, "Mask length").kw("key", "The key"), set_key,
                    128);
    auto del_key = [](Call& call) {
      Ipv4 a = *Ipv4::parse(call.get("address"));
      Ipv4 mask;
      if (!parse_mask(call, &mask)) return;
      keychain_edit(call, [&](config::IkeKeychain& k) -> std::string {
        auto it = std::find_if(k.keys.begin(), k.keys.end(), [&](const config::PreSharedKey& p) {
          return p.address == a && p.mask == mask;
        });
        if (it == k.keys.end()) return "Error: No pre-shared key for that address.";
        k.keys.erase(it);
        return {};
      });
    };
    Node& uaddr = u.kw("pre-shared-key", "Remove a pre-shared key")
                      .kw("address", "The peers the key is for")
                      .ipv4("address", "Peer IP address");
    uaddr.run(del_key);
    uaddr.ipv4("mask", "Address mask").run(del_key);
    uaddr.integer("length", 0, 32, "Mask length").run(del_key);
  }

  // ---- ike profile NAME ----
  add_named_view(ike, uike,
                 {"profile", "ike profile", "IKE profile", "Profile name", View::ike_profile},
                 &config::IpsecConfig::profiles);
  {
    Node& r = root(g, View::ike_profile);
    Node& u = r.kw("undo", "Cancel current setting");
    r.kw("keychain", "Use the pre-shared keys of a keychain (up to 6)")
        .string("name", 1, 63, "Keychain name", valid_name)
        .run([](Call& call) {
          std::string name = call.get("name");
          profile_edit(call, [&](config::IkeProfile& p) -> std::string {
            if (std::find(p.keychains.begin(), p.keychains.end(), name) != p.keychains.end())
              return {};
            if (p.keychains.size() >= kMaxList)
              return "Error: A profile names at most 6 keychains.";
            p.keychains.push_back(name);
            return {};
          });
        });
    u.kw("keychain", "Stop using a keychain")
        .string("name", 1, 63, "Keychain name", valid_name)
        .run([](Call& call) {
          std::string name = call.get("name");
          profile_edit(call, [&](config::IkeProfile& p) -> std::string {
            auto it = std::find(p.keychains.begin(), p.keychains.end(), name);
            if (it == p.keychains.end()) return "Error: The profile does not use " + name + ".";
            p.keychains.erase(it);
            return {};
          });
        });
    auto match = [](Call& call) {
      Ipv4 a = *Ipv4::parse(call.get("address"));
      Ipv4 mask;
      if (!parse_mask(call, &mask)) return;
      profile_edit(call, [&](config::IkeProfile& p) {
        p.match_address = std::pair{a, mask};
        return std::string{};
      });
    };
    Node& ma = r.kw("match", "Specify the peers the profile is for")
                   .kw("remote", "The remote end")
                   .kw("identity", "The remote identity")
                   .kw("address", "An IPv4 address identity")
                   .ipv4("address", "Peer IP address (0.0.0.0 0.0.0.0: any peer)");
    ma.run(match);
    ma.ipv4("mask", "Address mask").run(match);
    ma.integer("length", 0, 32, "Mask length").run(match);
    auto unmatch = [](Call& call) {
      profile_edit(call, [](config::IkeProfile& p) {
        p.match_address.reset();
        return std::string{};
      });
    };
    Node& uma = u.kw("match", "Remove the peer match")
                    .kw("remote", "The remote end")
                    .kw("identity", "The remote identity")
                    .kw("address", "An IPv4 address identity");
    uma.run(unmatch);
    Node& uaddress = uma.ipv4("address", "Peer IP address").run(unmatch);
    uaddress.ipv4("mask", "Address mask").run(unmatch);
    uaddress.integer("length", 0, 32, "Mask length").run(unmatch);
    r.kw("local-identity", "Specify the local identity")
        .kw("address", "An IPv4 address identity")
        .ipv4("address", "Local IP address")
        .run([](Call& call) {
          Ipv4 a = *Ipv4::parse(call.get("address"));
          profile_edit(call, [&](config::IkeProfile& p) {
            p.local_identity = a;
            return std::string{};
          });
        });
    u.kw("local-identity", "Remove the local identity").run([](Call& call) {
      profile_edit(call, [](config::IkeProfile& p) {
        p.local_identity.reset();
        return std::string{};
      });
    });
    Node& em = r.kw("exchange-mode", "Specify the IKEv1 phase 1 exchange mode");
    em.kw("main", "Main mode (identity protection)", "mode").run([](Call& call) {
      profile_edit(call, [](config::IkeProfile& p) {
        p.exchange_mode = ExchangeMode::main;
        return std::string{};
      });
    });
    em.kw("aggressive", "Aggressive mode", "mode").run([](Call& call) {
      profile_edit(call, [](config::IkeProfile& p) {
        p.exchange_mode = ExchangeMode::aggressive;
        return std::string{};
      });
    });
    u.kw("exchange-mode", "Restore main mode").run([](Call& call) {
      profile_edit(call, [](config::IkeProfile& p) {
        p.exchange_mode = ExchangeMode::main;
        return std::string{};
      });
    });
    auto proposals = [](Call& call) {
      std::vector<std::uint16_t> list;
      for (auto& s : call.all("n")) {
        auto n = static_cast<std::uint16_t>(std::stoul(s));
        if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
      }
      profile_edit(call, [&](config::IkeProfile& p) {
        p.proposals = list;
        return std::string{};
      });
    };
    Node* level = &r.kw("proposal", "Specify the IKE proposals, in preference order (up to 6)");
    for (std::size_t i = 0; i < kMaxList; ++i) {
      level = &level->integer("n", 1, 65535, "IKE proposal number");
      level->run(proposals);
    }
    u.kw("proposal", "Use the default proposals").run([](Call& call) {
      profile_edit(call, [](config::IkeProfile& p) {
        p.proposals.clear();
        return std::string{};
      });
    });
  }

  // ---- ike nat-keepalive S ----
  ike.kw("nat-keepalive", "Specify the NAT keepalive interval")
      .integer("s", 5, 300, "Interval in seconds")
      .run([](Call& call) {
        auto s = call.number("s");
        ipsec_edit(call, "ike nat-keepalive", [&](config::IpsecConfig& c) {
          c.nat_keepalive_s = s;
          return std::string{};
        });
      });
  uike.kw("nat-keepalive", "Restore the default NAT keepalive interval (20 s)").run([](Call& call) {
    ipsec_edit(call, "ike nat-keepalive", [](config::IpsecConfig& c) {
      c.nat_keepalive_s = config::IpsecConfig{}.nat_keepalive_s;
      return std::string{};
    });
  });

  // ---- ipsec transform-set NAME ----
  add_named_view(ips, uips,
                 {"transform-set", "ipsec transform-set", "IPsec transform set",
                  "Transform set name", View::ipsec_transform_set},
                 &config::IpsecConfig::transform_sets);
  {
    Node& r = root(g, View::ipsec_transform_set);
    Node& u = r.kw("undo", "Cancel current setting");
    Node& em = r.kw("encapsulation-mode", "Specify the encapsulation mode");
    em.kw("transport", "Transport mode (host to host, e.g. L2TP/IPsec)").run([](Call& call) {
      transform_edit(call, [](config::TransformSet& t) { t.mode = EncapsulationMode::transport; });
    });
    em.kw("tunnel", "Tunnel mode").run([](Call& call) {
      transform_edit(call, [](config::TransformSet& t) { t.mode = EncapsulationMode::tunnel; });
    });
    u.kw("encapsulation-mode", "Restore tunnel mode").run([](Call& call) {
      transform_edit(call, [](config::TransformSet& t) { t.mode = EncapsulationMode::tunnel; });
    });
    // ESP is vpdnd's only security protocol: the default, so never printed.
    r.kw("protocol", "Specify the security protocol")
        .kw("esp", "Encapsulating Security Payload")
        .run([](Call& call) { transform_edit(call, [](config::TransformSet&) {}); });
    u.kw("protocol", "Restore the default security protocol (ESP)").run([](Call& call) {
      transform_edit(call, [](config::TransformSet&) {});
    });
    Node& esp = r.kw("esp", "ESP settings");
    Node& uesp = u.kw("esp", "ESP settings");
    auto ciphers = [](Call& call) {
      std::vector<EspCipher> list;
      for (auto& w : call.all("alg")) {
        auto v = value_of(kEspCiphers, w);
        if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
      }
      transform_edit(call, [&](config::TransformSet& t) { t.esp_encryption = list; });
    };
    keyword_list(esp.kw("encryption-algorithm", "ESP encryption algorithms, preferred first"),
                 kEspCiphers, 3, ciphers);
    uesp.kw("encryption-algorithm", "Remove the ESP encryption algorithms").run([](Call& call) {
      transform_edit(call, [](config::TransformSet& t) { t.esp_encryption.clear(); });
    });
    auto hashes = [](Call& call) {
      std::vector<EspHash> list;
      for (auto& w : call.all("alg")) {
        auto v = value_of(kEspHashes, w);
        if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
      }
      transform_edit(call, [&](config::TransformSet& t) { t.esp_authentication = list; });
    };
    keyword_list(
        esp.kw("authentication-algorithm", "ESP authentication algorithms, preferred first"),
        kEspHashes, 3, hashes);
    uesp.kw("authentication-algorithm", "Remove the ESP authentication algorithms")
        .run([](Call& call) {
          transform_edit(call, [](config::TransformSet& t) { t.esp_authentication.clear(); });
        });
    choices(
        r.kw("pfs", "Use perfect forward secrecy"), kGroups, "group",
        [](Call& call) {
          auto v = value_of(kGroups, call.get("group").substr(3));
          transform_edit(call, [&](config::TransformSet& t) { t.pfs = v; });
        },
        "dh-");
    u.kw("pfs", "No perfect forward secrecy").run([](Call& call) {
      transform_edit(call, [](config::TransformSet& t) { t.pfs.reset(); });
    });
  }

  // ---- ipsec policy-template NAME N / ipsec policy NAME N isakmp [template T] ----
  auto enter_entry = [](bool is_template) {
    return [is_template](Call& call) {
      std::string name = call.get("name");
      auto seq = static_cast<std::uint16_t>(call.number("seq"));
      std::string tmpl = call.get("template");
      std::string object = name + " " + std::to_string(seq);
      ipsec_edit(call, (is_template ? "ipsec policy-template " : "ipsec policy ") + object,
                 [&](config::IpsecConfig& c) -> std::string {
                   auto& map = is_template ? c.templates : c.policies;
                   auto& e = map[{name, seq}];
                   e.name = name;
                   e.sequence = seq;
                   if (!is_template) {
                     if (!tmpl.empty()) {
                       e = IpsecPolicyEntry{};
                       e.name = name;
                       e.sequence = seq;
                       e.template_name = tmpl;
                     } else {
                       e.template_name.clear();
                     }
                   }
                   return {};
                 });
      if (!call.failed && tmpl.empty())
        call.session.enter(is_template ? View::ipsec_policy_template : View::ipsec_policy, object);
    };
  };
  ips.kw("policy-template", "Enter an IPsec policy template view (dial-in peers)")
      .string("name", 1, 63, "Template name", valid_name)
      .integer("seq", 1, 65535, "Sequence number")
      .run(enter_entry(true));
  Node& policy_seq = ips.kw("policy", "Enter an IPsec policy view")
                         .string("name", 1, 63, "Policy name", valid_name)
                         .integer("seq", 1, 65535, "Sequence number");
  // As on Comware, an existing entry's view is entered without its negotiation mode.
  policy_seq.run([](Call& call) {
    std::string name = call.get("name");
    auto seq = static_cast<std::uint16_t>(call.number("seq"));
    std::string object = name + " " + std::to_string(seq);
    auto c = call.snapshot();
    auto it = c.ipsec.policies.find({name, seq});
    if (it == c.ipsec.policies.end()) {
      call.error("Error: IPsec policy " + object +
                 " does not exist; give the negotiation mode (isakmp) to create it.");
      return;
    }
    if (!it->second.template_name.empty()) {
      call.error("Error: IPsec policy " + object + " is a template policy and has no view.");
      return;
    }
    call.session.enter(View::ipsec_policy, object);
  });
  Node& isakmp = policy_seq.kw("isakmp", "Negotiate the SAs with IKE");
  isakmp.run(enter_entry(false));
  isakmp.kw("template", "Accept peers as an IPsec policy template describes")
      .string("template", 1, 63, "Template name", valid_name)
      .run(enter_entry(false));
  auto remove_entries = [](bool is_template) {
    return [is_template](Call& call) {
      std::string name = call.get("name");
      bool one = call.has("seq");
      auto seq = one ? static_cast<std::uint16_t>(call.number("seq")) : 0;
      ipsec_edit(
          call, (is_template ? "ipsec policy-template " : "ipsec policy ") + name,
          [&](config::IpsecConfig& c) -> std::string {
            auto& map = is_template ? c.templates : c.policies;
            std::size_t n = std::erase_if(map, [&](const auto& kv) {
              return kv.first.first == name && (!one || kv.first.second == seq);
            });
            return n ? std::string{} : "Error: " + name + " does not exist.";
          },
          true);
    };
  };
  uips.kw("policy-template", "Remove an IPsec policy template")
      .string("name", 1, 63, "Template name", valid_name)
      .run(remove_entries(true))
      .integer("seq", 1, 65535, "Sequence number")
      .run(remove_entries(true));
  uips.kw("policy", "Remove an IPsec policy")
      .string("name", 1, 63, "Policy name", valid_name)
      .run(remove_entries(false))
      .integer("seq", 1, 65535, "Sequence number")
      .run(remove_entries(false));
  for (View v : {View::ipsec_policy_template, View::ipsec_policy}) {
    Node& r = root(g, v);
    Node& u = r.kw("undo", "Cancel current setting");
    auto sets = [](Call& call) {
      std::vector<std::string> list;
      for (auto& s : call.all("ts"))
        if (std::find(list.begin(), list.end(), s) == list.end()) list.push_back(s);
      entry_edit(call, [&](IpsecPolicyEntry& e) { e.transform_sets = list; });
    };
    Node* level = &r.kw("transform-set", "Specify the transform sets, preferred first (up to 6)");
    for (std::size_t i = 0; i < kMaxList; ++i) {
      level = &level->string("ts", 1, 63, "Transform set name", valid_name);
      level->run(sets);
    }
    u.kw("transform-set", "Remove the transform sets").run([](Call& call) {
      entry_edit(call, [](IpsecPolicyEntry& e) { e.transform_sets.clear(); });
    });
    r.kw("ike-profile", "Specify the IKE profile")
        .string("profile", 1, 63, "IKE profile name", valid_name)
        .run([](Call& call) {
          std::string p = call.get("profile");
          entry_edit(call, [&](IpsecPolicyEntry& e) { e.ike_profile = p; });
        });
    u.kw("ike-profile", "Remove the IKE profile").run([](Call& call) {
      entry_edit(call, [](IpsecPolicyEntry& e) { e.ike_profile.clear(); });
    });
    r.kw("remote-address", "Specify the peer's address")
        .ipv4("address", "Peer IP address")
        .run([](Call& call) {
          Ipv4 a = *Ipv4::parse(call.get("address"));
          entry_edit(call, [&](IpsecPolicyEntry& e) { e.remote_address = a; });
        });
    u.kw("remote-address", "Remove the peer's address").run([](Call& call) {
      entry_edit(call, [](IpsecPolicyEntry& e) { e.remote_address.reset(); });
    });
    r.kw("security", "Specify the protected traffic")
        .kw("acl", "By an advanced ACL")
        .integer("acl", 3000, 3999, "Advanced ACL number")
        .run([](Call& call) {
          auto n = call.number("acl");
          entry_edit(call, [&](IpsecPolicyEntry& e) { e.acl = n; });
        });
    u.kw("security", "Specify the protected traffic")
        .kw("acl", "Remove the ACL")
        .run([](Call& call) { entry_edit(call, [](IpsecPolicyEntry& e) { e.acl.reset(); }); });
    r.kw("sa", "Specify the IPsec SA settings")
        .kw("duration", "IPsec SA lifetime")
        .kw("time-based", "Time-based lifetime")
        .integer("s", 180, 604800, "Lifetime in seconds")
        .run([](Call& call) {
          auto s = call.number("s");
          entry_edit(call, [&](IpsecPolicyEntry& e) { e.lifetime = s; });
        });
    u.kw("sa", "Specify the IPsec SA settings")
        .kw("duration", "IPsec SA lifetime")
        .kw("time-based", "Restore the default lifetime (3600 s)")
        .run([](Call& call) { entry_edit(call, [](IpsecPolicyEntry& e) { e.lifetime.reset(); }); });
  }

  // ---- interface NAME: ipsec apply policy NAME ----
  {
    Node& r = root(g, View::interface);
    auto apply = [](Call& call) {
      std::string ifname = call.session.object();
      std::string policy = call.get("policy");
      call.edit({ConfigSection::ipsec, "interface " + ifname}, [&](RunningConfig& c) {
        auto& i = c.interfaces[ifname];
        i.name = ifname;
        i.ipsec_policy = policy;
        return std::string{};
      });
    };
    r.kw("ipsec", "IPsec settings")
        .kw("apply", "Apply an IPsec policy")
        .kw("policy", "An IPsec policy")
        .string("policy", 1, 63, "Policy name", valid_name)
        .run(apply);
    r.kw("undo", "Cancel current setting")
        .kw("ipsec", "IPsec settings")
        .kw("apply", "Remove the applied IPsec policy")
        .kw("policy", "An IPsec policy")
        .run([](Call& call) {
          std::string ifname = call.session.object();
          call.edit({ConfigSection::ipsec, "interface " + ifname}, [&](RunningConfig& c) {
            auto it = c.interfaces.find(ifname);
            if (it == c.interfaces.end() || it->second.ipsec_policy.empty())
              return "Error: No IPsec policy is applied to " + ifname + ".";
            it->second.ipsec_policy.clear();
            // Nothing else configured: no entry, as before `ipsec apply` (an empty one would
            // print a bare `interface NAME` that loads back as nothing).
            config::Interface bare;
            bare.name = ifname;
            if (it->second == bare) c.interfaces.erase(it);
            return std::string{};
          });
        });
  }

  // ---- displays (any view) and resets (user view) ----
  for (Node& d : display_roots(g)) {
    Node& dike = d.kw("ike", "IKE information");
    dike.kw("proposal", "IKE proposals").run([](Call& call) {
      print_text(call, render_ike_proposals(call.snapshot()));
    });
    Node& sa = dike.kw("sa", "IKE SAs");
    sa.run([](Call& call) {
      if (auto snap = read_sas(call)) print_text(call, render_ike_sas(*snap));
    });
    auto verbose = [](Call& call) {
      std::optional<std::uint32_t> id;
      if (call.has("id")) id = call.number("id");
      auto snap = read_sas(call);
      if (!snap) return;
      auto stats = on_engine(call, [](Operations& o) { return o.ipsec_statistics(); });
      print_text(call, render_ike_sas_verbose(*snap, stats, call.snapshot(), id));
    };
    Node& vb = sa.kw("verbose", "Every detail").run(verbose);
    vb.kw("connection-id", "One IKE SA").integer("id", 1, 4294967295, "Connection ID").run(verbose);
    Node& dips = d.kw("ipsec", "IPsec information");
    Node& dsa = dips.kw("sa", "IPsec SAs").run([](Call& call) {
      auto snap = read_sas(call);
      if (!snap) return;
      auto stats = on_engine(call, [](Operations& o) { return o.ipsec_statistics(); });
      print_text(call, render_ipsec_sas(*snap, stats));
    });
    dsa.kw("brief", "One line an IPsec SA").run([](Call& call) {
      auto snap = read_sas(call);
      if (!snap) return;
      auto stats = on_engine(call, [](Operations& o) { return o.ipsec_statistics(); });
      print_text(call, render_ipsec_sa_brief(*snap, stats));
    });
    dsa.kw("count", "The number of IPsec SAs").run([](Call& call) {
      if (auto snap = read_sas(call)) print_text(call, render_ipsec_sa_count(*snap));
    });
    auto transform_sets = [](Call& call) {
      std::string name = call.get("name");
      std::string text = render_ipsec_transform_sets(call.snapshot(), name);
      if (text.empty() && !name.empty())
        call.error("Error: IPsec transform set " + name + " does not exist.");
      else
        print_text(call, text);
    };
    dips.kw("transform-set", "IPsec transform sets")
        .run(transform_sets)
        .string("name", 1, 63, "Transform set name", valid_name)
        .run(transform_sets);
    for (bool is_template : {false, true}) {
      auto show = [is_template](Call& call) {
        std::string name = call.get("name");
        auto seq = call.has("seq") ? static_cast<std::uint16_t>(call.number("seq")) : 0;
        std::string text = render_ipsec_policies(call.snapshot(), is_template, name, seq);
        if (text.empty() && !name.empty())
          call.error(std::string("Error: IPsec policy") + (is_template ? " template " : " ") +
                     name + (seq ? " " + std::to_string(seq) : std::string()) + " does not exist.");
        else
          print_text(call, text);
      };
      dips.kw(is_template ? "policy-template" : "policy",
              is_template ? "IPsec policy templates" : "IPsec policies")
          .run(show)
          .string("name", 1, 63, is_template ? "Template name" : "Policy name", valid_name)
          .run(show)
          .integer("seq", 1, 65535, "Sequence number")
          .run(show);
    }
    dips.kw("statistics", "IPsec packet statistics").run([](Call& call) {
      auto stats = on_engine(call, [](Operations& o) { return o.ipsec_statistics(); });
      auto future = on_engine(call, [](Operations& o) { return o.ipsec_sas(); });
      ipsec::SaSnapshot snap;
      if (future.wait_for(std::chrono::seconds(10)) == std::future_status::ready)
        snap = future.get();
      print_text(call, render_ipsec_statistics(snap, stats));
    });
  }
  Node& reset = root(g, View::user).kw("reset", "Reset operation");
  auto report = [](Call& call, const std::string& msg) {
    if (!msg.empty()) call.error(msg);
  };
  Node& rike = reset.kw("ike", "IKE").kw("sa", "Delete IKE SAs (and their IPsec SAs)");
  rike.run([report](Call& call) {
    report(call, on_engine(call, [](Operations& o) { return o.reset_ike_sa(std::nullopt); }));
  });
  rike.kw("connection-id", "One IKE SA")
      .integer("id", 1, 4294967295, "Connection ID")
      .run([report](Call& call) {
        std::uint32_t id = call.number("id");
        report(call, on_engine(call, [&](Operations& o) { return o.reset_ike_sa(id); }));
      });
  Node& rips = reset.kw("ipsec", "IPsec").kw("sa", "Delete IPsec SAs");
  rips.run([report](Call& call) {
    report(call, on_engine(call, [](Operations& o) { return o.reset_ipsec_sa({}, std::nullopt); }));
  });
  auto by_policy = [report](Call& call) {
    std::string name = call.get("name");
    std::optional<std::uint16_t> seq;
    if (call.has("seq")) seq = static_cast<std::uint16_t>(call.number("seq"));
    report(call, on_engine(call, [&](Operations& o) { return o.reset_ipsec_sa(name, seq); }));
  };
  rips.kw("policy", "The SAs of one IPsec policy")
      .string("name", 1, 63, "Policy name", valid_name)
      .run(by_policy)
      .integer("seq", 1, 65535, "Sequence number")
      .run(by_policy);
}

}  // namespace vpdnd::cli::lang
