// DOC: the RFC 1661 §4 option-negotiation automaton, written once and used by LCP and
// IPCP through FsmPolicy (negotiation) and FsmHost (the owner: policy lookup, layer
// events, output, timers). Internal to ppp/core (tests include it; other modules use
// ppp/ppp.hpp only).
// Protocol thread only. The owner outlives the Fsm; the Fsm owns one restart timer (an id in
// the owner's TimerService). Callbacks may destroy nothing: the owner tears down only after
// the current event returns (PppSession defers its own destruction-causing listener calls
// to the end of its entry points) and frees a policy only between events.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/log.hpp"
#include "common/timer.hpp"
#include "ppp/ppp.hpp"

namespace vpdnd::ppp {

// The negotiation half of a protocol (the C++ form of pppd/npppd `fsm_callbacks` minus the
// layer events): only needed while options are being negotiated, so an owner may destroy it
// once the automaton is Opened and build it again when the peer renegotiates (FsmHost::
// fsm_policy is asked for it on every use; no reference is kept across events).
class FsmPolicy {
 public:
  virtual ~FsmPolicy() = default;
  enum class Verdict { ack, nak, reject };
  struct Check {
    Verdict verdict = Verdict::ack;
    Bytes options;  // for nak/reject: the options to send back; for ack: ignored (echoed)
  };
  // Our Configure-Request options (called for every new request, not for retransmits).
  virtual Bytes build_request() = 0;
  // The peer's Configure-Request. `reject_if_disagree` is true once Max-Failure Naks were
  // sent without an Ack: the policy must then Reject what it would Nak (RFC 1661 §4.6).
  virtual Check check_request(ByteView options, bool reject_if_disagree) = 0;
  // Replies to our request (Identifier already matched). false: malformed/not matching,
  // the packet is discarded as RFC 1661 §5.2-5.4 require.
  virtual bool on_ack(ByteView options) = 0;
  virtual bool on_nak(ByteView options) = 0;
  virtual bool on_reject(ByteView options) = 0;
};

class Fsm;

// What an automaton needs from its owner: its policy (asked for on each use, so the owner
// may build it lazily and free it while Opened), the layer events (This-Layer-Up/-Down/
// -Started/-Finished, RFC 1661 §4.4), codes beyond 1..7 (LCP's 8..11), the output port,
// debug lines (built only when the switch is on) and a hook after each restart-timer event
// (an entry point of its own, so the owner can run its deferred work there). One pointer
// instead of a bundle of std::function members: PppSession holds two automata per user.
class FsmHost {
 public:
  virtual ~FsmHost() = default;
  virtual FsmPolicy& fsm_policy(const Fsm& fsm) = 0;
  // The restart timer's service and the counters' limits (both the owner's, outliving the
  // automaton; one copy per owner rather than per automaton).
  virtual TimerService& fsm_timer_service() = 0;
  virtual const FsmTimers& fsm_timers() const = 0;
  // The text of our Terminate-Requests: close(reason) hands it over, every (re)sent
  // Terminate-Request asks for it. Kept by the host, which needs it only while closing,
  // not in every automaton. The defaults send none.
  virtual void fsm_keep_terminate_reason(const Fsm& /*fsm*/, std::string_view /*reason*/) {}
  virtual std::string_view fsm_terminate_reason(const Fsm& /*fsm*/) const { return {}; }
  virtual void fsm_up(const Fsm& fsm) = 0;
  virtual void fsm_down(const Fsm& fsm) = 0;
  virtual void fsm_started(const Fsm& /*fsm*/) {}
  virtual void fsm_finished(const Fsm& fsm) = 0;
  // Return false for a code the protocol does not know: the Fsm then sends Code-Reject (RUC).
  virtual bool fsm_extended_code(const Fsm& /*fsm*/, std::uint8_t /*code*/, std::uint8_t /*id*/,
                                 ByteView /*data*/) {
    return false;
  }
  virtual void fsm_send(const Fsm& fsm, ByteView control_packet) = 0;  // protocol added by the host
  virtual bool fsm_debug_on(DebugClass) const { return false; }
  virtual void fsm_debug(DebugClass, std::string_view) {}
  virtual void fsm_after_timer() {}
};

class Fsm {
 public:
  enum class State : std::uint8_t {
    initial,
    starting,
    closed,
    stopped,
    closing,
    stopping,
    req_sent,
    ack_rcvd,
    ack_sent,
    opened
  };
  Fsm(std::uint16_t protocol, FsmHost& host) : host_(host), protocol_(protocol) {}
  ~Fsm() { stop_restart(); }
  Fsm(const Fsm&) = delete;
  Fsm& operator=(const Fsm&) = delete;
  // Cancels the restart timer (an owner tearing down calls it while it is still whole).
  void stop_restart();

