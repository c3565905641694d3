#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/ipsec_display.hpp"
#include "cli/lang/session.hpp"
#include "common/printable.hpp"

namespace vpdnd::cli {
namespace {

using config::DhGroup;

// An IKE algorithm as Comware displays it: its keyword in capitals, `sha` as SHA1.
std::string upper_cipher(config::IkeCipher c) {
  return lang::upper(lang::keyword(c));
}
std::string upper_hash(config::IkeHash h) {
  return h == config::IkeHash::sha ? "SHA1" : lang::upper(lang::keyword(h));
}

const ipsec::ConnectionOrigin* origin_of(const ipsec::Statistics& stats, const std::string& conn) {
  for (auto& o : stats.connections)
    if (o.connection == conn) return &o;
  return nullptr;
}

std::string field(const std::string& s) {
  return printable(s);
}

// "c1d2e3f4" -> "3251766260 (0xc1d2e3f4)", as Comware prints SPIs.
std::string spi_text(const std::string& hex) {
  unsigned long v = std::strtoul(hex.c_str(), nullptr, 16);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lu (0x%08lx)", v, v);
  return buf;
}

// charon's algorithm names ("AES_CBC" 256, "HMAC_SHA2_256_128", "MODP_2048") in Comware's
// words ("AES-CBC-256", "SHA256", "Group 14"); a name Comware has no word for is shown
// as charon gives it.
std::string cipher_text(const std::string& alg, std::uint32_t keysize) {
  if (alg == "AES_CBC") return "AES-CBC-" + std::to_string(keysize);
  if (alg == "3DES_CBC") return "3DES-CBC";
  if (alg == "DES_CBC") return "DES-CBC";
  return field(alg);
}
std::string integrity_text(const std::string& alg) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"HMAC_MD5_96", "MD5"},          {"HMAC_SHA1_96", "SHA1"},
      {"HMAC_SHA2_256_128", "SHA256"}, {"HMAC_SHA2_384_192", "SHA384"},
      {"HMAC_SHA2_512_256", "SHA512"},
  };
  for (auto& [charon, comware] : kNames)
    if (alg == charon) return std::string(comware);
  return field(alg);
}
// The Comware group number of a charon DH group name, 0 when it has none.
int group_number(const std::string& dh) {
  static const std::pair<std::string_view, int> kGroups[] = {
      {"MODP_768", 1}, {"MODP_1024", 2}, {"MODP_1536", 5},      {"MODP_2048", 14},
      {"ECP_256", 19}, {"ECP_384", 20},  {"MODP_2048_256", 24},
  };
  for (auto& [charon, n] : kGroups)
    if (dh == charon) return n;
  return 0;
}
// `display ike sa verbose`: "Group 2".
std::string ike_group_text(const std::string& dh) {
  int n = group_number(dh);
  return n ? "Group " + std::to_string(n) : field(dh);
}
// `display ipsec sa` Perfect Forward Secrecy: the `pfs` keyword, "dh-group2"; empty without.
std::string pfs_text(const std::string& dh) {
  int n = group_number(dh);
  return n ? "dh-group" + std::to_string(n) : field(dh);
}

std::string esp_transform(const ipsec::ChildSa& c) {
  std::string s = "ESP-ENCRYPT-" + cipher_text(c.encr_alg, c.encr_keysize);
  if (!c.integ_alg.empty()) s += " ESP-AUTH-" + integrity_text(c.integ_alg);
  return s;
}

// A port of a charon traffic selector: a number, or a service name charon printed for
// one (it names 1701 "l2f").
std::string port_text(const std::string& port) {
  static const std::pair<std::string_view, std::string_view> kServices[] = {
      {"l2f", "1701"}, {"isakmp", "500"}, {"ipsec-nat-t", "4500"}};
  for (auto& [name, number] : kServices)
    if (port == name) return std::string(number);
  return field(port);
}

