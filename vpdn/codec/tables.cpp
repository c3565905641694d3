// AVP and message tables (RFC 2661 §4.4 and §6): the one place M bits, value kinds, length
// bounds and per-message requirements live.
#include <algorithm>
#include <array>

#include "common/enum_names.hpp"
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

using K = AvpValueKind;
using T = AvpType;
constexpr std::uint16_t kAny = kMaxAvpLength - kAvpHeaderSize;

// Ref: RFC 2661 §4.4.1-§4.4.6 ("This AVP may be hidden", "The M-bit for this AVP MUST be ...").
constexpr AvpInfo kAvps[] = {
    {T::message_type, "Message Type", true, K::u16, 2, 2, false, false},
    {T::result_code, "Result Code", true, K::result_code, 2, kAny, false, false},
    {T::protocol_version, "Protocol Version", true, K::protocol_version, 2, 2, false, false},
    {T::framing_capabilities, "Framing Capabilities", true, K::u32, 4, 4, true, false},
    {T::bearer_capabilities, "Bearer Capabilities", true, K::u32, 4, 4, true, false},
    {T::tie_breaker, "Tie Breaker", false, K::u64, 8, 8, false, false},
    {T::firmware_revision, "Firmware Revision", false, K::u16, 2, 2, true, false},
    {T::host_name, "Host Name", true, K::string, 1, kAny, false, false},
    {T::vendor_name, "Vendor Name", false, K::string, 0, kAny, true, false},
    {T::assigned_tunnel_id, "Assigned Tunnel ID", true, K::u16, 2, 2, true, false},
    {T::receive_window_size, "Receive Window Size", true, K::u16, 2, 2, false, false},
    {T::challenge, "Challenge", true, K::bytes, 1, kAny, true, false},
    {T::q931_cause_code, "Q.931 Cause Code", true, K::q931_cause, 3, kAny, false, false},
    {T::challenge_response, "Challenge Response", true, K::bytes, 16, 16, true, true},
    {T::assigned_session_id, "Assigned Session ID", true, K::u16, 2, 2, true, false},
    {T::call_serial_number, "Call Serial Number", true, K::u32, 4, 4, true, false},
    {T::minimum_bps, "Minimum BPS", true, K::u32, 4, 4, true, false},
    {T::maximum_bps, "Maximum BPS", true, K::u32, 4, 4, true, false},
    {T::bearer_type, "Bearer Type", true, K::u32, 4, 4, true, false},
    {T::framing_type, "Framing Type", true, K::u32, 4, 4, true, false},
    {T::called_number, "Called Number", true, K::string, 0, kAny, true, false},
    {T::calling_number, "Calling Number", true, K::string, 0, kAny, true, false},
    {T::sub_address, "Sub-Address", true, K::string, 0, kAny, true, false},
    {T::tx_connect_speed, "Tx Connect Speed", true, K::u32, 4, 4, true, false},
    {T::physical_channel_id, "Physical Channel ID", false, K::u32, 4, 4, true, false},
    {T::initial_received_lcp_confreq, "Initial Received LCP CONFREQ", false, K::bytes, 0, kAny,
     true, false},
    {T::last_sent_lcp_confreq, "Last Sent LCP CONFREQ", false, K::bytes, 0, kAny, true, false},
    {T::last_received_lcp_confreq, "Last Received LCP CONFREQ", false, K::bytes, 0, kAny, true,
     false},
    {T::proxy_authen_type, "Proxy Authen Type", false, K::u16, 2, 2, true, false},
    {T::proxy_authen_name, "Proxy Authen Name", false, K::string, 0, kAny, true, false},
    {T::proxy_authen_challenge, "Proxy Authen Challenge", false, K::bytes, 0, kAny, true, false},
    {T::proxy_authen_id, "Proxy Authen ID", false, K::u16, 2, 2, true, false},
    {T::proxy_authen_response, "Proxy Authen Response", false, K::bytes, 0, kAny, true, true},
    {T::call_errors, "Call Errors", true, K::call_errors, 26, 26, true, false},
    {T::accm, "ACCM", true, K::accm, 10, 10, true, false},
    {T::random_vector, "Random Vector", true, K::bytes, 1, kAny, false, true},
    {T::private_group_id, "Private Group ID", false, K::bytes, 0, kAny, true, false},
    {T::rx_connect_speed, "Rx Connect Speed", false, K::u32, 4, 4, true, false},
    {T::sequencing_required, "Sequencing Required", true, K::empty, 0, 0, false, false},
};

