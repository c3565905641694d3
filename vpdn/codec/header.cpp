// The L2TPv2 header (RFC 2661 §3.1) and data messages.
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

constexpr std::uint16_t kFlagT = 0x8000, kFlagL = 0x4000, kFlagS = 0x0800, kFlagO = 0x0200,
                        kFlagP = 0x0100, kVersionMask = 0x000f;

Unexpected<DecodeError> header_error(DecodeErrorKind kind, std::size_t offset) {
  DecodeError e;
  e.kind = kind;
  e.offset = offset;
  return unexpected(e);
}

}  // namespace

bool peek_is_control(ByteView datagram) {
  return datagram.size() >= 2 && (datagram[0] & 0x80) != 0;
}

Result<Header, DecodeError> decode_header(ByteView datagram) {
  ByteReader r(datagram);
  Header h;
  const std::uint16_t flags = r.u16();
  if (!r.ok()) return header_error(DecodeErrorKind::too_short, 0);
  if ((flags & kVersionMask) != 2) return header_error(DecodeErrorKind::bad_version, 1);
  h.control = (flags & kFlagT) != 0;
  h.has_length = (flags & kFlagL) != 0;
  h.has_sequence = (flags & kFlagS) != 0;
  h.has_offset = (flags & kFlagO) != 0;
  h.priority = (flags & kFlagP) != 0;
  // §3.1: control messages MUST have L=1 and S=1, and O=0, P=0.
  if (h.control && (!h.has_length || !h.has_sequence || h.has_offset || h.priority))
    return header_error(DecodeErrorKind::bad_control_flags, 0);
  if (h.has_length) h.length = r.u16();
  h.tunnel_id = r.u16();
  h.session_id = r.u16();
  if (h.has_sequence) {
    h.ns = r.u16();
    h.nr = r.u16();
  }
  if (!r.ok()) return header_error(DecodeErrorKind::too_short, datagram.size());
  if (h.has_length) {
    // Bytes past Length (e.g. link padding) are ignored; a Length beyond the datagram or
    // inside the header is not a message we can trust.
    if (h.length > datagram.size() || h.length < r.offset())
      return header_error(DecodeErrorKind::bad_length_field, 2);
  } else {
    if (datagram.size() > 0xffff) return header_error(DecodeErrorKind::bad_length_field, 0);
    h.length = static_cast<std::uint16_t>(datagram.size());
  }
  std::size_t payload = r.offset();
  if (h.has_offset) {
    ByteReader o(datagram.first(h.length));
    o.skip(payload);
    const std::uint16_t offset_size = o.u16();
    o.skip(offset_size);
    if (!o.ok()) return header_error(DecodeErrorKind::bad_offset, payload);
    payload = o.offset();
  }
  h.payload_offset = payload;
  return h;
}

Result<DataMessage, DecodeError> decode_data(ByteView datagram) {
  auto h = decode_header(datagram);
  if (!h) return unexpected(h.error());
  if (h->control) {
    DecodeError e;
    e.kind = DecodeErrorKind::not_data;
    e.header = *h;
    return unexpected(e);
  }
  DataMessage m;
  m.tunnel_id = h->tunnel_id;
  m.session_id = h->session_id;
  if (h->has_sequence) {
    m.ns = h->ns;
    m.nr = h->nr;
  }
  m.priority = h->priority;
  m.payload = datagram.subspan(h->payload_offset, h->length - h->payload_offset);
  return m;
}

std::size_t append_data_header(Bytes& out, std::uint16_t tunnel_id, std::uint16_t session_id,
                               std::optional<DataSequence> seq) {
  const std::size_t start = out.size();
  const std::uint16_t flags = static_cast<std::uint16_t>(2 | (seq ? kFlagS : 0));
  auto put = [&out](std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  };
  put(flags);
  put(tunnel_id);
  put(session_id);
  if (seq) {
    put(seq->ns);
    put(seq->nr);
  }
  return out.size() - start;
}

Bytes encode_data(std::uint16_t tunnel_id, std::uint16_t session_id,
                  std::optional<DataSequence> seq, ByteView payload) {
  Bytes out;
  out.reserve(10 + payload.size());
  append_data_header(out, tunnel_id, session_id, seq);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace vpdnd::vpdn