// charon's traffic selector ("192.0.2.1/32[udp/l2f]") as Comware's flow fields
// ("192.0.2.1/255.255.255.255  port: 1701  protocol: udp").
std::string flow_text(const std::string& ts) {
  std::string net = ts, protocol = "ip", port = "0";
  auto open = ts.find('[');
  if (open != std::string::npos && ts.back() == ']') {
    net = ts.substr(0, open);
    std::string inside = ts.substr(open + 1, ts.size() - open - 2);
    auto slash = inside.find('/');
    protocol = inside.substr(0, slash);
    if (slash != std::string::npos) port = port_text(inside.substr(slash + 1));
  }
  auto slash = net.find('/');
  if (slash != std::string::npos) {
    auto address = Ipv4::parse(net.substr(0, slash));
    char* end = nullptr;
    long prefix = std::strtol(net.c_str() + slash + 1, &end, 10);
    if (address && end && *end == '\0' && end != net.c_str() + slash + 1 && prefix >= 0 &&
        prefix <= 32)
      net = address->to_string() + "/" + prefix_to_mask(static_cast<int>(prefix)).to_string();
  }
  return field(net) + "  port: " + field(port) + "  protocol: " + field(protocol);
}

}  // namespace

std::string render_ike_proposals(const config::RunningConfig& c) {
  std::string out =
      " Priority Authentication Authentication Encryption  Diffie-Hellman Duration\n"
      "              method       algorithm    algorithm       group      (seconds)\n"
      "----------------------------------------------------------------------------\n";
  char line[160];
  for (auto& [n, p] : c.ipsec.proposals) {
    std::string group = "Group " + std::to_string(static_cast<unsigned>(p.dh));
    std::snprintf(line, sizeof line, " %-8u %-18s %-10s %-11s %-14s %u\n", unsigned{n},
                  "PRE-SHARED-KEY", upper_hash(p.authentication).c_str(),
                  upper_cipher(p.encryption).c_str(), group.c_str(), p.sa_duration_s);
    out += line;
  }
  return out;
}

std::string render_ike_sas(const ipsec::SaSnapshot& snap) {
  std::string out =
      "    Connection-ID   Remote                Flag         DOI\n"
      "------------------------------------------------------------------\n";
  char line[160];
  for (auto& sa : snap.sas) {
    std::string flag = sa.state == "ESTABLISHED" ? "RD"
                       : sa.state == "REKEYING"  ? "RK"
                       : sa.state == "DELETING"  ? "FD"
                                                 : "Unknown";
    std::string remote = sa.remote_host;
    if (sa.remote_port != 500) remote += "/" + std::to_string(sa.remote_port);
    std::snprintf(line, sizeof line, "    %-16u%-22s%-13s%s\n", sa.uniqueid, field(remote).c_str(),
                  flag.c_str(), "IPsec");
    out += line;
  }
  out += "Flags:\nRD--READY RL--REPLACED FD-FADING RK-REKEY\n";
  return out;
}

std::string render_ike_sas_verbose(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats,
                                   const config::RunningConfig& config,
                                   std::optional<std::uint32_t> id) {
  std::string out;
  for (auto& sa : snap.sas) {
    if (id && sa.uniqueid != *id) continue;
    const auto* o = origin_of(stats, sa.name);
    bool aggressive = false;
    if (o) {
      auto profile = config.ipsec.profiles.find(o->ike_profile);
      aggressive = profile != config.ipsec.profiles.end() &&
                   profile->second.exchange_mode == config::ExchangeMode::aggressive;
    }
    out += "   -----------------------------------------------\n";
    out += "   Connection ID: " + std::to_string(sa.uniqueid) + "\n";
    out += "   Outside VPN:\n   Inside VPN:\n";
    out += "   Profile: " + (o ? field(o->ike_profile) : std::string()) + "\n";
    out +=
        std::string("   Transmitting entity: ") + (sa.initiator ? "Initiator" : "Responder") + "\n";
    out += "   Initiator cookie: " + field(sa.initiator_spi) + "\n";
    out += "   Responder cookie: " + field(sa.responder_spi) + "\n";
    out += "   -----------------------------------------------\n";
    out += "   Local IP/port: " + field(sa.local_host) + "/" + std::to_string(sa.local_port) + "\n";
    out += "   Local ID type: IPV4_ADDR\n";
    out += "   Local ID: " + field(sa.local_id) + "\n\n";
    out +=
        "   Remote IP/port: " + field(sa.remote_host) + "/" + std::to_string(sa.remote_port) + "\n";
    out += "   Remote ID type: IPV4_ADDR\n";
    out += "   Remote ID: " + field(sa.remote_id) + "\n\n";
    out += "   Authentication-method: PRE-SHARED-KEY\n";
    out += "   Authentication-algorithm: " + integrity_text(sa.integ_alg) + "\n";
    out += "   Encryption-algorithm: " + cipher_text(sa.encr_alg, sa.encr_keysize) + "\n\n";
    out += "   Life duration(sec): " + std::to_string(sa.established + sa.rekey_time) + "\n";
    out += "   Remaining key duration(sec): " + std::to_string(sa.rekey_time) + "\n";
    out += std::string("   Exchange-mode: ") + (aggressive ? "Aggressive" : "Main") + "\n";
    out += "   Diffie-Hellman group: " + ike_group_text(sa.dh_group) + "\n";
    out += std::string("   NAT traversal: ") +
           (sa.nat_local || sa.nat_remote ? "Detected" : "Not detected") + "\n\n";
    out += "   Extend authentication: Disabled\n";
    out += "   Assigned IP address:\n";
  }
  return out;
}

