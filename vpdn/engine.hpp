// DOC: the L2TP control engine, L2tpEngine: the L2TPv2 control plane (RFC 2661), LAC and LNS
// (library vpdnd_vpdn_engine). One L2tpEngine owns every tunnel and session of the box, their
// reliable control channels (vpdn/engine/transport.hpp), the tunnel FSM (§7.2) and the
// incoming-call session FSMs (§7.4.1 LAC, §7.4.2 LNS), the tables (O(1) lookup by local
// tunnel id, by (peer address, port, peer tunnel id) for duplicate SCCRQs, by (group, LNS)
// for LAC tunnel reuse), counters, `display`/`reset` data and the debug lines.
//
// Threading: everything runs on the protocol thread (the io_context thread,
// common/protocol_thread.hpp). No locks. The handler and callbacks are called on that thread,
// possibly from inside an L2tpEngine method; they may call back into it (close_session, send_data,
// ...).
//
// Wiring (integration, app/services):
//   L2tpEngine engine(store.running(), timers, random);       // TimerService, RandomSource
//   engine.set_handler(&my_handler);                          // SessionHandler below
//   engine.open_udp(io);      // binds l2tp listen-port (or options.port_override)
//   sub = store.subscribe([&](auto& change, auto&, auto&) { engine.on_config_change(change); });
// Tests instead attach any DatagramPort and feed engine.on_datagram(from, bytes).
//
// Session identity: SessionRef {local tunnel id, local session id}. Both ids are random,
// non-zero and never reused while in use (session ids are unique within their tunnel and,
// while fewer than ~60k sessions exist, across the box, so `reset l2tp session id N`
// names one session). LNS sessions get their SessionRef at on_incoming_session; LAC calls
// get a call handle from place_call and their SessionRef in on_up.
//
// The data seam: received data messages go to SessionHandler::on_data with the PPP frame
// exactly as carried (the LAC peer may or may not include FF 03); send_data() puts a frame
// onto a session (one copy into a reused buffer behind a per-session prebuilt header).
//
// Notifications, precisely:
//  - LNS session: on_incoming_session (at ICCN; return false to refuse -> CDN), then
//    exactly one on_session_down unless *we* closed it with close_session().
//  - LAC call: callbacks.on_up(ref) at ICCN sent, callbacks.on_down(end) exactly once
//    afterwards or instead (no LNS answered, refused, CDN, StopCCN, tunnel lost), unless we
//    closed it with close_session()/cancel_call().
//  - Tunnel teardown (StopCCN either way, Hello timeout, reset, `undo l2tp enable`) reports
//    every session of the tunnel down as above.
//  - place_call may call on_down before it returns (e.g. `l2tp tunnel-limit` reached and no
//    tunnel to reuse); its handle is then already dead. Calls still waiting for their
//    tunnel when an LNS does not answer (or refuses with StopCCN) move to the next address.
//    "Refuses" = a StopCCN before the LNS sent anything after its SCCRP (instead of SCCRP,
//    or answering our SCCCN): such calls move even if their ICRQ went out. A CDN to a call,
//    or a StopCCN once the LNS took the tunnel, ends the call: no fail-over (as Comware).
//  - LNS marked down: an address whose tunnel failed as above (no answer, refusal, silent
//    after SCCRP) is "down" for EngineOptions::lns_down_hold (60 s; WARNING log "LNS a.b.c.d
//    marked down for 60 s: <reason>"). A new call tries the addresses that are not down
//    first, in configured order, then the down ones in configured order (all down = the
//    configured order); a tunnel already up to a preferred address is reused as usual. The
//    mark ends when the hold time passes or when that LNS confirms a tunnel. Calls already
//    placed keep the order they were given.
//  - Tie breaker (§4.4.3): when our SCCRQ loses to the peer's, the calls waiting on our
//    tunnel move to the peer's tunnel (same handle; on_up names the new tunnel) and go out as
//    ICRQs once it is established, if that tunnel (accepted by an LNS group: a group is LAC
//    or LNS, never both) uses the call's tunnel password, and authentication when the call's
//    group wants it. Otherwise, or when that tunnel ends first, they get on_down with a
//    reason naming the tie breaker. On an equal tie both sides discard and we dial again.
//    The winning side accepts the peer's ICRQs on its own tunnel when an LNS group allows
//    the peer with the same password (IncomingSession.group = that LNS group).
//  - Handler/callback code may call any engine method, including close_session/close_tunnel
//    on the session being reported; the engine re-checks its tables after every callback.
//
// Protocol choices (RFC 2661): our Receive Window Size 16 (EngineOptions), the peer's RWS
// honoured (4 when absent) with Appendix A slow start; retransmission 1 s doubling to 8 s,
// 5 retries, so an unanswered peer is declared gone after 31 s (an SCCRQ while every call
// on it has another LNS address: 2 retries, 7 s, EngineOptions::failover_sccrq_retries);
// acks piggybacked, else a ZLB after the current receive batch; StopCCN hold-down 31 s in state
// Stopping (either direction) to re-acknowledge; Hello after `tunnel timer hello` seconds without
// traffic; an established tunnel without sessions for the group's `tunnel timer idle` (10 s;
// group 0: 10 s) is cleared with StopCCN 1, a call placed or accepted on it meanwhile stops
// the wait. LNS tunnels in setup (SCCRQ received, no SCCCN yet) are removed quietly after
// EngineOptions::tunnel_setup_timeout and capped in total and per source; until the peer
// acknowledges our SCCRP on the tunnel id it carried, nothing is retransmitted on our timer
// (its duplicate SCCRQ draws the SCCRP again) and it gets at most twice its bytes
// (docs/SECURITY.md).
// Tunnel authentication runs when `tunnel authentication` is on AND a password is set; a
// peer's Challenge is always answered with the group's password. Result codes: no group
// for the peer / bad challenge response -> StopCCN 4; tunnel limit -> StopCCN 2/error 4;
// session limit -> CDN 4/error 4; OCRQ -> CDN 5 (we place no outgoing calls); refused by
// the handler -> CDN 2; `reset l2tp session` -> CDN 3; reset/`undo l2tp enable`/shutdown ->
// StopCCN 1/6/6; unknown M-bit AVP -> StopCCN or CDN 2/error 8 as vpdn/codec.hpp recommends.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/ipv4.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
#include "ppp/proxy.hpp"
#include "startup-config/model.hpp"
#include "vpdn/codec.hpp"
#include "vpdn/engine/transport.hpp"
#include "vpdn/status.hpp"

