// Heap accounting for the per-session memory tests: replaces the global operator new and
// delete of the test binary that includes it (include it in ONE translation unit of a
// binary of its own). While counting is on and not paused, every allocation is recorded
// with what it really costs malloc (usable size + the 8-byte chunk header); freeing a
// recorded block takes its cost back off, whoever frees it. Paused scopes (the test's own
// peer: the LAC, the user's PPP) are not recorded, so live() is what the code under test
// holds. The record table allocates with malloc directly, never through operator new.
// Under ASan malloc_usable_size is the requested size, so figures there are lower.
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>
#include <string>
#include <unordered_map>

namespace vpdnd::heap_count {

template <class T>
struct MallocAllocator {
  using value_type = T;
  MallocAllocator() = default;
  template <class U>
  MallocAllocator(const MallocAllocator<U>&) {}
  T* allocate(std::size_t n) {
    if (void* p = std::malloc(n * sizeof(T))) return static_cast<T*>(p);
    throw std::bad_alloc();
  }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <class U>
  bool operator==(const MallocAllocator<U>&) const {
    return true;
  }
};

struct State {
  bool on = false;
  int paused = 0;
  std::int64_t live = 0;    // bytes recorded and not freed
  std::int64_t blocks = 0;  // blocks recorded and not freed
  std::unordered_map<void*, std::size_t, std::hash<void*>, std::equal_to<void*>,
                     MallocAllocator<std::pair<void* const, std::size_t>>>
      recorded;
};

inline State& state() {
  static State* s = new (std::malloc(sizeof(State))) State();  // never freed, never via new
  return *s;
}

inline void* allocate(std::size_t n, std::size_t align) {
  if (n == 0) n = 1;
  void* p = align > alignof(std::max_align_t)
                ? std::aligned_alloc(align, (n + align - 1) / align * align)
                : std::malloc(n);
  if (!p) throw std::bad_alloc();
  State& s = state();
  if (s.on && s.paused == 0) {
    const std::size_t cost = malloc_usable_size(p) + 8;
    s.paused++;  // the table's own growth is not the code's
    s.recorded.emplace(p, cost);
    s.paused--;
    s.live += static_cast<std::int64_t>(cost);
    ++s.blocks;
  }
  return p;
}

inline void release(void* p) {
  if (!p) return;
  State& s = state();
  if (!s.recorded.empty()) {
    auto it = s.recorded.find(p);
    if (it != s.recorded.end()) {
      s.live -= static_cast<std::int64_t>(it->second);
      --s.blocks;
      s.recorded.erase(it);
    }
  }
  std::free(p);
}

// Counting on for the scope.
struct Counting {
  Counting() { state().on = true; }
  ~Counting() { state().on = false; }
  Counting(const Counting&) = delete;
  Counting& operator=(const Counting&) = delete;
};
// Not recorded: the test's own peer.
struct Paused {
  Paused() { ++state().paused; }
  ~Paused() { --state().paused; }
  Paused(const Paused&) = delete;
  Paused& operator=(const Paused&) = delete;
};
inline std::int64_t live() {
  return state().live;
}
// Recorded blocks still live, by cost: what to look at when a bound fails.
inline std::string histogram() {
  std::map<std::size_t, std::size_t> by_cost;
  {
    Paused p;
    for (auto& [ptr, cost] : state().recorded) ++by_cost[cost];
  }
  std::string out;
  Paused p;
  for (auto& [cost, n] : by_cost) out += std::to_string(n) + " x " + std::to_string(cost) + " B\n";
  return out;
}
inline std::int64_t blocks() {
  return state().blocks;
}

}  // namespace vpdnd::heap_count

void* operator new(std::size_t n) {
  return vpdnd::heap_count::allocate(n, 0);
}
void* operator new[](std::size_t n) {
  return vpdnd::heap_count::allocate(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return vpdnd::heap_count::allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return vpdnd::heap_count::allocate(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return vpdnd::heap_count::allocate(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return vpdnd::heap_count::allocate(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete[](void* p) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  vpdnd::heap_count::release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  vpdnd::heap_count::release(p);
}
