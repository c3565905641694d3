// The plain-L2TP filter in a real kernel's nftables, in a network namespace of its own:
// the nft commands vpdnd runs install it, plain UDP to the L2TP port is dropped before any
// socket and counted, the netlink read sees the count, IKE's port is untouched, and the
// removal leaves no table. (ESP's secpath needs XFRM: tests/vm/l2tp_ipsec.sh covers it.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "ipsec/plain_filter.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"

namespace vpdnd::ipsec {
namespace {

int udp_bound(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}
void send_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char l2tp[] = "\x00\x02\x00\x01\x00\x01\xff\x03\x00\x21";  // L2TP data, PPP IP
  ::sendto(fd, l2tp, sizeof l2tp - 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::close(fd);
}
bool received(int fd) {
  char b[64];
  usleep(20000);
  return ::recv(fd, b, sizeof b, 0) > 0;
}

// The checks, in the child that owns the namespace: 0 passed, else the failed step.
int in_namespace() {
  if (std::system("ip link set lo up") != 0) return 10;
  GuardPolicy g;
  g.any_peer = true;
  if (std::system(("nft '" + render_plain_l2tp_filter(g) + "'").c_str()) != 0) return 11;
  if (read_plain_l2tp_filter_drops() != 0u) return 12;
  int l2tp = udp_bound(kL2tpPort), ike = udp_bound(500);
  if (l2tp < 0 || ike < 0) return 13;
  for (int i = 0; i < 3; ++i) send_to(kL2tpPort);
  if (received(l2tp)) return 14;  // plain L2TP reached the socket
  send_to(500);
  if (!received(ike)) return 15;  // IKE's port was touched
  if (read_plain_l2tp_filter_drops() != 3u) return 16;
  // Replaced (a configuration change): the count stays.
  if (std::system(("nft '" + render_plain_l2tp_filter(g) + "'").c_str()) != 0) return 17;
  if (read_plain_l2tp_filter_drops() != 3u) return 18;
  if (std::system(("nft '" + render_plain_l2tp_filter_removal() + "'").c_str()) != 0) return 19;
  if (read_plain_l2tp_filter_drops()) return 20;
  if (!test::run_output("nft list tables").empty()) return 21;
  send_to(kL2tpPort);
  if (!received(l2tp)) return 22;  // removed: plain L2TP passes again
  // Removing what is not there is not an error (a start after a clean stop).
  if (std::system(("nft '" + render_plain_l2tp_filter_removal() + "'").c_str()) != 0) return 23;
  return 0;
}

TEST(PlainL2tpFilterSystem, DropsAndCountsPlainL2tpAndLeavesNothingBehind) {
  if (!test::have_root()) GTEST_SKIP() << "needs root (netns, nftables)";
  if (std::system("command -v nft >/dev/null 2>&1") != 0) GTEST_SKIP() << "nft not installed";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) _exit(77);
    if (std::system("nft list tables >/dev/null 2>&1") != 0) _exit(78);
    _exit(in_namespace());
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 78)
    GTEST_SKIP() << "no network namespace or no nftables in this kernel";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "failed step (see in_namespace)";
}

}  // namespace
}  // namespace vpdnd::ipsec
