// DOC: the SNMP part of the running-config model (Comware `snmp-agent ...` commands).
// vpdnd never speaks SNMP on the wire itself: snmp/ renders these structs into the
// configuration of its own net-snmp snmpd and serves the L2TP-MIB to it as an AgentX
// subagent. Community names and USM keys are secrets: printed only in cipher form.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/ipv4.hpp"
#include "startup-config/secret_type.hpp"

namespace vpdnd::config {

// `snmp-agent sys-info version {all | v1 | v2c | v3}`: a bit set.
enum class SnmpVersion : std::uint8_t { v1 = 1, v2c = 2, v3 = 4 };
inline constexpr std::uint8_t kSnmpAllVersions = 7;

// `snmp-agent community {read | write} [simple | cipher] NAME`.
struct SnmpCommunity {
  Secret name;
  bool write = false;
  bool operator==(const SnmpCommunity&) const = default;
};

enum class SnmpAuth : std::uint8_t { none, md5, sha };
enum class SnmpPriv : std::uint8_t { none, des56, aes128 };

// `snmp-agent usm-user v3 NAME GROUP [{cipher | simple}] [authentication-mode {md5 | sha} PW
// [privacy-mode {des56 | aes128} PW]]`. The keys are passphrases (RFC 3414 §A.2 localises
// them); the security level a user gets follows from them: privacy, authentication, none.
struct SnmpUsmUser {
  std::string name;
  std::string group;
  SnmpAuth auth = SnmpAuth::none;
  Secret auth_key;
  SnmpPriv priv = SnmpPriv::none;
  Secret priv_key;
  bool operator==(const SnmpUsmUser&) const = default;
};

enum class SnmpSecurityLevel : std::uint8_t { none, authentication, privacy };

// `snmp-agent target-host trap address udp-domain A [udp-port P] params securityname NAME
// [v1 | v2c | v3 [authentication | privacy]]`: where notifications go. NAME is the
// community (v1, v2c) or the USM user (v3); v1 is sent as v2c (no SNMPv1 traps).
struct SnmpTargetHost {
  Ipv4 address;
  std::uint16_t port = 162;
  Secret security_name;  // a community for v1/v2c: a secret
  SnmpVersion version = SnmpVersion::v1;
  SnmpSecurityLevel level = SnmpSecurityLevel::none;
  bool same_target(const SnmpTargetHost& o) const {
    return address == o.address && port == o.port && security_name == o.security_name;
  }
  bool operator==(const SnmpTargetHost&) const = default;
};

struct SnmpConfig {
  bool enabled = false;  // `snmp-agent` (any other snmp-agent command also enables it)
  std::uint8_t versions = static_cast<std::uint8_t>(SnmpVersion::v3);  // Comware's default
  std::uint16_t port = 161;                                            // `snmp-agent port N`
  std::string contact;                     // `snmp-agent sys-info contact TEXT`
  std::string location;                    // `snmp-agent sys-info location TEXT`
  std::vector<SnmpCommunity> communities;  // in configuration order, unique by name
  std::map<std::string, SnmpUsmUser> users;
  std::vector<SnmpTargetHost> targets;  // in configuration order
  bool has(SnmpVersion v) const { return versions & static_cast<std::uint8_t>(v); }
  bool operator==(const SnmpConfig&) const = default;
};

}  // namespace vpdnd::config
