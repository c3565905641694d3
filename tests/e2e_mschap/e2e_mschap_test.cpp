// End-to-end MS-CHAP-V2: runs tests/e2e_mschap/e2e_mschap.sh (two namespaces, vpdnd LNS
// with `ppp authentication-mode ms-chap-v2`, vpdn-dial --mschapv2 as the client): the right
// password gets an address and pings, a wrong one fails with E=691 and leaves nothing.
// Exit 77 from the script = skip (not root, binary or tool missing). Label "system".
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

TEST(MsChapEndToEnd, V2UserPingsWrongPasswordGets691) {
  const char* build = std::getenv("VPDND_BUILD_DIR");
  std::string cmd = "VPDND_BUILD_DIR='" + std::string(build ? build : E2E_BUILD_DIR) + "' ";
  cmd += "timeout -k 5 120 bash '" E2E_MSCHAP_SCRIPT "' 2>&1";
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