std::string render_ipsec_sas(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats) {
  std::string out;
  for (auto& sa : snap.sas) {
    if (sa.children.empty()) continue;
    const auto* o = origin_of(stats, sa.name);
    out += "-------------------------------\n";
    out += "Interface: " + (o ? field(o->interface) : std::string("-")) + "\n";
    out += "-------------------------------\n\n";
    out += "  -----------------------------\n";
    out += "  IPsec policy: " + (o ? field(o->policy) : field(sa.name)) + "\n";
    out += "  Sequence number: " + (o ? std::to_string(o->sequence) : std::string("-")) + "\n";
    out +=
        std::string("  Mode: ") + (o && !o->template_name.empty() ? "Template" : "ISAKMP") + "\n";
    out += "  -----------------------------\n";
    for (auto& c : sa.children) {
      out += "    Tunnel id: " + std::to_string(c.uniqueid) + "\n";
      std::string mode = c.mode == "TRANSPORT" ? "transport" : "tunnel";
      out += "    Encapsulation mode: " + mode + "\n";
      out += "    Perfect Forward Secrecy: " + pfs_text(c.dh_group) + "\n";
      out += "    Inside VPN:\n";
      out += "    Extended Sequence Numbers enable: N\n";
      out += "    Traffic Flow Confidentiality enable: N\n";
      out += "    Tunnel:\n";
      out += "        local  address: " + field(sa.local_host) + "\n";
      out += "        remote address: " + field(sa.remote_host) + "\n";
      out += "    Flow:\n";
      for (auto& ts : c.local_ts) out += "        sour addr: " + flow_text(ts) + "\n";
      for (auto& ts : c.remote_ts) out += "        dest addr: " + flow_text(ts) + "\n";
      auto dir = [&](bool in) {
        out += in ? "\n    [Inbound ESP SAs]\n" : "\n    [Outbound ESP SAs]\n";
        out += "      SPI: " + spi_text(in ? c.spi_in : c.spi_out) + "\n";
        out += "      Connection ID: " + std::to_string(sa.uniqueid) + "\n";
        out += "      Transform set: " + esp_transform(c) + "\n";
        out += "      SA duration (kilobytes/sec): -/" +
               std::to_string(c.life_time + c.install_time) + "\n";
        out +=
            "      SA remaining duration (kilobytes/sec): -/" + std::to_string(c.life_time) + "\n";
        out += "      Packets/bytes: " + std::to_string(in ? c.packets_in : c.packets_out) + "/" +
               std::to_string(in ? c.bytes_in : c.bytes_out) + "\n";
        // charon's defaults: replay protection on, a 32-packet window.
        if (in) out += "      Anti-replay check enable: Y\n      Anti-replay window size: 32\n";
        out += std::string("      UDP encapsulation used for NAT traversal: ") +
               (c.encap ? "Y" : "N") + "\n";
        out += "      Status: " + std::string(c.state == "INSTALLED" ? "Active" : field(c.state)) +
               "\n";
      };
      dir(true);
      dir(false);
      out += "\n";
    }
  }
  return out;
}

