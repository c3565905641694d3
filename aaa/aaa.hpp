// DOC: AAA for vpdnd: who may connect (authentication against local users, `none`, or
// RADIUS with Comware's fallback rules), which address they get (IP pools), and what is
// reported (RADIUS accounting, online users).
//
// Ownership and threading: one `Aaa` lives on the protocol thread and is only ever called
// there; it never blocks and takes no locks. RADIUS goes through the `RadiusClient`
// interface: the production client (`make_radius_client`, library vpdnd_aaa_radius) runs
// its UDP sockets on the engine's io_context, so all callbacks in this header run on the
// protocol thread. Tests give `Aaa` a fake client.
//
// Lifetime: `authenticate()` returns a handle; the owner cancels it when the PPP session
// goes away before the answer (the callback then never runs). `close_session()` sends the
// accounting Stop, returns the pool address and removes the online user; destroying `Aaa`
// closes nothing (shutdown must close sessions first so that Stops go out).
//
// Secrets (`config::Secret`, passwords, tunnel passwords) are never logged or displayed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aaa/status.hpp"
#include "common/ipv4.hpp"
#include "common/mschap.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
#include "startup-config/model.hpp"

namespace vpdnd {
class ProtocolThread;
}

namespace vpdnd::aaa {

// ---- user names ------------------------------------------------------------------------

struct UserName {
  std::string user;    // without the domain
  std::string domain;  // empty when the name carries none
};

// Splits by the configured separator (L2tpGlobal): suffix `alice@corp.com` splits at the
// last separator, prefix `corp.com\alice` at the first one. No separator: domain empty.
UserName split_user_name(std::string_view full, const config::L2tpGlobal& l2tp);

// Domain names compare case-insensitively, as on Comware.
bool domain_equal(std::string_view a, std::string_view b);

// CHAP-MD5 (RFC 1994 §4.1): MD5(id || secret || challenge).
std::array<std::uint8_t, 16> chap_md5(std::uint8_t id, std::string_view secret,
                                      const std::vector<std::uint8_t>& challenge);

// ---- authentication ------------------------------------------------------------------

struct PapCredentials {
  std::string password;
};
struct ChapCredentials {
  std::uint8_t id = 0;
  std::vector<std::uint8_t> challenge;
  std::vector<std::uint8_t> response;  // 16 bytes for CHAP-MD5
};
// MS-CHAP v1 (RFC 2433) / v2 (RFC 2759): the authenticator's challenge (8 / 16 octets) and
// the user's 49-octet Response value as PPP carries it.
struct MsChapCredentials {
  std::uint8_t version = 2;  // 1 or 2
  std::uint8_t id = 0;       // the CHAP Identifier (RADIUS attributes carry it)
  std::vector<std::uint8_t> challenge;
  std::vector<std::uint8_t> response;
};
using Credentials = std::variant<PapCredentials, ChapCredentials, MsChapCredentials>;

struct AuthRequest {
  std::string user_name;  // full, as the user typed it
  Credentials credentials;
  std::string calling_station_id;  // e.g. the PPPoE client MAC or L2TP Calling Number
  std::string called_station_id;   // DNIS
  std::uint32_t nas_port = 0;
  std::string nas_port_id;  // e.g. "eth1" or "Virtual-Template1"
  // `ppp authentication-mode chap domain D` on the template: authenticate in D whatever
  // the name carries.
  std::string domain_override;
};

// One RFC 2868 tunnel set (attributes sharing a tag).
struct TunnelSet {
  std::uint8_t tag = 0;                     // 0 = untagged
  std::uint32_t type = 0;                   // Tunnel-Type, 3 = L2TP
  std::uint32_t medium = 0;                 // Tunnel-Medium-Type, 1 = IPv4
  std::optional<Ipv4> server_endpoint;      // Tunnel-Server-Endpoint (dotted quad)
  std::string server_endpoint_text;         // as received, when it is a host name
  std::string password;                     // Tunnel-Password, decrypted (RFC 2868 §3.5)
  std::string assignment_id;                // Tunnel-Assignment-Id
  std::string client_auth_id;               // Tunnel-Client-Auth-Id (our tunnel name)
  std::optional<std::uint32_t> preference;  // Tunnel-Preference, lower is preferred
  bool operator==(const TunnelSet&) const = default;
};

// Orders sets by preference (lower first; sets without one after), then tag; drops sets
// that are not L2TP over IPv4 (a set without Tunnel-Type is taken as L2TP, one without
// medium as IPv4) or have no server endpoint.
std::vector<TunnelSet> order_l2tp_tunnels(std::vector<TunnelSet> sets);

enum class AuthFailure : std::uint8_t {
  none,
  no_such_user,         // local: no such local user
  bad_password,         // local: password / CHAP response wrong
  user_blocked,         // local user `state block`
  service_not_allowed,  // local user lacks `service-type ppp`
  domain_blocked,       // domain `state block`
  radius_reject,        // Access-Reject
  radius_unreachable,   // no server answered and no fallback configured
  config_error,         // e.g. scheme missing
};
std::string_view to_string(AuthFailure f);

enum class AuthMethodUsed : std::uint8_t { none, local, radius };

struct AuthResult {
  bool accepted = false;
  AuthFailure failure = AuthFailure::none;
  std::string reply_message;  // RADIUS Reply-Message or a local reason
  AuthMethodUsed method = AuthMethodUsed::none;
  std::string user;    // without domain
  std::string domain;  // the ISP domain that applied (after default/override)
  std::optional<Ipv4> framed_ip;
  std::string framed_pool;
  std::optional<std::uint32_t> session_timeout_s;
  std::optional<std::uint32_t> idle_timeout_s;
  std::vector<TunnelSet> tunnels;  // ordered by order_l2tp_tunnels()
  // MS-CHAP: the v2 authenticator response "S=..." for the Success message (computed from
  // the local password, or RADIUS MS-CHAP2-Success), a failure text from RADIUS
  // (MS-CHAP-Error), and the MPPE keys (local, or RADIUS MS-MPPE-Send/Recv-Key).
  std::string mschap_auth_response;
  std::string mschap_error;
  std::optional<mschap::MppeKeys> mppe_keys;
};

// ---- RADIUS client interface -------------------------------------------------------------

enum class RadiusOutcome : std::uint8_t { accept, reject, timeout, error };
std::string_view to_string(RadiusOutcome o);

// What a request needs to know about where it goes: a copy of the scheme at send time.
struct RadiusTarget {
  config::RadiusScheme scheme;
  std::string nas_identifier;  // the sysname
};

struct RadiusAccessRequest {
  std::string user_name;  // already formatted per user-name-format
  Credentials credentials;
  std::string calling_station_id;
  std::string called_station_id;
  std::uint32_t nas_port = 0;
  std::string nas_port_id;
};

struct RadiusAccessReply {
  RadiusOutcome outcome = RadiusOutcome::error;
  std::string reply_message;
  std::optional<Ipv4> framed_ip;
  std::string framed_pool;
  std::optional<std::uint32_t> session_timeout_s;
  std::optional<std::uint32_t> idle_timeout_s;
  std::vector<TunnelSet> tunnels;  // as received, in attribute order
  // RFC 2548 Microsoft attributes: MS-CHAP2-Success (its "S=" text), MS-CHAP-Error, and the
  // MS-MPPE-Send/Recv-Key decrypted (both present and 16 octets, else none).
  std::string mschap2_success;
  std::string mschap_error;
  std::optional<mschap::MppeKeys> mppe_keys;
  // MS-CHAP-MPPE-Keys (RFC 2548 §2.4.1, in an MS-CHAP v1 Accept), decrypted like
  // User-Password: its NT key, which FreeRADIUS and IAS fill with the password hash's hash
  // (RFC 3079 §2.4's NtPasswordHashHash, not the hash RFC 2548 names). The MPPE keys
  // follow from it and the request's challenge (mschap::v1_mppe_keys_from_hash_hash).
  std::optional<mschap::Hash16> mschap_v1_nt_key;
};

enum class AcctStatus : std::uint32_t { start = 1, stop = 2, interim = 3 };

// RFC 2866 §5.10 Acct-Terminate-Cause values we use.
enum class TerminateCause : std::uint32_t {
  user_request = 1,
  lost_carrier = 2,
  lost_service = 3,
  idle_timeout = 4,
  session_timeout = 5,
  admin_reset = 6,
  admin_reboot = 7,
  port_error = 8,
  nas_error = 9,
  nas_request = 10,
  service_unavailable = 15,
  user_error = 17,
};

struct Counters {
  std::uint64_t input_octets = 0;   // from the user
  std::uint64_t output_octets = 0;  // to the user
  std::uint64_t input_packets = 0;
  std::uint64_t output_packets = 0;
  Counters& operator+=(const Counters& o) {
    input_octets += o.input_octets, output_octets += o.output_octets;
    input_packets += o.input_packets, output_packets += o.output_packets;
    return *this;
  }
};

struct RadiusAccountingRequest {
  AcctStatus status = AcctStatus::start;
  std::string session_id;  // Acct-Session-Id
  std::string user_name;
  std::optional<Ipv4> framed_ip;
  std::string calling_station_id;
  std::string called_station_id;
  std::uint32_t nas_port = 0;
  std::string nas_port_id;
  std::uint32_t session_time_s = 0;  // Interim and Stop
  Counters counters;                 // Interim and Stop; gigawords derived by the client
  std::optional<TerminateCause> terminate_cause;  // Stop
  std::uint32_t delay_time_s = 0;                 // Acct-Delay-Time (RFC 2866 §5.2), sent when > 0
};

struct RadiusAccountingReply {
  RadiusOutcome outcome = RadiusOutcome::error;  // accept = Accounting-Response received
};

// `display radius statistics`: one block per server ("host:port") and the total. Replies
// that fail a check are dropped and counted here; they never end the wait for the answer.
struct RadiusServerStatistics {
  std::string server;                 // "host:port"; empty for the total
  std::uint64_t access_requests = 0;  // first transmissions
  std::uint64_t access_accepts = 0;
  std::uint64_t access_rejects = 0;
  std::uint64_t access_challenges = 0;
  std::uint64_t accounting_requests = 0;
  std::uint64_t accounting_responses = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t timeouts = 0;  // requests given up on this server
  std::uint64_t bad_authenticator = 0;
  std::uint64_t bad_message_authenticator = 0;  // wrong, or missing where required
  std::uint64_t malformed = 0;                  // undecodable, or a code that does not fit
  std::uint64_t unknown_source = 0;             // right identifier, wrong source address or port
  std::uint64_t unknown_id = 0;                 // no request outstanding with that identifier
  bool operator==(const RadiusServerStatistics&) const = default;
};
struct RadiusStatistics {
  RadiusServerStatistics total;
  std::vector<RadiusServerStatistics> servers;  // by server string
};

// Callbacks run on the protocol thread. After cancel(id), the callback for id never runs.
class RadiusClient {
 public:
  using Id = std::uint64_t;  // never 0
  using AccessCallback = std::function<void(RadiusAccessReply)>;
  using AccountingCallback = std::function<void(RadiusAccountingReply)>;
  virtual ~RadiusClient() = default;
  virtual Id access_request(const RadiusTarget& target, RadiusAccessRequest request,
                            AccessCallback done) = 0;
  virtual Id accounting_request(const RadiusTarget& target, RadiusAccountingRequest request,
                                AccountingCallback done) = 0;
  virtual void cancel(Id id) = 0;
  virtual RadiusStatistics statistics() const { return {}; }
  virtual void reset_statistics() {}
};

// The production client (library vpdnd_aaa_radius): non-blocking UDP sockets on the engine's
// io_context, so every callback runs on the protocol thread and nothing waits in a queue.
// Any number of requests are in flight per server (one identifier space per socket; a new
// socket is opened when all 256 identifiers of the others are in use). Primary then
// secondary server, each with the scheme's `timer response-timeout` and `retry N` (N
// transmissions, the same Identifier and authenticator each time); a server that did not
// answer is tried last for the next 5 minutes (Comware's `timer quiet`). A reply is used
// only when it comes from the address and port asked, carries the request's Identifier and
// a correct Response Authenticator (RFC 2865 §3 / RFC 2866 §3), and for Access replies a
// correct Message-Authenticator (RFC 3579 §3.2; required unless the scheme has `attribute
// 80 check-mode loose`). Every Access-Request carries a Message-Authenticator. Destroy the
// client on the protocol thread (or after the engine stopped), after the Aaa that uses it;
// outstanding requests are dropped and their callbacks never run.
std::unique_ptr<RadiusClient> make_radius_client(ProtocolThread& engine);

// ---- IP pools ------------------------------------------------------------------------------

enum class PoolError : std::uint8_t {
  no_such_pool,
  exhausted,
  address_not_in_pool,
  address_in_use
};
std::string_view to_string(PoolError e);

// Which pool an IPCP peer draws from: RADIUS Framed-Pool, else the domain's
// `authorization-attribute ip-pool`, else the template's `remote address pool`.
std::string choose_pool(const config::RunningConfig& config, const AuthResult& auth,
                        std::string_view template_pool);

// ---- sessions (accounting + online users + lease) --------------------------------------------

struct SessionStart {
  std::string user_name;  // full, as authenticated
  std::string domain;     // AuthResult::domain
  std::string interface;  // for display, e.g. "Virtual-Template1:5" or "eth1"
  std::optional<Ipv4> address;
  std::string pool;  // non-empty: `address` was allocated from it and is released at close
  std::string calling_station_id;
  std::string called_station_id;
  std::uint32_t nas_port = 0;
  std::string nas_port_id;
  // Read at each Interim-Update and at Stop.
  std::function<Counters()> counters;
};

// The stop-accounting buffer (Comware's): an Accounting-Request Stop that no server
// answered after the scheme's retries is kept and re-sent, with Acct-Delay-Time (RFC 2866
// §5.2, seconds since the session ended), every `retry_interval` until a server answers or
// the scheme's `retry stop-accounting` transmissions are spent. The buffer holds at most
// `capacity` Stops; a new one beyond that drops the oldest (counted, logged). With a
// `file`, the buffer survives a restart: it is rewritten atomically (temporary file,
// fsync, rename; mode 0600) at most `persist_delay` after a Stop entered or left it and
// when Aaa is destroyed, and read back by the constructor (its Stops are re-sent at once).
// The file names the scheme, never its key. After a Stop went unanswered, one buffered
// Stop at a time probes the server until one is answered, then `window` at once.
struct StopBufferOptions {
  std::string file;  // empty: memory only
  std::size_t capacity = 10000;
  Duration retry_interval = std::chrono::seconds(30);
  std::size_t window = 16;  // buffered Stops on the wire at once
  Duration persist_delay = std::chrono::seconds(1);
  // Unix seconds (event times, Acct-Delay-Time across restarts). Empty: the system clock.
  std::function<std::int64_t()> wall_clock;
};

class Aaa {
 public:
  using AuthHandle = std::uint64_t;  // never 0
  using SessionId = std::uint64_t;   // never 0
  static constexpr AuthHandle kNoRequest = 0;
  using AuthCallback = std::function<void(AuthResult)>;

