// User-name splitting, CHAP-MD5, RFC 2868 tunnel-set ordering and enum names: the pure
// helpers of aaa.hpp.
#include <algorithm>
#include <cctype>

#include "aaa/aaa.hpp"
#include "common/digest.hpp"
#include "common/enum_names.hpp"

namespace vpdnd::aaa {

UserName split_user_name(std::string_view full, const config::L2tpGlobal& l2tp) {
  const char sep = l2tp.separator;
  if (l2tp.prefix_separator) {
    // `corp.com\alice`: the domain is what precedes the first separator.
    auto pos = full.find(sep);
    if (pos == std::string_view::npos) return {std::string(full), {}};
    return {std::string(full.substr(pos + 1)), std::string(full.substr(0, pos))};
  }
  // `alice@corp.com`: the domain follows the last separator, as in a mail address.
  auto pos = full.rfind(sep);
  if (pos == std::string_view::npos) return {std::string(full), {}};
  return {std::string(full.substr(0, pos)), std::string(full.substr(pos + 1))};
}

bool domain_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::array<std::uint8_t, 16> chap_md5(std::uint8_t id, std::string_view secret,
                                      const std::vector<std::uint8_t>& challenge) {
  return md5({ByteView(&id, 1), as_bytes(secret), challenge});  // RFC 1994 §4.1
}

std::vector<TunnelSet> order_l2tp_tunnels(std::vector<TunnelSet> sets) {
  std::erase_if(sets, [](const TunnelSet& t) {
    bool l2tp = t.type == 0 || t.type == 3;      // RFC 2868 §3.1: 3 = L2TP
    bool ipv4 = t.medium == 0 || t.medium == 1;  // §3.2: 1 = IPv4
    bool endpoint = t.server_endpoint.has_value() || !t.server_endpoint_text.empty();
    return !(l2tp && ipv4 && endpoint);
  });
  std::stable_sort(sets.begin(), sets.end(), [](const TunnelSet& a, const TunnelSet& b) {
    // RFC 2868 §3.8: the lowest Tunnel-Preference is the most preferred.
    std::uint64_t pa = a.preference ? *a.preference : (1ull << 32);
    std::uint64_t pb = b.preference ? *b.preference : (1ull << 32);
    if (pa != pb) return pa < pb;
    return a.tag < b.tag;
  });
  return sets;
}

std::string_view to_string(AuthFailure f) {
  static constexpr std::string_view kNames[] = {
      "none",          "no-such-user",        "bad-password",
      "user-blocked",  "service-not-allowed", "domain-blocked",
      "radius-reject", "radius-unreachable",  "config-error"};
  return enum_name<AuthFailure::none, AuthFailure::config_error>(f, kNames);
}

std::string_view to_string(RadiusOutcome o) {
  static constexpr std::string_view kNames[] = {"accept", "reject", "timeout", "error"};
  return enum_name<RadiusOutcome::accept, RadiusOutcome::error>(o, kNames);
}

std::string_view to_string(PoolError e) {
  static constexpr std::string_view kNames[] = {"no-such-pool", "exhausted", "address-not-in-pool",
                                                "address-in-use"};
  return enum_name<PoolError::no_such_pool, PoolError::address_in_use>(e, kNames);
}

}  // namespace vpdnd::aaa
