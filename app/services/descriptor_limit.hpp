// The process's descriptor limit (RLIMIT_NOFILE). Each LNS session in the kernel holds
// descriptors of its own (PPPoL2TP socket, /dev/ppp channel and unit), so under the usual
// soft limit of 1,024 only a few hundred sessions could move into the kernel; vpdnd raises
// the soft limit to the hard one at start. Descriptors that may reach select() are bounded
// separately (cli/front: FD_SETSIZE).
#pragma once

#include <cstdint>
#include <string>

namespace vpdnd::app {

struct DescriptorLimit {
  std::uint64_t before = 0;  // soft limit found
  std::uint64_t soft = 0;    // soft limit now
  std::uint64_t hard = 0;
  std::string error;  // why it could not be raised (the limits above are then unchanged)
};

// Raises the soft limit to the hard limit (to fs.nr_open where the hard limit is
// unlimited); never lowers it.
DescriptorLimit raise_descriptor_limit();

// "descriptor limit 1024 raised to 524288 (hard limit)", "... 524288 (hard limit)" or
// the error.
std::string describe(const DescriptorLimit& limit);

}  // namespace vpdnd::app
