// DOC: the PPP session's public surface (library vpdnd_ppp_core).
//
// Two layers:
//  1. A pure codec (RFC 1661 frames and control packets, LCP/IPCP options, PAP RFC 1334,
//     CHAP RFC 1994, DNS options RFC 1877). No I/O, no logging; every decoder returns
//     Result<T, DecodeError> and never reads past its span.
//  2. PppSession, one per user: LCP (+echo keepalive), PAP/CHAP-MD5 as authenticator or
//     as peer, IPCP as server or client, and the VPDN modes (LAC producing ProxyData, LNS
//     consuming it). It talks to the world only through the interfaces below:
//       PppLowerLayer   frames out (protocol + payload, no FF 03, no HDLC);
//       PppListener     events up (ready-to-tunnel, up, down);
//       Authenticator   asynchronous user check (the integration adapts AAA to it);
//       AddressProvider the peer's address for IPCP (pool / RADIUS Framed-IP);
//       TimerService    restart, echo and auth timers (common/timer.hpp).
//
// Wiring (integration):
//   - per user: SessionConfig c = config_from_template(vt); set c.mode, c.tag, c.mru
//     (PPPoE 1492), c.chap_name (our host name); LNS: c.proxy (from ICCN) and the group's
//     mandatory_lcp / mandatory_chap; client: c.user / c.password.
//   - PppSession s(c, lower, listener, timers, &authenticator, &addresses); s.start() once
//     the PPPoE/L2TP session is up; every PPP frame from the link -> s.receive(frame):
//     Disposition::ip -> Frame::payload is an IPv4 datagram for the data plane;
//     Disposition::passthrough (LAC after hand_over()) -> switch the frame to L2TP as is.
//     IP towards the user: lower.send(encode_frame(proto::ip, datagram)).
//   - LAC: on_ready_to_tunnel(proxy, auth) -> either hand_over() and put `proxy` into ICCN,
//     or continue_locally(). Tunnel setup failed -> close().
//   - on_down(reason): tear the lower layer down (PADT / CDN) and destroy the session (may
//     be done inside the callback). The session already released its address.
//   - link gone (PADT, CDN, tunnel down): lower_down() -> on_down(lower_down) at once.
//
// Threading: everything runs on the protocol thread; no locks. Authenticator callbacks must
// be invoked on the protocol thread (synchronously from authenticate() is allowed).
// Lifetime: PppSession may be destroyed at any time, including from inside a listener
// callback it made (it defers nothing after such a call); destroying it cancels its
// timers and any pending Authenticator request and releases the address it acquired.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/codec_error.hpp"
#include "common/ipv4.hpp"
#include "common/mschap.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
#include "ppp/proxy.hpp"

namespace vpdnd::config {
struct VirtualTemplate;
}