  Aaa(config::ConfigStore& store, TimerService& timers, RadiusClient& radius,
      StopBufferOptions stop_buffer = {});
  // Stops still unanswered (on the wire or queued) go into the stop-accounting buffer
  // (when their scheme has it enabled), and the buffer is written to its file.
  ~Aaa();
  Aaa(const Aaa&) = delete;
  Aaa& operator=(const Aaa&) = delete;

  // Authenticates per the domain's method chain. `done` runs exactly once unless the
  // handle is cancelled first, and never inside authenticate(): local/none answers are
  // deferred through a zero-delay timer, so callers need not guard against re-entry (only
  // a RadiusClient that answered inside access_request() could break this; the production
  // client never does).
  AuthHandle authenticate(AuthRequest request, AuthCallback done);
  void cancel(AuthHandle handle);

  // Pools. `wanted` (RADIUS Framed-IP-Address or the IPCP request) is honoured when it is
  // inside the pool and free; with `strict` a wanted address that cannot be had is an
  // error, otherwise any free address is returned.
  Result<Ipv4, PoolError> allocate(std::string_view pool, std::string_view user,
                                   std::optional<Ipv4> wanted = std::nullopt, bool strict = false);
  // Returns false when the address was not leased from that pool (e.g. already free).
  // Leases survive config changes: an address left outside a shrunk or removed pool stays
  // reserved until released, so it is never handed out twice.
  bool release(std::string_view pool, Ipv4 address);
  // All pools (empty name) or the named one, each with its leases in ascending address
  // order (`display ip pool [NAME]`).
  std::vector<PoolStatus> pool_status(std::string_view name = {}) const;

