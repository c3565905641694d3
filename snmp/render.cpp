// snmpd.conf from the `snmp-agent ...` settings. Only what is configured is reachable:
// snmpd runs with -C (no other configuration file), so an unknown community or user gets
// no answer at all, and a community works only with the versions `sys-info version`
// enables (com2sec + group per security model + access, not rocommunity, which would
// accept every version).
#include "snmp/snmp.hpp"

namespace vpdnd::snmp {
namespace {

using config::SnmpAuth;
using config::SnmpPriv;
using config::SnmpSecurityLevel;
using config::SnmpVersion;

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

const config::SnmpUsmUser* find_user(const config::SnmpConfig& c, const std::string& name) {
  auto it = c.users.find(name);
  return it == c.users.end() ? nullptr : &it->second;
}

std::string usm_args(const config::SnmpUsmUser& u, SnmpSecurityLevel level) {
  std::string out;
  if (level == SnmpSecurityLevel::none) return " -l noAuthNoPriv";
  if (u.auth == SnmpAuth::none) return {};
  out += level == SnmpSecurityLevel::privacy ? " -l authPriv" : " -l authNoPriv";
  out += std::string(" -a ") + (u.auth == SnmpAuth::md5 ? "MD5" : "SHA") + " -A " +
         quoted(u.auth_key.plain);
  if (level == SnmpSecurityLevel::privacy) {
    if (u.priv == SnmpPriv::none) return {};
    out += std::string(" -x ") + (u.priv == SnmpPriv::des56 ? "DES" : "AES") + " -X " +
           quoted(u.priv_key.plain);
  }
  return out;
}

}  // namespace

std::string render_snmpd_conf(const config::SnmpConfig& c, const RenderOptions& o) {
  std::string out = "# Written by vpdnd from its running configuration (snmp-agent ...).\n";
  out += "agentAddress " + (o.listen.empty() ? "udp:" + std::to_string(c.port) : o.listen) + "\n";
  out += "master agentx\n";
  out += "agentXSocket " + o.agentx_socket + "\n";
  out += "agentXPerms 0600 0700\n";
  out += "agentXTimeout 5\n";
  if (!c.contact.empty()) out += "sysContact " + c.contact + "\n";
  if (!c.location.empty()) out += "sysLocation " + c.location + "\n";
  out += "view vpdndAll included .1\n";

  bool v1 = c.has(SnmpVersion::v1), v2c = c.has(SnmpVersion::v2c);
  std::size_t n = 0;
  for (auto& com : c.communities) {
    if (!v1 && !v2c) break;
    std::string sec = "vpdndCommunity" + std::to_string(++n);
    out += "com2sec " + sec + " default " + com.name.plain + "\n";
    if (v1) out += "group " + sec + " v1 " + sec + "\n";
    if (v2c) out += "group " + sec + " v2c " + sec + "\n";
    // Nothing vpdnd serves is writable: a write community reads like a read one.
    out += "access " + sec + " \"\" any noauth exact vpdndAll none none\n";
  }
  if (c.has(SnmpVersion::v3)) {
    for (auto& [name, u] : c.users) {
      std::string line = "createUser " + name;
      std::string level = "noauth";
      if (u.auth != SnmpAuth::none) {
        line += std::string(u.auth == SnmpAuth::md5 ? " MD5 " : " SHA ") + quoted(u.auth_key.plain);
        level = "auth";
        if (u.priv != SnmpPriv::none) {
          line +=
              std::string(u.priv == SnmpPriv::des56 ? " DES " : " AES ") + quoted(u.priv_key.plain);
          level = "priv";
        }
      }
      out += line + "\n";
      out += "rouser " + name + " " + level + " .1\n";
    }
  }
  for (auto& t : c.targets) {
    std::string host = t.address.to_string() + ":" + std::to_string(t.port);
    if (t.version != SnmpVersion::v3) {
      out += "trapsess -v 2c -c " + t.security_name.plain + " " + host + "\n";
      continue;
    }
    const auto* u = find_user(c, t.security_name.plain);
    std::string args = u ? usm_args(*u, t.level) : std::string{};
    if (args.empty()) {
      out += "# target " + host + ": no USM user " + t.security_name.plain +
             " with keys for its security level\n";
      continue;
    }
    out += "trapsess -v 3 -u " + t.security_name.plain + args + " " + host + "\n";
  }
  return out;
}

}  // namespace vpdnd::snmp