namespace vpdnd::ppp {

// ---- protocol numbers (RFC 1661 §2, assigned numbers) -------------------------------
namespace proto {
inline constexpr std::uint16_t ip = 0x0021;
inline constexpr std::uint16_t ipv6 = 0x0057;
inline constexpr std::uint16_t ipcp = 0x8021;
inline constexpr std::uint16_t ipv6cp = 0x8057;
inline constexpr std::uint16_t ccp = 0x80fd;
inline constexpr std::uint16_t lcp = 0xc021;
inline constexpr std::uint16_t pap = 0xc023;
inline constexpr std::uint16_t chap = 0xc223;
}  // namespace proto

// Control packet codes shared by LCP and IPCP (RFC 1661 §5); LCP adds 8..11.
enum class Code : std::uint8_t {
  configure_request = 1,
  configure_ack = 2,
  configure_nak = 3,
  configure_reject = 4,
  terminate_request = 5,
  terminate_ack = 6,
  code_reject = 7,
  protocol_reject = 8,
  echo_request = 9,
  echo_reply = 10,
  discard_request = 11,
};
std::string_view to_string(
    Code code);  // "ConfReq", "ConfAck", ... "Code(42)" never (see code_name)
std::string code_name(std::uint16_t protocol, std::uint8_t code);  // for debug lines
std::string protocol_name(std::uint16_t protocol);                 // "LCP", "0x8057", ...

// LCP option types (RFC 1661 §6) and IPCP option types (RFC 1332 §3, RFC 1877).
namespace lcp_opt {
inline constexpr std::uint8_t mru = 1, accm = 2, auth_protocol = 3, quality_protocol = 4,
                              magic_number = 5, pfc = 7, acfc = 8;
}
namespace ipcp_opt {
inline constexpr std::uint8_t ip_addresses = 1, ip_compression = 2, ip_address = 3,
                              primary_dns = 129, primary_nbns = 130, secondary_dns = 131,
                              secondary_nbns = 132;
}
inline constexpr std::uint8_t kChapMd5 = 5;      // CHAP Algorithm, RFC 1994 §3
inline constexpr std::uint8_t kChapMsV1 = 0x80;  // MS-CHAP, RFC 2433 §2
inline constexpr std::uint8_t kChapMsV2 = 0x81;  // MS-CHAP-V2, RFC 2759 §2

enum class DecodeErrorKind : std::uint8_t {
  truncated,     // fewer bytes than a header or a length field promises
  bad_length,    // a length field below its minimum / not matching a fixed size
  bad_protocol,  // protocol field not odd in its low octet / even high octet (RFC 1661 §2)
  bad_value,     // a field's value is outside what the RFC allows
  bad_code,      // a code this packet kind does not define
};
using DecodeError = CodecError<DecodeErrorKind>;
std::string to_string(const DecodeError& e);

// ---- frames -------------------------------------------------------------------------
// A PPP frame as the lower layers give it: optional Address/Control `FF 03` (absent when
// ACFC is in use, or when the lower layer strips it), then the protocol field (1 octet when
// compressed with PFC, RFC 1661 §6.5), then the information field.
struct Frame {
  std::uint16_t protocol = 0;
  ByteView payload;
};
Result<Frame, DecodeError> decode_frame(ByteView data);
// What PppLowerLayer::send gets: 2-octet protocol + payload (no FF 03, no PFC).
Bytes encode_frame(std::uint16_t protocol, ByteView payload);
// With the Address/Control field and/or a compressed protocol field (PFC applies only to
// protocols < 0x100).
Bytes encode_frame(std::uint16_t protocol, ByteView payload, bool address_control,
                   bool compress_protocol);

// ---- control packets (LCP, IPCP, PAP, CHAP share Code/Identifier/Length) ---------------
struct ControlPacket {
  std::uint8_t code = 0;
  std::uint8_t id = 0;
  ByteView data;  // the bytes after the 4-octet header, up to Length (padding dropped)
};
Result<ControlPacket, DecodeError> decode_control(ByteView data);
Bytes encode_control(std::uint8_t code, std::uint8_t id, ByteView data);

// Raw option list (type, length, value) of a Configure-* packet.
struct RawOption {
  std::uint8_t type = 0;
  Bytes value;
  bool operator==(const RawOption&) const = default;
};
Result<std::vector<RawOption>, DecodeError> decode_options(ByteView data);
void encode_option(ByteWriter& w, std::uint8_t type, ByteView value);
Bytes encode_options(const std::vector<RawOption>& options);

enum class AuthProtocol : std::uint8_t { none, pap, chap_md5, mschap_v1, mschap_v2 };
std::string_view to_string(AuthProtocol p);  // "none", "PAP", "CHAP", "MS-CHAP", "MS-CHAP-V2"
// The CHAP Algorithm octet of a CHAP-based protocol (0 for none/PAP).
std::uint8_t chap_algorithm(AuthProtocol p);

// Typed LCP options (RFC 1661 §6). Options we do not know are kept in `unknown` so the
// negotiation can Configure-Reject them verbatim.
struct LcpOptions {
  std::optional<std::uint16_t> mru;
  std::optional<std::uint32_t> accm;
  std::optional<AuthProtocol> auth;
  // The raw Auth-Protocol value when it is none of the above (e.g. CHAP with SHA-1).
  std::optional<std::pair<std::uint16_t, Bytes>> auth_other;
  std::optional<std::uint32_t> magic;
  bool pfc = false;
  bool acfc = false;
  std::vector<RawOption> unknown;
  bool operator==(const LcpOptions&) const = default;
};
Result<LcpOptions, DecodeError> decode_lcp_options(ByteView data);
Bytes encode_lcp_options(const LcpOptions& o);  // in type order; `unknown` appended

// Typed IPCP options (RFC 1332 §3.3, RFC 1877).
struct IpcpOptions {
  std::optional<Ipv4> address;
  std::optional<Ipv4> primary_dns;
  std::optional<Ipv4> secondary_dns;
  std::vector<RawOption> unknown;
  bool operator==(const IpcpOptions&) const = default;
};
Result<IpcpOptions, DecodeError> decode_ipcp_options(ByteView data);
Bytes encode_ipcp_options(const IpcpOptions& o);

// LCP Echo-Request/Reply/Discard-Request body (RFC 1661 §5.8).
struct EchoBody {
  std::uint32_t magic = 0;
  ByteView data;
};
Result<EchoBody, DecodeError> decode_echo(ByteView data);
// Protocol-Reject body (RFC 1661 §5.7).
struct ProtocolRejectBody {
  std::uint16_t protocol = 0;
  ByteView info;
};
Result<ProtocolRejectBody, DecodeError> decode_protocol_reject(ByteView data);

// PAP (RFC 1334 §2.2).
namespace pap_code {
inline constexpr std::uint8_t request = 1, ack = 2, nak = 3;
}
struct PapRequest {
  std::uint8_t id = 0;
  std::string peer_id;
  std::string password;
  bool operator==(const PapRequest&) const = default;
};
struct PapReply {
  std::uint8_t code = pap_code::ack;  // ack or nak
  std::uint8_t id = 0;
  std::string message;
  bool operator==(const PapReply&) const = default;
};
Result<PapRequest, DecodeError> decode_pap_request(const ControlPacket& p);
Result<PapReply, DecodeError> decode_pap_reply(const ControlPacket& p);
Bytes encode_pap_request(const PapRequest& r);  // control packet (no protocol field)
Bytes encode_pap_reply(const PapReply& r);

// CHAP (RFC 1994 §4).
namespace chap_code {
inline constexpr std::uint8_t challenge = 1, response = 2, success = 3, failure = 4;
}
struct ChapValue {  // Challenge or Response
  std::uint8_t code = chap_code::challenge;
  std::uint8_t id = 0;
  Bytes value;
  std::string name;
  bool operator==(const ChapValue&) const = default;
};
struct ChapStatus {  // Success or Failure
  std::uint8_t code = chap_code::success;
  std::uint8_t id = 0;
  std::string message;
  bool operator==(const ChapStatus&) const = default;
};
Result<ChapValue, DecodeError> decode_chap_value(const ControlPacket& p);
Result<ChapStatus, DecodeError> decode_chap_status(const ControlPacket& p);
Bytes encode_chap_value(const ChapValue& v);
Bytes encode_chap_status(const ChapStatus& s);
// RFC 1994 §4.1: MD5(Identifier || secret || Challenge), 16 octets. OpenSSL EVP.
Bytes chap_md5_response(std::uint8_t id, std::string_view secret, ByteView challenge);

// ---- interfaces the session talks through -------------------------------------------

// The link below: L2TP data channel, PPPoE session, or an in-memory pair in tests.
class PppLowerLayer {
 public:
  virtual ~PppLowerLayer() = default;
  // frame = 2-octet protocol + information field. The lower layer adds FF 03 if its
  // framing wants it (L2TP usually does, PPPoE does not).
  virtual void send(ByteView frame) = 0;
};

enum class AuthMethod : std::uint8_t { pap, chap_md5, mschap_v1, mschap_v2 };
AuthProtocol to_protocol(AuthMethod m);

struct AuthRequest {
  AuthMethod method = AuthMethod::chap_md5;
  std::string user;      // as the peer typed it (the Authenticator splits domains)
  std::string password;  // PAP only (secret: never log)
  std::uint8_t chap_id = 0;
  Bytes chap_challenge;  // MS-CHAP: the Authenticator Challenge (v1 8, v2 16 octets)
  Bytes chap_response;   // MS-CHAP: the 49-octet Response value (RFC 2433 §5, RFC 2759 §4)
  bool proxied = false;  // LNS verifying the LAC's proxy authentication
};

// MPPE start keys (RFC 3079) from an MS-CHAP authentication, this side's view: `send`
// encrypts towards the other end. Kept with the session for MPPE; never logged.
using MppeKeys = mschap::MppeKeys;

struct AuthResult {
  bool accepted = false;
  std::string message;                 // PAP message / CHAP Success-Failure text sent to the peer
  std::optional<Ipv4> framed_address;  // RADIUS Framed-IP-Address
  std::string framed_pool;             // RADIUS Framed-Pool
  std::optional<std::chrono::seconds>
      session_timeout;  // enforced by PppSession (down: session_timeout)
  std::optional<std::chrono::seconds>
      idle_timeout;  // enforced by the owner, which sees the user data
  // MS-CHAP v2: the authenticator response "S=<40 hex>" for the Success message (computed
  // locally, or RADIUS MS-CHAP2-Success). Empty: none known.
  std::string mschap_auth_response;
  // MS-CHAP: a Failure text to send as is (RADIUS MS-CHAP-Error); empty: "E=691 R=0 ...".
  std::string mschap_error;
  std::optional<MppeKeys> mppe_keys;
  bool operator==(const AuthResult&) const = default;
};

// Asynchronous user check. The answer comes through `done` exactly once unless cancel()
// is called first; after cancel(), `done` must not be called.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  using Handle = std::uint64_t;
  using Done = std::function<void(AuthResult)>;
  virtual Handle authenticate(const AuthRequest& request, Done done) = 0;
  virtual void cancel(Handle handle) = 0;
  // The Name field of our CHAP Challenges, asked for each Challenge so a configuration
  // change (Comware: the sysname) applies without a per-session copy. Empty: the session's
  // SessionConfig::chap_name.
  virtual std::string challenge_name() const { return {}; }
};

