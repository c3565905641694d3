// DOC: LNS and LAC call handling: the glue between an L2TP session, a PPP session, AAA and
// the data plane (library vpdnd_vpdn_calls).
//
// LnsCalls: for every incoming L2TP session the engine accepted, a ppp::PppSession in LNS
// mode, configured from the l2tp-group (mandatory-chap / mandatory-lcp, proxy data) and the
// virtual template (authentication mode and domain, ip address, remote address pool /
// remote address, DNS, hold timer, MTU). Authentication goes to aaa::Aaa (local/RADIUS);
// the address comes from RADIUS Framed-IP-Address or the pool. When IPCP opens the /32
// route goes into the template's TUN, the user and address are recorded on the L2TP
// session, accounting starts. IP read from a TUN goes to the session owning the
// destination; PPP frames from L2TP go to the TUN (IPv4) or to the PppSession (control).
// Every end (CDN, StopCCN, LCP Terminate, echo timeout, reset, shutdown) runs one teardown:
// route removed, address released, accounting Stop with its cause. PPP coming up again on
// an established call (LCP renegotiated, user re-authenticated) stays the same call.
// Memory: an LNS holds tens of thousands of calls, so a call keeps only its ids, counters
// and a few short strings in one block (user, pool, numbers, domains); the template's
// fields and the AuthResult live only until PPP is up. tests/vpdn_calls/lns_memory_test
// bounds the heap per call.
//
// LacCalls: a PPPoE session's PppSession in LAC mode authenticates the user; then the VPDN
// lookup (vpdn/lookup.hpp) or the RADIUS tunnel attributes pick the LNS list and the L2TP
// side places the call with the proxy data. Once connected, PPP frames are switched
// unchanged between the PPPoE and L2TP sessions both ways. Not a VPDN user: the session
// is terminated locally (LNS-like, IPCP here) or refused. CDN -> PADT; PADT -> CDN.
//
// Both talk to the L2TP engine, the PPPoE server and the TUN devices only through the small
// ports below: vpdn::DataPath (vpdn/data_path.hpp) is the L2TP port over the real engine,
// app/services adapts the PPPoE server and the TUN devices; tests give fakes.
// Threading: protocol thread only, no locks. Lifetime: the ports outlive the calls objects;
// close_all() ends every call (used by shutdown) and the destructors do the same quietly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aaa/aaa.hpp"
#include "common/bytes.hpp"
#include "common/ipv4.hpp"
#include "common/timer.hpp"
#include "ppp/ppp.hpp"
#include "ppp/proxy.hpp"
#include "startup-config/model.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn {

// A call or PPP session usually reports its own end from inside one of its callbacks, so it
// cannot be freed there: it is parked here and freed from a zero-delay timer once that
// stack has unwound. clear() frees at once (owner's destructor, after its last teardown).
// Owners construct it in their out-of-line constructors, where T is complete.
template <class T>
class DeferredDelete {
 public:
  explicit DeferredDelete(TimerService& timers) : reap_(timers) {}
  DeferredDelete(const DeferredDelete&) = delete;
  DeferredDelete& operator=(const DeferredDelete&) = delete;
  ~DeferredDelete() { clear(); }
  void park(std::unique_ptr<T> object) {
    parked_.push_back(std::move(object));
    if (!reap_.armed()) reap_.arm(Duration::zero(), [this] { parked_.clear(); });
  }
  void clear() {
    reap_.cancel();
    parked_.clear();
  }

 private:
  TimerSlot reap_;
  std::vector<std::unique_ptr<T>> parked_;
};

// Calls are keyed by the engine's SessionRef (our local tunnel and session ids).
struct SessionRefHash {
  std::size_t operator()(SessionRef c) const noexcept {
    return std::size_t{c.tunnel} << 16 | c.session;
  }
};

// Why the calls layer ends an L2TP session (the adapter maps it to a CDN result code).
enum class HangupCause : std::uint8_t {
  user_request,   // the user hung up (LCP Terminate / PADT)
  auth_failed,    // PPP authentication failed
  negotiation,    // LCP/IPCP failed, no address
  keepalive,      // echo timeout
  admin,          // reset / shutdown
  not_vpdn_user,  // LAC: no LNS for this user
  lower_layer,    // the other side of the switch went away
};
std::string_view to_string(HangupCause c);

// ---- ports (implemented by app/services over the real engines, by fakes in tests) ----

