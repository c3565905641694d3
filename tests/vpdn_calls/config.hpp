// The calls tests' running configs, built by helpers named after the Comware commands
// they stand for, so each test states its configuration in a line per command instead of
// filling the model field by field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "startup-config/model.hpp"

namespace vpdnd::vpdn::test_config {

inline Ipv4 ipv4(const char* text) {
  return *Ipv4::parse(text);
}

// `interface Virtual-Template N`
inline config::VirtualTemplate& virtual_template(config::RunningConfig& c, std::uint16_t n) {
  auto& t = c.virtual_templates[n];
  t.number = n;
  return t;
}

// `interface Virtual-Template N` / `ppp authentication-mode chap` / `ip address A M` /
// `remote address pool P`: a template that terminates users.
inline config::VirtualTemplate& serving_template(config::RunningConfig& c, std::uint16_t n,
                                                 const char* address, const char* mask,
                                                 const std::string& pool) {
  auto& t = virtual_template(c, n);
  t.auth_modes = {config::PppAuthMode::chap};
  t.ip_address = ipv4(address);
  t.ip_mask = ipv4(mask);
  t.remote_pool = pool;
  return t;
}

// `ip pool NAME START END`
inline void ip_pool(config::RunningConfig& c, const std::string& name, const char* start,
                    const char* end) {
  config::IpPool p;
  p.name = name;
  p.start = ipv4(start);
  p.end = ipv4(end);
  c.ip_pools[name] = p;
}

// `domain NAME`
inline void domain(config::RunningConfig& c, const std::string& name) {
  c.domains[name].name = name;
}

// `local-user NAME` / `password simple PW` / `service-type ppp`
inline void ppp_user(config::RunningConfig& c, const std::string& name, const std::string& pw) {
  config::LocalUser u;
  u.name = name;
  u.password.plain = pw;
  u.service_types = static_cast<std::uint8_t>(config::ServiceType::ppp);
  c.local_users[name] = u;
}

// `l2tp-group N` / `allow l2tp virtual-template VT`
inline config::L2tpGroup& lns_group(config::RunningConfig& c, std::uint16_t n, std::uint16_t vt) {
  auto& g = c.l2tp_groups[n];
  g.number = n;
  g.allow_virtual_template = vt;
  return g;
}

// `l2tp-group N` / `start l2tp ip A ...` [`user domain|fullusername VALUE`]
inline config::L2tpGroup& lac_group(config::RunningConfig& c, std::uint16_t n,
                                    std::vector<Ipv4> lns) {
  auto& g = c.l2tp_groups[n];
  g.number = n;
  g.lns_addresses = std::move(lns);
  return g;
}
inline config::L2tpGroup& lac_group(config::RunningConfig& c, std::uint16_t n,
                                    std::vector<Ipv4> lns, config::LacMatchKind kind,
                                    const std::string& value) {
  auto& g = lac_group(c, n, std::move(lns));
  g.match_kind = kind;
  g.match_value = value;
  return g;
}

}  // namespace vpdnd::vpdn::test_config
