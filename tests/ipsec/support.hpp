// What the ipsec tests share: their text fixtures and the dial-in configuration of the README.
#pragma once

#include <string>

#include "ipsec/ipsec.hpp"
#include "tests/support/process.hpp"

namespace vpdnd::ipsec {

using test::read_file;

inline std::string fixture(const std::string& name) {
  return read_file(std::string(IPSEC_FIXTURES) + "/" + name);
}

inline Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

// The dial-in configuration of the README: any client, PSK, the client-friendly defaults,
// applied on eth1.
inline config::RunningConfig dial_in() {
  config::RunningConfig c;
  auto& s = c.ipsec;
  auto& k = s.keychains["clients"];
  k.name = "clients";
  k.keys.push_back({ip("0.0.0.0"), ip("0.0.0.0"), config::Secret{"Sup3r \"Secret\""}});
  auto& p = s.profiles["clients"];
  p.name = "clients";
  p.keychains = {"clients"};
  auto& t = s.transform_sets["l2tp"];
  t.name = "l2tp";
  t.mode = config::EncapsulationMode::transport;
  auto& tp = s.templates[{"dialin", 1}];
  tp.name = "dialin";
  tp.sequence = 1;
  tp.transform_sets = {"l2tp"};
  tp.ike_profile = "clients";
  auto& pol = s.policies[{"vpdn", 10}];
  pol.name = "vpdn";
  pol.sequence = 10;
  pol.template_name = "dialin";
  c.interfaces["eth1"].name = "eth1";
  c.interfaces["eth1"].ipsec_policy = "vpdn";
  return c;
}

// A policy naming one peer (192.0.2.7, sa duration 180 s) on a box whose L2TP group plays
// `role`: a LAC dialing that address, or an LNS.
inline config::RunningConfig named_peer(config::GroupMode role) {
  config::RunningConfig c = dial_in();
  auto& s = c.ipsec;
  s.policies.clear();
  s.keychains["clients"].keys.push_back({ip("192.0.2.7"), ip("255.255.255.255"), {"peer-key"}});
  auto& pol = s.policies[{"peer", 10}];
  pol.name = "peer";
  pol.sequence = 10;
  pol.remote_address = ip("192.0.2.7");
  pol.transform_sets = {"l2tp"};
  pol.ike_profile = "clients";
  pol.lifetime = 180;
  c.interfaces["eth1"].ipsec_policy = "peer";
  auto& g = c.l2tp_groups[1];
  g.number = 1;
  g.mode = role;
  if (role == config::GroupMode::lac) g.lns_addresses = {ip("192.0.2.7")};
  if (role == config::GroupMode::lns) g.allow_virtual_template = 1;
  return c;
}

}  // namespace vpdnd::ipsec