namespace boost::asio {
class io_context;
}

namespace vpdnd::vpdn {

using vpdnd::Endpoint;  // common/ipv4.hpp

// Where datagrams go. Production: the engine's own UDP socket (open_udp). Tests: in-memory.
class DatagramPort {
 public:
  virtual ~DatagramPort() = default;
  virtual void send_to(const Endpoint& to, ByteView datagram) = 0;
  // One datagram given in two parts (the data path's prebuilt header + the PPP frame), so
  // a port that copies into its own batch copies the frame once.
  virtual void send_parts(const Endpoint& to, ByteView head, ByteView body) {
    Bytes joined(head.begin(), head.end());
    joined.insert(joined.end(), body.begin(), body.end());
    send_to(to, joined);
  }
  virtual Endpoint local() const = 0;
};

struct SessionRef {
  std::uint16_t tunnel = 0;   // our local tunnel id
  std::uint16_t session = 0;  // our local session id
  auto operator<=>(const SessionRef&) const = default;
};

// Why a session or call ended. Result codes as RFC 2661 §4.4.2 (CDN or StopCCN values).
struct SessionEnd {
  bool stopccn = false;    // ended by the whole tunnel going (result is a StopCCN code)
  bool by_peer = false;    // the peer sent the CDN/StopCCN
  bool peer_lost = false;  // retransmissions exhausted / Hello timeout
  ResultCode result;
  std::optional<Q931Cause> q931;
  std::string reason;  // one line for logs/accounting ("peer sent CDN result 3", ...)
};

// What the LNS learnt about an incoming call at ICCN.
struct IncomingSession {
  SessionRef ref;
  std::uint16_t group = 0;             // the l2tp-group that accepted the tunnel
  std::uint16_t virtual_template = 0;  // `allow l2tp virtual-template N`
  std::string peer_name;               // the LAC's Host Name
  Endpoint peer;
  std::uint32_t call_serial = 0;
  std::string calling_number, called_number;
  std::uint32_t bearer_type = 0, framing_type = 0;
  std::uint32_t tx_connect_speed = 0, rx_connect_speed = 0;
  bool sequencing_required = false;     // data messages carry Ns/Nr
  std::optional<ppp::ProxyData> proxy;  // ICCN proxy LCP / authentication AVPs
};

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // LNS: ICCN received. Return true to bring the session up; false sends CDN (result 2).
  virtual bool on_incoming_session(const IncomingSession& s) = 0;
  // LNS: the session accepted above is established: send_data works on it from here on, and
  // the data that overtook the ICCN (held by the engine, bounded and counted as a drop
  // "data before ICCN, hold full" beyond that) is delivered right after this returns.
  virtual void on_session_established(const IncomingSession& s) { (void)s; }
  // An LNS session (or an established LAC session without on_down callback) ended.
  virtual void on_session_down(SessionRef ref, const SessionEnd& end) = 0;
  // A data message for an established session (Ns checked when sequencing is on).
  virtual void on_data(SessionRef ref, ByteView ppp_frame) = 0;
  // The same with the tag the handler gave the session (L2tpEngine::set_session_tag; 0 when
  // none), so a handler holding many sessions reaches its own state for the session without
  // looking it up by ref again. The default forwards to on_data.
  virtual void on_tagged_data(SessionRef ref, ByteView ppp_frame, std::uint32_t tag) {
    (void)tag;
    on_data(ref, ppp_frame);
  }
  // Before a received batch is delivered the engine calls this for each data message's
  // session tag with step 0, 1, 2, 3 in turn (every message of the batch at one step before
  // the next step), so a handler can start loading the state on_tagged_data will read, one
  // pointer further each step; many loads then overlap instead of one cache miss after
  // another per message. Must only read, never change anything (a stale tag is harmless).
  virtual void prefetch_tagged(std::uint32_t tag, unsigned step) { (void)tag, (void)step; }
  // SLI received (§6.16): the peer's ACCM for this session.
  virtual void on_link_info(SessionRef ref, const Accm& accm) {
    (void)ref;
    (void)accm;
  }
};

