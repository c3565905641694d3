// libFuzzer target over RADIUS replies, as the client meets them:
//  - without a matching outstanding request: the datagram as it arrives, checked against a
//    request it does not belong to; it must be refused (a forger does not know the secret);
//  - with one: the input's attributes re-signed as the server holding the secret would
//    (Identifier, Response Authenticator, Message-Authenticator), which must pass the
//    checks, and then everything the client reads from an Access reply is decoded.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "aaa/radius/codec.hpp"

using namespace vpdnd::aaa::radius;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  static constexpr std::string_view kSecret = "s3cr3t";
  Authenticator ra{};
  for (std::size_t i = 0; i < ra.size(); ++i) ra[i] = static_cast<std::uint8_t>(0xa5 ^ i);
  const std::uint8_t id = 42;

  // No matching request (or a forged answer to one): never ok.
  for (bool accounting : {false, true})
    for (bool strict : {false, true}) {
      Packet p;
      if (check_reply(input, id, ra, kSecret, accounting, strict, &p) == ReplyCheck::ok) {
        // Only possible if the input happens to carry a valid MD5 keyed by our secret.
        (void)access_reply_from(p, kSecret, ra);
      }
    }

  // A matching request: the server's answer with these attributes.
  auto decoded = decode(input);
  if (!decoded) return 0;
  std::vector<Attribute> attributes;
  for (auto& a : decoded->attributes)
    if (a.type != PW_MESSAGE_AUTHENTICATOR && a.value.size() <= kMaxValue) attributes.push_back(a);
  for (std::uint8_t code :
       {PW_ACCESS_ACCEPT, PW_ACCESS_REJECT, PW_ACCESS_CHALLENGE, PW_ACCOUNTING_RESPONSE}) {
    const bool accounting = code == PW_ACCOUNTING_RESPONSE;
    auto reply = encode_reply(code, id, ra, attributes, kSecret, !accounting);
    if (reply.empty()) continue;  // too long once signed
    Packet p;
    if (check_reply(reply, id, ra, kSecret, accounting, true, &p) != ReplyCheck::ok) std::abort();
    if (!accounting) {
      int bad = 0;
      auto r = access_reply_from(p, kSecret, ra, &bad);
      if ((r.outcome == vpdnd::aaa::RadiusOutcome::accept) != (code == PW_ACCESS_ACCEPT))
        std::abort();
    }
    // One flipped octet anywhere must be refused.
    auto flipped = reply;
    flipped[size % flipped.size()] ^= 0x01;
    if (check_reply(flipped, id, ra, kSecret, accounting, true) == ReplyCheck::ok) std::abort();
  }
  return 0;
}
