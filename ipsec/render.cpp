// The running config -> swanctl.conf / strongswan.conf.
#include <algorithm>
#include <cstdio>
#include <set>

#include "common/enum_names.hpp"
#include "ipsec/ipsec.hpp"

namespace vpdnd::ipsec {
namespace {

using namespace config;

// charon's names of the algorithms. The IKE and ESP hashes are the same five, in the same
// order; ESP adds the null cipher to the IKE ones.
constexpr std::string_view kIkeCiphers[] = {"3des", "aes128", "aes192", "aes256"};
constexpr std::string_view kEspCiphers[] = {"3des", "aes128", "aes192", "aes256", "null"};
constexpr std::string_view kHashes[] = {"md5", "sha1", "sha256", "sha384", "sha512"};
constexpr EnumName<DhGroup> kGroups[] = {
    {DhGroup::group1, "modp768"},       {DhGroup::group2, "modp1024"},
    {DhGroup::group5, "modp1536"},      {DhGroup::group14, "modp2048"},
    {DhGroup::group19, "ecp256"},       {DhGroup::group20, "ecp384"},
    {DhGroup::group24, "modp2048s256"},
};

std::string ike_cipher(IkeCipher c) {
  return std::string(
      enum_name<IkeCipher::des3_cbc, IkeCipher::aes_cbc_256>(c, kIkeCiphers, "aes128"));
}
std::string ike_hash(IkeHash h) {
  return std::string(enum_name<IkeHash::md5, IkeHash::sha512>(h, kHashes, "sha1"));
}
std::string group(DhGroup g) {
  return std::string(enum_name(g, kGroups, "modp1024"));
}
std::string esp_cipher(EspCipher c) {
  return std::string(enum_name<EspCipher::des3_cbc, EspCipher::null>(c, kEspCiphers, "aes128"));
}
std::string esp_hash(EspHash h) {
  return std::string(enum_name<EspHash::md5, EspHash::sha512>(h, kHashes, "sha1"));
}

// What the built-in L2TP/IPsec clients offer (Windows: AES-256/AES-128/3DES with SHA-1 or
// SHA-256, MODP-1024 or MODP-2048; macOS/iOS/Android within the same set), accepted when a
// profile names no proposal.
constexpr const char* kClientIke = "aes256-aes128-3des-sha256-sha1-modp2048-modp1024";
constexpr const char* kClientEsp = "aes256-aes128-3des-sha256-sha1";
constexpr std::uint32_t kChildLifetimeS = 3600;  // Comware's default `sa duration time-based`
constexpr const char* kCharonPlugins =
    "random nonce aes sha1 sha2 md5 hmac kdf gmp curve25519 gcrypt kernel-netlink "
    "socket-default vici";

// charon's section names are settings keys: letters, digits, '-' and '_' only ('.' would
// nest). Other characters of a Comware name become '_'.
std::string key_name(const std::string& s) {
  std::string out = s;
  for (auto& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) c = '_';
  return out;
}

std::string hex(const std::string& s) {
  std::string out = "0x";
  char buf[3];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

std::string cidr(Ipv4 a, Ipv4 mask) {
  int prefix = mask_to_prefix(mask).value_or(32);
  if (prefix == 32) return a.to_string();
  if (prefix == 0) return "%any";
  return Ipv4{a.value & mask.value}.to_string() + "/" + std::to_string(prefix);
}

struct Conn {
  ConnectionOrigin origin;
  const IpsecPolicyEntry* entry = nullptr;  // the entry carrying the settings
  bool responder_only = false;              // a template: any (matching) peer dials in
};

// Exactly one end of an IPsec-protected L2TP tunnel brings the SA up, the one that opens
// the tunnel: two ends that both initiate (and re-initiate on every delete or rekey) pile
// up IKE SAs and collide on rekeys. An LNS answers a named LAC and never initiates to it,
// unless one of its own LAC groups dials that address; a box that is no LNS (a LAC, or
// one protecting L2TP it does not terminate) initiates.
bool initiates_to(const RunningConfig& config, Ipv4 peer) {
  bool lns = false;
  for (auto& [number, g] : config.l2tp_groups) {
    if (g.is_lac() &&
        std::find(g.lns_addresses.begin(), g.lns_addresses.end(), peer) != g.lns_addresses.end())
      return true;
    lns = lns || g.is_lns();
  }
  return !lns;
}

}  // namespace

std::string render_strongswan_conf(const DriverOptions& o, const IpsecConfig& c) {
  std::string out;
  out += "# Written by vpdnd for its own charon; rewritten on every start.\n";
  out += "charon {\n";
  // Only the plugins IKEv1 with pre-shared keys and the rendered algorithms need (3DES
  // from gcrypt, MODP from gmp): charon's built-in list loads some sixty, which takes
  // seconds on a slow box, and each is code listening to the network for nothing.
  out += "  load = " + std::string(kCharonPlugins);
  for (auto& p : o.extra_plugins) out += " " + p;
  out += "\n";
  out += "  install_routes = no\n";
  out += "  keep_alive = " + std::to_string(c.nat_keepalive_s) + "s\n";
  out += "  plugins {\n";
  out += "    include /etc/strongswan.d/charon/*.conf\n";
  out += "    vici {\n      socket = unix://" + o.run_dir + "/charon.vici\n    }\n";
  for (auto& p : o.extra_plugins) out += "    " + p + " {\n      load = yes\n    }\n";
  out += "  }\n";
  out += "  filelog {\n    vpdnd {\n";
  out += "      path = " + o.run_dir + "/charon.log\n";
  out += "      default = 1\n      ike_name = yes\n      flush_line = yes\n";
  out += "    }\n  }\n";
  out += "}\n";
  out += render_swanctl_settings();
  return out;
}

std::string render_swanctl_settings() {
  // swanctl only talks VICI and reads no certificate of ours.
  return "swanctl {\n  load = random\n}\n";
}

Rendered render_swanctl(const RunningConfig& config, bool kernel_block) {
  Rendered r;
  const IpsecConfig& s = config.ipsec;
  std::vector<Conn> conns;
  std::set<std::string> names;
  auto unique = [&](std::string name) {
    std::string n = name;
    for (int i = 2; names.count(n); ++i) n = name + "_" + std::to_string(i);
    names.insert(n);
    return n;
  };
  for (auto& [ifname, iface] : config.interfaces) {
    if (iface.ipsec_policy.empty()) continue;
    bool any_entry = false;
    for (auto& [key, e] : s.policies) {
      if (key.first != iface.ipsec_policy) continue;
      any_entry = true;
      std::string base = key_name(e.name) + "-" + std::to_string(e.sequence);
      if (!e.template_name.empty()) {
        bool found = false;
        for (auto& [tkey, t] : s.templates) {
          if (tkey.first != e.template_name) continue;
          found = true;
          Conn c;
          c.entry = &t;
          c.responder_only = true;
          c.origin.connection = unique(base + "-" + std::to_string(t.sequence));
          c.origin.interface = ifname;
          c.origin.policy = e.name;
          c.origin.sequence = e.sequence;
          c.origin.template_name = t.name;
          c.origin.template_sequence = t.sequence;
          conns.push_back(c);
        }
        if (!found)
          r.warnings.push_back("ipsec policy " + e.name + " " + std::to_string(e.sequence) +
                               ": policy template " + e.template_name + " does not exist");
        continue;
      }
      if (!e.remote_address) {
        r.warnings.push_back("ipsec policy " + e.name + " " + std::to_string(e.sequence) +
                             ": no remote-address");
        continue;
      }
      Conn c;
      c.entry = &e;
      c.origin.connection = unique(base);
      c.origin.interface = ifname;
      c.origin.policy = e.name;
      c.origin.sequence = e.sequence;
      conns.push_back(c);
    }
    if (!any_entry)
      r.warnings.push_back("interface " + ifname + ": ipsec policy " + iface.ipsec_policy +
                           " does not exist");
  }

  std::string out = "# Written by vpdnd from its running configuration; do not edit.\n";
  out += "connections {\n";
  std::vector<std::string> keychains_used;
  std::vector<Conn> rendered;
  for (auto& c : conns) {
    const IpsecPolicyEntry& e = *c.entry;
    std::string where = "connection " + c.origin.connection;
    if (e.transform_sets.empty()) {
      r.warnings.push_back(where + ": no transform-set");
      continue;
    }
    std::vector<const TransformSet*> sets;
    for (auto& n : e.transform_sets)
      if (auto it = s.transform_sets.find(n); it != s.transform_sets.end())
        sets.push_back(&it->second);
      else
        r.warnings.push_back(where + ": transform set " + n + " does not exist");
    if (sets.empty()) continue;
    const IkeProfile* profile = nullptr;
    if (auto it = s.profiles.find(e.ike_profile); it != s.profiles.end()) profile = &it->second;
    if (!profile) {
      r.warnings.push_back(where + ": IKE profile " +
                           (e.ike_profile.empty() ? std::string("not set") : e.ike_profile) +
                           " does not exist");
      continue;
    }
    c.origin.ike_profile = profile->name;
    c.origin.transport = sets.front()->mode == EncapsulationMode::transport;
    if (sets.front()->pfs)
      c.origin.pfs = "dh-group" + std::to_string(static_cast<int>(*sets.front()->pfs));

    std::string remote_addrs = "%any";
    if (!c.responder_only)
      remote_addrs = e.remote_address->to_string();
    else if (profile->match_address)
      remote_addrs = cidr(profile->match_address->first, profile->match_address->second);

    std::string ike;
    std::uint32_t ike_life = IkeProposal{}.sa_duration_s;
    for (auto n : profile->proposals) {
      auto it = s.proposals.find(n);
      if (it == s.proposals.end()) {
        r.warnings.push_back(where + ": IKE proposal " + std::to_string(n) + " does not exist");
        continue;
      }
      if (ike.empty()) ike_life = it->second.sa_duration_s;
      if (!ike.empty()) ike += ",";
      ike += ike_cipher(it->second.encryption) + "-" + ike_hash(it->second.authentication) + "-" +
             group(it->second.dh);
    }
    if (ike.empty()) ike = kClientIke;

    std::string esp;
    for (auto* t : sets) {
      std::string one;
      if (t->esp_encryption.empty() && t->esp_authentication.empty()) {
        one = kClientEsp;
      } else {
        for (auto x : t->esp_encryption) one += std::string(one.empty() ? "" : "-") + esp_cipher(x);
        for (auto x : t->esp_authentication)
          one += std::string(one.empty() ? "" : "-") + esp_hash(x);
      }
      if (t->pfs) one += std::string("-") + group(*t->pfs);
      if (!esp.empty()) esp += ",";
      esp += one;
    }

    // The end that answers a named peer does not reauthenticate the IKE SA on its own
    // (the initiator does, and both ends doing it at once leaves duplicates).
    // Dial-in clients come and go on their own terms: the LNS renews their SAs too.
    bool initiator = !c.responder_only && initiates_to(config, *e.remote_address);
    bool renews = initiator || c.responder_only;
    c.origin.initiator = initiator;
    std::string n = c.origin.connection;
    out += "  " + n + " {\n";
    out += "    version = 1\n";
    out += std::string("    aggressive = ") +
           (profile->exchange_mode == ExchangeMode::aggressive ? "yes" : "no") + "\n";
    out += "    local_addrs = %any\n";
    out += "    remote_addrs = " + remote_addrs + "\n";
    out += "    proposals = " + ike + "\n";
    out += "    rekey_time = " + std::to_string(renews ? ike_life : 0) + "s\n";
    // One IKE SA per named peer: a new one from the same peer (its reauthentication, or
    // its restart) replaces the old, whose child SAs it adopts.
    if (!c.responder_only) out += "    unique = replace\n";
    out += "    send_certreq = no\n";
    out += "    local {\n      auth = psk\n";
    // Comware's `local-identity address`: the ID payload this end sends (and that its peer
    // matches); without it charon sends the local address the peer reached.
    if (profile->local_identity) out += "      id = " + profile->local_identity->to_string() + "\n";
    out += "    }\n";
    out += "    remote {\n      auth = psk\n";
    if (!c.responder_only) out += "      id = " + e.remote_address->to_string() + "\n";
    out += "    }\n";
    out += "    children {\n      " + n + " {\n";
    out += std::string("        mode = ") + (c.origin.transport ? "transport" : "tunnel") + "\n";
    // L2TP is what vpdnd protects: our UDP 1701 to whatever port the peer uses (macOS and
    // iOS do not send from 1701).
    out += "        local_ts = dynamic[udp/1701]\n";
    out += "        remote_ts = dynamic[udp]\n";
    out += "        esp_proposals = " + esp + "\n";
    // `sa duration time-based` is how long the SA may live (Comware's 3600 s by default):
    // charon renews it at 90% of that (less up to 10% of jitter), so traffic never meets an
    // expired SA. charon's own default renews at 3600 s whatever the hard lifetime, and a
    // shorter lifetime would then just expire.
    // The initiator of a named peer renews earlier, at 70-80%, so it is always first: the
    // answering end then sees the renewal and leaves the old SA be (rekey_time 0 is no
    // way to keep it from renewing: charon's IKEv1 responder then renews at once, again
    // and again).
    std::uint32_t life = e.lifetime.value_or(kChildLifetimeS);
    if (initiator) {
      out += "        rekey_time = " + std::to_string(life * 8 / 10) + "s\n";
      out += "        rand_time = " + std::to_string(life / 10) + "s\n";
    } else {
      out += "        rekey_time = " + std::to_string(life * 9 / 10) + "s\n";
    }
    out += "        life_time = " + std::to_string(life) + "s\n";
    if (initiator) {
      // Brought up at once and kept up, so the SA exists before the first L2TP datagram
      // (which the peer's guard would refuse otherwise); close_action brings it back at
      // once after the peer deletes it, the driver after a local reset (so no trap policy
      // is needed to bring it back on traffic).
      out += "        start_action = start\n";
      out += "        dpd_action = restart\n";
      out += "        close_action = start\n";
    } else {
      out += "        start_action = none\n";
      out += "        dpd_action = clear\n";
    }
    out += "      }\n    }\n  }\n";
    for (auto& k : profile->keychains)
      if (std::find(keychains_used.begin(), keychains_used.end(), k) == keychains_used.end())
        keychains_used.push_back(k);
    if (profile->keychains.empty()) r.warnings.push_back(where + ": profile names no keychain");
    if (c.responder_only)
      r.guard.any_peer = true;
    else if (std::find(r.guard.peers.begin(), r.guard.peers.end(), *e.remote_address) ==
             r.guard.peers.end())
      r.guard.peers.push_back(*e.remote_address);
    r.connections.push_back(c.origin);
  }
  if (kernel_block) out += render_plain_l2tp_drop(r.guard);
  out += "}\n";

  out += "secrets {\n";
  int index = 0;
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  for (auto& k : keychains_used) {
    auto it = s.keychains.find(k);
    if (it == s.keychains.end()) {
      r.warnings.push_back("IKE keychain " + k + " does not exist");
      continue;
    }
    for (auto& psk : it->second.keys) {
      // The first keychain naming an address wins, as the profile's keychain order says.
      if (!seen.insert({psk.address.value & psk.mask.value, psk.mask.value}).second) continue;
      out += "  ike-" + std::to_string(++index) + " {\n";
      std::string id = cidr(psk.address, psk.mask);
      // No id: the key is for any peer (`0.0.0.0 0.0.0.0`).
      if (id != "%any") out += "    id-1 = " + id + "\n";
      out += "    secret = " + hex(psk.key.plain) + "\n";
      out += "  }\n";
    }
  }
  out += "}\n";
  r.swanctl_conf = std::move(out);
  return r;
}

}  // namespace vpdnd::ipsec