// LAC: place one incoming call (a user the LAC decided to tunnel).
struct LacCallRequest {
  // The l2tp-group supplying LNS addresses and tunnel settings; 0 = none (then the
  // explicit fields must supply them).
  std::uint16_t group = 0;
  // Overrides: RADIUS tunnel attributes (RFC 2868) supply these. Empty/nullopt = the group's.
  std::vector<Ipv4> lns_addresses;  // tried in order (Tunnel-Server-Endpoint)
  std::uint16_t lns_port = kL2tpPort;
  std::optional<std::string> secret;     // Tunnel-Password
  std::optional<std::string> host_name;  // Tunnel-Client-Auth-Id
  std::optional<bool> authenticate;      // tunnel challenge/response
  std::string user;                      // for display and logs
  std::string interface;                 // for display ("eth1")
  std::string calling_number, called_number;
  std::uint32_t bearer_type = 0;  // §4.4.5; 0 = none indicated
  std::uint32_t framing_type = kFramingSync;
  std::uint32_t tx_connect_speed = 100000000, rx_connect_speed = 100000000;
  std::optional<ppp::ProxyData> proxy;  // ICCN proxy AVPs
};

struct LacCallbacks {
  std::function<void(SessionRef)> on_up;
  std::function<void(const SessionEnd&)> on_down;
};

using CallHandle = std::uint64_t;  // never 0, never reused

