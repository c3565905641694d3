// DOC: the authentication protocols of a PppSession, one file each (pap.cpp, chap.cpp,
// mschap.cpp), and the narrow interface they use to reach the session (AuthPort).
// Internal to ppp/core.
//
// The protocols keep no state of their own: what an exchange needs lives in AuthState (a few
// bytes inside the session, kept for its life) and AuthScratch (allocated while
// authenticating, freed once the session runs), so an established session pays nothing per
// protocol. The session decides which protocol runs (LCP's result, the VPDN mode), owns the
// Authenticator request and its answer, the timers and the teardown; a protocol turns packets
// into those requests and back. Protocol thread only; every call happens inside a session
// entry point, which performs the close requests and notices afterwards.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/mschap.hpp"
#include "ppp/ppp.hpp"

namespace vpdnd::ppp {

inline constexpr std::size_t kChallengeSize = 16;  // CHAP-MD5 and MS-CHAP-V2 challenges

// Which side of which exchange the session runs.
enum class AuthKind : std::uint8_t {
  none,
  pap_server,   // we wait for the peer's Authenticate-Request
  chap_server,  // we challenge (CHAP-MD5, MS-CHAP v1/v2 by AuthState::alg)
  proxy,        // LNS verifying the LAC's proxy authentication (no packets)
  pap_client,   // we send Authenticate-Requests
  chap_client,  // we answer Challenges
};

// Kept for the session's life (7 bytes, packed with the session's other flags).
struct AuthState {
  AuthKind kind = AuthKind::none;
  bool pending = false;         // an Authenticator request is outstanding
  bool done = false;            // the verdict is in (duplicates get the same answer)
  bool replied = false;         // our PAP Ack/Nak or CHAP Success/Failure went out
  bool reply_held = false;      // LAC: an MS-CHAP-V2 Success not sent (see the session)
  std::uint8_t id = 0;          // Identifier of the exchange in progress
  std::uint8_t alg = kChapMd5;  // CHAP Algorithm in use (server or client)
};

// Scratch of one authentication, freed once the session runs.
struct AuthScratch {
  unsigned tries = 0;  // Challenges / Authenticate-Requests sent
  std::array<std::uint8_t, kChallengeSize> challenge{};
  // MS-CHAP peer: what the server's Success must prove it computed from our password.
  std::array<std::uint8_t, kChallengeSize> peer_challenge{};
  mschap::NtResponse nt_response{};
};

// What a protocol needs from the session.
class AuthPort {
 public:
  virtual AuthState& auth() = 0;
  virtual AuthScratch& scratch() = 0;                     // allocated on first use
  virtual const AuthScratch* scratch_if_any() const = 0;  // without allocating
  // Output (protocol field added by the session) and input faults (counted; returns false).
  virtual void send(std::uint16_t protocol, ByteView packet) = 0;
  virtual bool drop_malformed(const char* what, const DecodeError& e) = 0;
  // Server: the peer claims `user`; ask the Authenticator. The answer reaches the session,
  // which replies through reply() below.
  virtual void claim(const std::string& user) = 0;
  virtual void verify(const AuthRequest& request) = 0;
  // The verdict's reply again, to a peer that retransmits because ours was lost.
  virtual void resend_reply(std::uint8_t id) = 0;
  virtual ProxyData* proxy_out() = 0;  // LAC: the proxy authentication for ICCN, else null
  // Client: the peer accepted us / refused us.
  virtual void accepted() = 0;
  virtual void keep_keys(const MppeKeys& keys) = 0;
  virtual void fail(DownReason reason, std::string why) = 0;
  // Timers: retransmit (Challenge / Authenticate-Request) after the restart period, give the
  // peer the authentication timeout, or stop whichever runs.
  virtual void retry_later() = 0;
  virtual void wait_for_peer() = 0;
  virtual void stop_waiting() = 0;
  virtual unsigned max_tries() const = 0;  // Max-Configure
  virtual void random(std::span<std::uint8_t> out) = 0;
  virtual std::string challenge_name() const = 0;
  virtual const std::string& client_user() const = 0;
  virtual const std::string& client_password() const = 0;

 protected:
  ~AuthPort() = default;
};

// The Authenticator's verdict as a reply to the peer is built from.
struct AuthVerdict {
  bool accepted = false;
  std::string_view message;
  const AuthResult* attrs = nullptr;  // null: none beyond the message
};

// PAP, RFC 1334.
namespace auth_pap {
// Client: an Authenticate-Request, retransmitted like a Configure-Request.
void send_request(AuthPort& s);
// A PAP packet while LCP is Opened; false: not taken (the session counts a drop).
bool receive(AuthPort& s, const ControlPacket& c);
// Our Ack/Nak to the request with Identifier `id`.
Bytes reply(std::uint8_t id, const AuthVerdict& v);
}  // namespace auth_pap

// CHAP, RFC 1994; the MS-CHAP specifics in auth_mschap.
namespace auth_chap {
// Server: challenge with `alg`, retransmitted on the restart timer up to Max-Configure.
void start(AuthPort& s, std::uint8_t alg);
void send_challenge(AuthPort& s);
// A CHAP packet while LCP is Opened, as server or (client) peer.
bool receive(AuthPort& s, const ControlPacket& c, bool client);
// Our Success/Failure to the Response with Identifier `id`.
Bytes reply(const AuthState& a, const AuthScratch* scratch, std::uint8_t id, const AuthVerdict& v);
std::size_t challenge_size(std::uint8_t alg);
AuthProtocol protocol(std::uint8_t alg);
}  // namespace auth_chap

// MS-CHAP v1 (RFC 2433) and v2 (RFC 2759) over CHAP.
namespace auth_mschap {
// Client: the Response value for the server's Challenge; false when the Challenge has the
// wrong size for the version.
bool response(AuthPort& s, std::uint8_t alg, ByteView challenge, Bytes& out);
// Client, v2: the Success proves the server knows our password (RFC 2759 §8.8).
bool server_proved(AuthPort& s, std::string_view message);
// Server: the text of our Success/Failure.
std::string reply_text(std::uint8_t alg, ByteView challenge, const AuthVerdict& v);
}  // namespace auth_mschap

}  // namespace vpdnd::ppp
