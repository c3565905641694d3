// Packet buffers and IPv4 header peeking shared by the TUN and UDP paths.
#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

PacketBatch::PacketBatch(std::size_t count, std::size_t buffer_size, std::size_t headroom)
    : buffer_size_(buffer_size),
      headroom_(headroom),
      storage_(count * (buffer_size + headroom)),
      lengths_(count, 0) {}

namespace {
std::optional<Ipv4> ipv4_field(ByteView p, std::size_t at) {
  if (p.size() < 20) return std::nullopt;
  if ((p[0] >> 4) != 4 || (p[0] & 0x0f) < 5) return std::nullopt;
  return Ipv4{(std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) |
              (std::uint32_t{p[at + 2]} << 8) | std::uint32_t{p[at + 3]}};
}
}  // namespace

std::optional<Ipv4> ipv4_destination(ByteView packet) {
  return ipv4_field(packet, 16);
}
std::optional<Ipv4> ipv4_source(ByteView packet) {
  return ipv4_field(packet, 12);
}

std::string_view backend_name(Backend b) {
  return b == Backend::kernel ? "kernel (l2tp_ppp)" : "user-space (TUN)";
}

Backend choose_backend(bool prefer_kernel) {
  return prefer_kernel && kernel_l2tp_available() ? Backend::kernel : Backend::user_space;
}

}  // namespace vpdnd::netlink
