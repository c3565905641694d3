// DOC: SessionTable, a tunnel's sessions by local session id (open addressing).
// Not for other modules: they include vpdn/engine.hpp only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace vpdnd::vpdn::detail {

// A map from a non-zero 16-bit session id to an owned V, looked up on every data message
// in both directions. std::unordered_map costs three dependent cache misses per lookup at
// tens of thousands of sessions (bucket, the node before, the node); here the id and the
// pointer sit together in one array slot (linear probing, Fibonacci hashing), so a lookup
// is one miss before the object itself. Id 0 is never a session id (RFC 2661 §5.4), so
// it marks a free slot; erase() leaves the id in its slot without the object (a
// tombstone), so it moves nothing and iterators other than the erased one stay valid, as with
// std::unordered_map; insertions may rehash and invalidate them.
template <class V>
class SessionTable {
 public:
  // (id, object), as std::unordered_map's pairs (the id is not to be changed through an
  // iterator). A slot with id 0 was never used; id != 0 and no object: removed.
  using value_type = std::pair<std::uint16_t, std::unique_ptr<V>>;

 private:
  using Slot = value_type;
  static bool live(const Slot& s) { return s.first != 0 && s.second; }

 public:
  template <bool Const>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using difference_type = std::ptrdiff_t;
    using value_type = SessionTable::value_type;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;
    using SlotPtr = std::conditional_t<Const, const Slot*, Slot*>;
    Iter() = default;
    Iter(SlotPtr at, SlotPtr end) : at_(at), end_(end) { skip(); }
    operator Iter<true>() const { return Iter<true>(at_, end_); }
    reference operator*() const { return *at_; }
    pointer operator->() const { return at_; }
    Iter& operator++() {
      ++at_;
      skip();
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iter& o) const { return at_ == o.at_; }
    SlotPtr slot() const { return at_; }

   private:
    void skip() {
      while (at_ != end_ && !live(*at_)) ++at_;
    }
    SlotPtr at_ = nullptr;
    SlotPtr end_ = nullptr;
  };
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  SessionTable() = default;
  SessionTable(SessionTable&&) noexcept = default;
  SessionTable& operator=(SessionTable&&) noexcept = default;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  iterator begin() { return {slots_.data(), slots_.data() + slots_.size()}; }
  iterator end() { return {slots_.data() + slots_.size(), slots_.data() + slots_.size()}; }
  const_iterator begin() const { return {slots_.data(), slots_.data() + slots_.size()}; }
  const_iterator end() const {
    return {slots_.data() + slots_.size(), slots_.data() + slots_.size()};
  }

  iterator find(std::uint16_t id) {
    Slot* s = locate(id);
    return s ? iterator(s, slots_.data() + slots_.size()) : end();
  }
  const_iterator find(std::uint16_t id) const {
    const Slot* s = const_cast<SessionTable*>(this)->locate(id);
    return s ? const_iterator(s, slots_.data() + slots_.size()) : end();
  }
  std::size_t count(std::uint16_t id) const { return find(id) == end() ? 0 : 1; }
  bool contains(std::uint16_t id) const { return count(id) != 0; }

  // Inserts (id, value) unless id is there (then value is dropped, as unordered_map's
  // emplace does). id must not be 0.
  std::pair<iterator, bool> emplace(std::uint16_t id, std::unique_ptr<V> value) {
    if (auto it = find(id); it != end()) return {it, false};
    if ((size_ + removed_ + 1) * 4 > slots_.size() * 3)
      rehash(size_ + 1 > slots_.size() / 4 ? slots_.size() * 2 : slots_.size());
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(id);; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.first == 0 || !s.second) {
        if (s.first != 0) --removed_;  // reusing a removed slot on the probe path
        s.first = id;
        s.second = std::move(value);
        ++size_;
        return {iterator(&s, slots_.data() + slots_.size()), true};
      }
    }
  }

  // Removes the element at `it`; returns the next one.
  iterator erase(const_iterator it) {
    Slot* s = const_cast<Slot*>(it.slot());
    s->second.reset();
    --size_;
    ++removed_;
    return iterator(s + 1, slots_.data() + slots_.size());
  }
  std::size_t erase(std::uint16_t id) {
    auto it = find(id);
    if (it == end()) return 0;
    erase(const_iterator(it));
    return 1;
  }
  void clear() {
    slots_.clear();
    size_ = removed_ = 0;
  }

 private:
  std::size_t home(std::uint16_t id) const {
    return (static_cast<std::uint32_t>(id) * 2654435769u) >> shift_;
  }
  Slot* locate(std::uint16_t id) {
    if (slots_.empty() || id == 0) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(id);; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      // An insertion takes the first slot of its probe path without a live object, so the
      // first slot with this id on the path holds it if the table does.
      if (s.first == id) return s.second ? &s : nullptr;
      if (s.first == 0) return nullptr;
    }
  }
  // To `capacity` slots (a power of two, at least 8), dropping the removed ones.
  void rehash(std::size_t capacity) {
    if (capacity < 8) capacity = 8;
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(capacity);
    shift_ = 32;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    size_ = removed_ = 0;
    const std::size_t mask = capacity - 1;
    for (Slot& o : old) {
      if (!live(o)) continue;
      std::size_t i = home(o.first);
      while (slots_[i].first != 0) i = (i + 1) & mask;
      slots_[i] = std::move(o);
      ++size_;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t removed_ = 0;
  unsigned shift_ = 32;
};

}  // namespace vpdnd::vpdn::detail
