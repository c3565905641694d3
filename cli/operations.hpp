// DOC: what the shell asks of the running engines. The CLI never touches protocol
// objects: it calls these (always on the engine thread, through Engine::call) and formats
// the snapshots. app/ implements it by wiring the engines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aaa/status.hpp"
#include "ppp/status.hpp"
#include "vpdn/status.hpp"

namespace vpdnd::cli {

class Operations {
 public:
  virtual ~Operations() = default;

  virtual std::vector<vpdn::TunnelStatus> l2tp_tunnels() const = 0;
  virtual std::vector<vpdn::SessionStatus> l2tp_sessions() const = 0;
  virtual vpdn::L2tpStatistics l2tp_statistics() const = 0;
  virtual std::vector<aaa::PoolStatus> ip_pools() const = 0;
  virtual std::vector<aaa::OnlineUser> online_users() const = 0;
  virtual std::vector<ppp::PppoeSessionStatus> pppoe_sessions() const = 0;

  // Operator actions. Return "" on success, else the message to print (e.g.
  // "% Tunnel 5 does not exist.").
  virtual std::string reset_l2tp_tunnel_id(std::uint16_t local_id) = 0;
  virtual std::string reset_l2tp_tunnel_name(const std::string& remote_name) = 0;
  virtual std::string reset_l2tp_session_id(std::uint16_t local_id) = 0;
};

}  // namespace vpdnd::cli
