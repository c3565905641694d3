// End-to-end l2tp-auto-client: runs tests/e2e_auto/e2e_auto.sh, which
// builds two namespaces joined by a veth, runs vpdnd as LNS and vpdnd as auto client,
// checks vt1's address, a ping through the tunnel, the displays and the teardown.
// Exit 77 from the script = skip (not root, binary or tool missing). Label "system".
#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace {

TEST(AutoClientEndToEnd, DialsGetsAddressPingsAndTearsDown) {
  EXPECT_TRUE(vpdnd::test::script_passes(E2E_AUTO_SCRIPT, "", 120));
}

}  // namespace
