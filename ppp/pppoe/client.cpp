// One PPPoE user (RFC 2516 host side): PADI -> PADO -> PADR -> PADS, session frames, PADT.
#include "common/log.hpp"
#include "common/printable.hpp"
#include "ppp/pppoe.hpp"

namespace vpdnd::ppp {

PppoeClient::PppoeClient(PppoeClientConfig config, PppoeFrameSink& sink, TimerService& timers,
                         PppoeClientListener& listener)
    : config_(std::move(config)), sink_(sink), timer_(timers), listener_(listener) {}

PppoeClient::~PppoeClient() = default;

void PppoeClient::start() {
  if (state_ != State::idle) return;
  attempts_ = 0;
  send_padi();
}

void PppoeClient::send_padi() {
  send_request(PppoeCode::padi);
}

void PppoeClient::send_padr() {
  send_request(PppoeCode::padr);
}

// RFC 2516 §5.1 PADI (broadcast) / §5.3 PADR (to the chosen AC, echoing its AC-Cookie and
// Relay-Session-Id), each with our Service-Name and Host-Uniq, retransmitted on the timer.
void PppoeClient::send_request(PppoeCode code) {
  const bool padr = code == PppoeCode::padr;
  PppoeDiscovery p;
  p.dst = padr ? ac_mac_ : kBroadcastMac;
  p.src = config_.mac;
  p.code = code;
  p.add(pppoe_tag::service_name, config_.service_name);
  if (!config_.host_uniq.empty()) p.add(pppoe_tag::host_uniq, config_.host_uniq);
  if (padr && !cookie_.empty()) p.add(pppoe_tag::ac_cookie, cookie_);
  if (padr && have_relay_) p.add(pppoe_tag::relay_session_id, relay_id_);
  sink_.send_frame(encode_pppoe_discovery(p));
  state_ = padr ? State::padr_sent : State::padi_sent;
  ++attempts_;
  arm_timer();
}

void PppoeClient::arm_timer() {
  // RFC 2516 §7: the host doubles its wait after each unanswered attempt.
  Duration wait = config_.timeout * (1u << std::min(attempts_ - 1, 4u));
  timer_.arm(wait, [this] {
    if (attempts_ >= config_.max_attempts) {
      fail(state_ == State::padi_sent ? "no PADO (timeout)" : "no PADS (timeout)");
      return;
    }
    if (state_ == State::padi_sent)
      send_padi();
    else if (state_ == State::padr_sent)
      send_padr();
  });
}

void PppoeClient::fail(std::string_view why) {
  timer_.cancel();
  state_ = State::closed;
  listener_.on_pppoe_down(why);
}

void PppoeClient::on_frame(ByteView frame) {
  if (state_ == State::idle || state_ == State::closed) return;
  std::uint16_t type = ether_type(frame);
  if (type == kEtherTypePppoeSession) {
    if (state_ != State::session) return;
    auto f = decode_pppoe_session(frame);
    if (!f || f->dst != config_.mac || f->src != ac_mac_ || f->session_id != session_id_) return;
    listener_.on_pppoe_frame(f->ppp);
    return;
  }
  if (type != kEtherTypePppoeDiscovery) return;
  auto p = decode_pppoe_discovery(frame);
  if (!p || p->dst != config_.mac) return;
  // Host-Uniq tells our answers from those of other users sharing the wire and MAC.
  if (!config_.host_uniq.empty()) {
    const PppoeTag* u = p->find(pppoe_tag::host_uniq);
    if (p->code != PppoeCode::padt && (!u || u->value != config_.host_uniq)) return;
  }
  switch (p->code) {
    case PppoeCode::pado: {
      if (state_ != State::padi_sent) return;
      std::string ac = p->text(pppoe_tag::ac_name);
      if (!config_.ac_name.empty() && ac != config_.ac_name) return;
      if (!config_.service_name.empty()) {
        bool offered = false;
        for (const auto& t : p->tags)
          if (t.type == pppoe_tag::service_name &&
              std::string(t.value.begin(), t.value.end()) == config_.service_name)
            offered = true;
        if (!offered) return;
      }
      ac_mac_ = p->src;
      ac_name_seen_ = ac;
      const PppoeTag* c = p->find(pppoe_tag::ac_cookie);
      cookie_ = c ? c->value : Bytes{};
      const PppoeTag* r = p->find(pppoe_tag::relay_session_id);
      have_relay_ = r != nullptr;
      relay_id_ = r ? r->value : Bytes{};
      attempts_ = 0;
      send_padr();
      return;
    }
    case PppoeCode::pads: {
      if (state_ != State::padr_sent || p->src != ac_mac_) return;
      for (std::uint16_t err :
           {pppoe_tag::service_name_error, pppoe_tag::ac_system_error, pppoe_tag::generic_error}) {
        if (p->has(err)) {
          fail("PADS error: " + printable(p->text(err)));
          return;
        }
      }
      if (p->session_id == 0) {
        fail("PADS with session id 0");
        return;
      }
      timer_.cancel();
      session_id_ = p->session_id;
      state_ = State::session;
      listener_.on_pppoe_up(session_id_, ac_mac_);
      return;
    }
    case PppoeCode::padt: {
      if (state_ != State::session || p->src != ac_mac_ || p->session_id != session_id_) return;
      state_ = State::closed;
      listener_.on_pppoe_down("PADT from AC");
      return;
    }
    default:
      return;
  }
}

bool PppoeClient::send(ByteView ppp_frame) {
  if (state_ != State::session) return false;
  sink_.send_frame(encode_pppoe_session(ac_mac_, config_.mac, session_id_, ppp_frame));
  return true;
}

void PppoeClient::close() {
  timer_.cancel();
  if (state_ == State::session) {
    PppoeDiscovery t;
    t.dst = ac_mac_;
    t.src = config_.mac;
    t.code = PppoeCode::padt;
    t.session_id = session_id_;
    if (!config_.host_uniq.empty()) t.add(pppoe_tag::host_uniq, config_.host_uniq);
    sink_.send_frame(encode_pppoe_discovery(t));
  }
  state_ = State::closed;
}

}  // namespace vpdnd::ppp