std::string render_ipsec_sa_brief(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats) {
  const std::string rule(71, '-');
  std::string out =
      rule + "\nInterface/Global   Dst Address      SPI         Protocol  Status\n" + rule + "\n";
  char line[200];
  for (auto& sa : snap.sas) {
    const auto* o = origin_of(stats, sa.name);
    std::string ifname = o ? field(o->interface) : std::string("-");
    for (auto& c : sa.children) {
      std::string status = c.state == "INSTALLED" ? "Active" : field(c.state);
      for (bool in : {true, false}) {
        std::snprintf(line, sizeof line, "%-18s %-16s %-11lu %-9s %s\n", ifname.c_str(),
                      field(in ? sa.local_host : sa.remote_host).c_str(),
                      std::strtoul((in ? c.spi_in : c.spi_out).c_str(), nullptr, 16), "ESP",
                      status.c_str());
        out += line;
      }
    }
  }
  return out;
}

std::string render_ipsec_sa_count(const ipsec::SaSnapshot& snap) {
  std::size_t n = 0;
  for (auto& sa : snap.sas) n += 2 * sa.children.size();  // an inbound and an outbound SA
  return "Total IPsec SAs count: " + std::to_string(n) + "\n";
}

std::string render_ipsec_transform_sets(const config::RunningConfig& c, const std::string& name) {
  std::string out;
  for (auto& [n, t] : c.ipsec.transform_sets) {
    if (!name.empty() && lang::lower(n) != lang::lower(name)) continue;
    // vpdnd fills in both algorithm lists when neither is given; one alone is not enough.
    bool complete = t.esp_encryption.empty() == t.esp_authentication.empty();
    if (!out.empty()) out += "\n";
    out += "IPsec transform set: " + t.name + "\n";
    out += std::string("  State: ") + (complete ? "complete" : "incomplete") + "\n";
    out += std::string("  Encapsulation mode: ") +
           (t.mode == config::EncapsulationMode::transport ? "transport" : "tunnel") + "\n";
    out += "  ESN: Disabled\n";
    out += "  PFS: " +
           (t.pfs ? "dh-group" + std::to_string(static_cast<unsigned>(*t.pfs)) : std::string()) +
           "\n";
    out += "  Transform: ESP\n";
    if (t.esp_encryption.empty() && t.esp_authentication.empty()) continue;
    out += "  ESP protocol:\n";
    if (!t.esp_authentication.empty()) {
      out += "    Integrity:";
      for (auto h : t.esp_authentication) out += " " + lang::upper(lang::keyword(h));
      out += "\n";
    }
    if (!t.esp_encryption.empty()) {
      out += "    Encryption:";
      for (auto e : t.esp_encryption) out += " " + lang::upper(lang::keyword(e));
      out += "\n";
    }
  }
  return out;
}

