// DOC: the user-space data path of the calls (library vpdnd_vpdn_calls): a packet from a
// TUN device to the wire and back, and the L2TP engine's session events, between the
// engine (vpdn/engine.hpp) and the calls (vpdn/calls.hpp), in one place.
//
// Wire -> TUN: the engine's UDP socket receives a datagram, the engine checks it against
// its session (peer, state, Ns) and hands the PPP frame to on_data here, which gives it to
// the call that owns the session: an auto client, a LAC call (switched to its PPPoE user),
// else an LNS call (IPv4 to its template's TUN, the rest to its PPP session).
// TUN -> wire: a datagram read from template N's TUN goes to from_tun, which offers it to
// the auto client on N, then to locally terminated LAC users, then to the LNS calls (by
// destination address); the call frames it and send_ppp puts it on its L2TP session.
//
// Early frames: data that reaches the LNS before the session is established (it overtook
// the ICCN) is held by the engine alone, bounded, and each frame beyond the bound is
// counted as a drop ("data before ICCN, hold full", `display l2tp statistics`). The LNS
// call starts on the engine's established event, so every later frame finds it.
//
// As the calls' L2tpPort it maps their hang-up causes to CDN result codes. Kernel data
// plane: the sessions' sequencing (Ns/Nr on data) is recorded at ICCN for the kernel
// session that takes the call over (record_sequencing).
// Threading: protocol thread only. Lifetime: outlives the calls attached to it and is the
// engine's handler until the engine's owner clears it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>

#include "common/bytes.hpp"
#include "startup-config/model.hpp"
#include "vpdn/calls.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn {

class DataPath final : public SessionHandler, public L2tpPort {
 public:
  DataPath(config::ConfigStore& store, L2tpEngine& engine);
  DataPath(const DataPath&) = delete;
  DataPath& operator=(const DataPath&) = delete;

  // The calls the data goes to; any may be null (not running).
  void attach(LnsCalls* lns, LacCalls* lac, AutoClients* autos) {
    lns_ = lns;
    lac_ = lac;
    auto_ = autos;
  }
  // Remember each LNS session's sequencing for sequencing() (kernel data plane).
  void record_sequencing(bool on) { record_sequencing_ = on; }
  // Whether the LNS session's data carries Ns/Nr, and how many data messages the engine
  // has numbered on it so far (a kernel session taking it over starts at Ns 0 and must
  // catch up); nullopt when not recorded.
  struct Sequencing {
    bool on = false;
    std::uint16_t sent = 0;
  };
  std::optional<Sequencing> sequencing(SessionRef ref) const;
  // Kernel data plane: a session in the kernel sends its PPP frames through its channel
  // (with data sequencing only the kernel may number its data messages); `send` returns
  // false when the session is not in the kernel or the write failed, and the frame goes
  // through the engine.
  void set_kernel_sender(std::function<bool(SessionRef, ByteView)> send) {
    kernel_send_ = std::move(send);
  }

  // TUN -> wire: an IPv4 datagram read from template `vt`'s TUN device.
  void from_tun(std::uint16_t vt, ByteView packet);
  // A PPP frame of an LNS session that did not come through the engine (the kernel data
  // plane leaves LCP, authentication and IPCP to user space).
  void from_kernel(SessionRef ref, ByteView frame);
  // `reset l2tp session` on a session no call holds: CDN (administrative).
  void close_session(SessionRef ref);

  // ---- SessionHandler (engine -> calls)
  bool on_incoming_session(const IncomingSession& s) override;
  void on_session_established(const IncomingSession& s) override;
  void on_session_down(SessionRef ref, const SessionEnd& end) override;
  void on_data(SessionRef ref, ByteView ppp_frame) override;
  void on_tagged_data(SessionRef ref, ByteView ppp_frame, std::uint32_t tag) override;
  void prefetch_tagged(std::uint32_t tag, unsigned step) override;

  // ---- L2tpPort (calls -> engine)
  void send_ppp(SessionRef call, ByteView frame) override;
  void hang_up(SessionRef call, HangupCause cause) override;
  void set_call_info(SessionRef call, const std::string& user, std::optional<Ipv4> address,
                     const std::string& interface, const std::string& auth_method) override;
  void set_session_tag(SessionRef call, std::uint32_t tag) override;
  Result<CallHandle, std::string> place_call(LacCallRequest request,
                                             LacCallbacks callbacks) override;
  void cancel_call(CallHandle handle) override;

 private:
  config::ConfigStore& store_;
  L2tpEngine& engine_;
  LnsCalls* lns_ = nullptr;
  LacCalls* lac_ = nullptr;
  AutoClients* auto_ = nullptr;
  bool record_sequencing_ = false;
  std::map<SessionRef, Sequencing> sequencing_;  // LNS sessions (record_sequencing)
  std::function<bool(SessionRef, ByteView)> kernel_send_;
};

}  // namespace vpdnd::vpdn
