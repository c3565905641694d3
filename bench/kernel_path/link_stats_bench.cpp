// What KernelPort's counter reads cost the protocol thread: one RTM_GETLINK dump of N links
// (LinkStatsReader::dump, as data_counters refreshes every session at once) and one
// single-link RTM_GETLINK (LinkStatsReader::get, as session down reads its pppN).
//
//   bench_link_stats [LINKS]     (default 4000; root: runs in a network namespace of its own)
//
// The links are veth pairs in a fresh namespace (any kernel has veth; pppN needs the ppp
// modules). A dump of N links costs about what a dump of N pppN does: one RTM_NEWLINK
// each, parsed in place. Prints one line:
//   links=N dump_ms=.. dump_us_per_link=.. get_us=..
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "netlink/netlink.hpp"

using namespace vpdnd::netlink;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int pairs = (argc > 1 ? std::atoi(argv[1]) : 4000) / 2;
  if (pairs <= 0) return 2;
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET) (needs root)");
    return 77;
  }
  // `ip -batch` runs in our namespace: a child inherits it.
  char path[] = "/tmp/bench_link_stats.XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return 1;
  std::string batch;
  for (int i = 0; i < pairs; ++i)
    batch +=
        "link add bv" + std::to_string(i) + " type veth peer name bw" + std::to_string(i) + "\n";
  if (::write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size())) return 1;
  ::close(fd);
  const int rc = std::system(("ip -batch " + std::string(path) + " >/dev/null 2>&1").c_str());
  ::unlink(path);
  if (rc != 0) {
    std::fprintf(stderr, "ip -batch failed\n");
    return 1;
  }

  auto reader = LinkStatsReader::open();
  if (!reader) {
    std::fprintf(stderr, "%s\n", reader.error().message.c_str());
    return 1;
  }
  std::vector<double> dumps;
  std::vector<int> indexes;
  for (int r = 0; r < 15; ++r) {
    auto t0 = Clock::now();
    auto all = (*reader)->dump("");
    auto t1 = Clock::now();
    if (!all) {
      std::fprintf(stderr, "%s\n", all.error().message.c_str());
      return 1;
    }
    indexes.clear();
    for (const auto& l : *all) indexes.push_back(l.ifindex);
    dumps.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(dumps.begin(), dumps.end());
  const double dump_ms = dumps[dumps.size() / 2];

  const int gets = 2000;
  auto t0 = Clock::now();
  for (int i = 0; i < gets; ++i)
    if (!(*reader)->get(indexes[static_cast<std::size_t>(i) % indexes.size()])) return 1;
  const double get_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / gets;

  const std::size_t links = indexes.size();
  std::printf("links=%zu dump_ms=%.2f dump_us_per_link=%.2f get_us=%.1f\n", links, dump_ms,
              1000.0 * dump_ms / static_cast<double>(links), get_us);
  return 0;
}
