// End-to-end VPDN tests: each case runs tests/e2e/e2e.sh SCENARIO, which builds
// the user/lac/lns/corp namespaces, runs build/vpdnd twice and vpdn-dial, pings through, reads
// the boxes' displays over telnet and checks the teardown. Exit 77 from the script = skip
// (not root, binary or tool missing). Label "system".
#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace {

void expect_pass(const std::string& scenario) {
  EXPECT_TRUE(vpdnd::test::script_passes(E2E_SCRIPT, scenario, 170));
}

TEST(VpdnEndToEnd, NasInitiatedLocalAuth) {
  expect_pass("nas");
}
TEST(VpdnEndToEnd, NasInitiatedMandatoryChap) {
  expect_pass("nas-mandatory-chap");
}
TEST(VpdnEndToEnd, NasInitiatedRadius) {
  expect_pass("nas-radius");
}
TEST(VpdnEndToEnd, ClientInitiated) {
  expect_pass("client");
}
TEST(VpdnEndToEnd, TwoHundredSessionsOneTunnel) {
  expect_pass("many");
}
TEST(VpdnEndToEnd, ResetTunnelOnLnsEndsEverything) {
  expect_pass("reset-lns");
}
TEST(VpdnEndToEnd, ResetTunnelOnLacEndsEverything) {
  expect_pass("reset-lac");
}
TEST(VpdnEndToEnd, LnsSigtermWithSessionUp) {
  expect_pass("stop-lns");
}
TEST(VpdnEndToEnd, UndoL2tpEnableOnLnsEndsEverything) {
  expect_pass("undo-enable");
}
TEST(VpdnEndToEnd, CutConnectionOnLnsEndsEverything) {
  expect_pass("cut-lns");
}
TEST(VpdnEndToEnd, CutConnectionOnLacEndsEverything) {
  expect_pass("cut-lac");
}
TEST(VpdnEndToEnd, ResetSessionOnLnsEndsEverything) {
  expect_pass("reset-session-lns");
}
TEST(VpdnEndToEnd, ResetSessionOnLacEndsEverything) {
  expect_pass("reset-session-lac");
}
TEST(VpdnEndToEnd, ResetPppoeServerOnLacEndsEverything) {
  expect_pass("reset-pppoe");
}
TEST(VpdnEndToEnd, UndoVirtualTemplateOnLnsEndsItsCalls) {
  expect_pass("undo-vt");
}
// `shutdown` on the LNS template brings its user down as `undo interface` does; before,
// the user shows in `display virtual-access` and as a /32 in `display ip routing-table`.
TEST(VpdnEndToEnd, ShutdownVirtualTemplateOnLnsEndsItsCalls) {
  expect_pass("shutdown-vt");
}

}  // namespace
