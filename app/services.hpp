// DOC: the engines behind the shell, wired together: L2TP (vpdn), PPP, PPPoE, AAA and the
// data plane. main() builds one Services on the protocol thread after the startup config is
// loaded; the shell reaches it only through operations().
// Threads: every method runs on the protocol thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cli/operations.hpp"
#include "common/protocol_thread.hpp"
#include "common/timer.hpp"
#include "ipsec/ipsec.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::app {

enum class DataPlaneChoice : std::uint8_t;  // app/services/kernel_port.hpp

struct ServicesOptions {
  // `vpdnd --data-plane`: which LNS data plane to use (decided once at start()).
  // 0 = DataPlaneChoice::automatic.
  DataPlaneChoice data_plane{};
  // Where the stop-accounting buffer is kept across restarts (aaa::StopBufferOptions::file);
  // empty: in memory only.
  std::string stop_accounting_buffer;
  // IPsec through strongSwan (`--ipsec-run-dir`, `--ipsec-attach`, `--ipsec-libipsec`).
  ipsec::DriverOptions ipsec;
};

class Services {
 public:
  virtual ~Services() = default;
  virtual cli::Operations& operations() = 0;
  // Opens sockets and devices per the running config; reacts to later config changes
  // through the store's listeners.
  virtual void start() = 0;
  // Graceful stop (SIGTERM): StopCCN to every peer, CDNs, accounting stop, PADT; calls
  // `done` on the protocol thread when finished or after a bounded wait.
  virtual void shutdown(std::function<void()> done) = 0;
};

std::unique_ptr<Services> make_services(ProtocolThread& engine, config::ConfigStore& store,
                                        TimerService& timers, ServicesOptions options = {});

}  // namespace vpdnd::app
