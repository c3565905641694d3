// DOC: what the LAC's PPP session learnt from the user and the L2TP engine carries to the
// LNS in ICCN (RFC 2661 §4.4.5 proxy LCP and authentication AVPs), and what the LNS's PPP
// engine starts from. Pure data shared by ppp/ (producer at the LAC, consumer at the LNS)
// and vpdn/ (encodes/decodes the AVPs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vpdnd::ppp {

// RFC 2661 §4.4.5 Proxy Authen Type values.
enum class ProxyAuthType : std::uint16_t {
  reserved = 0,
  textual = 1,  // username/password exchange
  chap = 2,     // PPP CHAP
  pap = 3,      // PPP PAP
  none = 4,     // no authentication
  mschap_v1 = 5,
};

struct ProxyData {
  // LCP CONFREQ bodies: the options only (no Code/Identifier/Length header), as the AVPs
  // carry them (RFC 2661 §4.4.5 says "the LCP CONFREQ ... starting with the first option").
  std::vector<std::uint8_t> initial_received_confreq;
  std::vector<std::uint8_t> last_sent_confreq;
  std::vector<std::uint8_t> last_received_confreq;

  ProxyAuthType auth_type = ProxyAuthType::none;
  std::string auth_name;                     // the user's full name as typed
  std::vector<std::uint8_t> auth_challenge;  // CHAP challenge we sent
  std::optional<std::uint8_t> auth_id;       // CHAP/PAP identifier
  std::vector<std::uint8_t> auth_response;   // CHAP response value, or the PAP password

  bool has_lcp() const { return !last_sent_confreq.empty() || !last_received_confreq.empty(); }
  bool operator==(const ProxyData&) const = default;
};

}  // namespace vpdnd::ppp
