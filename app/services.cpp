// DOC: make_services: the appliance's engines wired behind cli::Operations. Owned by
// integration. Everything here runs on the engine thread (see app/services.hpp).
// This first cut reports the (empty) engine state; the engines are plugged in as they land.
#include "app/services.hpp"

#include <utility>

namespace vpdnd::app {
namespace {

class EmptyOperations final : public cli::Operations {
 public:
  std::vector<vpdn::TunnelStatus> l2tp_tunnels() const override { return {}; }
  std::vector<vpdn::SessionStatus> l2tp_sessions() const override { return {}; }
  vpdn::L2tpStatistics l2tp_statistics() const override {
    vpdn::L2tpStatistics s;
    s.data_plane_backend = "user-space (TUN)";
    return s;
  }
  std::vector<aaa::PoolStatus> ip_pools() const override { return {}; }
  std::vector<aaa::OnlineUser> online_users() const override { return {}; }
  std::vector<ppp::PppoeSessionStatus> pppoe_sessions() const override { return {}; }
  std::string reset_l2tp_tunnel_id(std::uint16_t local_id) override {
    return "% Tunnel " + std::to_string(local_id) + " does not exist.";
  }
  std::string reset_l2tp_tunnel_name(const std::string& remote_name) override {
    return "% Tunnel " + remote_name + " does not exist.";
  }
  std::string reset_l2tp_session_id(std::uint16_t local_id) override {
    return "% Session " + std::to_string(local_id) + " does not exist.";
  }
};

class ApplianceServices final : public Services {
 public:
  cli::Operations& operations() override { return ops_; }
  void start() override {}
  void shutdown(std::function<void()> done) override {
    if (done) done();
  }

 private:
  EmptyOperations ops_;
};

}  // namespace

std::unique_ptr<Services> make_services(Engine&, config::ConfigStore&, TimerService&) {
  return std::make_unique<ApplianceServices>();
}

}  // namespace vpdnd::app
