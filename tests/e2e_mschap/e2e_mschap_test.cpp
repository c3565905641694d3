// End-to-end MS-CHAP-V2: runs tests/e2e_mschap/e2e_mschap.sh (two namespaces, vpdnd LNS
// with `ppp authentication-mode ms-chap-v2`, vpdn-dial --mschapv2 as the client): the right
// password gets an address and pings, a wrong one fails with E=691 and leaves nothing.
// Exit 77 from the script = skip (not root, binary or tool missing). Label "system".
#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace {

TEST(MsChapEndToEnd, V2UserPingsWrongPasswordGets691) {
  EXPECT_TRUE(vpdnd::test::script_passes(E2E_MSCHAP_SCRIPT, "", 120));
}

}  // namespace
