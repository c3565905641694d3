// The telnet login guard's policy on a manual clock: per-address and per-user counting,
// the three `exceed` actions, expiry, reset, and the table bound.
#include "cli/front/login_guard.hpp"

#include <gtest/gtest.h>

namespace vpdnd::cli {
namespace {

using Exceed = LoginPolicy::Exceed;

class LoginGuardTest : public ::testing::Test {
 protected:
  ManualTimerService clock_;
  LoginGuard guard_{clock_};
  LoginPolicy policy_;  // 3 attempts, then 1 minute
};

TEST_F(LoginGuardTest, AddressLockedAfterAttemptsWhateverTheUserNames) {
  EXPECT_FALSE(guard_.failed("10.0.0.1", "a", policy_));
  EXPECT_FALSE(guard_.failed("10.0.0.1", "b", policy_));
  EXPECT_EQ(guard_.check("10.0.0.1", ""), LoginGuard::Verdict::allowed);
  EXPECT_TRUE(guard_.failed("10.0.0.1", "c", policy_));
  EXPECT_EQ(guard_.check("10.0.0.1", ""), LoginGuard::Verdict::address_locked);
  EXPECT_EQ(guard_.check("10.0.0.2", "a"), LoginGuard::Verdict::allowed);  // "a" failed once only
}

TEST_F(LoginGuardTest, UserLockedAfterAttemptsFromManyAddresses) {
  EXPECT_FALSE(guard_.failed("10.0.0.1", "admin", policy_));
  EXPECT_FALSE(guard_.failed("10.0.0.2", "admin", policy_));
  EXPECT_TRUE(guard_.failed("10.0.0.3", "admin", policy_));
  EXPECT_EQ(guard_.check("10.0.0.4", "admin"), LoginGuard::Verdict::user_locked);
  EXPECT_EQ(guard_.check("10.0.0.4", "other"), LoginGuard::Verdict::allowed);
}

TEST_F(LoginGuardTest, LockTimeExpiresAndCountsAfresh) {
  policy_.lock_minutes = 5;
  for (int i = 0; i < 3; ++i) guard_.failed("10.0.0.1", "admin", policy_);
  clock_.advance(std::chrono::minutes(4) + std::chrono::seconds(59));
  EXPECT_EQ(guard_.check("10.0.0.1", "admin"), LoginGuard::Verdict::address_locked);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(guard_.check("10.0.0.1", "admin"), LoginGuard::Verdict::allowed);
  EXPECT_FALSE(guard_.failed("10.0.0.1", "admin", policy_));  // a fresh count, not 4 of 3
}

TEST_F(LoginGuardTest, ExceedLockHoldsUntilReset) {
  policy_.exceed = Exceed::lock;
  for (int i = 0; i < 3; ++i) guard_.failed("10.0.0.1", "admin", policy_);
  clock_.advance(std::chrono::hours(24 * 30));
  EXPECT_EQ(guard_.check("10.0.0.1", ""), LoginGuard::Verdict::address_locked);
  EXPECT_EQ(guard_.reset_user("admin"), 1u);
  EXPECT_EQ(guard_.check("10.0.0.1", "admin"), LoginGuard::Verdict::allowed);
}

TEST_F(LoginGuardTest, ExceedUnlockNeverLocks) {
  policy_.exceed = Exceed::unlock;
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(guard_.failed("10.0.0.1", "admin", policy_));
  EXPECT_EQ(guard_.check("10.0.0.1", "admin"), LoginGuard::Verdict::allowed);
  auto list = guard_.blacklist();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].failures, 20u);
  EXPECT_FALSE(list[0].locked);
}

TEST_F(LoginGuardTest, SuccessClearsTheCount) {
  guard_.failed("10.0.0.1", "admin", policy_);
  guard_.failed("10.0.0.1", "admin", policy_);
  guard_.succeeded("10.0.0.1", "admin");
  EXPECT_TRUE(guard_.blacklist().empty());
  EXPECT_FALSE(guard_.failed("10.0.0.1", "admin", policy_));
}

TEST_F(LoginGuardTest, StaleFailuresAreForgotten) {
  guard_.failed("10.0.0.1", "admin", policy_);
  guard_.failed("10.0.0.1", "admin", policy_);
  clock_.advance(LoginGuard::kFailureMemory);
  EXPECT_FALSE(guard_.failed("10.0.0.1", "admin", policy_));
  EXPECT_EQ(guard_.check("10.0.0.1", "admin"), LoginGuard::Verdict::allowed);
}

TEST_F(LoginGuardTest, BlacklistShowsUserAddressPairsAndResetByAddress) {
  guard_.failed("10.0.0.1", "admin", policy_);
  guard_.failed("10.0.0.2", "admin", policy_);
  guard_.failed("10.0.0.2", "", policy_);
  auto list = guard_.blacklist();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(guard_.reset_address("10.0.0.2"), 2u);
  list = guard_.blacklist();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].address, "10.0.0.1");
  EXPECT_EQ(guard_.reset_all(), 1u);
  EXPECT_TRUE(guard_.blacklist().empty());
}

TEST_F(LoginGuardTest, TablesAreBoundedButKeepLocks) {
  for (int i = 0; i < 3; ++i) guard_.failed("192.0.2.1", "", policy_);
  for (std::size_t i = 0; i < LoginGuard::kMaxRecords + 100; ++i) {
    clock_.advance(std::chrono::milliseconds(1));
    guard_.failed("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                  "u" + std::to_string(i), policy_);
  }
  EXPECT_LE(guard_.blacklist().size(), LoginGuard::kMaxRecords);
  EXPECT_EQ(guard_.check("192.0.2.1", ""), LoginGuard::Verdict::address_locked);
}

}  // namespace
}  // namespace vpdnd::cli
