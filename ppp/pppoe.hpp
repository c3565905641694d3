// DOC: PPPoE (RFC 2516), the LAC's user side (ppp module, part "pppoe").
//
// Three layers, each usable alone:
//  1. Pure codec over Ethernet frames: discovery (PADI/PADO/PADR/PADS/PADT with their tags)
//     and session frames (ethertype 0x8864 carrying one PPP frame). No I/O, no logging;
//     decoders return Result<T, PppoeDecodeError> and never read past their span.
//  2. PppoeServer (access concentrator) and PppoeClient (one emulated user, for vpdn-dial
//     and tests): plain classes driven by on_frame(), emitting frames through a
//     PppoeFrameSink, with time from an injected Clock/TimerService. The server keeps no
//     state for a client before a PADR carrying a valid AC-Cookie (HMAC-MD5 over the
//     client MAC and a timestamp with a per-server secret), so a PADI/PADR flood costs
//     nothing but the answers.
//  3. PppoeSocket: one AF_PACKET socket bound to one interface with a BPF filter passing
//     ETH_P_PPP_DISC and ETH_P_PPP_SES (one socket keeps discovery and session frames in
//     wire order), read in batches on an io_context; the production PppoeFrameSink.
//
// Frames between a session and the PPP session are "protocol (2 octets) + information",
// exactly PppLowerLayer::send()'s format in ppp/ppp.hpp: PPPoE carries no FF 03.
//
// Threading: all objects live on one thread (the protocol thread in vpdnd); no locks.
// Listener callbacks may call back into the server/client (close(), send()) and may
// destroy a PppoeClient only via the owner after the callback returns.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/bytes.hpp"
#include "common/codec_error.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
#include "ppp/status.hpp"

namespace boost::asio {
class io_context;
}

namespace vpdnd::ppp {

using MacAddress = std::array<std::uint8_t, 6>;
std::string to_string(const MacAddress& mac);  // "02:00:00:00:00:01"
std::optional<MacAddress> parse_mac(std::string_view text);
inline constexpr MacAddress kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

inline constexpr std::uint16_t kEtherTypePppoeDiscovery = 0x8863;
inline constexpr std::uint16_t kEtherTypePppoeSession = 0x8864;
// RFC 2516 §7: MTU/MRU on PPPoE is 1492 (1500 - 6 PPPoE - 2 PPP protocol).
inline constexpr std::uint16_t kPppoeMtu = 1492;

enum class PppoeCode : std::uint8_t {
  session = 0x00,
  pado = 0x07,
  padi = 0x09,
  padr = 0x19,
  pads = 0x65,
  padt = 0xa7,
};
std::string_view to_string(PppoeCode c);  // "PADI", ...

// RFC 2516 Appendix A tag types.
namespace pppoe_tag {
inline constexpr std::uint16_t end_of_list = 0x0000, service_name = 0x0101, ac_name = 0x0102,
                               host_uniq = 0x0103, ac_cookie = 0x0104, vendor_specific = 0x0105,
                               relay_session_id = 0x0110, ppp_max_payload = 0x0120,
                               service_name_error = 0x0201, ac_system_error = 0x0202,
                               generic_error = 0x0203;
}

struct PppoeTag {
  std::uint16_t type = 0;
  Bytes value;
  bool operator==(const PppoeTag&) const = default;
};

struct PppoeDiscovery {
  MacAddress dst{};
  MacAddress src{};
  PppoeCode code = PppoeCode::padi;
  std::uint16_t session_id = 0;
  std::vector<PppoeTag> tags;  // in wire order, End-Of-List not included

