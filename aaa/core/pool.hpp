// Internal to aaa/core: one address pool. Free addresses sit on an intrusive doubly linked
// list over index arrays, so allocate (take the head), allocate a given address (unlink it)
// and release (append at the tail, so a just-freed address is reused last) are all O(1).
// Leases (index -> user) live in a hash map; snapshots sort them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aaa/aaa.hpp"

namespace vpdnd::aaa::detail {

class AddressPool {
 public:
  // Pools larger than this are truncated (and the owner logs it): a mistyped /8 must not
  // cost the box its memory.
  static constexpr std::uint32_t kMaxSize = 1u << 20;

  explicit AddressPool(const config::IpPool& cfg);

  const config::IpPool& config() const { return cfg_; }
  bool truncated() const { return truncated_; }
  bool contains(Ipv4 a) const { return a.value >= start_ && a.value - start_ < size_; }
  std::uint32_t size() const { return size_; }
  std::uint32_t free_count() const { return free_count_; }
  std::uint32_t in_use() const { return size_ - free_count_; }

  Result<Ipv4, PoolError> allocate(std::string_view user, std::optional<Ipv4> wanted, bool strict);
  bool release(Ipv4 a);
  // Marks `a` leased to `user` (carrying leases over when the pool is re-created).
  bool adopt(Ipv4 a, std::string_view user);
  // (address, user) of every lease, unordered.
  std::vector<PoolLease> leases() const;
  PoolStatus status() const;

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  void unlink(std::uint32_t i);
  void push_tail(std::uint32_t i);
  Ipv4 take(std::uint32_t i, std::string_view user);

  config::IpPool cfg_;
  std::uint32_t start_ = 0;
  std::uint32_t size_ = 0;
  bool truncated_ = false;
  std::vector<std::uint32_t> next_;
  std::vector<std::uint32_t> prev_;
  std::vector<bool> used_;
  std::uint32_t head_ = kNil;
  std::uint32_t tail_ = kNil;
  std::uint32_t free_count_ = 0;
  std::unordered_map<std::uint32_t, std::string> owner_;
};

}  // namespace vpdnd::aaa::detail
