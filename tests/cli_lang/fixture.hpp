// Test fixture: a real Protocol thread, a ConfigStore and a fake Operations behind a
// ShellContext, as the front end will have them.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "cli/lang.hpp"
#include "common/log.hpp"

namespace vpdnd::cli::test {

// The matchers nearly every display and configuration test checks output with.
using ::testing::HasSubstr;
using ::testing::Not;

// Matches text holding every one of parts; a failure names the parts it lacks.
inline ::testing::Matcher<const std::string&> HasSubstrs(const std::vector<std::string>& parts) {
  std::vector<::testing::Matcher<const std::string&>> each;
  for (const auto& part : parts) each.push_back(HasSubstr(part));
  return ::testing::AllOfArray(each);
}

class FakeOperations : public Operations {
  // What a cut or a reset takes away, as the engine would: every entry the filter matches.
  template <typename Entry, typename Filter>
  static std::size_t erase_matching(std::vector<Entry>& entries, const Filter& filter) {
    return std::erase_if(entries, [&](const Entry& e) { return filter.matches(e); });
  }

 public:
  std::vector<vpdn::TunnelStatus> tunnels;
  std::vector<vpdn::SessionStatus> sessions;
  vpdn::L2tpStatistics stats;
  std::vector<aaa::PoolStatus> pools;
  std::vector<ppp::PppoeSessionStatus> pppoe;
  std::vector<std::string> resets;

  std::vector<vpdn::TunnelStatus> l2tp_tunnels() const override { return tunnels; }
  std::vector<vpdn::SessionStatus> l2tp_sessions() const override { return sessions; }
  vpdn::L2tpStatistics l2tp_statistics() const override { return stats; }
  std::vector<aaa::PoolStatus> ip_pools() const override { return pools; }
  std::vector<aaa::OnlineUser> online_users() const override { return users; }
  std::vector<ppp::PppoeSessionStatus> pppoe_sessions() const override { return pppoe; }
  std::string reset_l2tp_tunnel_id(std::uint16_t id) override {
    resets.push_back("tunnel id " + std::to_string(id));
    return id == 5 ? "" : "% Tunnel " + std::to_string(id) + " does not exist.";
  }
  std::string reset_l2tp_tunnel_name(const std::string& name) override {
    resets.push_back("tunnel name " + name);
    return "";
  }
  std::string reset_l2tp_session_id(std::uint16_t id) override {
    resets.push_back("session id " + std::to_string(id));
    return "";
  }
  aaa::RadiusStatistics radius;
  aaa::RadiusStatistics radius_statistics() const override { return radius; }
  void reset_radius_statistics() override { radius = {}; }
  void reset_l2tp_statistics() override { stats = {}; }
  std::vector<LinkStatus> links;
  std::vector<LinkStatus> host_links() const override { return links; }
  std::vector<VirtualAccessStatus> accesses;
  std::vector<VirtualAccessStatus> virtual_accesses() const override { return accesses; }
  std::vector<aaa::OnlineUser> users;
  std::vector<ConnectionFilter> cuts;
  std::size_t cut_connections(const ConnectionFilter& f) override {
    cuts.push_back(f);
    return erase_matching(users, f);
  }
  std::vector<PppoeSessionFilter> pppoe_resets;
  std::size_t reset_pppoe_sessions(const PppoeSessionFilter& f) override {
    pppoe_resets.push_back(f);
    return erase_matching(pppoe, f);
  }
};

// Ops: the Operations the commands read and act on; a test that needs more than
// FakeOperations offers derives from it.
template <class Ops = FakeOperations>
class ShellTestOf : public ::testing::Test {
 protected:
  void SetUp() override {
    engine.start();
    dir = std::filesystem::temp_directory_path() /
          ("cli_lang_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    context.startup_path = (dir / "startup.cfg").string();
  }
  void TearDown() override {
    engine.stop();
    std::filesystem::remove_all(dir);
  }

  std::unique_ptr<CommandSession> session(SessionOrigin origin = SessionOrigin::console) {
    return make_command_session(context, origin);
  }
  // A console session that ran commands (each must succeed), e.g. to enter a view.
  std::unique_ptr<CommandSession> session_in(const std::vector<std::string>& commands) {
    auto s = session();
    for (const auto& c : commands) {
      auto r = s->execute(c);
      EXPECT_TRUE(r.ok) << c << "\n" << r.output;
    }
    return s;
  }
  // A console session already in system view.
  std::unique_ptr<CommandSession> system_session() {
    auto s = session();
    s->execute("system-view");
    return s;
  }
  // The output of a command that must succeed in a fresh console session (user view).
  std::string shown(const std::string& command) {
    auto r = session()->execute(command);
    EXPECT_TRUE(r.ok) << command << "\n" << r.output;
    return r.output;
  }
  // The output of a command that must fail in a fresh console session (user view).
  std::string refused(const std::string& command) {
    auto r = session()->execute(command);
    EXPECT_FALSE(r.ok) << command << "\n" << r.output;
    return r.output;
  }
  config::RunningConfig running() {
    return engine.call([&] { return store.running(); });
  }
  // Runs lines in a file session; returns the errors.
  std::vector<std::string> load_text(const std::string& text) {
    return load_config_file(context, write_file("load.cfg", text)).errors;
  }
  // Writes text to the file name in the test's directory; returns its path.
  std::string write_file(const std::string& name, const std::string& text) {
    std::string path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
  }
  void reset_model() {
    engine.call([&] { store.replace(config::RunningConfig{}); });
  }

  ProtocolThread engine;
  config::ConfigStore store;
  Ops ops;
  ShellContext context{engine, store, ops, ""};
  std::filesystem::path dir;
};

using ShellTest = ShellTestOf<>;

}  // namespace vpdnd::cli::test