// The peer's address for IPCP (server side). Called once per session, after
// authentication; the session releases what it acquired exactly once when it ends.
class AddressProvider {
 public:
  virtual ~AddressProvider() = default;
  // nullopt: no address available (IPCP then fails and the session goes down).
  virtual std::optional<Ipv4> acquire(const std::string& user, const AuthResult& auth) = 0;
  virtual void release(Ipv4 address) = 0;
};

// Why a session went down (drives L2TP CDN / accounting Acct-Terminate-Cause).
enum class DownReason : std::uint8_t {
  admin,              // close() called
  lower_down,         // lower_down() called (the link went)
  peer_terminated,    // Terminate-Request from the peer
  auth_failed,        // the peer failed authentication / we failed it (client)
  auth_timeout,       // no Auth-Request / Response in time
  lcp_failed,         // LCP did not converge (Max-Configure/Max-Failure, refused options)
  ipcp_failed,        // IPCP did not converge or no address
  echo_timeout,       // keepalive: N Echo-Requests unanswered
  loopback,           // Magic-Number loop detected
  session_timeout,    // AuthResult::session_timeout expired
  protocol_rejected,  // the peer Protocol-Rejected LCP/IPCP
};
std::string_view to_string(DownReason r);

struct SessionUpInfo {
  std::string user;                                // the authenticated name (empty when no auth)
  Ipv4 local_address;                              // ours (IPCP)
  Ipv4 peer_address;                               // the peer's
  std::optional<Ipv4> primary_dns, secondary_dns;  // client mode: learnt
  AuthProtocol auth = AuthProtocol::none;
  AuthResult auth_result;  // attributes from the Authenticator (server modes)
  std::uint16_t peer_mru = 1500;
};

