// DOC: what AAA shows the operator (`display ip pool`, online user counts). Plain snapshot
// structs built on the protocol thread by aaa/ and formatted by cli/.
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
  std::uint32_t nas_port = 0;   // NAS-Port as sent to RADIUS
};

// One Stop in the stop-accounting buffer (`display stop-accounting-buffer`).
struct BufferedStop {
  std::string scheme;           // RADIUS scheme by name
  std::string session_id;       // Acct-Session-Id
  std::string user;             // User-Name as sent
  std::int64_t event_time = 0;  // Unix seconds when the session ended
  std::uint32_t attempts = 0;   // transmissions so far, the first one included
};

// Counts since start (`display stop-accounting-buffer` summary).
struct StopBufferStatistics {
  std::size_t entries = 0;
  std::size_t capacity = 0;
  std::uint64_t buffered = 0;          // Stops that entered the buffer
  std::uint64_t answered = 0;          // buffered Stops the server finally answered
  std::uint64_t dropped_full = 0;      // oldest entries dropped for a newer one
  std::uint64_t dropped_attempts = 0;  // dropped after `retry stop-accounting` attempts
  std::uint64_t dropped_unusable = 0;  // scheme removed or without accounting server
  std::uint64_t reset = 0;             // removed by `reset stop-accounting-buffer`
  std::uint64_t load_errors = 0;       // unreadable lines in the buffer file
};

// `display radius dynamic-author statistics`: what the Dynamic Authorization Server
// (RFC 5176) received and answered since start or the last reset.
struct DaeStatistics {
  std::uint64_t disconnect_requests = 0;  // authentic, processed
  std::uint64_t disconnect_acks = 0;
  std::uint64_t disconnect_naks = 0;
  std::uint64_t coa_requests = 0;
  std::uint64_t coa_acks = 0;
  std::uint64_t coa_naks = 0;
  std::uint64_t sessions_disconnected = 0;
  std::uint64_t sessions_changed = 0;
  // Dropped without an answer:
  std::uint64_t unknown_client = 0;     // source address is no `client ip`
  std::uint64_t malformed = 0;          // undecodable, or not a Disconnect/CoA-Request
  std::uint64_t bad_authenticator = 0;  // Request Authenticator wrong (other key, forged)
  std::uint64_t bad_message_authenticator = 0;
  std::uint64_t stale = 0;       // Event-Timestamp outside the replay window
  std::uint64_t duplicates = 0;  // same client, Identifier and authenticator again (the
                                 // cached answer is re-sent; nothing is done twice)
  bool operator==(const DaeStatistics&) const = default;
};

}  // namespace vpdnd::aaa
