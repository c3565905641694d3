// End-to-end VPDN tests: each case runs tests/e2e/e2e.sh SCENARIO, which builds
// the user/lac/lns/corp namespaces, runs build/vpdnd twice and vpdn-dial, pings through, reads
// the boxes' displays over telnet and checks the teardown. Exit 77 from the script = skip
// (not root, binary or tool missing). Label "system".
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Outcome {
  int code = -1;
  std::string output;
};

Outcome run_scenario(const std::string& scenario) {
  const char* build = std::getenv("VPDND_BUILD_DIR");
  std::string cmd = "VPDND_BUILD_DIR='" + std::string(build ? build : E2E_BUILD_DIR) + "' ";
  // The script bounds each of its waits; timeout(1) bounds the whole in case one hangs.
  cmd += "timeout -k 5 170 bash '" E2E_SCRIPT "' " + scenario + " 2>&1";
  Outcome out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) out.output += buf.data();
  int status = pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

void expect_pass(const std::string& scenario) {
  Outcome o = run_scenario(scenario);
  if (o.code == 77) GTEST_SKIP() << o.output;
  EXPECT_EQ(o.code, 0) << o.output;
  if (o.code == 0) std::printf("%s", o.output.c_str());
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