  // Administrative and lower-layer events (RFC 1661 §4.3).
  void up();
  void down();
  void open();
  void close(std::string_view reason);
  // A control packet of this protocol (without the protocol field).
  void receive(ByteView packet);
  // RXJ for this protocol coming from outside (Protocol-Reject of it): catastrophic.
  void protocol_rejected();
  // Start directly in Opened without negotiating (LNS with proxy LCP): the caller has set
  // up the policy with the proxied options. this_layer_up is called.
  void force_opened();

  State state() const { return state_; }
  std::uint16_t protocol() const { return protocol_; }
  std::uint8_t next_id() { return ++id_; }  // for extended codes (Echo-Request)
  void send_packet(std::uint8_t code, std::uint8_t id, ByteView data);
  unsigned naks_sent() const { return nak_loops_; }

 private:
  enum class Event : std::uint8_t {
    up,
    down,
    open,
    close,
    to_plus,
    to_minus,
    rcr_plus,
    rcr_minus,
    rca,
    rcn,
    rtr,
    rta,
    ruc,
    rxj_plus,
    rxj_minus
  };
  static std::string_view event_name(Event e);
  // What a received packet brings to the actions of its event's cell of the table.
  struct Input {
    const ControlPacket* packet = nullptr;    // sta, sca, scn
    const FsmPolicy::Check* check = nullptr;  // sca, scn: the policy's verdict on an RCR
    ByteView whole{};                         // scj: the packet as received
  };
  // Runs the cell of the RFC 1661 §4.1 table for `ev` in the current state.
  void run(Event ev, const Input& in);
  void run(Event ev) { run(ev, Input{}); }
  void timeout();
  void set_state(State s, Event why);
  const FsmTimers& cfg() const { return host_.fsm_timers(); }
  void irc_configure() { restart_count_ = cfg().max_configure; }
  void irc_terminate() { restart_count_ = cfg().max_terminate; }
  void zrc() {
    restart_count_ = 0;
    arm_restart();
  }
  void arm_restart();
  void scr();                                                           // send Configure-Request
  void sca_scn(const ControlPacket& p, const FsmPolicy::Check& check);  // answer an RCR
  void str();                                                           // send Terminate-Request
  void sta(std::uint8_t id);                                            // send Terminate-Ack
  void scj(ByteView rejected);                                          // send Code-Reject
  void on_rcr(const ControlPacket& p);
  enum class Reply : std::uint8_t { ack, nak, reject };
  void on_reply(const ControlPacket& p, Reply reply);  // RCA, RCN (Nak and Reject)
  void tlu();

  template <class Make>
  void debug(DebugClass c, Make&& make) {
    if (host_.fsm_debug_on(c)) host_.fsm_debug(c, make());
  }

  FsmPolicy& policy() { return host_.fsm_policy(*this); }

  // Kept small (one per protocol per user): timer service, limits and the Terminate-Request
  // text come from the host, the restart timer is an id scheduled with a one-pointer
  // callback (stored in place by std::function).
  FsmHost& host_;
  TimerService::Id restart_ = TimerService::kNoTimer;
  unsigned restart_count_ = 0;
  unsigned nak_loops_ = 0;
  unsigned naks_received_ = 0;  // Naks/Rejects of our requests since the last Opened
  std::uint16_t protocol_;
  State state_ = State::initial;
  std::uint8_t id_ = 0;
  std::uint8_t req_id_ = 0;  // Identifier of our outstanding Configure-Request
  bool req_outstanding_ = false;
  std::uint8_t term_id_ = 0;
};

std::string_view to_string(Fsm::State s);

}  // namespace vpdnd::ppp
