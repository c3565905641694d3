// Internal to aaa/radius: the RADIUS wire format (RFC 2865 §3-5, RFC 2866 §3-4, RFC 3579
// §3.2). Pure functions over bytes, no I/O and no state; MD5 and HMAC-MD5 come from OpenSSL.
//
// radcli builds its packets only inside its blocking send path (rc_pack_list is static in
// sendserver.c), so the client encodes and checks packets here and owns its sockets.
#pragma once

#include <radcli/radcli.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aaa/aaa.hpp"
#include "common/digest.hpp"

namespace vpdnd::aaa::radius {

using Authenticator = std::array<std::uint8_t, 16>;

// RADIUS codes (RFC 2865 §3, RFC 2866 §4), attribute types (RFC 2865 §5, RFC 2866 §5,
// RFC 2869 §5, RFC 5176 §3.5) and RFC 2548's Microsoft vendor attributes are radcli's:
// <radcli/radcli.h> lists each as PW_<NAME> (PW_ACCESS_ACCEPT, PW_USER_NAME,
// PW_MS_CHAP2_RESPONSE under VENDOR_MICROSOFT, ...) with its RFC and value type.
// MS-CHAP-Error (RFC 2548 §2.1.5), the one Microsoft attribute radcli does not name.
constexpr std::uint8_t kMsChapError = 2;

constexpr std::size_t kHeaderSize = 20;
constexpr std::size_t kMaxPacket = 4096;  // RFC 2865 §3
constexpr std::size_t kMaxValue = 253;

struct Attribute {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
};

// Attribute list under construction; values longer than 253 octets are refused (false).
class AttributeList {
 public:
  bool add(std::uint8_t type, std::span<const std::uint8_t> value);
  bool add_string(std::uint8_t type, std::string_view s);  // empty: not added, true
  bool add_u32(std::uint8_t type, std::uint32_t v);
  // Vendor-Specific (RFC 2865 §5.26) holding one vendor attribute of the RFC's suggested
  // format: Vendor-Id(4) Vendor-Type(1) Vendor-Length(1) value. false when too long.
  bool add_vendor(std::uint32_t vendor, std::uint8_t type, std::span<const std::uint8_t> value);
  const std::vector<Attribute>& items() const { return items_; }