  const PppoeTag* find(std::uint16_t type) const;
  bool has(std::uint16_t type) const { return find(type) != nullptr; }
  std::string text(std::uint16_t type) const;  // tag value as text, "" if absent
  void add(std::uint16_t type, ByteView value);
  void add(std::uint16_t type, std::string_view value);
  bool operator==(const PppoeDiscovery&) const = default;
};

enum class PppoeDecodeErrorKind : std::uint8_t {
  truncated,        // shorter than Ethernet + PPPoE header, or Length past the frame
  bad_ethertype,    // not 0x8863 (discovery) / 0x8864 (session)
  bad_version,      // VER/TYPE not 1/1 (RFC 2516 §4)
  bad_code,         // unknown CODE, or non-zero CODE on a session frame
  bad_tag,          // a tag's length runs past the payload
  missing_tag,      // PADI/PADR without Service-Name, PADO without AC-Name (§5.1-5.3)
  bad_session_id,   // non-zero in PADI/PADO/PADR, zero in PADT / session frames
  bad_destination,  // PADI not broadcast, or a unicast-only packet sent to a group
};
using PppoeDecodeError = CodecError<PppoeDecodeErrorKind>;
std::string to_string(const PppoeDecodeError& e);

// Ethernet frame (from the destination MAC on; Ethernet padding after Length is ignored).
Result<PppoeDiscovery, PppoeDecodeError> decode_pppoe_discovery(ByteView frame);
Bytes encode_pppoe_discovery(const PppoeDiscovery& packet);

struct PppoeSessionFrame {
  MacAddress dst{};
  MacAddress src{};
  std::uint16_t session_id = 0;
  ByteView ppp;  // protocol + information, points into the decoded frame
};
Result<PppoeSessionFrame, PppoeDecodeError> decode_pppoe_session(ByteView frame);
Bytes encode_pppoe_session(const MacAddress& dst, const MacAddress& src, std::uint16_t session_id,
                           ByteView ppp_frame);
// Ethertype of an Ethernet frame, 0 if shorter than a header.
std::uint16_t ether_type(ByteView frame);

// ---- the access concentrator ---------------------------------------------------------

class PppoeFrameSink {
 public:
  virtual ~PppoeFrameSink() = default;
  virtual void send_frame(ByteView ethernet_frame) = 0;
};

enum class PppoeCloseReason : std::uint8_t {
  admin,      // close() / close_all() (PADT sent)
  peer_padt,  // the client sent PADT
};
std::string_view to_string(PppoeCloseReason r);

class PppoeSessionListener {
 public:
  virtual ~PppoeSessionListener() = default;
  // PADS sent: the session exists; attach a PPP session now (it may send at once).
  virtual void on_session_open(std::uint16_t session_id, const MacAddress& peer,
                               std::string_view service_name) = 0;
  // A PPP frame (protocol + information) from the client.
  virtual void on_session_frame(std::uint16_t session_id, ByteView ppp_frame) = 0;
  // The session is gone (no more frames either way). Called exactly once per opened session.
  virtual void on_session_closed(std::uint16_t session_id, PppoeCloseReason reason) = 0;
};

struct PppoeServerConfig {
  std::string interface;              // for display ("eth1")
  MacAddress mac{};                   // our source MAC
  std::string ac_name = "vpdnd";      // AC-Name (sysname)
  std::vector<std::string> services;  // offered Service-Names; empty = any requested one
  std::size_t max_sessions = 65534;
  std::size_t max_sessions_per_mac = 100;
  Bytes cookie_secret;             // empty: 16 random octets
  Duration cookie_lifetime = 60s;  // a PADR must follow its PADO within this
};

struct PppoeServerCounters {
  std::uint64_t padi_in = 0, pado_out = 0, padr_in = 0, pads_out = 0, pads_errors_out = 0;
  std::uint64_t padt_in = 0, padt_out = 0;
  std::uint64_t session_frames_in = 0, session_frames_out = 0;
  std::uint64_t session_bytes_in = 0, session_bytes_out = 0;
  std::uint64_t sessions_opened = 0, sessions_closed = 0;
  // Every dropped frame counts under exactly one reason: "malformed", "bad cookie",
  // "unknown session", "wrong peer mac", "not for us", "service not offered", ...
  std::map<std::string, std::uint64_t> drops;
};

class PppoeServer {
 public:
  PppoeServer(PppoeServerConfig config, PppoeFrameSink& sink, const Clock& clock,
              PppoeSessionListener* listener = nullptr);
  ~PppoeServer();
  PppoeServer(const PppoeServer&) = delete;
  PppoeServer& operator=(const PppoeServer&) = delete;

  void set_listener(PppoeSessionListener* listener) { listener_ = listener; }
  const PppoeServerConfig& config() const { return config_; }

  // Any Ethernet frame of either PPPoE ethertype received on the interface.
  void on_frame(ByteView frame);

  // Sends a PPP frame (protocol + information) to the session's client. false when the
  // session does not exist or the frame exceeds the MTU (counted as a drop).
  bool send(std::uint16_t session_id, ByteView ppp_frame);
  // PADT to the client, then on_session_closed(admin). No-op for an unknown id.
  void close(std::uint16_t session_id);
  void close_all();

  // What the integration knows about a session, for `display pppoe-server session`.
  void set_session_info(std::uint16_t session_id, std::string state, std::string user,
                        std::uint16_t l2tp_tunnel = 0, std::uint16_t l2tp_session = 0);
  std::vector<PppoeSessionStatus> sessions() const;
  std::optional<MacAddress> peer_of(std::uint16_t session_id) const;
  std::size_t session_count() const { return sessions_.size(); }
  std::size_t sessions_of(const MacAddress& mac) const;
  const PppoeServerCounters& counters() const { return counters_; }

  // The AC-Cookie for a client MAC at a given time (exposed for tests and fuzzing).
  Bytes make_cookie(const MacAddress& client, TimePoint at) const;
  bool cookie_valid(const MacAddress& client, ByteView cookie) const;

 private:
  struct Session : PppoeTraffic {
    MacAddress peer{};
    Bytes host_uniq;
    std::string service;
    TimePoint created;
    std::string state = "PPP";
    std::string user;
    std::uint16_t l2tp_tunnel = 0, l2tp_session = 0;
  };
  void on_discovery(ByteView frame);
  void on_session_frame(ByteView frame);
  void on_padi(const PppoeDiscovery& p);
  void on_padr(const PppoeDiscovery& p);
  void on_padt(const PppoeDiscovery& p);
  bool service_offered(std::string_view requested) const;
  void send_pads_error(const PppoeDiscovery& request, std::uint16_t error_tag,
                       std::string_view text);
  void echo_tags(const PppoeDiscovery& from, PppoeDiscovery& to) const;
  std::uint16_t allocate_id();
  void drop(const char* reason);
  void erase(std::uint16_t session_id, PppoeCloseReason reason, bool send_padt);
  static std::uint64_t mac_key(const MacAddress& m);