struct EngineOptions {
  // Each tunnel's reliable control channel (RFC 2661 §5.8; defaults in transport.hpp).
  detail::TransportConfig transport;
  // How long a tunnel that sent or received StopCCN stays to (re)acknowledge (§5.7).
  Duration stopccn_hold = std::chrono::seconds(31);
  // A call whose ICRQ (LAC) or ICRP (LNS) was acknowledged but not answered by ICRP / ICCN
  // within this time is cleared with CDN (LAC: result 10, LNS: result 2).
  Duration session_setup_timeout = std::chrono::seconds(60);
  std::string vendor_name = "vpdnd";
  std::uint16_t firmware_revision = 0x0100;
  Ipv4 bind_address;                           // 0.0.0.0 = all
  std::optional<std::uint16_t> port_override;  // instead of `l2tp listen-port` (tests)
  // Receive buffer of the UDP socket in bytes, instead of `l2tp receive-buffer` (tests).
  std::optional<int> udp_receive_buffer;
  // Hello interval override (tests): instead of the group's `tunnel timer hello`.
  std::optional<Duration> hello_override;
  // LAC: an LNS address that failed to set up a tunnel (no answer, StopCCN refusal, lost
  // before it confirmed the tunnel) is tried last by new calls for this long, so users do
  // not each wait 31 s for a dead LNS before the backup (Cisco `l2tp tunnel busy timeout`).
  // Zero = never mark an LNS down.
  Duration lns_down_hold = std::chrono::seconds(60);
  // LAC: an SCCRQ to an LNS is given up after this many retransmissions (instead of
  // transport.max_retries) while every call waiting on it has another LNS address to try: 2 = sent
  // at 0, 1 and 3 s, next address at 7 s, while the user's PPP is still negotiating (its
  // LCP/IPCP would give up long before the 31 s a full retransmission cycle takes). Once
  // the LNS answers, or a call with no other address waits on the tunnel, transport.max_retries.
  unsigned failover_sccrq_retries = 2;

  // ---- LNS: tunnels in setup (SCCRQ received, SCCCN not yet) on a hostile wire ----
  // A tunnel a peer opened and did not complete within this time is removed quietly (no
  // StopCCN): a compliant LAC gave up on its unacknowledged SCCCN after its own 31 s
  // retransmission cycle and cleared its side, so the StopCCN would reach no tunnel, and an
  // attacker's half-open tunnels should cost us no further packets. Longer than 31 s for that.
  Duration tunnel_setup_timeout = std::chrono::seconds(40);
  // At most this many tunnels in setup at once, far below the 65,535 tunnel ids, so peers
  // that have not authenticated can never take the ids or memory established tunnels need.
  // SCCRQs over a cap are dropped and counted (`display l2tp statistics`); warnings about
  // them are logged at most every 10 s. 0 = no cap.
  std::size_t max_setup_tunnels = 1024;
  // ... and at most this many from one source address.
  std::size_t max_setup_tunnels_per_source = 32;
  // To a source that has not yet shown it receives our packets (acknowledged our SCCRP on
  // the tunnel id it carried), we send at most this many times the bytes it sent us, and
  // never retransmit on our own timer: its duplicate SCCRQs draw the SCCRP again. A
  // spoofed source address can then not be flooded with more than this multiple.
  unsigned unconfirmed_byte_ratio = 2;
};

class L2tpEngine {
 public:
  // `config` must outlive the engine (the ConfigStore's running config).
  L2tpEngine(const config::RunningConfig& config, TimerService& timers, RandomSource& random,
             EngineOptions options = {});
  ~L2tpEngine();
  L2tpEngine(const L2tpEngine&) = delete;
  L2tpEngine& operator=(const L2tpEngine&) = delete;

  void set_handler(SessionHandler* handler);
  // Where an IPsec policy protects L2TP, a datagram from a peer with no IPsec SA is refused
  // before it is parsed and counted (drops "no IPsec SA"). Unset: every datagram is parsed.
  void set_admission(std::function<bool(const Endpoint& from)> admit);
  // The same guard outbound: L2TP (control or data) to a peer that `may_send` refuses (an
  // IPsec policy protects it and no SA does now, e.g. the peer's SA has just gone) is not
  // sent but dropped and counted ("not sent: no IPsec SA"), so nothing leaves in clear.
  // Unset: everything is sent.
  void set_egress_check(std::function<bool(const Endpoint& to)> may_send);
  // Use an external datagram port (tests, custom sockets). Received datagrams are fed to
  // on_datagram by whoever owns the port.
  void attach(DatagramPort* port);
  // Opens the engine's own UDP socket on `io` (bind_address : port_override or l2tp
  // listen-port) with batched receive. Error text when the bind fails.
  Status<std::string> open_udp(boost::asio::io_context& io);
  Endpoint local_endpoint() const;

