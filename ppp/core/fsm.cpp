// RFC 1661 §4.1 state transition table, written as the RFC writes it: one row per event,
// one cell per state, each cell the actions in the order they run and the state entered
// (where in the list it is entered matters: the host's layer events see it). row() takes
// exactly one cell per state and the table exactly one row per event (static_assert), so a
// state or event missing from it is a build error. RCA and RCN (Configure-Nak and -Reject
// alike) have a row each, as in the RFC. Where a row differs from the RFC it says so; the
// actions `fresh` and `kept` are this automaton's own (see Action).
#include "ppp/core/fsm.hpp"

#include <array>
#include <cstring>
#include <initializer_list>
#include <iterator>

#include "common/enum_names.hpp"

namespace vpdnd::ppp {

namespace {

using State = Fsm::State;
constexpr std::size_t kStates = static_cast<std::size_t>(State::opened) + 1;
// The RFC numbers the states 0..9 in the order of Fsm::State; the columns below follow it.
static_assert(kStates == 10 && static_cast<int>(State::req_sent) == 6);

// In states 6..9 a Configure-Request of ours may be outstanding: only there does a reply
// to one need checking against it.
constexpr bool negotiating(State s) {
  return s >= State::req_sent;
}

// The actions of RFC 1661 §4.4, plus `fresh` and `kept`.
enum class Action : std::uint8_t {
  tlu,
  tld,
  tls,
  tlf,
  irc,  // Max-Terminate in a cell that sends a Terminate-Request, Max-Configure otherwise
  zrc,
  scr,
  sca,  // Configure-Ack to the peer's request (RCR+)
  scn,  // Configure-Nak or -Reject, as the policy said (RCR-)
  str,
  sta,
  scj,
  fresh,  // a new negotiation: the Nak counters start from zero
  kept,   // stop here if the host's This-Layer-Down handler has moved the automaton
};

// An action, or entering a state.
struct Step {
  constexpr Step() = default;
  constexpr Step(Action a) : action(a) {}
  constexpr Step(State s) : enters(true), to(s) {}
  bool operator==(const Step&) const = default;
  Action action = Action::tlu;
  bool enters = false;
  State to = State::initial;
};

struct Cell {
  constexpr Cell() = default;
  constexpr Cell(std::initializer_list<Step> list) {
    for (Step s : list) steps.at(size++) = s;  // too long a cell fails the build
  }
  constexpr bool has(Action a) const {
    for (std::size_t i = 0; i < size; ++i)
      if (!steps[i].enters && steps[i].action == a) return true;
    return false;
  }
  bool operator==(const Cell&) const = default;
  std::array<Step, 5> steps{};
  std::size_t size = 0;
};

using Row = std::array<Cell, kStates>;

template <std::size_t N>
constexpr Row row(const Cell (&cells)[N]) {
  static_assert(N == kStates, "a row of the table has one cell per state");
  Row r;
  for (std::size_t i = 0; i < N; ++i) r[i] = cells[i];
  return r;
}

namespace rfc1661 {
using enum Fsm::State;
using enum Action;

// clang-format off
constexpr Row kTable[] = {
  //        Initial           Starting                     Closed                       Stopped
  //        Closing           Stopping                     Req-Sent                     Ack-Rcvd
  //        Ack-Sent          Opened
  // Up
  row({     {closed},         {irc, fresh, req_sent, scr}, {},                          {},
            {},               {},                          {},                          {},
            {},               {}}),
  // Down
  row({     {},               {},                          {initial},                   {starting, tls},
            {initial},        {starting},                  {starting},                  {starting},
            {starting},       {starting, tld}}),
  // Open (the RFC's restart option, "3r", "5r", "9r", is not taken)
  row({     {starting, tls},  {},                          {irc, fresh, req_sent, scr}, {},
            {stopping},       {},                          {},                          {},
            {},               {}}),
  // Close
  row({     {},               {initial, tlf},              {},                          {closed},
            {},               {closing},                   {irc, closing, str},         {irc, closing, str},
            {irc, closing, str}, {closing, tld, irc, kept, str}}),
  // TO+
  row({     {},               {},                          {},                          {},
            {str},            {str},                       {scr},                       {req_sent, scr},
            {scr},            {}}),
  // TO-
  row({     {},               {},                          {},                          {},
            {closed, tlf},    {stopped, tlf},              {stopped, tlf},              {stopped, tlf},
            {stopped, tlf},   {}}),
  // RCR+
  row({     {},               {},                          {sta},                       {irc, scr, sca, ack_sent},
            {},               {},                          {sca, ack_sent},             {sca, opened, tlu},
            {sca, ack_sent},  {tld, kept, scr, sca, ack_sent}}),
  // RCR-
  row({     {},               {},                          {sta},                       {irc, scr, scn, req_sent},
            {},               {},                          {scn, req_sent},             {scn},
            {scn, req_sent},  {tld, kept, scr, scn, req_sent}}),
  // RCA (in Ack-Rcvd a crossed connection: scr/6x)
  row({     {},               {},                          {sta},                       {sta},
            {},               {},                          {irc, ack_rcvd},             {req_sent, scr},
            {irc, opened, tlu}, {tld, kept, req_sent, scr}}),
  // RCN
  row({     {},               {},                          {sta},                       {sta},
            {},               {},                          {irc, scr},                  {req_sent, scr},
            {irc, scr},       {tld, kept, req_sent, scr}}),
  // RTR
  row({     {},               {},                          {sta},                       {sta},
            {sta},            {sta},                       {sta},                       {sta, req_sent},
            {sta, req_sent},  {stopping, tld, zrc, sta}}),
  // RTA
  row({     {},               {},                          {},                          {},
            {closed, tlf},    {stopped, tlf},              {},                          {req_sent},
            {},               {tld, kept, req_sent, scr}}),
  // RUC
  row({     {},               {},                          {scj},                       {scj},
            {scj},            {scj},                       {scj},                       {scj},
            {scj},            {scj}}),
  // RXJ+
  row({     {},               {},                          {},                          {},
            {},               {},                          {},                          {req_sent},
            {},               {}}),
  // RXJ-
  row({     {},               {},                          {closed, tlf},               {stopped, tlf},
            {closed, tlf},    {stopped, tlf},              {stopped, tlf},              {stopped, tlf},
            {stopped, tlf},   {stopping, tld, irc, kept, str}}),
};
// clang-format on
}  // namespace rfc1661
using rfc1661::kTable;

constexpr std::size_t kRcrPlus = 6, kRcrMinus = 7;
// on_rcr asks the policy only where the automaton answers the request; elsewhere RCR+ and
// RCR- must then be the same cell.
constexpr bool rcr_rows_agree() {
  for (std::size_t s = 0; s < kStates; ++s) {
    const Cell& plus = kTable[kRcrPlus][s];
    const Cell& minus = kTable[kRcrMinus][s];
    if (plus.has(Action::sca) != minus.has(Action::scn)) return false;
    if (!plus.has(Action::sca) && !(plus == minus)) return false;
  }
  return true;
}
static_assert(rcr_rows_agree());

}  // namespace

std::string_view to_string(Fsm::State s) {
  static constexpr std::string_view kNames[] = {"Initial",  "Starting", "Closed",   "Stopped",
                                                "Closing",  "Stopping", "Req-Sent", "Ack-Rcvd",
                                                "Ack-Sent", "Opened"};
  return enum_name<State::initial, State::opened>(s, kNames);
}

std::string_view Fsm::event_name(Event e) {
  static constexpr std::string_view names[] = {"Up",  "Down", "Open", "Close", "TO+",
                                               "TO-", "RCR+", "RCR-", "RCA",   "RCN",
                                               "RTR", "RTA",  "RUC",  "RXJ+",  "RXJ-"};
  static_assert(std::size(names) == static_cast<std::size_t>(Event::rxj_minus) + 1);
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
  // The packets of an established link (Echo-Request/Reply) are small: built on the stack,
  // the same octets encode_control gives, without a heap allocation each.
  constexpr std::size_t kSmall = 256;
  if (data.size() + 4 <= kSmall) {
    std::array<std::uint8_t, kSmall> pkt;
    const std::size_t len = data.size() + 4;
    pkt[0] = code;
    pkt[1] = id;
    pkt[2] = static_cast<std::uint8_t>(len >> 8);
    pkt[3] = static_cast<std::uint8_t>(len);
    if (!data.empty()) std::memcpy(pkt.data() + 4, data.data(), data.size());
    host_.fsm_send(*this, ByteView(pkt.data(), len));
    return;
  }
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

void Fsm::sca_scn(const ControlPacket& p, const FsmPolicy::Check& check) {
  if (check.verdict == FsmPolicy::Verdict::ack) {
    nak_loops_ = 0;
    send_packet(static_cast<std::uint8_t>(Code::configure_ack), p.id, p.data);
  } else if (check.verdict == FsmPolicy::Verdict::nak) {
    ++nak_loops_;
    send_packet(static_cast<std::uint8_t>(Code::configure_nak), p.id, check.options);
  } else {
    send_packet(static_cast<std::uint8_t>(Code::configure_reject), p.id, check.options);
  }
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

void Fsm::run(Event ev, const Input& in) {
  static_assert(std::size(kTable) == static_cast<std::size_t>(Event::rxj_minus) + 1,
                "the table has one row per event");
  const Cell& cell = kTable[static_cast<std::size_t>(ev)][static_cast<std::size_t>(state_)];
  State entered = state_;
  for (std::size_t i = 0; i < cell.size; ++i) {
    const Step& step = cell.steps[i];
    if (step.enters) {
      set_state(step.to, ev);
      entered = step.to;
      continue;
    }
    switch (step.action) {
      case Action::tlu:
        tlu();
        break;
      case Action::tld:
        host_.fsm_down(*this);
        break;
      case Action::tls:
        host_.fsm_started(*this);
        break;
      case Action::tlf:
        host_.fsm_finished(*this);
        break;
      case Action::irc:
        if (cell.has(Action::str))
          irc_terminate();
        else
          irc_configure();
        break;
      case Action::zrc:
        zrc();  // RTR in Opened: the peer gets one restart period before Stopped
        break;
      case Action::scr:
        if (ev == Event::to_plus)
          debug(DebugClass::event, [&] {
            return protocol_name(protocol_) + ": restart timer expired, resending ConfReq";
          });
        scr();
        break;
      case Action::sca:
      case Action::scn:
        sca_scn(*in.packet, *in.check);
        break;
      case Action::str:
        str();
        break;
      case Action::sta:
        sta(in.packet->id);
        break;
      case Action::scj:
        scj(in.whole);
        break;
      case Action::fresh:
        nak_loops_ = 0;
        naks_received_ = 0;
        break;
      case Action::kept:
        if (state_ != entered) return;
        break;
    }
  }
}

// ---- administrative / lower-layer events ------------------------------------------------

void Fsm::up() {
  run(Event::up);
}

void Fsm::down() {
  run(Event::down);
}

void Fsm::open() {
  run(Event::open);
}

void Fsm::close(std::string_view reason) {
  host_.fsm_keep_terminate_reason(*this, reason);
  run(Event::close);
}

void Fsm::force_opened() {
  set_state(State::opened, Event::rca);
  tlu();
}

void Fsm::timeout() {
  run(restart_count_ > 0 ? Event::to_plus : Event::to_minus);
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
      run(Event::rtr, {.packet = &*p});
      break;
    case 6:
      run(Event::rta);
      break;
    case 7: {
      // RFC 1661 §5.6: a rejected code this implementation needs (1..7) is catastrophic.
      std::uint8_t rejected = p->data.empty() ? 0 : p->data[0];
      run(rejected >= 1 && rejected <= 7 ? Event::rxj_minus : Event::rxj_plus);
      break;
    }
    default:
      if (!host_.fsm_extended_code(*this, p->code, p->id, p->data))
        run(Event::ruc, {.whole = packet.first(p->data.size() + 4)});
      break;
  }
}

void Fsm::on_rcr(const ControlPacket& p) {
  Input in{.packet = &p};
  auto answered = [&] {
    return kTable[kRcrPlus][static_cast<std::size_t>(state_)].has(Action::sca);
  };
  if (!answered()) {
    run(Event::rcr_plus, in);  // not answered here: RCR+ and RCR- are the same cell
    return;
  }
  FsmPolicy::Check check = policy().check_request(p.data, nak_loops_ >= cfg().max_failure);
  if (!answered()) return;  // the policy moved the automaton
  in.check = &check;
  run(check.verdict == FsmPolicy::Verdict::ack ? Event::rcr_plus : Event::rcr_minus, in);
}

void Fsm::on_reply(const ControlPacket& p, Reply reply) {
  const bool ack = reply == Reply::ack;
  const Event ev = ack ? Event::rca : Event::rcn;
  if (!negotiating(state_)) {
    run(ev, {.packet = &p});
    return;
  }
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
    host_.fsm_finished(*this);  // tlf
    return;
  }
  // The policy may have closed the layer (an option we cannot do without was refused):
  // then the reply is ignored.
  if (negotiating(state_)) run(ev, {.packet = &p});
}

void Fsm::protocol_rejected() {
  run(Event::rxj_minus);
}

}  // namespace vpdnd::ppp
