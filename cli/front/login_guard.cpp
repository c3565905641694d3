#include "cli/front/login_guard.hpp"

#include <algorithm>

namespace vpdnd::cli {

bool LoginGuard::expire(Record& r, TimePoint now) const {
  if (r.locked_until) {
    if (now < *r.locked_until) return false;
    r.locked_until.reset();  // the lock is served: a fresh count
    r.failures = 0;
  }
  if (r.failures != 0 && now - r.last_failure >= kFailureMemory) r.failures = 0;
  return r.failures == 0;
}

bool LoginGuard::locked(std::map<std::string, Record>& table, const std::string& key,
                        TimePoint now) {
  auto it = table.find(key);
  if (it == table.end()) return false;
  if (expire(it->second, now)) {
    table.erase(it);
    return false;
  }
  return it->second.locked_until.has_value();
}

LoginGuard::Verdict LoginGuard::check(const std::string& address, const std::string& user) {
  auto now = clock_->now();
  if (locked(addresses_, address, now)) return Verdict::address_locked;
  if (!user.empty() && locked(users_, user, now)) return Verdict::user_locked;
  return Verdict::allowed;
}

bool LoginGuard::count(std::map<std::string, Record>& table, const std::string& key,
                       const LoginPolicy& policy, TimePoint now) {
  Record& r = table[key];
  expire(r, now);
  ++r.failures;
  r.last_failure = now;
  if (r.locked_until || r.failures < policy.attempts) return false;
  switch (policy.exceed) {
    case LoginPolicy::Exceed::unlock:
      return false;
    case LoginPolicy::Exceed::lock:
      r.locked_until = TimePoint::max();
      return true;
    case LoginPolicy::Exceed::lock_time:
      r.locked_until = now + std::chrono::minutes(policy.lock_minutes);
      return true;
  }
  return false;
}

void LoginGuard::bound(std::map<std::string, Record>& table) {
  auto now = clock_->now();
  if (table.size() <= kMaxRecords) return;
  for (auto it = table.begin(); it != table.end();)
    it = expire(it->second, now) ? table.erase(it) : std::next(it);
  while (table.size() > kMaxRecords) {
    // The stalest record that is not locked; locked ones are what the guard is for.
    auto victim = table.end();
    for (auto it = table.begin(); it != table.end(); ++it)
      if (!it->second.locked_until &&
          (victim == table.end() || it->second.last_failure < victim->second.last_failure))
        victim = it;
    if (victim == table.end()) victim = table.begin();
    table.erase(victim);
  }
}

bool LoginGuard::failed(const std::string& address, const std::string& user,
                        const LoginPolicy& policy) {
  auto now = clock_->now();
  bool locked_now = count(addresses_, address, policy, now);
  if (!user.empty()) locked_now = count(users_, user, policy, now) || locked_now;
  auto& n = pairs_[{user, address}];
  ++n;
  bound(addresses_);
  bound(users_);
  if (pairs_.size() > kMaxRecords) {
    // Display detail only: drop pairs whose user and address are both forgotten.
    for (auto it = pairs_.begin(); it != pairs_.end() && pairs_.size() > kMaxRecords;) {
      bool known = addresses_.count(it->first.second) ||
                   (!it->first.first.empty() && users_.count(it->first.first));
      it = known ? std::next(it) : pairs_.erase(it);
    }
    while (pairs_.size() > kMaxRecords) pairs_.erase(pairs_.begin());
  }
  return locked_now;
}

void LoginGuard::succeeded(const std::string& address, const std::string& user) {
  addresses_.erase(address);
  if (!user.empty()) users_.erase(user);
  for (auto it = pairs_.begin(); it != pairs_.end();)
    it = (it->first.second == address || (!user.empty() && it->first.first == user))
             ? pairs_.erase(it)
             : std::next(it);
}

std::vector<BlacklistEntry> LoginGuard::blacklist() {
  auto now = clock_->now();
  std::vector<BlacklistEntry> out;
  for (auto it = pairs_.begin(); it != pairs_.end();) {
    const auto& [user, address] = it->first;
    bool address_locked = locked(addresses_, address, now);
    bool user_locked = !user.empty() && locked(users_, user, now);
    bool remembered = addresses_.count(address) || (!user.empty() && users_.count(user));
    if (!remembered) {
      it = pairs_.erase(it);
      continue;
    }
    out.push_back({user, address, it->second, address_locked || user_locked});
    ++it;
  }
  return out;
}

std::size_t LoginGuard::reset_all() {
  std::size_t n = blacklist().size();
  addresses_.clear();
  users_.clear();
  pairs_.clear();
  return n;
}

std::size_t LoginGuard::reset_user(const std::string& user) {
  users_.erase(user);
  return std::erase_if(pairs_, [&](const auto& pair) {
    const auto& [pair_user, address] = pair.first;
    if (pair_user != user) return false;
    // The addresses this user failed from are unlocked too: that is what the operator
    // asked for when the lock came from this user's own mistyping.
    addresses_.erase(address);
    return true;
  });
}

std::size_t LoginGuard::reset_address(const std::string& address) {
  addresses_.erase(address);
  return std::erase_if(pairs_, [&](const auto& pair) { return pair.first.second == address; });
}

namespace {
class SteadyClockSource final : public Clock {
 public:
  TimePoint now() const override { return SteadyClock::now(); }
};
}  // namespace

LoginGuard& process_login_guard() {
  static SteadyClockSource clock;
  static LoginGuard guard(clock);
  return guard;
}

}  // namespace vpdnd::cli
