// Packet buffers shared by the TUN and UDP paths.
#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

PacketBatch::PacketBatch(std::size_t count, std::size_t buffer_size, std::size_t headroom)
    : buffer_size_(buffer_size),
      headroom_(headroom),
      storage_(count * (buffer_size + headroom)),
      lengths_(count, 0) {}

std::string_view backend_name(Backend b) {
  return b == Backend::kernel ? "kernel (l2tp_ppp)" : "user-space (TUN)";
}

Backend choose_backend(bool prefer_kernel) {
  return prefer_kernel && kernel_l2tp_available() ? Backend::kernel : Backend::user_space;
}

}  // namespace vpdnd::netlink
