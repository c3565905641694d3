#include <cstdio>
#include <cstdlib>

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

std::string esp_transform(const ipsec::ChildSa& c) {
  std::string enc = c.encr_alg;
  if (enc == "AES_CBC") enc = "AES-CBC-" + std::to_string(c.encr_keysize);
  if (enc == "3DES_CBC") enc = "3DES-CBC";
  std::string auth = c.integ_alg;
  if (auth == "HMAC_SHA1_96") auth = "SHA1";
  if (auth == "HMAC_MD5_96") auth = "MD5";
  if (auth == "HMAC_SHA2_256_128") auth = "SHA256";
  if (auth == "HMAC_SHA2_384_192") auth = "SHA384";
  if (auth == "HMAC_SHA2_512_256") auth = "SHA512";
  std::string s = "ESP-ENCRYPT-" + field(enc);
  if (!auth.empty()) s += " ESP-AUTH-" + field(auth);
  return s;
}

}  // namespace

std::string render_ike_proposals(const config::RunningConfig& c) {
  std::string out =
      " Priority Authentication Authentication Encryption  Diffie-Hellman Duration\n"
      "              method       algorithm    algorithm       group        (seconds)\n"
      "----------------------------------------------------------------------------\n";
  char line[160];
  for (auto& [n, p] : c.ipsec.proposals) {
    std::snprintf(line, sizeof line, " %-8u PRE-SHARED-KEY %-10s %-15s Group %-9u%u\n", unsigned{n},
                  upper_hash(p.authentication).c_str(), upper_cipher(p.encryption).c_str(),
                  static_cast<unsigned>(p.dh), p.sa_duration_s);
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
                                   std::optional<std::uint32_t> id) {
  std::string out;
  for (auto& sa : snap.sas) {
    if (id && sa.uniqueid != *id) continue;
    const auto* o = origin_of(stats, sa.name);
    out += "   -----------------------------------------------\n";
    out += "   Connection ID: " + std::to_string(sa.uniqueid) + "\n";
    out += "   Outside VPN:\n   Inside VPN:\n";
    out += "   Profile: " + (o ? field(o->ike_profile) : std::string()) + "\n";
    out +=
        std::string("   Transmitting entity: ") + (sa.initiator ? "Initiator" : "Responder") + "\n";
    out += "   Initiator cookie: " + field(sa.initiator_spi) + "\n";
    out += "   Responder cookie: " + field(sa.responder_spi) + "\n";
    out += "   State: " + field(sa.state) + "\n";
    out += "   -----------------------------------------------\n";
    out += "   Local IP/port: " + field(sa.local_host) + "/" + std::to_string(sa.local_port) + "\n";
    out += "   Local ID type: IPV4_ADDR\n";
    out += "   Local ID: " + field(sa.local_id) + "\n\n";
    out +=
        "   Remote IP/port: " + field(sa.remote_host) + "/" + std::to_string(sa.remote_port) + "\n";
    out += "   Remote ID type: IPV4_ADDR\n";
    out += "   Remote ID: " + field(sa.remote_id) + "\n\n";
    out += "   Authentication-method: PRE-SHARED-KEY\n";
    out += "   Authentication-algorithm: " + field(sa.integ_alg) + "\n";
    std::string enc = sa.encr_alg;
    if (sa.encr_keysize) enc += "-" + std::to_string(sa.encr_keysize);
    out += "   Encryption-algorithm: " + field(enc) + "\n\n";
    out += "   Life duration(sec): " + std::to_string(sa.established + sa.rekey_time) + "\n";
    out += "   Remaining key duration(sec): " + std::to_string(sa.rekey_time) + "\n";
    out += "   Exchange-mode: Main\n";
    out += "   Diffie-Hellman group: " + field(sa.dh_group) + "\n";
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
      out += "    Perfect Forward Secrecy: " + field(c.dh_group) + "\n";
      out += "    Inside VPN:\n";
      out += "    Tunnel:\n";
      out += "        local  address: " + field(sa.local_host) + "\n";
      out += "        remote address: " + field(sa.remote_host) + "\n";
      out += "    Flow:\n";
      for (auto& ts : c.local_ts) out += "        sour addr: " + field(ts) + "\n";
      for (auto& ts : c.remote_ts) out += "        dest addr: " + field(ts) + "\n";
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
  std::string out = "IPsec packet statistics:\n";
  out += "  Received/sent packets: " + std::to_string(pin) + "/" + std::to_string(pout) + "\n";
  out += "  Received/sent bytes: " + std::to_string(bin) + "/" + std::to_string(bout) + "\n";
  out += "\n  Dropped packets statistics\n";
  out += "    Plain L2TP refused (no IPsec SA): " + std::to_string(s.plain_l2tp_refused) + "\n";
  if (s.kernel_block)
    out +=
        "    Blocked by kernel policy (inbound/outbound): " + std::to_string(s.kernel_blocked_in) +
        "/" + std::to_string(s.kernel_blocked_out) + "\n";
  if (s.l2tp_filter)
    out += "    Plain L2TP dropped by filter: " + std::to_string(s.l2tp_filtered) + "\n";
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
