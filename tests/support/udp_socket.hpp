// Test helper: loopback UDP sockets for the tests that hand a socket to the kernel.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace vpdnd::test {

// A UDP socket bound to 127.0.0.1:local, with SO_REUSEADDR set after the bind when
// `reuse_after_bind` (as vpdn/engine/udp.cpp does), connected to 127.0.0.1:connect_to unless it
// is 0 (the kernel's L2TP transmit path uses the connected destination); -1 on failure.
inline int loopback_udp(std::uint16_t local, std::uint16_t connect_to = 0,
                        bool reuse_after_bind = false) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  a.sin_port = htons(local);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    ::close(fd);
    return -1;
  }
  const int on = 1;
  if (reuse_after_bind) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in b = a;
  b.sin_port = htons(connect_to);
  if (connect_to && ::connect(fd, reinterpret_cast<sockaddr*>(&b), sizeof b) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Closes the descriptor it holds (if any) when it goes.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace vpdnd::test