 private:
  std::vector<Attribute> items_;
};

using vpdnd::md5;  // common/digest: libcrypto's MD5, the one every protocol here uses
Authenticator hmac_md5(std::string_view key, std::span<const std::uint8_t> data);
inline std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// RFC 2865 §5.2 hiding of User-Password (padded to 16 octets; at most 128).
std::vector<std::uint8_t> hide_user_password(std::string_view password, std::string_view secret,
                                             const Authenticator& request_authenticator);
std::optional<std::string> unhide_user_password(std::span<const std::uint8_t> hidden,
                                                std::string_view secret,
                                                const Authenticator& request_authenticator);

// An Access-Request with a Message-Authenticator as its first attribute (RFC 3579 §3.2,
// and first so that no MD5 prefix can precede it). `request_authenticator` is the random
// Request Authenticator. nullopt when the packet would exceed 4096 octets.
std::optional<std::vector<std::uint8_t>> encode_access_request(
    std::uint8_t id, const Authenticator& request_authenticator,
    const std::vector<Attribute>& attributes, std::string_view secret);

// An Accounting-Request; its Request Authenticator is MD5(Code+ID+Length+16 zero
// octets+Attributes+Secret) (RFC 2866 §3) and can be read back from octets 4-19.
std::optional<std::vector<std::uint8_t>> encode_accounting_request(
    std::uint8_t id, const std::vector<Attribute>& attributes, std::string_view secret);

// A reply as a server would build it (tests, benchmark, fuzz seeds): Response
// Authenticator per RFC 2865 §3, and with `message_authenticator` a correct
// Message-Authenticator first.
std::vector<std::uint8_t> encode_reply(std::uint8_t code, std::uint8_t id,
                                       const Authenticator& request_authenticator,
                                       const std::vector<Attribute>& attributes,
                                       std::string_view secret, bool message_authenticator);

struct Packet {
  std::uint8_t code = 0;
  std::uint8_t id = 0;
  Authenticator authenticator{};
  std::vector<Attribute> attributes;
};

// Structure only: 20 <= Length <= 4096, Length <= datagram size (octets past Length are
// padding and ignored, RFC 2865 §3), attributes of length >= 2 that tile the packet exactly.
std::optional<Packet> decode(std::span<const std::uint8_t> datagram);

enum class ReplyCheck : std::uint8_t {
  ok,
  malformed,                      // decode() failed
  bad_code,                       // not a reply to this kind of request
  bad_id,                         // Identifier differs from the request's
  bad_authenticator,              // Response Authenticator wrong (forged or other secret)
  bad_message_authenticator,      // present but wrong
  missing_message_authenticator,  // absent and required
};
std::string_view to_string(ReplyCheck c);

// An integer attribute's value (RFC 2865 §5: 4 octets, network order); nullopt otherwise.
std::optional<std::uint32_t> as_u32(const std::vector<std::uint8_t>& value);

// RFC 3579 §3.2 on the first `length` bytes of a packet decode() accepted, its
// Authenticator field already holding what the HMAC covers there: `missing` without a
// Message-Authenticator; `bad` with several, one of another length, or a wrong one; `ok`
// with one that is right. The attribute's value in `packet` is zeroed on the way.
enum class MessageAuthenticatorCheck : std::uint8_t { missing, ok, bad };
MessageAuthenticatorCheck check_message_authenticator(std::vector<std::uint8_t>& packet,
                                                      std::size_t length, std::string_view secret);

// Everything RFC 2865 §3 / RFC 2866 §3 / RFC 3579 §3.2 require before a reply may be used.
// `accounting`: the request was an Accounting-Request (only Accounting-Response fits, and
// Message-Authenticator is neither required nor checked). `require_message_authenticator`
// applies to Access-Accept/Reject/Challenge; a Message-Authenticator that is present is
// always checked. On ok, `out` (if given) receives the decoded packet.
ReplyCheck check_reply(std::span<const std::uint8_t> datagram, std::uint8_t id,
                       const Authenticator& request_authenticator, std::string_view secret,
                       bool accounting, bool require_message_authenticator, Packet* out = nullptr);

// What an Access reply that passed check_reply() grants: outcome by code (a Challenge is a
// reject: PPP PAP/CHAP cannot relay it), Reply-Message lines, Framed-IP-Address (not the
// RFC 2865 §5.8 "user/NAS picks" values), Framed-Pool, Session/Idle-Timeout, the RFC 2548
// MS-CHAP2-Success / MS-CHAP-Error texts and MS-MPPE keys (RFC 2548 §2.4.2-3: decrypted
// with the secret and the request's authenticator), and the RFC 2868 tunnel sets (Tunnel-Password
// decrypted with the request's authenticator; ones that do not decrypt are counted in
// `bad_tunnel_passwords`). The vendor attributes of `vendor` inside Vendor-Specific attributes (RFC
// 2865 §5.26 suggested format, several per attribute allowed); malformed Vendor-Specific values are
// skipped.
std::vector<Attribute> vendor_attributes(const std::vector<Attribute>& attributes,
                                         std::uint32_t vendor);

// RFC 2548 Access-Request attributes for MS-CHAP credentials: MS-CHAP-Challenge and
// MS-CHAP-Response (v1) or MS-CHAP2-Response (v2), re-ordered from PPP's Response value.
// false when the credentials are malformed (challenge or response of the wrong size).
bool add_mschap(AttributeList& a, const MsChapCredentials& c);

RadiusAccessReply access_reply_from(const Packet& p, std::string_view secret,
                                    const Authenticator& request_authenticator,
                                    int* bad_tunnel_passwords = nullptr);

}  // namespace vpdnd::aaa::radius