// The L2TP engine as the calls layer sees it.
class L2tpPort {
 public:
  virtual ~L2tpPort() = default;
  // A PPP frame onto the session's data channel, as it goes on the wire: FF 03, 2-octet
  // protocol, information (RFC 2661 carries the Address/Control field; the calls layer
  // adds it so the data path copies each packet once).
  virtual void send_ppp(SessionRef call, ByteView frame) = 0;
  // Clear the session (CDN). The engine does not report this call down afterwards.
  virtual void hang_up(SessionRef call, HangupCause cause) = 0;
  // What `display l2tp session` shows for the call once PPP is up.
  virtual void set_call_info(SessionRef call, const std::string& user, std::optional<Ipv4> address,
                             const std::string& interface, const std::string& auth_method) = 0;
  // A value the engine hands back with each of the session's data messages (so the calls
  // layer finds the call without a lookup); ignored where there is no such engine.
  virtual void set_session_tag(SessionRef call, std::uint32_t tag) { (void)call, (void)tag; }
  // LAC: start an incoming call towards an LNS, as L2tpEngine::place_call: `on_up` when
  // ICCN went out, `on_down` exactly once if it fails or later ends from the L2TP side (not
  // after hang_up/cancel_call). An error (and no callback) when the call cannot even be tried.
  virtual Result<CallHandle, std::string> place_call(LacCallRequest request,
                                                     LacCallbacks callbacks) = 0;
  virtual void cancel_call(CallHandle handle) = 0;
};

// The PPPoE server (the LAC's user side), by a key the adapter chooses.
struct AccessId {
  std::uint16_t port = 0;     // which access interface
  std::uint16_t session = 0;  // PPPoE session id on it
  auto operator<=>(const AccessId&) const = default;
};

class AccessPort {
 public:
  virtual ~AccessPort() = default;
  // A PPP frame (protocol + information, no FF 03) to the user.
  virtual void send_ppp(AccessId id, ByteView frame) = 0;
  // PADT to the user. No on_access_down follows.
  virtual void terminate(AccessId id) = 0;
  // For `display pppoe-server session`.
  virtual void set_access_info(AccessId id, const std::string& state, const std::string& user,
                               SessionRef l2tp) = 0;
};

// LAC: a data plane that switches a tunnelled user's frames between the PPPoE and the L2TP
// session itself (the kernel's PPP channel bridge). Optional: without one, LacCalls
// switches every frame.
class SwitchPort {
 public:
  virtual ~SwitchPort() = default;
  // The call's PPP was handed over to the LNS: true when from now on the data plane
  // switches every frame of the call both ways (LCP echo included: it is end to end between
  // user and LNS). False: the calls layer keeps switching.
  virtual bool bridge(AccessId user, SessionRef call) = 0;
  // What the data plane switched for a bridged call so far (protocol + information octets,
  // as the calls layer counts its own); may lag by the data plane's refresh interval.
  virtual aaa::Counters counters(AccessId user) = 0;
  // Takes the bridge down (before the CDN and PADT go out) and returns its final counts.
  virtual aaa::Counters unbridge(AccessId user) = 0;
};

// The TUN devices of the virtual templates (user-space data plane).
class IpPort {
 public:
  virtual ~IpPort() = default;
  // Adds the session's host route into template `vt`'s device; false if there is no device.
  virtual bool add_host_route(std::uint16_t vt, Ipv4 address) = 0;
  virtual void remove_host_route(std::uint16_t vt, Ipv4 address) = 0;
  // One IPv4 datagram out of template `vt`'s device.
  virtual void write_ip(std::uint16_t vt, ByteView packet) = 0;
  // Auto client (AutoClients): the address IPCP gave us on template `vt`'s device, with
  // the LNS side as point-to-point peer (a host route to it); false if there is no device.
  virtual bool set_peer_address(std::uint16_t vt, Ipv4 local, Ipv4 peer) {
    (void)vt, (void)local, (void)peer;
    return false;
  }
  virtual void clear_peer_address(std::uint16_t vt) { (void)vt; }
  // LNS: L2TP call `call`'s PPP reached IPCP Opened with `address` (after add_host_route) /
  // is leaving it (before remove_host_route). A kernel data plane moves the session into
  // the kernel here (pppN); the user-space one needs nothing.
  virtual void session_ip_up(SessionRef call, std::uint16_t vt, Ipv4 address) {
    (void)call, (void)vt, (void)address;
  }
  // Returns what the data plane itself counted for the call while it held it (the call's
  // final data_counters), for the call to add to its own counts; zero when the calls layer
  // saw every packet.
  virtual aaa::Counters session_ip_down(SessionRef call, std::uint16_t vt, Ipv4 address) {
    (void)call, (void)vt, (void)address;
    return {};
  }
  // The call's user data the data plane switched without the calls layer (a session in the
  // kernel): octets and packets so far, as the calls layer counts its own (L2TP payload,
  // FF 03 included), added to them for accounting and displays. May lag by the data
  // plane's refresh interval; session_ip_down's value is exact.
  virtual aaa::Counters data_counters(SessionRef call) {
    (void)call;
    return {};
  }
  // False when the call's data bypasses the calls layer (moved into the kernel), so its
  // idle time cannot be measured here.
  virtual bool user_data_visible(SessionRef call) const {
    (void)call;
    return true;
  }
};

