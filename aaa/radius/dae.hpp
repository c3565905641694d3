// Internal to aaa/radius: RADIUS Dynamic Authorization (RFC 5176) without sockets: the
// request checks and answers as pure functions, and DaeProcessor, which turns one
// datagram from one source into the answer to send (or none) against the configured
// clients, a wall clock and the session owner. The Asio server (dae_server.cpp) only moves
// datagrams in and out.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include "aaa/aaa.hpp"
#include "aaa/radius/codec.hpp"

namespace vpdnd::aaa::radius {

// RFC 5176 §2.3 codes, in the RADIUS Code space (radcli has no names for them).
enum DaeCode : std::uint8_t {
  kDisconnectRequest = 40,
  kDisconnectAck = 41,
  kDisconnectNak = 42,
  kCoaRequest = 43,
  kCoaAck = 44,
  kCoaNak = 45,
};

// RFC 5176 §3.5 Error-Cause values (the attribute is radcli's PW_ERROR_CAUSE).
enum ErrorCause : std::uint32_t {
  kUnsupportedAttribute = 401,
  kMissingAttribute = 402,
  kInvalidRequest = 404,
  kUnsupportedService = 405,
  kSessionContextNotFound = 503,
};

enum class RequestCheck : std::uint8_t {
  ok,
  malformed,  // decode() failed, or not a Disconnect/CoA-Request
  bad_authenticator,
  bad_message_authenticator,  // wrong, wrong length, or more than one
};

// RFC 5176 §2.3 / §3.1: Request Authenticator = MD5(Code+Identifier+Length+16 zero
// octets+Attributes+Secret); a Message-Authenticator, when present, is HMAC-MD5 over the
// packet with the authenticator field zeroed (as FreeRADIUS and radclient compute it).
RequestCheck check_request(std::span<const std::uint8_t> datagram, std::string_view secret,
                           Packet* out = nullptr);

// A Disconnect- or CoA-Request as a DAE client sends it (tests, benchmark), with a
// Message-Authenticator first when asked; a 16-octet Message-Authenticator among
// `attributes` is computed where it stands instead.
std::vector<std::uint8_t> encode_request(std::uint8_t code, std::uint8_t id,
                                         const std::vector<Attribute>& attributes,
                                         std::string_view secret, bool message_authenticator);

// Unix seconds.
using WallClock = std::function<std::int64_t()>;

class DaeProcessor {
 public:
  static constexpr std::int64_t kWindowSeconds = 300;  // Event-Timestamp and duplicates
  static constexpr std::size_t kCacheCapacity = 4096;  // answers kept for duplicates

  DaeProcessor(DaeSessions& sessions, WallClock clock);

  // The answer to send back to `from`:`from_port`, or nullopt when the datagram is dropped
  // (counted in statistics()).
  std::optional<std::vector<std::uint8_t>> handle(const config::DynamicAuthor& config, Ipv4 from,
                                                  std::uint16_t from_port,
                                                  std::span<const std::uint8_t> datagram);

  const DaeStatistics& statistics() const { return stats_; }
  void reset_statistics() { stats_ = {}; }

 private:
  using Key = std::tuple<std::uint32_t, std::uint16_t, std::uint8_t, Authenticator>;
  struct Cached {
    std::int64_t time = 0;
    std::vector<std::uint8_t> answer;
  };
  std::vector<std::uint8_t> act(const Packet& request, Ipv4 from, std::string_view secret,
                                bool message_authenticator);
  void expire(std::int64_t now);

  DaeSessions& sessions_;
  WallClock clock_;
  DaeStatistics stats_;
  std::map<Key, Cached> cache_;
  std::deque<Key> order_;  // cache keys, oldest first
};

}  // namespace vpdnd::aaa::radius
