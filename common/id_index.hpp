// DOC: IdIndex<T>, a lookup from a 16-bit id to a T* for per-packet paths: open addressing
// with linear probing over 16-byte slots (id and pointer side by side), so a hit costs one
// cache miss for the slot where a node hash table costs three (bucket, the node before,
// the node). It owns nothing and hands out no references into its slots: the owner keeps
// the objects (stable addresses, e.g. in unique_ptrs) and tells the index about every
// insertion and removal, so growing or the backward shift of an erase can never leave a
// caller holding a moved slot. Id 0 is not storable (L2TP's ids are never 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace vpdnd {

template <typename T>
class IdIndex {
 public:
  T* get(std::uint16_t id) const {
    if (size_ == 0) return nullptr;
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == id) return s.value;
      if (s.id == 0) return nullptr;
    }
  }
  // Starts loading the slot a lookup of `id` reads first (no effect on contents).
  void prefetch(std::uint16_t id) const {
    if (size_ != 0) __builtin_prefetch(&slots_[home(id)]);
  }
  // Adds or replaces the entry for `id` (not 0).
  void put(std::uint16_t id, T* value) {
    if ((size_ + 1) * 2 > capacity()) grow();
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id == id) {
        s.value = value;
        return;
      }
      if (s.id == 0) {
        s = Slot{id, value};
        ++size_;
        return;
      }
    }
  }
  void erase(std::uint16_t id) {
    if (size_ == 0) return;
    std::size_t i = home(id);
    while (slots_[i].id != id) {
      if (slots_[i].id == 0) return;
      i = (i + 1) & mask_;
    }
    // Backward shift: move later entries of the probe run into the hole where their home
    // allows it, so lookups never need tombstones.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].id == 0) break;
      const std::size_t h = home(slots_[j].id);
      // Entry j may fill hole i when its home is not in the cyclic range (i, j].
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
    if (size_ == 0) clear();
  }
  void clear() {
    slots_.reset();
    size_ = 0;
    mask_ = 0;
  }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_ ? mask_ + 1 : 0; }

 private:
  struct Slot {
    std::uint16_t id = 0;
    T* value = nullptr;
  };
  // Ids are random or sequential; Fibonacci hashing spreads both over the table (17 bits:
  // 65,535 ids at half load).
  std::size_t home(std::uint16_t id) const {
    return static_cast<std::size_t>((std::uint32_t{id} * 2654435769u) >> 15) & mask_;
  }
  void grow() {
    const std::size_t old_cap = capacity();
    const std::size_t cap = old_cap ? old_cap * 2 : 8;
    auto old = std::move(slots_);
    slots_ = std::make_unique<Slot[]>(cap);
    mask_ = cap - 1;
    size_ = 0;
    for (std::size_t i = 0; i < old_cap; ++i)
      if (old[i].id != 0) put(old[i].id, old[i].value);
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace vpdnd
