// Control messages out: encoding (hidden AVPs), transmission under the unproven-peer byte
// budget, and the `debugging l2tp control` line for either direction.
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

void L2tpEngine::Impl::send_control(Tunnel& t, ControlMessage msg) {
  if (t.dead) return;
  msg.tunnel_id = t.remote_id;
  HidingContext h = t.hiding();
  auto bytes = encode_control(msg, t.secret.empty() ? nullptr : &h, random_);
  if (!bytes) {
    drop("encode failed");
    debug_lazy(kL2tp, DebugClass::error, [&] {
      return "Tunnel " + std::to_string(t.local_id) + ": cannot encode " + mtype_name(msg.type) +
             " (AVP " + std::to_string(bytes.error().avp_type) + ")";
    });
    return;
  }
  if (debug_on(kL2tp, DebugClass::hidden)) log_hidden_avps(t, msg, "hiding");
  ++messages_out_[message_index(static_cast<std::uint16_t>(msg.type))];
  t.transport.send(std::move(*bytes));
}

void L2tpEngine::Impl::transmit(Tunnel& t, const Bytes& packet, bool retransmission) {
  if (!t.peer_proven) {
    SourceState* src = source(t.peer.address);
    const std::uint64_t budget = src ? src->bytes_in * options_.unconfirmed_byte_ratio : 0;
    if (!src || src->bytes_out + packet.size() > budget) {
      drop("reply to unconfirmed peer over byte budget");
      return;
    }
    src->bytes_out += packet.size();
    unconfirmed_out_ += packet.size();
  }
  ++t.control_out;
  if (packet.size() == kControlHeaderSize) ++messages_out_[kZlbIndex];
  if (retransmission) ++retransmits_;
  if (debug_on(kL2tp, DebugClass::control)) log_control(t, packet, true, retransmission);
  send_raw(t.peer, packet);
}

// `debugging l2tp hidden`: one line per hidden AVP of a message we hide or unhid.
void L2tpEngine::Impl::log_hidden_avps(const Tunnel& t, const ControlMessage& m,
                                       std::string_view verb) {
  for (const auto& a : m.avps)
    if (a.hidden)
      LogBus::instance().debug(kL2tp, DebugClass::hidden,
                               "Tunnel " + std::to_string(t.local_id) + " " + std::string(verb) +
                                   " AVP " + std::string(avp_name(a.type)) + " in " +
                                   mtype_name(m.type) + " (len=" + std::to_string(a.value.size()) +
                                   ")");
}

void L2tpEngine::Impl::log_control(const Tunnel& t, ByteView packet, bool sent,
                                   bool retransmission) {
  std::string name = "ZLB";
  std::string avps;
  std::uint16_t ns = 0, nr = 0;
  if (packet.size() >= kControlHeaderSize) {
    ns = static_cast<std::uint16_t>(packet[8] << 8 | packet[9]);
    nr = static_cast<std::uint16_t>(packet[10] << 8 | packet[11]);
  }
  if (packet.size() > kControlHeaderSize) {
    HidingContext h = t.hiding();
    auto m = decode_control(packet, t.secret.empty() ? nullptr : &h);
    if (m) {
      name = mtype_name(m->type);
      std::string d = describe(*m);
      // describe() starts with a header line; the AVPs follow one per line.
      auto nl = d.find('\n');
      if (nl != std::string::npos) avps = d.substr(nl);
      while (!avps.empty() && avps.back() == '\n') avps.pop_back();
    } else {
      name = "malformed";
    }
  }
  std::string line = "Tunnel " + std::to_string(t.local_id) +
                     (sent ? (retransmission ? " retransmitted " : " sent ") : " received ") +
                     name + (sent ? " to " + t.peer.to_string() : std::string()) +
                     " (len=" + std::to_string(packet.size()) + " Ns=" + std::to_string(ns) +
                     " Nr=" + std::to_string(nr) + ")" + avps;
  LogBus::instance().debug(kL2tp, DebugClass::control, std::move(line));
}

}  // namespace vpdnd::vpdn
