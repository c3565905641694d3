#include "app/services/descriptor_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace vpdnd::app {

DescriptorLimit raise_descriptor_limit() {
  DescriptorLimit out;
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) {
    out.error = std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
    return out;
  }
  out.before = out.soft = r.rlim_cur;
  out.hard = r.rlim_max;
  rlim_t target = r.rlim_max;
  if (target == RLIM_INFINITY) {
    // The kernel refuses an unlimited RLIMIT_NOFILE; fs.nr_open is the most it allows.
    std::uint64_t nr_open = 0;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    target = nr_open ? nr_open : 1048576;
  }
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur >= target) return out;
  r.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &r) != 0) {
    out.error = std::string("setrlimit(RLIMIT_NOFILE, ") + std::to_string(target) +
                "): " + std::strerror(errno);
    return out;
  }
  out.soft = target;
  return out;
}

std::string describe(const DescriptorLimit& limit) {
  if (!limit.error.empty()) return "descriptor limit not raised: " + limit.error;
  if (limit.soft == limit.before)
    return "descriptor limit " + std::to_string(limit.soft) +
           (limit.soft >= limit.hard ? " (hard limit)" : "");
  return "descriptor limit " + std::to_string(limit.before) + " raised to " +
         std::to_string(limit.soft) + (limit.soft == limit.hard ? " (hard limit)" : "");
}

}  // namespace vpdnd::app