  // One received UDP payload.
  void on_datagram(const Endpoint& from, ByteView datagram);
  // From ConfigStore listeners: `undo l2tp enable` -> StopCCN (result 6) to every peer;
  // a removed group -> its tunnels cleared; listen-port change -> socket re-bound.
  void on_config_change(const config::ConfigChange& change);

  // ---- LAC ----
  Result<CallHandle, std::string> place_call(LacCallRequest request, LacCallbacks callbacks);
  // Abandons a call (CDN if the ICRQ went out). No callback follows.
  void cancel_call(CallHandle handle);

  // ---- both roles ----
  // Fast path: one PPP frame onto an established session. False if the session is unknown
  // or not established.
  bool send_data(SessionRef ref, ByteView ppp_frame);
  // CDN with result (default 3 administrative) and optional Q.931 cause. No on_session_down
  // / on_down follows.
  bool close_session(SessionRef ref, std::uint16_t result = cdn_result::administrative,
                     std::optional<Q931Cause> q931 = std::nullopt, std::string message = {});
  // StopCCN (default result 1). Sessions are reported down.
  bool close_tunnel(std::uint16_t local_tunnel_id, std::uint16_t result = stopccn_result::clear);
  void set_session_user(SessionRef ref, const std::string& user, std::optional<Ipv4> address,
                        const std::string& interface, const std::string& auth_method = {});
  // A value of the handler's own (an index into its table of calls, say) that every data
  // message of the session carries to SessionHandler::on_tagged_data; the engine does not
  // interpret it. Unknown sessions are ignored.
  void set_session_tag(SessionRef ref, std::uint32_t tag);
  // Graceful stop (SIGTERM): StopCCN to every peer; `done` once every StopCCN is
  // acknowledged, or after `limit`.
  void shutdown(std::function<void()> done, Duration limit = std::chrono::seconds(3));

  // ---- operator surface (cli::Operations adapters) ----
  std::vector<TunnelStatus> snapshot_tunnels() const;
  std::vector<SessionStatus> snapshot_sessions() const;
  // Up to `limit` sessions after (tunnel, session) in the order of snapshot_sessions() (by
  // tunnel id, then session id); {0, 0} starts at the first. A display of 100,000 sessions
  // reads them page by page, so it prints at once and holds the protocol thread only for
  // the time one page takes.
  std::vector<SessionStatus> snapshot_sessions(std::uint16_t after_tunnel,
                                               std::uint16_t after_session,
                                               std::size_t limit) const;
  std::optional<SessionStatus> session_status(SessionRef ref) const;
  // Data sequencing of a session: whether its data messages carry Ns/Nr and the Ns the
  // engine puts on the next one. nullopt for an unknown session.
  struct DataNumbering {
    bool on = false;
    std::uint16_t next_ns = 0;
  };
  std::optional<DataNumbering> data_numbering(SessionRef ref) const;
  // A data plane that numbered the session's data itself (the kernel) hands it back: the
  // next data message the engine sends gets `next_ns`, and the peer's next Ns is taken as
  // it comes (its data went to that data plane meanwhile, so the engine's expectation is
  // stale). False for an unknown session.
  bool resume_data_numbering(SessionRef ref, std::uint16_t next_ns);
  L2tpStatistics statistics() const;
  // Zeroes the counters statistics() reports (messages, retransmits, drops, totals);
  // what is up now (tunnels, sessions, tunnels in setup) stays.
  void reset_statistics();
  // "" on success, else the message to print ("% Tunnel 5 does not exist.").
  std::string reset_tunnel_id(std::uint16_t local_id);
  std::string reset_tunnel_name(const std::string& remote_name);
  std::string reset_session_id(std::uint16_t local_id);

  std::size_t tunnel_count() const;
  std::size_t session_count() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vpdnd::vpdn
