// DOC: what AAA shows the operator (`display ip pool`, online user counts). Plain snapshot
// structs built on the engine thread by aaa/ and formatted by cli/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ipv4.hpp"

namespace vpdnd::aaa {

struct PoolLease {
  Ipv4 address;
  std::string user;
};

struct PoolStatus {
  std::string name;
  std::string domain;  // empty: system-wide pool
  Ipv4 start;
  Ipv4 end;
  std::uint32_t free = 0;
  std::uint32_t in_use = 0;
  std::vector<PoolLease> leases;  // in-use addresses, ascending
};

struct OnlineUser {
  std::uint64_t index = 0;  // the AAA session id: `display connection`'s Index
  std::string user;
  std::string domain;
  std::string interface;
  Ipv4 address;
  std::string acct_session_id;  // RADIUS Acct-Session-Id (kept also without accounting)
  std::uint32_t online_s = 0;   // seconds since the session opened
};

}  // namespace vpdnd::aaa