std::string render_ipsec_policies(const config::RunningConfig& c, bool is_template,
                                  const std::string& name, std::uint16_t seq) {
  const auto& entries = is_template ? c.ipsec.templates : c.ipsec.policies;
  const std::string outer(is_template ? 47 : 43, '-');
  const std::string inner(is_template ? 33 : 29, '-');
  std::string out, current;
  for (auto& [key, e] : entries) {
    if (!name.empty() && lang::lower(key.first) != lang::lower(name)) continue;
    if (seq && key.second != seq) continue;
    if (key.first != current) {
      current = key.first;
      out += outer + "\n";
      out += (is_template ? "IPsec Policy Template: " : "IPsec Policy: ") + e.name + "\n";
      if (!is_template)
        for (auto& [ifname, i] : c.interfaces)
          if (i.ipsec_policy == e.name) out += "Interface: " + ifname + "\n";
      out += outer + "\n\n";
    }
    out += "  " + inner + "\n";
    out += "  Sequence number: " + std::to_string(e.sequence) + "\n";
    if (!is_template) out += e.template_name.empty() ? "  Mode: isakmp\n" : "  Mode: template\n";
    out += "  " + inner + "\n";
    if (!is_template && !e.template_name.empty()) continue;
    std::string sets;
    for (auto& t : e.transform_sets) sets += (sets.empty() ? "" : " ") + t;
    std::string acl = e.acl ? std::to_string(*e.acl) : std::string();
    std::string remote = e.remote_address ? e.remote_address->to_string() : std::string();
    std::string life = e.lifetime ? std::to_string(*e.lifetime) : std::string();
    if (is_template) {
      out += "    Description:\n";
      out += "    Security data flow : " + acl + "\n";
      out += "    Selector mode: standard\n";
      out += "    Local address:\n";
      out += "    IKE profile:  " + (e.ike_profile.empty() ? std::string("None") : e.ike_profile) +
             "\n";
      out += "    Remote address: " + remote + "\n";
      out += "    Transform set:  " + sets + "\n";
      out += "    IPsec SA local duration(time based): " + (life.empty() ? "3600" : life) +
             " seconds\n\n";
      continue;
    }
    std::vector<std::string> missing;
    if (!e.remote_address) missing.push_back("Remote-address not set");
    if (e.transform_sets.empty()) missing.push_back("Transform-set not set");
    if (e.ike_profile.empty()) missing.push_back("IKE profile not set");
    if (!missing.empty()) {
      out += "  The policy configuration is incomplete:\n";
      for (auto& m : missing) out += "           " + m + "\n";
    }
    out += "  Description:\n";
    out += "  Security data flow: " + acl + "\n";
    out += "  Selector mode: standard\n";
    out += "  Local address:\n";
    out += "  Remote address: " + remote + "\n";
    out += "  Transform set: " + sets + "\n";
    out += "  IKE profile: " + e.ike_profile + "\n";
    out += "  SA duration(time based): " + (life.empty() ? "" : life + " seconds") + "\n";
    out += "  SA duration(traffic based):\n";
    out += "  SA idle time:\n\n";
  }
  if (out.ends_with("\n\n")) out.pop_back();  // a blank line between entries, none after
  return out;
}

std::string render_ipsec_statistics(const ipsec::SaSnapshot& snap, const ipsec::Statistics& s) {
  std::uint64_t pin = 0, pout = 0, bin = 0, bout = 0;
  std::size_t ike = 0, child = 0;
  for (auto& sa : snap.sas) {
    ++ike;
    for (auto& c : sa.children) {
      ++child;
      pin += c.packets_in;
      pout += c.packets_out;
      bin += c.bytes_in;
      bout += c.bytes_out;
    }
  }
  std::string out = "  IPsec packet statistics:\n";
  out += "    Received/sent packets: " + std::to_string(pin) + "/" + std::to_string(pout) + "\n";
  out += "    Received/sent bytes: " + std::to_string(bin) + "/" + std::to_string(bout) + "\n";
  out += "\n    Dropped packets statistics\n";
  out += "      Plain L2TP refused (no IPsec SA): " + std::to_string(s.plain_l2tp_refused) + "\n";
  if (s.kernel_block)
    out += "      Blocked by kernel policy (inbound/outbound): " +
           std::to_string(s.kernel_blocked_in) + "/" + std::to_string(s.kernel_blocked_out) + "\n";
  if (s.l2tp_filter)
    out += "      Plain L2TP dropped by filter: " + std::to_string(s.l2tp_filtered) + "\n";
  out += "\n  IKE SAs: " + std::to_string(ike) + "  IPsec SAs: " + std::to_string(child) + "\n";
  out +=
      "  strongSwan charon: " + (s.charon.empty() ? std::string("not running") : s.charon) + "\n";
  out += "  Configuration loads: " + std::to_string(s.config_loads) +
         "  failed: " + std::to_string(s.config_load_failures) + "\n";
  if (!s.last_load_error.empty()) out += "  Last load error: " + field(s.last_load_error) + "\n";
  if (!snap.available && !snap.error.empty()) out += "  SAs unavailable: " + snap.error + "\n";
  return out;
}

}  // namespace vpdnd::cli
