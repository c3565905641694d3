// DOC: IPsec through strongSwan. vpdnd never implements IKE or ESP: this module renders the
// running config's `ike ...`/`ipsec ...` nodes into swanctl.conf for strongSwan's charon,
// drives charon (its own instance, or one already running) with the swanctl tool, reads
// the SAs back for the displays, and decides whether an L2TP datagram may be accepted
// ("plain L2TP must not slip past": where an IPsec policy applies, L2TP from a peer with
// no established IPsec SA is refused and counted; where the kernel has XFRM, charon also
// installs drop policies behind its SA policies, so the kernel drops such L2TP both ways).
//
// Threads: render_swanctl, parse_list_sas and l2tp_admitted are pure. Driver lives on
// the protocol thread (its io_context); every swanctl/charon call runs on the driver's own
// worker thread and its results are posted back, so the engine never blocks on charon.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ipv4.hpp"
#include "ipsec/status.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::ipsec {

// Which L2TP peers must come through IPsec: every peer when a dial-in (template) policy
// is applied, else the peers named by applied `isakmp` policies' remote-address.
struct GuardPolicy {
  bool any_peer = false;
  std::vector<Ipv4> peers;
  bool active() const { return any_peer || !peers.empty(); }
  bool operator==(const GuardPolicy&) const = default;
};

struct Rendered {
  std::string swanctl_conf;  // holds the keys: written 0600
  std::vector<ConnectionOrigin> connections;
  std::vector<std::string> warnings;  // nodes skipped because incomplete, and why
  GuardPolicy guard;
};

// The applied policies (`ipsec apply policy` on an interface) as swanctl.conf: one IKEv1
// connection per policy entry (per template entry for `isakmp template`), PSKs from the
// profiles' keychains in the secrets section. `kernel_block`: plus the drop shunt of
// render_plain_l2tp_drop for the guard's peers (charon's kernel has XFRM).
Rendered render_swanctl(const config::RunningConfig& config, bool kernel_block = false);

// The charon connection (name kPlainL2tpDrop) whose drop shunt makes the kernel drop UDP
// from or to port 1701 of this box that no SA covers, for the peers `guard` protects; ""
// when it protects none.
inline constexpr const char* kPlainL2tpDrop = "vpdnd-plain-l2tp-drop";
std::string render_plain_l2tp_drop(const GuardPolicy& guard);

// /proc/net/xfrm_stat -> the packets the kernel dropped on a blocking policy.
struct XfrmBlocks {
  std::uint64_t in = 0, out = 0;  // XfrmInPolBlock, XfrmOutPolBlock
};
std::optional<XfrmBlocks> parse_xfrm_stat(std::string_view text);

struct DriverOptions {
  enum class Mode : std::uint8_t { own, attach } mode = Mode::own;
  // own: the directory vpdnd keeps charon's files in (strongswan.conf, swanctl.conf,
  // the VICI socket, charon's log); created 0700.
  std::string run_dir = "/run/vpdnd/ipsec";
  std::string charon = "/usr/lib/ipsec/charon";
  std::string swanctl = "swanctl";
  // attach: charon's VICI socket ("unix:///var/run/charon.vici"); own: derived from run_dir.
  std::string vici_uri;
  // charon's log vpdnd reads to relay it (attach: charon's own filelog path, may be empty).
  std::string log_path;
  // strongSwan plugins loaded by our own charon in addition to the standard ones
  // ("kernel-libipsec" where the kernel has no XFRM).
  std::vector<std::string> extra_plugins;
  std::chrono::milliseconds refresh{2000};  // SA list refresh while a policy is applied
  // How long our charon may take to open its VICI socket before a load counts as failed,
  // and how soon a failed load is tried again (charon may just be slow to start).
  std::chrono::milliseconds charon_start{30000};
  std::chrono::milliseconds load_retry{5000};
  std::chrono::milliseconds swanctl_timeout{30000};
  // The kernel's XFRM counters of this network namespace. Where it exists (and charon
  // does ESP in the kernel, not kernel-libipsec) the kernel drops plain L2TP too.
  std::string xfrm_stat = "/proc/net/xfrm_stat";
  // The nft tool that installs the plain-L2TP filter (ipsec/plain_filter.hpp) beside the
  // kernel's drop policies; "" leaves netfilter alone.
  std::string nft = "nft";
};

// strongswan.conf for our own charon: VICI socket and log in run_dir, NAT keepalive.
std::string render_strongswan_conf(const DriverOptions& options, const config::IpsecConfig& c);
// The swanctl section alone: what swanctl needs to talk to an attached charon.
std::string render_swanctl_settings();

// `swanctl --list-sas --pretty` output -> the IKE SAs (with their child SAs).
std::vector<IkeSa> parse_list_sas(std::string_view pretty);

// The addresses of peers with an established IKE SA and an installed child SA.
std::vector<Ipv4> protected_peers(const std::vector<IkeSa>& sas);

// Whether an L2TP datagram from `peer` may be accepted.
bool l2tp_admitted(const GuardPolicy& policy, Ipv4 peer, const std::vector<Ipv4>& protected_peers);

class Driver {
 public:
  Driver(boost::asio::io_context& io, DriverOptions options);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Protocol thread. Renders the config; when it changed, (starts charon and) loads it.
  void apply(const config::RunningConfig& config);
  // Protocol thread. A fresh read of charon's SAs; the future is fulfilled by the worker.
  std::shared_future<SaSnapshot> sas();
  Statistics statistics() const;
  // Protocol thread: the guard decision for one datagram; a refusal is counted and makes
  // the SA list be re-read soon (a client whose SA just came up is admitted on its
  // retransmission).
  bool admit_l2tp(Ipv4 peer);
  // Protocol thread: whether L2TP may be sent to `peer` (no policy protects it, or an SA
  // does); not counted here (the L2TP engine counts what it does not send).
  bool l2tp_sendable(Ipv4 peer) const;
  std::string reset_ike(std::optional<std::uint32_t> id);
  std::string reset_ipsec(const std::string& policy, std::optional<std::uint16_t> sequence);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vpdnd::ipsec