// ---- LNS ----------------------------------------------------------------------------

struct LnsCallStatus {
  SessionRef id;
  std::uint64_t aaa_session = 0;  // 0: none open (not up yet); `display connection`'s Index
  std::uint16_t virtual_template = 0;
  std::string user;
  std::optional<Ipv4> address;
  std::string phase;  // ppp::to_string(Phase)
  aaa::Counters counters;
};

struct LnsCounters {
  std::uint64_t calls_total = 0, calls_up = 0;
  std::uint64_t ip_to_tun = 0, ip_from_tun = 0;
  std::uint64_t drop_no_session = 0;    // TUN packet for an address no session owns
  std::uint64_t drop_not_ipv4 = 0;      // TUN packet that is not IPv4
  std::uint64_t drop_unknown_call = 0;  // L2TP data for a call we do not hold
  std::uint64_t drop_ppp = 0;           // frames the PPP session dropped
  std::uint64_t no_route = 0;           // IPCP up but the template has no TUN device
};

class LnsCalls {
 public:
  LnsCalls(config::ConfigStore& store, TimerService& timers, aaa::Aaa& aaa, L2tpPort& l2tp,
           IpPort& ip);
  ~LnsCalls();
  LnsCalls(const LnsCalls&) = delete;
  LnsCalls& operator=(const LnsCalls&) = delete;

  // The L2TP session is established (ICCN processed): start PPP.
  void on_call_up(const IncomingSession& call);
  // A PPP frame from the L2TP data channel (FF 03 optional); `tag` is what the call gave the
  // engine for its session (L2tpPort::set_session_tag), 0 if not known: the call is then
  // looked up by ref.
  void on_l2tp_data(SessionRef call, ByteView frame, std::uint32_t tag = 0);
  // SessionHandler::prefetch_tagged for the calls: step 0 the tag's entry, 1 the call, 2
  // its PPP session, 3 that session's state.
  void prefetch_tagged(std::uint32_t tag, unsigned step) const;
  // The L2TP session is gone (CDN received, StopCCN, tunnel lost, reset): tear down, no CDN.
  // `cause` is what the accounting Stop reports (default Lost-Carrier).
  void on_call_down(SessionRef call, aaa::TerminateCause cause = aaa::TerminateCause::lost_carrier);
  // An IPv4 datagram read from template `vt`'s TUN.
  void on_tun_packet(std::uint16_t vt, ByteView packet);

  // Ends every call through PPP Terminate + CDN (cause admin); accounting Stops go out.
  void close_all();
  // Ends one call from our side (reset l2tp session, cut connection): PPP Terminate, then
  // CDN; accounting Stop Admin-Reset, route and address released when PPP is down.
  bool close(SessionRef call);
  // RADIUS CoA on a call whose PPP is up. Session-Timeout: the call ends `remaining` from
  // now (nullopt: no limit; accounting Stop Session-Timeout). Idle-Timeout: the call ends
  // once no IP came from the user for `idle` (zero: never; accounting Stop Idle-Timeout);
  // an Idle-Timeout in the user's Access-Accept is applied the same way when PPP comes up.
  // False when the call is unknown or not up.
  bool set_session_timeout(SessionRef call, std::optional<Duration> remaining);
  bool set_idle_timeout(SessionRef call, Duration idle);
  // `undo interface virtual-template N`: close() every call on template `vt` (their data
  // path is gone with the template's device). Returns how many were closed.
  std::size_t close_template(std::uint16_t vt);

