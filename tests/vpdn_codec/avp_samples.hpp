// A value of the right kind and length for any AVP, varied by `seed`: what the codec tests
// put in every AVP of every message type.
#pragma once

#include <cstdint>
#include <string>

#include "ppp/ppp.hpp"
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {

inline Bytes sample_value(const AvpInfo& info, std::uint8_t seed) {
  switch (info.kind) {
    case AvpValueKind::empty:
      return {};
    case AvpValueKind::u16:
      return {seed, 0x02};
    case AvpValueKind::u32:
      return {0, seed, 0, 3};
    case AvpValueKind::u64:
      return {1, 2, 3, 4, 5, 6, 7, seed};
    case AvpValueKind::string: {
      const std::string s = "name-" + std::to_string(seed);
      return Bytes(s.begin(), s.end());
    }
    case AvpValueKind::bytes:
      return Bytes(info.min_len > 16 ? info.min_len : 16, seed);
    case AvpValueKind::result_code:
      return {0, 2, 0, 8, 'h', 'i'};
    case AvpValueKind::q931_cause:
      return {0, 16, 1, 'x'};
    case AvpValueKind::call_errors:
      return Bytes(26, seed);
    case AvpValueKind::accm:
      return {0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    case AvpValueKind::protocol_version:
      return {1, 0};
  }
  return {};
}

// What a LAC forwards for a CHAP user (RFC 2661 §4.4.5): every proxy AVP but the initial
// Configure-Request, filled.
inline ppp::ProxyData sample_chap_proxy() {
  ppp::ProxyData p;
  p.last_sent_confreq = {1, 4, 5, 0xd4, 5, 6, 1, 2, 3, 4};
  p.last_received_confreq = {1, 4, 5, 0xd4, 3, 5, 0xc2, 0x23, 5};
  p.auth_type = ppp::ProxyAuthType::chap;
  p.auth_name = "user@example.com";
  p.auth_challenge = Bytes(16, 1);
  p.auth_id = 7;
  p.auth_response = Bytes(16, 2);
  return p;
}

}  // namespace vpdnd::vpdn
