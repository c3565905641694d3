// DOC: the telnet and SSH login defences' policy (Comware "password control" login attempts):
// failed logins are counted per source address and per user name; after
// `password-control login-attempt N` failures the address (or the user) is locked for
// telnet and SSH, for `exceed lock-time T` minutes, until `reset password-control blacklist`
// (`exceed lock`), or not at all (`exceed unlock`). The console never asks this guard: it
// has no login, so an operator at the console is never locked out.
// Pure: time comes from an injected Clock; no sockets. Thread: one owner; the process
// instance (process_login_guard()) is touched only on the protocol thread (ProtocolThread::call).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/timer.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::cli {

using LoginPolicy = config::LoginAttemptPolicy;

// One line of `display password-control blacklist`: a user name and an address that failed.
struct BlacklistEntry {
  std::string user;     // "" when the login asked no user name (authentication-mode password)
  std::string address;  // dotted IPv4
  std::uint32_t failures = 0;
  bool locked = false;  // the user or the address is locked now
};

class LoginGuard {
 public:
  // Failures older than this, not locked, are forgotten.
  static constexpr auto kFailureMemory = std::chrono::minutes(10);
  // Table bound: beyond it the stalest unlocked record is dropped (a spray of names or
  // addresses cannot grow memory without bound).
  static constexpr std::size_t kMaxRecords = 4096;

  explicit LoginGuard(const Clock& clock) : clock_(&clock) {}

  enum class Verdict : std::uint8_t { allowed, address_locked, user_locked };
  // May `user` (empty: not known yet) try to log in from `address` now?
  Verdict check(const std::string& address, const std::string& user);
  // A failed attempt. True when this failure locked the address or the user.
  bool failed(const std::string& address, const std::string& user, const LoginPolicy& policy);
  // A successful login clears the address's and the user's failures.
  void succeeded(const std::string& address, const std::string& user);

  std::vector<BlacklistEntry> blacklist();
  // `reset password-control blacklist [user-name U | ip A]`: unlocks and forgets; returns
  // how many blacklist entries went.
  std::size_t reset_all();
  std::size_t reset_user(const std::string& user);
  std::size_t reset_address(const std::string& address);

 private:
  struct Record {
    std::uint32_t failures = 0;
    TimePoint last_failure{};
    std::optional<TimePoint> locked_until;  // TimePoint::max(): until reset
  };
  // Expires `r` (lock over, failures stale); true if it is now empty.
  bool expire(Record& r, TimePoint now) const;
  bool locked(std::map<std::string, Record>& table, const std::string& key, TimePoint now);
  bool count(std::map<std::string, Record>& table, const std::string& key,
             const LoginPolicy& policy, TimePoint now);
  void bound(std::map<std::string, Record>& table);

  const Clock* clock_;
  std::map<std::string, Record> addresses_;
  std::map<std::string, Record> users_;
  std::map<std::pair<std::string, std::string>, std::uint32_t>
      pairs_;  // (user, address) -> failures
};

// The process's guard (steady clock), shared by the telnet and SSH servers and the
// `display|reset password-control blacklist` commands. Protocol thread only.
LoginGuard& process_login_guard();

}  // namespace vpdnd::cli