constexpr std::size_t kTableSize = 40;
constexpr std::array<const AvpInfo*, kTableSize> build_index() {
  std::array<const AvpInfo*, kTableSize> index{};
  for (const AvpInfo& info : kAvps) index[static_cast<std::uint16_t>(info.type)] = &info;
  return index;
}
constexpr auto kIndex = build_index();

// Ref: RFC 2661 §6.1-§6.15.
const MessageSpec kSpecs[] = {
    {MessageType::sccrq,
     "SCCRQ",
     {T::protocol_version, T::host_name, T::framing_capabilities, T::assigned_tunnel_id},
     {T::bearer_capabilities, T::receive_window_size, T::challenge, T::tie_breaker,
      T::firmware_revision, T::vendor_name}},
    {MessageType::sccrp,
     "SCCRP",
     {T::protocol_version, T::framing_capabilities, T::host_name, T::assigned_tunnel_id},
     {T::bearer_capabilities, T::firmware_revision, T::vendor_name, T::receive_window_size,
      T::challenge, T::challenge_response}},
    {MessageType::scccn, "SCCCN", {}, {T::challenge_response}},
    {MessageType::stopccn, "StopCCN", {T::assigned_tunnel_id, T::result_code}, {}},
    {MessageType::hello, "HELLO", {}, {}},
    {MessageType::ocrq,
     "OCRQ",
     {T::assigned_session_id, T::call_serial_number, T::minimum_bps, T::maximum_bps, T::bearer_type,
      T::framing_type, T::called_number},
     {T::sub_address}},
    {MessageType::ocrp, "OCRP", {T::assigned_session_id}, {T::physical_channel_id}},
    {MessageType::occn,
     "OCCN",
     {T::tx_connect_speed, T::framing_type},
     {T::rx_connect_speed, T::sequencing_required}},
    {MessageType::icrq,
     "ICRQ",
     {T::assigned_session_id, T::call_serial_number},
     {T::bearer_type, T::physical_channel_id, T::calling_number, T::called_number, T::sub_address}},
    {MessageType::icrp, "ICRP", {T::assigned_session_id}, {}},
    {MessageType::iccn,
     "ICCN",
     {T::tx_connect_speed, T::framing_type},
     {T::initial_received_lcp_confreq, T::last_sent_lcp_confreq, T::last_received_lcp_confreq,
      T::proxy_authen_type, T::proxy_authen_name, T::proxy_authen_challenge, T::proxy_authen_id,
      T::proxy_authen_response, T::private_group_id, T::rx_connect_speed, T::sequencing_required}},
    {MessageType::cdn, "CDN", {T::result_code, T::assigned_session_id}, {T::q931_cause_code}},
    {MessageType::wen, "WEN", {T::call_errors}, {}},
    {MessageType::sli, "SLI", {T::accm}, {}},
};

}  // namespace

const AvpInfo* avp_info(std::uint16_t type) {
  return type < kTableSize ? kIndex[type] : nullptr;
}

std::string_view avp_name(std::uint16_t type) {
  const AvpInfo* info = avp_info(type);
  return info ? info->name : std::string_view("Unknown");
}

std::span<const AvpInfo> avp_table() {
  return kAvps;
}

const MessageSpec* message_spec(MessageType type) {
  for (const MessageSpec& spec : kSpecs)
    if (spec.type == type) return &spec;
  return nullptr;
}

std::string_view message_name(MessageType type) {
  const MessageSpec* spec = message_spec(type);
  return spec ? spec->name : std::string_view("Unknown");
}

bool is_known_message_type(std::uint16_t v) {
  return (v >= 1 && v <= 16) && v != 5 && v != 13;
}

bool is_tunnel_message(MessageType type) {
  switch (type) {
    case MessageType::sccrq:
    case MessageType::sccrp:
    case MessageType::scccn:
    case MessageType::stopccn:
    case MessageType::hello:
      return true;
    default:
      return false;
  }
}

}  // namespace vpdnd::vpdn
