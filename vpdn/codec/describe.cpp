// Debug printing of control messages. Secret values never leave this file in clear.
#include <cstdio>

#include "common/printable.hpp"
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

// Quoted, escaped and bounded (common/printable.hpp): a Host Name may hold any byte and be
// 1017 bytes long.
std::string quoted(ByteView v) {
  return "\"" + printable(v) + "\"";
}

std::string hex(const Bytes& v) {
  constexpr std::size_t kMax = 64;
  if (v.size() <= kMax) return to_hex(v);
  return to_hex(ByteView(v).first(kMax)) + " ... (" + std::to_string(v.size()) + " bytes)";
}

std::string value_text(const Avp& a, const ControlMessage& m) {
  const AvpInfo* info = a.vendor == 0 ? avp_info(a.type) : nullptr;
  if (info == nullptr) return hex(a.value);
  if (info->secret) return "<" + std::to_string(a.value.size()) + " bytes masked>";
  ByteReader r(a.value);
  switch (info->kind) {
    case AvpValueKind::empty:
      return "";
    case AvpValueKind::u16:
      if (a.value.size() == 2) return std::to_string(r.u16());
      break;
    case AvpValueKind::u32:
      if (a.value.size() == 4) {
        const std::uint32_t v = r.u32();
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%08x", v);
        return std::to_string(v) + " (" + buf + ")";
      }
      break;
    case AvpValueKind::u64:
      if (a.value.size() == 8) return to_hex(a.value, '\0');
      break;
    case AvpValueKind::string:
      return quoted(a.value);
    case AvpValueKind::bytes:
      return hex(a.value);
    case AvpValueKind::result_code:
      if (auto rc = m.result_code(); rc && &a == m.find(AvpType::result_code)) {
        std::string s = "result=" + std::to_string(rc->result);
        if (rc->error) s += " error=" + std::to_string(*rc->error);
        if (!rc->message.empty()) s += " message=\"" + printable(rc->message) + "\"";
        return s;
      }
      break;
    case AvpValueKind::q931_cause:
      if (a.value.size() >= 3) {
        std::string s = "cause=" + std::to_string(r.u16());
        s += " msg=" + std::to_string(r.u8());
        const ByteView rest = r.rest();
        if (!rest.empty()) s += " advisory=" + quoted(rest);
        return s;
      }
      break;
    case AvpValueKind::call_errors:
    case AvpValueKind::accm:
      return hex(a.value);
    case AvpValueKind::protocol_version:
      if (a.value.size() == 2) return std::to_string(a.value[0]) + "." + std::to_string(a.value[1]);
      break;
  }
  return hex(a.value);
}

}  // namespace

std::string summary(const ControlMessage& m) {
  std::string s = m.zlb ? "ZLB" : std::string(message_name(m.type));
  s += " tid=" + std::to_string(m.tunnel_id) + " sid=" + std::to_string(m.session_id) +
       " ns=" + std::to_string(m.ns) + " nr=" + std::to_string(m.nr);
  if (!m.zlb) s += " avps=" + std::to_string(m.avps.size() + 1);
  return s;
}

std::string describe(const ControlMessage& m) {
  std::string s = summary(m) + "\n";
  for (const Avp& a : m.avps) {
    s += "  ";
    if (a.vendor != 0) {
      s += "Vendor " + std::to_string(a.vendor) + " AVP " + std::to_string(a.type);
    } else {
      s += avp_name(a.type);
      if (avp_info(a.type) == nullptr) s += "(" + std::to_string(a.type) + ")";
    }
    if (a.mandatory) s += " [M]";
    if (a.hidden) s += " (hidden)";
    s += ": " + value_text(a, m) + "\n";
  }
  return s;
}

}  // namespace vpdnd::vpdn