  std::size_t size() const { return calls_.size(); }
  std::vector<LnsCallStatus> status() const;
  std::optional<LnsCallStatus> find(SessionRef call) const;
  const LnsCounters& counters() const { return counters_; }
  // For tests: a random source for magic numbers and challenges (default OpenSSL).
  void set_random(std::function<void(std::span<std::uint8_t>)> random) {
    random_ = std::move(random);
  }

  class Call;  // one L2TP session's PPP side

 private:
  friend class Call;
  void finished(SessionRef id);
  void tag_call(Call& c);
  void untag_call(Call& c);

  config::ConfigStore& store_;
  TimerService& timers_;
  aaa::Aaa& aaa_;
  L2tpPort& l2tp_;
  IpPort& ip_;
  std::vector<SessionRef> sorted_ids() const;  // status and teardown go in call order

  // Hash tables: a std::map node costs 48-64 bytes per call, these 32 plus an 8-byte bucket.
  std::unordered_map<SessionRef, std::unique_ptr<Call>, SessionRefHash> calls_;
  std::unordered_map<std::uint32_t, SessionRef> by_address_;
  // The live calls by tag - 1, so a data message reaches its call without a hash lookup.
  std::vector<Call*> by_tag_;
  std::vector<std::uint32_t> free_tags_;
  DeferredDelete<Call> graveyard_;  // ended calls
  Bytes frame_buf_;                 // reused for TUN -> PPP framing
  LnsCounters counters_;
  std::function<void(std::span<std::uint8_t>)> random_;
};

// ---- LAC ----------------------------------------------------------------------------

struct AccessCall {
  AccessId id;
  std::string interface;               // "eth1"
  std::string calling_number;          // the user's MAC, as Calling Number / Calling-Station-Id
  std::uint16_t virtual_template = 0;  // `pppoe-server bind virtual-template N`
};

struct LacCallStatus {
  AccessId id;
  std::uint64_t aaa_session = 0;  // 0: none open; `display connection`'s Index
  std::string user;
  std::string state;  // "LCP", "Auth", "Placing", "Tunnelled", "Local", ...
  SessionRef l2tp;
  std::optional<Ipv4> address;         // local termination only
  std::uint16_t virtual_template = 0;  // the access interface's `pppoe-server bind`
};

struct LacCounters {
  std::uint64_t calls_total = 0;
  std::uint64_t tunnelled = 0;     // placed and up, now
  std::uint64_t local = 0;         // terminated locally, now
  std::uint64_t refused = 0;       // not a VPDN user and no local termination
  std::uint64_t place_failed = 0;  // no LNS answered / refused
  std::uint64_t frames_to_l2tp = 0, frames_to_user = 0;
  std::uint64_t drop_unknown = 0;       // frame for a session we do not hold
  std::uint64_t drop_not_switched = 0;  // user frame while the call is being placed
  std::uint64_t bridged = 0;            // calls the SwitchPort switches, now
  // Copies of a bridged call's frames the access socket still saw (the kernel switched
  // them): dropped here.
  std::uint64_t drop_bridged = 0;
};

class LacCalls {
 public:
  LacCalls(config::ConfigStore& store, TimerService& timers, aaa::Aaa& aaa, L2tpPort& l2tp,
           AccessPort& access, IpPort& ip);
  ~LacCalls();
  LacCalls(const LacCalls&) = delete;
  LacCalls& operator=(const LacCalls&) = delete;

  // PADS sent: run LCP and authentication with the user.
  void on_access_up(const AccessCall& call);
  // A PPP frame from the user (protocol + information).
  void on_access_frame(AccessId id, ByteView frame);
  // PADT from the user (or the access port went away): CDN towards the LNS, teardown.
  void on_access_down(AccessId id);
  // L2TP data for one of our placed calls; false when the call is not ours.
  bool on_l2tp_data(SessionRef call, ByteView frame);
  // Locally terminated users: an IPv4 datagram from template `vt`'s TUN; false if no
  // local user owns the destination.
  bool on_tun_packet(std::uint16_t vt, ByteView packet);

  // Shutdown: CDN for every tunnelled call, PADT to every user.
  void close_all();
  // Ends one call from our side (`cut connection`): CDN or L2TP cancel, PADT to the user,
  // accounting Stop with Admin-Reset. False if the call is unknown.
  bool close(AccessId id);
  // `undo interface virtual-template N`: close() every user terminated locally on template
  // `vt` (their address and route live on its device; tunnelled users do not use it).
  // Returns how many were closed.
  std::size_t close_local_template(std::uint16_t vt);
  // The access call holding L2TP session `call`, if any (`reset l2tp session`).
  std::optional<AccessId> find_l2tp(SessionRef call) const;

