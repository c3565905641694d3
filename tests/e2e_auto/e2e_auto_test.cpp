// End-to-end l2tp-auto-client: runs tests/e2e_auto/e2e_auto.sh, which
// builds two namespaces joined by a veth, runs vpdnd as LNS and vpdnd as auto client,
// checks vt1's address, a ping through the tunnel, the displays and the teardown.
// Exit 77 from the script = skip (not root, binary or tool missing). Label "system".
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

TEST(AutoClientEndToEnd, DialsGetsAddressPingsAndTearsDown) {
  const char* build = std::getenv("VPDND_BUILD_DIR");
  std::string cmd = "VPDND_BUILD_DIR='" + std::string(build ? build : E2E_BUILD_DIR) + "' ";
  cmd += "timeout -k 5 120 bash '" E2E_AUTO_SCRIPT "' 2>&1";
  std::string output;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) output += buf.data();
  int status = pclose(p);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) GTEST_SKIP() << output;
  EXPECT_EQ(code, 0) << output;
  if (code == 0) std::printf("%s", output.c_str());
}

}  // namespace
