// RFC 1661 §4.1 state transition table, one function per event (RCA and RCN, for
// Configure-Nak and -Reject, share one: their columns differ only where an Ack advances).
// Every cell of the table is handled in a switch over the state, and every such switch names
// every state, with no `default:`: -Werror=switch (via -Wall) makes a state missing from one
// a build error.
#include "ppp/core/fsm.hpp"

namespace vpdnd::ppp {

std::string_view to_string(Fsm::State s) {
  switch (s) {
    case Fsm::State::initial:
      return "Initial";
    case Fsm::State::starting:
      return "Starting";
    case Fsm::State::closed:
      return "Closed";
    case Fsm::State::stopped:
      return "Stopped";
    case Fsm::State::closing:
      return "Closing";
    case Fsm::State::stopping:
      return "Stopping";
    case Fsm::State::req_sent:
      return "Req-Sent";
    case Fsm::State::ack_rcvd:
      return "Ack-Rcvd";
    case Fsm::State::ack_sent:
      return "Ack-Sent";
    case Fsm::State::opened:
      return "Opened";
  }
  return "?";
}

std::string_view Fsm::event_name(Event e) {
  static constexpr std::string_view names[] = {"Up",  "Down", "Open", "Close", "TO+",
                                               "TO-", "RCR+", "RCR-", "RCA",   "RCN",
                                               "RTR", "RTA",  "RUC",  "RXJ+",  "RXJ-"};
  return names[static_cast<int>(e)];
}

void Fsm::set_state(State s, Event why) {
  State old = state_;
  state_ = s;
  // The restart timer runs only while a request or terminate is outstanding.
  if (s == State::initial || s == State::starting || s == State::closed || s == State::stopped ||
      s == State::opened)
    stop_restart();
  if (old != s)
    debug(DebugClass::event, [&] {
      return protocol_name(protocol_) + ": " + std::string(event_name(why)) + " in " +
             std::string(to_string(old)) + ", state now " + std::string(to_string(s));
    });
}

void Fsm::arm_restart() {
  stop_restart();
  restart_ = host_.fsm_timer_service().schedule(cfg().restart, [this] {
    restart_ = TimerService::kNoTimer;
    FsmHost& host = host_;  // the host may destroy this Fsm in fsm_after_timer()
    timeout();
    host.fsm_after_timer();
  });
}

void Fsm::stop_restart() {
  if (restart_ != TimerService::kNoTimer) host_.fsm_timer_service().cancel(restart_);
  restart_ = TimerService::kNoTimer;
}

void Fsm::send_packet(std::uint8_t code, std::uint8_t id, ByteView data) {
  Bytes pkt = encode_control(code, id, data);
  host_.fsm_send(*this, pkt);
}

void Fsm::scr() {
  // A new request (not a retransmission) gets a fresh Identifier and fresh options; on
  // TO+ RFC 1661 §5.1 allows either, and a new id lets late replies be told apart.
  Bytes options = policy().build_request();
  req_id_ = ++id_;
  req_outstanding_ = true;
  if (restart_count_ > 0) --restart_count_;
  send_packet(static_cast<std::uint8_t>(Code::configure_request), req_id_, options);
  arm_restart();
}

void Fsm::str() {
  term_id_ = ++id_;
  if (restart_count_ > 0) --restart_count_;
  std::string_view reason = host_.fsm_terminate_reason(*this);
  send_packet(static_cast<std::uint8_t>(Code::terminate_request), term_id_,
              ByteView(reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()));
  arm_restart();
}

void Fsm::sta(std::uint8_t id) {
  send_packet(static_cast<std::uint8_t>(Code::terminate_ack), id, {});
}

void Fsm::scj(ByteView rejected) {
  // RFC 1661 §5.6: the rejected packet, truncated to fit the peer's MRU; 1500 - 4 is safe.
  send_packet(static_cast<std::uint8_t>(Code::code_reject), ++id_,
              rejected.first(std::min<std::size_t>(rejected.size(), 1496)));
}

void Fsm::tlu() {
  nak_loops_ = 0;
  naks_received_ = 0;
  host_.fsm_up(*this);
}
void Fsm::tld() {
  host_.fsm_down(*this);
}
void Fsm::tls() {
  host_.fsm_started(*this);
}
void Fsm::tlf() {
  host_.fsm_finished(*this);
}

// ---- administrative / lower-layer events ------------------------------------------------

void Fsm::up() {
  switch (state_) {
    case State::initial:
      set_state(State::closed, Event::up);
      break;
    case State::starting:
      irc_configure();
      nak_loops_ = 0;
      naks_received_ = 0;
      set_state(State::req_sent, Event::up);
      scr();
      break;
    case State::closed:
    case State::stopped:
    case State::closing:
    case State::stopping:
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
    case State::opened:
      break;  // impossible per the table: the lower layer is already up
  }
}

void Fsm::down() {
  switch (state_) {
    case State::closed:
      set_state(State::initial, Event::down);
      break;
    case State::stopped:
      set_state(State::starting, Event::down);
      tls();
      break;
    case State::closing:
      set_state(State::initial, Event::down);
      break;
    case State::stopping:
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
      set_state(State::starting, Event::down);
      break;
    case State::opened:
      set_state(State::starting, Event::down);
      tld();
      break;
    case State::initial:
    case State::starting:
      break;
  }
}

void Fsm::open() {
  switch (state_) {
    case State::initial:
      set_state(State::starting, Event::open);
      tls();
      break;
    case State::closed:
      irc_configure();
      nak_loops_ = 0;
      naks_received_ = 0;
      set_state(State::req_sent, Event::open);
      scr();
      break;
    case State::closing:
      set_state(State::stopping, Event::open);
      break;
    case State::starting:
    case State::stopped:
    case State::stopping:
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
    case State::opened:
      break;
  }
}

void Fsm::close(std::string_view reason) {
  host_.fsm_keep_terminate_reason(*this, reason);
  switch (state_) {
    case State::starting:
      set_state(State::initial, Event::close);
      tlf();
      break;
    case State::stopped:
      set_state(State::closed, Event::close);
      break;
    case State::stopping:
      set_state(State::closing, Event::close);
      break;
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
      irc_terminate();
      set_state(State::closing, Event::close);
      str();
      break;
    case State::opened:
      set_state(State::closing, Event::close);
      tld();
      irc_terminate();
      if (state_ == State::closing) str();
      break;
    case State::initial:
    case State::closed:
    case State::closing:
      break;
  }
}

void Fsm::force_opened() {
  set_state(State::opened, Event::rca);
  tlu();
}

void Fsm::timeout() {
  bool plus = restart_count_ > 0;
  Event ev = plus ? Event::to_plus : Event::to_minus;
  switch (state_) {
    case State::closing:
      if (plus) {
        str();
      } else {
        set_state(State::closed, ev);
        tlf();
      }
      break;
    case State::stopping:
      if (plus) {
        str();
      } else {
        set_state(State::stopped, ev);
        tlf();
      }
      break;
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
      if (plus) {
        if (state_ == State::ack_rcvd) set_state(State::req_sent, ev);
        debug(DebugClass::event, [&] {
          return protocol_name(protocol_) + ": restart timer expired, resending ConfReq";
        });
        scr();
      } else {
        set_state(State::stopped, ev);
        tlf();
      }
      break;
    case State::initial:
    case State::starting:
    case State::closed:
    case State::stopped:
    case State::opened:
      break;
  }
}

// ---- received packets -------------------------------------------------------------------

void Fsm::receive(ByteView packet) {
  auto p = decode_control(packet);
  if (!p) {
    debug(DebugClass::error, [&] {
      return protocol_name(protocol_) + ": dropped malformed packet: " + to_string(p.error());
    });
    return;
  }
  // RFC 1661 §4.2: no packets are handled before the lower layer is up.
  if (state_ == State::initial || state_ == State::starting) {
    debug(DebugClass::error, [&] {
      return protocol_name(protocol_) + ": dropped packet in state " +
             std::string(to_string(state_));
    });
    return;
  }
  switch (p->code) {
    case 1:
      on_rcr(*p);
      break;
    case 2:
      on_reply(*p, Reply::ack);
      break;
    case 3:
      on_reply(*p, Reply::nak);
      break;
    case 4:
      on_reply(*p, Reply::reject);
      break;
    case 5:
      on_rtr(*p);
      break;
    case 6:
      on_rta();
      break;
    case 7: {
      // RFC 1661 §5.6: a rejected code this implementation needs (1..7) is catastrophic.
      std::uint8_t rejected = p->data.empty() ? 0 : p->data[0];
      on_rxj(!(rejected >= 1 && rejected <= 7));
      break;
    }
    default:
      if (!host_.fsm_extended_code(*this, p->code, p->id, p->data))
        on_ruc(packet.first(p->data.size() + 4));
      break;
  }
}

void Fsm::on_rcr(const ControlPacket& p) {
  switch (state_) {
    case State::closed:
      sta(p.id);
      return;
    case State::initial:
    case State::starting:
    case State::closing:
    case State::stopping:
      return;
    case State::stopped:
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
    case State::opened:
      break;
  }
  FsmPolicy::Check check = policy().check_request(p.data, nak_loops_ >= cfg().max_failure);
  bool good = check.verdict == FsmPolicy::Verdict::ack;
  auto send_reply = [&] {
    if (good) {
      nak_loops_ = 0;
      send_packet(static_cast<std::uint8_t>(Code::configure_ack), p.id, p.data);
    } else if (check.verdict == FsmPolicy::Verdict::nak) {
      ++nak_loops_;
      send_packet(static_cast<std::uint8_t>(Code::configure_nak), p.id, check.options);
    } else {
      send_packet(static_cast<std::uint8_t>(Code::configure_reject), p.id, check.options);
    }
  };
  Event ev = good ? Event::rcr_plus : Event::rcr_minus;
  switch (state_) {
    case State::stopped:
      irc_configure();
      scr();
      send_reply();
      set_state(good ? State::ack_sent : State::req_sent, ev);
      break;
    case State::req_sent:
      send_reply();
      set_state(good ? State::ack_sent : State::req_sent, ev);
      break;
    case State::ack_rcvd:
      send_reply();
      if (good) {
        set_state(State::opened, ev);
        tlu();
      }
      break;
    case State::ack_sent:
      send_reply();
      set_state(good ? State::ack_sent : State::req_sent, ev);
      break;
    case State::opened:
      tld();
      if (state_ != State::opened) return;  // the down handler closed us
      scr();
      send_reply();
      set_state(good ? State::ack_sent : State::req_sent, ev);
      break;
    case State::initial:
    case State::starting:
    case State::closed:
    case State::closing:
    case State::stopping:
      break;
  }
}

void Fsm::on_reply(const ControlPacket& p, Reply reply) {
  switch (state_) {
    case State::closed:
    case State::stopped:
      sta(p.id);
      return;
    case State::initial:
    case State::starting:
    case State::closing:
    case State::stopping:
      return;
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
    case State::opened:
      break;
  }
  const bool ack = reply == Reply::ack;
  // RFC 1661 §5.2-5.4: a reply whose Identifier or options do not match our request is
  // invalid and silently discarded.
  if (!req_outstanding_ || p.id != req_id_ ||
      !(ack                   ? policy().on_ack(p.data)
        : reply == Reply::nak ? policy().on_nak(p.data)
                              : policy().on_reject(p.data))) {
    debug(DebugClass::error, [&] {
      return protocol_name(protocol_) + ": discarded " + (ack ? "ConfAck" : "ConfNak/Rej") +
             " not matching our request";
    });
    return;
  }
  req_outstanding_ = false;
  // Not in the RFC 1661 table: a peer that Naks/Rejects forever would keep us in Req-Sent
  // for ever (each RCN re-initialises the restart counter). Treat more than Max-Configure
  // of them as not converging, like TO- (tlf/3).
  if (!ack && ++naks_received_ > cfg().max_configure) {
    debug(DebugClass::error, [&] {
      return protocol_name(protocol_) + ": peer keeps refusing our options, giving up";
    });
    set_state(State::stopped, reply == Reply::reject ? Event::rxj_minus : Event::rcn);
    tlf();
    return;
  }
  const Event ev = ack ? Event::rca : Event::rcn;
  // The policy may have closed the layer (an option we cannot do without was refused):
  // then the state is one of those that ignore the reply.
  switch (state_) {
    case State::req_sent:
      irc_configure();
      if (ack)
        set_state(State::ack_rcvd, ev);
      else
        scr();
      break;
    case State::ack_rcvd:  // RCA here: crossed; the RFC says scr/6
      set_state(State::req_sent, ev);
      scr();
      break;
    case State::ack_sent:
      irc_configure();
      if (ack) {
        set_state(State::opened, ev);
        tlu();
      } else {
        scr();
      }
      break;
    case State::opened:
      tld();
      if (state_ != State::opened) return;  // the down handler closed us
      set_state(State::req_sent, ev);
      scr();
      break;
    case State::initial:
    case State::starting:
    case State::closed:
    case State::stopped:
    case State::closing:
    case State::stopping:
      break;
  }
}

void Fsm::on_rtr(const ControlPacket& p) {
  switch (state_) {
    case State::closed:
    case State::stopped:
    case State::closing:
    case State::stopping:
    case State::req_sent:
      sta(p.id);
      break;
    case State::ack_rcvd:
    case State::ack_sent:
      sta(p.id);
      set_state(State::req_sent, Event::rtr);
      break;
    case State::opened:
      set_state(State::stopping, Event::rtr);
      tld();
      restart_count_ = 0;
      arm_restart();  // zrc: give the peer one restart period before Stopped
      sta(p.id);
      break;
    case State::initial:
    case State::starting:
      break;
  }
}

void Fsm::on_rta() {
  switch (state_) {
    case State::closing:
      set_state(State::closed, Event::rta);
      tlf();
      break;
    case State::stopping:
      set_state(State::stopped, Event::rta);
      tlf();
      break;
    case State::ack_rcvd:
      set_state(State::req_sent, Event::rta);
      break;
    case State::opened:
      tld();
      if (state_ != State::opened) return;
      set_state(State::req_sent, Event::rta);
      scr();
      break;
    case State::initial:
    case State::starting:
    case State::closed:
    case State::stopped:
    case State::req_sent:
    case State::ack_sent:
      break;
  }
}

void Fsm::on_ruc(ByteView whole) {
  switch (state_) {
    case State::initial:
    case State::starting:
      break;
    case State::closed:
    case State::stopped:
    case State::closing:
    case State::stopping:
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
    case State::opened:
      scj(whole);
      break;
  }
}

void Fsm::protocol_rejected() {
  on_rxj(false);
}

void Fsm::on_rxj(bool permitted) {
  if (permitted) {
    if (state_ == State::ack_rcvd) set_state(State::req_sent, Event::rxj_plus);
    return;
  }
  switch (state_) {
    case State::closed:
    case State::closing:
      set_state(State::closed, Event::rxj_minus);
      tlf();
      break;
    case State::stopped:
    case State::stopping:
    case State::req_sent:
    case State::ack_rcvd:
    case State::ack_sent:
      set_state(State::stopped, Event::rxj_minus);
      tlf();
      break;
    case State::opened:
      set_state(State::stopping, Event::rxj_minus);
      tld();
      irc_terminate();
      if (state_ == State::stopping) str();
      break;
    case State::initial:
    case State::starting:
      break;
  }
}

}  // namespace vpdnd::ppp