  std::size_t size() const { return calls_.size(); }
  std::vector<LacCallStatus> status() const;
  const LacCounters& counters() const { return counters_; }
  void set_random(std::function<void(std::span<std::uint8_t>)> random) {
    random_ = std::move(random);
  }
  // The data plane that bridges tunnelled calls (nullptr: none, every frame is switched
  // here). Set before the first call.
  void set_switch(SwitchPort* s) { switch_ = s; }

  class Call;

 private:
  friend class Call;
  void finished(AccessId id);

  config::ConfigStore& store_;
  TimerService& timers_;
  aaa::Aaa& aaa_;
  L2tpPort& l2tp_;
  AccessPort& access_;
  IpPort& ip_;
  std::map<AccessId, std::unique_ptr<Call>> calls_;
  std::map<SessionRef, AccessId> by_l2tp_;
  std::map<std::uint32_t, AccessId> by_address_;
  DeferredDelete<Call> graveyard_;  // ended calls
  Bytes frame_buf_;
  LacCounters counters_;
  std::function<void(std::span<std::uint8_t>)> random_;
  SwitchPort* switch_ = nullptr;
};

// ---- auto client (`l2tp-auto-client l2tp-group G` in a virtual template) --------------
//
// The box itself dials the group's LNS as a client-initiated L2TP user: one call per such
// template while `l2tp enable` is on, with a client-mode PppSession over it that answers
// CHAP (`ppp chap user/password`) or PAP (`ppp pap local-user`). On IPCP up the negotiated
// address goes onto the template's device with the LNS side as peer; IP read from that
// device goes to the LNS. A failed or dropped call is retried after 5 s, doubling up to
// 60 s (back to 5 s after a success). Removing the command, the group, or `undo l2tp
// enable` ends the call (CDN) and the retries.

struct AutoClientStatus {
  std::uint16_t virtual_template = 0;
  std::uint16_t group = 0;
  std::string user;
  std::string state;  // "Waiting", "Placing", "PPP", "Up"
  SessionRef l2tp;    // while a call is up
  std::optional<Ipv4> address, peer;
  std::uint32_t failures = 0;  // consecutive failed tries (back-off)
  std::optional<Duration> retry_in;
};

struct AutoClientCounters {
  std::uint64_t attempts = 0, ups = 0, failures = 0;
  std::uint64_t ip_to_tun = 0, ip_from_tun = 0;
  std::uint64_t drop_not_up = 0;  // TUN packet while the client is not up
  std::uint64_t drop_ppp = 0;     // frames the PPP session dropped
};

class AutoClients {
 public:
  static constexpr Duration kRetryFirst = std::chrono::seconds(5);
  static constexpr Duration kRetryMax = std::chrono::seconds(60);

  AutoClients(config::ConfigStore& store, TimerService& timers, L2tpPort& l2tp, IpPort& ip);
  ~AutoClients();
  AutoClients(const AutoClients&) = delete;
  AutoClients& operator=(const AutoClients&) = delete;

  // Starts, restarts (changed template/group) or stops the clients so that exactly the
  // configured ones run. Call after start and on every l2tp / template config change.
  void reconcile();
  // L2TP data for one of our calls; false when the call is not ours.
  bool on_l2tp_data(SessionRef call, ByteView frame);
  // An IPv4 datagram from template `vt`'s TUN; false if `vt` is not an auto client.
  bool on_tun_packet(std::uint16_t vt, ByteView packet);
  // Shutdown: CDN for every call, no more retries.
  void close_all();

  std::size_t size() const { return clients_.size(); }
  std::vector<AutoClientStatus> status() const;
  const AutoClientCounters& counters() const { return counters_; }
  void set_random(std::function<void(std::span<std::uint8_t>)> random) {
    random_ = std::move(random);
  }

  class Client;

 private:
  friend class Client;
  void bury(std::unique_ptr<ppp::PppSession> s);

  config::ConfigStore& store_;
  TimerService& timers_;
  L2tpPort& l2tp_;
  IpPort& ip_;
  bool closed_ = false;
  std::map<std::uint16_t, std::unique_ptr<Client>> clients_;  // by template
  std::map<SessionRef, std::uint16_t> by_l2tp_;
  DeferredDelete<ppp::PppSession> graveyard_;  // ended client sessions
  AutoClientCounters counters_;
  std::function<void(std::span<std::uint8_t>)> random_;
};

}  // namespace vpdnd::vpdn