  // Accounting Start (when the domain has `accounting ppp radius-scheme R`), Interim
  // every `timer realtime-accounting` minutes, and the online-user entry.
  SessionId open_session(SessionStart start);
  // Stop with the cause, releases the pool address, removes the online user.
  void close_session(SessionId id, TerminateCause cause);
  std::vector<OnlineUser> online_users() const;
  std::size_t session_count() const;
  // Shutdown (SIGTERM, `undo l2tp enable` ...): Stop for every session, addresses back.
  void close_all_sessions(TerminateCause cause = TerminateCause::admin_reboot);
  // Accounting requests not answered yet (on the wire or queued behind an earlier request
  // of the same session: each session's Start, Interims and Stop go out one at a time, in
  // order). Shutdown may wait (bounded) for zero so that the Stops reach the server before
  // the RADIUS client is destroyed.
  std::size_t accounting_in_flight() const;
  // The Acct-Session-Id of an open session (empty if unknown).
  std::string accounting_session_id(SessionId id) const;

  // The stop-accounting buffer, oldest first.
  std::vector<BufferedStop> stop_accounting_buffer() const;
  StopBufferStatistics stop_buffer_statistics() const;
  // `reset stop-accounting-buffer ...`: drops the matching Stops; returns how many.
  std::size_t reset_stop_accounting_buffer(const std::function<bool(const BufferedStop&)>& match);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- RADIUS Dynamic Authorization Server (RFC 5176) --------------------------------------

// The sessions a Disconnect-Request or CoA-Request names: every attribute it carries must
// match (RFC 5176 §3: all session identification attributes are mandatory).
struct DaeSelector {
  std::optional<std::string> user_name;
  std::optional<std::string> acct_session_id;
  std::optional<Ipv4> framed_ip;
  std::optional<std::uint32_t> nas_port;
  bool empty() const { return !user_name && !acct_session_id && !framed_ip && !nas_port; }
  bool matches(const OnlineUser& u) const {
    return (!user_name || u.user == *user_name) &&
           (!acct_session_id || u.acct_session_id == *acct_session_id) &&
           (!framed_ip || u.address == *framed_ip) && (!nas_port || u.nas_port == *nas_port);
  }
};

// What a CoA-Request changes on the live sessions. Session-Timeout counts from when the
// session came up (as in an Access-Accept); 0 removes the limit. Idle-Timeout: seconds
// without user data from the user; 0 removes it.
struct DaeChange {
  std::optional<std::uint32_t> session_timeout_s;
  std::optional<std::uint32_t> idle_timeout_s;
};

struct DaeOutcome {
  std::size_t matched = 0;  // sessions the selector named
  std::size_t done = 0;     // of those, ended / changed
};

// The owner of the calls (app/services): ends calls the way `cut connection` does
// (PPP Terminate then CDN, or CDN and PADT; accounting Stop Admin-Reset) and applies
// changes. Runs on the protocol thread.
class DaeSessions {
 public:
  virtual ~DaeSessions() = default;
  virtual DaeOutcome disconnect(const DaeSelector& selector) = 0;
  virtual DaeOutcome change(const DaeSelector& selector, const DaeChange& change) = 0;
};

// The server on the engine's io_context (library vpdnd_aaa_radius). reconcile() opens,
// moves or closes its UDP socket per `radius dynamic-author server` (bound to every
// address on `port`, only while the view exists). Requests are answered only for the
// configured clients, with a correct Request Authenticator (RFC 5176 §2.3) and, when
// present, Message-Authenticator, and an Event-Timestamp (when present) within 300 s of
// our clock; everything else is dropped and counted. A request seen again (same client,
// Identifier and authenticator, within 300 s) gets the first answer again and is not
// acted on twice.
class DaeServer {
 public:
  virtual ~DaeServer() = default;
  virtual void reconcile(const config::RunningConfig& config) = 0;
  virtual DaeStatistics statistics() const = 0;
  virtual void reset_statistics() = 0;
  // The bound port, 0 when closed (tests, logs).
  virtual std::uint16_t port() const = 0;
};
std::unique_ptr<DaeServer> make_dae_server(ProtocolThread& engine, DaeSessions& sessions);

}  // namespace vpdnd::aaa