  PppoeServerConfig config_;
  PppoeFrameSink& sink_;
  const Clock& clock_;
  PppoeSessionListener* listener_;
  std::unordered_map<std::uint16_t, Session> sessions_;
  std::unordered_map<std::uint64_t, std::size_t> per_mac_;
  // peer MAC + Host-Uniq -> session, to answer a retransmitted PADR with the same PADS.
  std::unordered_map<std::string, std::uint16_t> by_uniq_;
  static std::string uniq_key(const MacAddress& m, ByteView host_uniq);
  std::uint16_t next_id_ = 1;
  PppoeServerCounters counters_;
};

// ---- one emulated user ----------------------------------------------------------------

class PppoeClientListener {
 public:
  virtual ~PppoeClientListener() = default;
  virtual void on_pppoe_up(std::uint16_t session_id, const MacAddress& ac) = 0;
  virtual void on_pppoe_frame(ByteView ppp_frame) = 0;
  // Discovery failed (timeout, PADS error) or the AC sent PADT. `why` is for humans.
  virtual void on_pppoe_down(std::string_view why) = 0;
};

struct PppoeClientConfig {
  MacAddress mac{};          // our source MAC (vpdn-dial gives each user its own)
  std::string service_name;  // requested Service-Name ("" = any)
  std::string ac_name;       // accept only PADOs from this AC ("" = the first one)
  Bytes host_uniq;           // echoed by the AC; empty = none
  Duration timeout = 2s;     // per PADI/PADR attempt (RFC 2516 §7 suggests doubling)
  unsigned max_attempts = 4;
};

class PppoeClient {
 public:
  enum class State : std::uint8_t { idle, padi_sent, padr_sent, session, closed };

  PppoeClient(PppoeClientConfig config, PppoeFrameSink& sink, TimerService& timers,
              PppoeClientListener& listener);
  ~PppoeClient();
  PppoeClient(const PppoeClient&) = delete;
  PppoeClient& operator=(const PppoeClient&) = delete;

  void start();                   // PADI
  void on_frame(ByteView frame);  // frames addressed to config.mac (others are ignored)
  bool send(ByteView ppp_frame);  // in state session
  void close();                   // PADT if in session; no callback
  State state() const { return state_; }
  std::uint16_t session_id() const { return session_id_; }
  const MacAddress& ac_mac() const { return ac_mac_; }
  const std::string& ac_name() const { return ac_name_seen_; }
  const PppoeClientConfig& config() const { return config_; }

 private:
  void send_padi();
  void send_padr();
  void send_request(PppoeCode code);  // PADI or PADR
  void arm_timer();
  void fail(std::string_view why);
  PppoeClientConfig config_;
  PppoeFrameSink& sink_;
  TimerSlot timer_;
  PppoeClientListener& listener_;
  State state_ = State::idle;
  unsigned attempts_ = 0;
  MacAddress ac_mac_{};
  std::string ac_name_seen_;
  Bytes cookie_;
  Bytes relay_id_;
  bool have_relay_ = false;
  std::uint16_t session_id_ = 0;
};

// ---- AF_PACKET I/O ----------------------------------------------------------------------

struct PppoeSocketCounters {
  std::uint64_t frames_in = 0, frames_out = 0, send_errors = 0, read_errors = 0;
};

class PppoeSocket final : public PppoeFrameSink {
 public:
  using FrameHandler = std::function<void(ByteView frame)>;
  // Opens the packet socket on `ifname`. `promiscuous` lets a client
  // emulator receive frames for MACs other than the interface's own.
  static Result<std::unique_ptr<PppoeSocket>, std::string> open(boost::asio::io_context& io,
                                                                const std::string& ifname,
                                                                bool promiscuous = false);
  ~PppoeSocket() override;
  PppoeSocket(const PppoeSocket&) = delete;
  PppoeSocket& operator=(const PppoeSocket&) = delete;

  // Delivers every received frame (either ethertype) to `handler`, drained in batches.
  void start(FrameHandler handler);
  void stop();
  void send_frame(ByteView ethernet_frame) override;
  const MacAddress& mac() const { return mac_; }
  int ifindex() const { return ifindex_; }
  const std::string& name() const { return name_; }
  const PppoeSocketCounters& counters() const { return counters_; }
  // Frames the kernel dropped for this socket (queue full) since the last call
  // (PACKET_STATISTICS tp_drops; reading resets the kernel's counter).
  std::uint64_t kernel_drops();

 private:
  PppoeSocket() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  MacAddress mac_{};
  int ifindex_ = 0;
  std::string name_;
  PppoeSocketCounters counters_;
};

}  // namespace vpdnd::ppp
