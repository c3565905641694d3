// DOC: Microsoft CHAP computations: MS-CHAP v1 (RFC 2433), MS-CHAP v2 (RFC 2759) and the
// MPPE start keys derived from them (RFC 3079), plus the text forms of the Success and
// Failure messages both sides exchange. Pure functions over bytes, shared by the PPP session
// (authenticator and peer) and AAA (local users, RADIUS replies). Every hash and cipher
// (MD4, DES, SHA-1) is libcrypto's: MD4 and DES come from OpenSSL 3's legacy provider,
// loaded into a private library context so the process-wide default one is left as it is.
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace vpdnd::mschap {

using Hash16 = std::array<std::uint8_t, 16>;
using NtResponse = std::array<std::uint8_t, 24>;
using Challenge8 = std::array<std::uint8_t, 8>;

inline constexpr std::size_t kV1ChallengeSize = 8;   // RFC 2433 §5
inline constexpr std::size_t kV2ChallengeSize = 16;  // RFC 2759 §4
inline constexpr std::size_t kResponseSize = 49;     // both versions' Response value
inline constexpr unsigned kErrorAuthFailure = 691;   // ERROR_AUTHENTICATION_FAILURE

// True when libcrypto offers MD4 and DES (OpenSSL 3: the legacy provider is installed).
// The functions below abort when it does not: a made-up hash would silently weaken
// authentication.
bool available();

// NtPasswordHash: MD4 over the password in UTF-16LE. `password` is UTF-8; a byte that is
// not valid UTF-8 counts as the Latin-1 character of that value.
Hash16 nt_password_hash(std::string_view password);
Hash16 hash_nt_password_hash(const Hash16& password_hash);

// RFC 2759 §8.2 ChallengeHash: SHA-1(PeerChallenge | AuthenticatorChallenge | UserName),
// first 8 octets. As the RFC says, only the user name counts: a Windows-style
// "DOMAIN\user" is hashed as "user".
Challenge8 challenge_hash(ByteView peer_challenge, ByteView authenticator_challenge,
                          std::string_view user_name);

// RFC 2433 §A.5 / RFC 2759 §8.5 ChallengeResponse: the 8-octet challenge DES-encrypted
// with three keys cut from the 16-octet hash padded to 21 octets.
NtResponse challenge_response(const Challenge8& challenge, const Hash16& password_hash);

// MS-CHAP v1 NT-Response (RFC 2433 §A.1). `challenge` must be 8 octets (else all zero
// input is not used: the result is for an 8-octet prefix padded with zeros).
NtResponse v1_nt_response(ByteView challenge, const Hash16& password_hash);

// MS-CHAP v2 GenerateNTResponse (RFC 2759 §8.1).
NtResponse v2_nt_response(ByteView authenticator_challenge, ByteView peer_challenge,
                          std::string_view user_name, const Hash16& password_hash);

// RFC 2759 §8.7 GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits.
std::string authenticator_response(const Hash16& password_hash, const NtResponse& nt_response,
                                   ByteView peer_challenge, ByteView authenticator_challenge,
                                   std::string_view user_name);
// RFC 2759 §8.8 CheckAuthenticatorResponse, in constant time; `received` is the 42
// characters "S=..." (hex case ignored).
bool check_authenticator_response(const Hash16& password_hash, const NtResponse& nt_response,
                                  ByteView peer_challenge, ByteView authenticator_challenge,
                                  std::string_view user_name, std::string_view received);

// MPPE keys as the authenticator (server) uses them: `send` encrypts towards the peer.
// A peer's send key is the server's receive key and the other way round.
struct MppeKeys {
  Hash16 send{};
  Hash16 recv{};
  bool operator==(const MppeKeys&) const = default;
};
// RFC 3079 §3.4 GetMasterKey.
Hash16 master_key(const Hash16& password_hash_hash, const NtResponse& nt_response);
// RFC 3079 §3.4 GetAsymmetricStartKey, 16 octets.
Hash16 asymmetric_start_key(const Hash16& master_key, bool is_send, bool is_server);
// 128-bit start keys from MS-CHAP v2 (RFC 3079 §3).
MppeKeys v2_mppe_keys(const Hash16& password_hash, const NtResponse& nt_response, bool is_server);
// 128-bit start key from MS-CHAP v1 (RFC 3079 §2.4 Get_Start_Key): the same both ways.
MppeKeys v1_mppe_keys(const Hash16& password_hash, ByteView challenge);
// The same from the password hash's hash (what a RADIUS server sends as the NT key of
// MS-CHAP-MPPE-Keys) and the 8-octet challenge.
MppeKeys v1_mppe_keys_from_hash_hash(const Hash16& password_hash_hash, ByteView challenge);

// ---- the 49-octet Response values (RFC 2433 §5, RFC 2759 §4) ---------------------------
struct V1Response {
  std::array<std::uint8_t, 24> lm_response{};  // ignored: LAN Manager hashes are not used
  NtResponse nt_response{};
  std::uint8_t flags = 1;  // 1: use the NT-Response
};
struct V2Response {
  std::array<std::uint8_t, 16> peer_challenge{};
  NtResponse nt_response{};
  std::uint8_t flags = 0;  // reserved, zero
};
// nullopt unless exactly 49 octets (v2: and the 8 reserved octets zero, as the RFC asks).
std::optional<V1Response> parse_v1_response(ByteView value);
std::optional<V2Response> parse_v2_response(ByteView value);
Bytes encode_v1_response(const V1Response& r);
Bytes encode_v2_response(const V2Response& r);

// ---- verification, as an authenticator does it ----------------------------------------
struct Verified {
  std::string authenticator_response;  // v2: "S=..." for the Success message; v1: empty
  MppeKeys keys;
};
// nullopt: malformed response or wrong password. Constant-time comparison.
std::optional<Verified> verify_v1(std::string_view password, ByteView challenge,
                                  ByteView response_value);
std::optional<Verified> verify_v2(std::string_view password, ByteView authenticator_challenge,
                                  ByteView response_value, std::string_view user_name);

// ---- Success and Failure messages (RFC 2759 §5 and §6, RFC 2433 §6) ---------------------
// v2 Success: "S=<auth response> M=<message>".
std::string v2_success_message(std::string_view auth_response, std::string_view message);
// "E=691 R=0 C=<challenge hex> V=3 M=<message>" (the challenge part only when given).
std::string failure_message(unsigned error, bool retry, ByteView challenge,
                            std::string_view message);
// The "S=" value (42 characters) from a v2 Success message; nullopt when absent/malformed.
std::optional<std::string> success_authenticator(std::string_view message);
struct Failure {
  unsigned error = 0;
  bool retry = false;
  std::string message;  // the M= text, may be empty
};
// nullopt when the message has no E= field.
std::optional<Failure> parse_failure(std::string_view message);

}  // namespace vpdnd::mschap