class PppListener {
 public:
  virtual ~PppListener() = default;
  // LAC mode: LCP and authentication done; IPCP not started. The integration tunnels
  // (then calls hand_over()) or terminates locally (continue_locally()).
  virtual void on_ready_to_tunnel(const ProxyData& proxy, const AuthResult& auth) = 0;
  // IPCP opened: the network layer is up.
  virtual void on_up(const SessionUpInfo& info) = 0;
  // The session is finished (after Terminate exchange or at once on lower_down). Called
  // once. The session may be destroyed from inside this call.
  virtual void on_down(DownReason reason, std::string_view detail) = 0;
};

// ---- the session ----------------------------------------------------------------------
enum class SessionMode : std::uint8_t {
  local,   // server, full LCP + auth + IPCP (LNS without proxy, PPPoE local termination)
  lac,     // server, LCP + auth, then on_ready_to_tunnel with ProxyData; no IPCP
  lns,     // server with optional ProxyData + mandatory_lcp / mandatory_chap rules
  client,  // peer: LCP, answer PAP/CHAP with credentials, IPCP client
};

struct FsmTimers {
  Duration restart = 3s;  // RFC 1661 §4.6 Restart timer
  unsigned max_configure = 10;
  unsigned max_terminate = 2;
  unsigned max_failure = 5;
};

