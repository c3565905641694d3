#include "aaa/core/pool.hpp"

#include <algorithm>

namespace vpdnd::aaa::detail {

AddressPool::AddressPool(const config::IpPool& cfg) : cfg_(cfg) {
  start_ = cfg.start.value;
  std::uint32_t end = std::max(cfg.end.value, cfg.start.value);
  std::uint64_t size = std::uint64_t{end} - start_ + 1;
  if (size > kMaxSize) {
    size = kMaxSize;
    truncated_ = true;
  }
  size_ = static_cast<std::uint32_t>(size);
  next_.resize(size_);
  prev_.resize(size_);
  used_.assign(size_, false);
  for (std::uint32_t i = 0; i < size_; ++i) {
    prev_[i] = i == 0 ? kNil : i - 1;
    next_[i] = i + 1 == size_ ? kNil : i + 1;
  }
  head_ = size_ ? 0 : kNil;
  tail_ = size_ ? size_ - 1 : kNil;
  free_count_ = size_;
}

void AddressPool::unlink(std::uint32_t i) {
  if (prev_[i] != kNil)
    next_[prev_[i]] = next_[i];
  else
    head_ = next_[i];
  if (next_[i] != kNil)
    prev_[next_[i]] = prev_[i];
  else
    tail_ = prev_[i];
  prev_[i] = next_[i] = kNil;
  --free_count_;
}

void AddressPool::push_tail(std::uint32_t i) {
  prev_[i] = tail_;
  next_[i] = kNil;
  if (tail_ != kNil)
    next_[tail_] = i;
  else
    head_ = i;
  tail_ = i;
  ++free_count_;
}

Ipv4 AddressPool::take(std::uint32_t i, std::string_view user) {
  unlink(i);
  used_[i] = true;
  owner_[i] = std::string(user);
  return Ipv4{start_ + i};
}

Result<Ipv4, PoolError> AddressPool::allocate(std::string_view user, std::optional<Ipv4> wanted,
                                              bool strict) {
  if (wanted && !wanted->is_zero()) {
    if (contains(*wanted)) {
      std::uint32_t i = wanted->value - start_;
      if (!used_[i]) return take(i, user);
      if (strict) return unexpected(PoolError::address_in_use);
    } else if (strict) {
      return unexpected(PoolError::address_not_in_pool);
    }
  }
  if (head_ == kNil) return unexpected(PoolError::exhausted);
  return take(head_, user);
}

bool AddressPool::release(Ipv4 a) {
  if (!contains(a)) return false;
  std::uint32_t i = a.value - start_;
  if (!used_[i]) return false;
  used_[i] = false;
  owner_.erase(i);
  push_tail(i);
  return true;
}

bool AddressPool::adopt(Ipv4 a, std::string_view user) {
  if (!contains(a) || used_[a.value - start_]) return false;
  take(a.value - start_, user);
  return true;
}

std::vector<PoolLease> AddressPool::leases() const {
  std::vector<PoolLease> out;
  out.reserve(owner_.size());
  for (const auto& [i, user] : owner_) out.push_back({Ipv4{start_ + i}, user});
  return out;
}

PoolStatus AddressPool::status() const {
  PoolStatus s;
  s.name = cfg_.name;
  s.domain = cfg_.domain;
  s.start = Ipv4{start_};
  s.end = Ipv4{start_ + (size_ ? size_ - 1 : 0)};
  s.free = free_count_;
  s.in_use = size_ - free_count_;
  s.leases = leases();
  std::sort(s.leases.begin(), s.leases.end(),
            [](const PoolLease& a, const PoolLease& b) { return a.address < b.address; });
  return s;
}

}  // namespace vpdnd::aaa::detail