struct SessionConfig {
  SessionMode mode = SessionMode::local;
  // Server: methods we ask the peer for, in preference order (template
  // `ppp authentication-mode`); empty = no authentication.
  // Client: methods we agree to authenticate with (others are Nak'd with the first);
  // empty = CHAP-MD5 or PAP.
  std::vector<AuthMethod> auth_methods;
  std::uint16_t mru = 1500;  // what we ask for in LCP (PPPoE: 1492)
  bool request_pfc = false, request_acfc = false;
  // Server IPCP: our address (template `ip address`) and DNS to give (`ppp ipcp dns`).
  Ipv4 local_address;
  std::optional<Ipv4> dns_primary, dns_secondary;
  // Client IPCP: ask for DNS (RFC 1877).
  bool request_dns = true;
  // Keepalive (`ppp timer hold`): 0 = off.
  Duration echo_interval = 10s;
  unsigned echo_max_missed = 5;
  Duration auth_timeout = 30s;  // waiting for the peer's Auth-Request / CHAP Response
  FsmTimers timers;
  // Client credentials.
  std::string user;
  std::string password;             // PAP password / CHAP secret
  std::string chap_name = "vpdnd";  // our name in CHAP Challenges
  // LNS.
  std::optional<ProxyData> proxy;
  bool mandatory_lcp = false;
  bool mandatory_chap = false;
  // Identifies the session in debug lines, e.g. "pppoe 12" or "l2tp 4711/8".
  std::string tag;
  // Random octets for Magic-Numbers and CHAP challenges; default OpenSSL RAND_bytes.
  std::function<void(std::span<std::uint8_t>)> random;
};

// Server settings from a virtual template: auth methods, `ip address`, DNS, hold timer,
// MTU as MRU. Mode and tag are left for the caller.
SessionConfig config_from_template(const config::VirtualTemplate& t);

struct SessionCounters {
  std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  std::uint64_t control_in = 0, control_out = 0;
  std::uint64_t ip_in = 0;  // IP frames reported to the caller as data
  std::uint64_t echo_sent = 0, echo_replies = 0;
  std::uint64_t protocol_rejects_sent = 0, code_rejects_sent = 0;
  std::uint64_t drop_malformed = 0, drop_not_ready = 0, drop_bad_state = 0;
};

enum class Phase : std::uint8_t {
  dead,
  establish,
  authenticate,
  network,
  running,
  terminate,
  handed_over,
  tunnel_ready
};
std::string_view to_string(Phase p);

// What receive() did with a frame.
enum class Disposition : std::uint8_t {
  control,      // consumed by the PPP session
  ip,           // an IPv4 datagram and IPCP is open: the caller forwards Frame::payload
  dropped,      // malformed / not accepted in this phase (counted)
  passthrough,  // handed over (LAC tunnelling): the caller switches the frame unchanged
};

class PppSession {
 public:
  PppSession(SessionConfig config, PppLowerLayer& lower, PppListener& listener,
             TimerService& timers, Authenticator* authenticator = nullptr,
             AddressProvider* addresses = nullptr);
  ~PppSession();
  PppSession(const PppSession&) = delete;
  PppSession& operator=(const PppSession&) = delete;

  // The lower layer is up (PPPoE session / L2TP session established): start LCP (or, at
  // an LNS with proxy data, start from the proxied state).
  void start();
  // A frame from the lower layer (FF 03 and PFC accepted).
  Disposition receive(ByteView frame);
  // Starts loading the state receive() reads first (a hint; changes nothing).
  void prefetch() const;
  // Administrative close: Terminate-Request, then on_down(admin) when done.
  void close(std::string_view reason = "administratively closed");
  // The lower layer went away: on_down(lower_down) at once, nothing more sent.
  void lower_down();

  // LAC after on_ready_to_tunnel.
  void hand_over();         // stop all PPP processing; frames become passthrough
  void continue_locally();  // not a VPDN user: run IPCP here as a local session

  // A running server session (IPCP up) ends with DownReason::session_timeout `remaining`
  // from now (zero: at once, from a timer); nullopt removes the limit. Replaces the
  // AuthResult's Session-Timeout (RADIUS CoA). False when the session is not running.
  bool set_session_timeout(std::optional<Duration> remaining);

  Phase phase() const;
  const SessionCounters& counters() const;
  std::string_view lcp_state() const;  // RFC 1661 state name, "Opened", ...
  std::string_view ipcp_state() const;
  const std::string& user() const;  // authenticated (or claimed) name
  std::optional<Ipv4> peer_address() const;
  std::uint16_t peer_mru() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vpdnd::ppp
