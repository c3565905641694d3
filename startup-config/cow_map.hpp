// DOC: CowMap, an ordered map whose copies share storage in chunks of 16 to 32 entries.
// ConfigStore edits a copy of the running config for every command; with 10,000 local users a
// std::map copy per command would make loading such a config quadratic. A CowMap copy costs one
// pointer per chunk, and writing to a copy clones only the chunk written to.
//
// The interface is the part of std::map the config code uses. The differences:
// - iterating (begin/end) always gives const entries, even on a non-const map: a write goes
//   through find/at/operator[]/emplace (which clone one chunk), never through a range-for.
// - an insertion may invalidate iterators (a full chunk splits); references to entries stay
//   valid across insertions and across erasure of other entries, as in std::map.
// Not thread-safe for concurrent writers; copies on different threads are independent.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace vpdnd::config {

template <class K, class V>
class CowMap {
  using Chunk = std::map<K, V>;
  using Chunks = std::vector<std::shared_ptr<Chunk>>;
  // A chunk holds kChunk..2*kChunk entries after a split; small enough that cloning one is
  // cheap, large enough that the chunk list of a big map stays short.
  static constexpr std::size_t kChunk = 16;

 public:
  using key_type = K;
  using mapped_type = V;
  using value_type = typename Chunk::value_type;
  using size_type = std::size_t;

  template <bool Const>
  class Iter {
    using Inner =
        std::conditional_t<Const, typename Chunk::const_iterator, typename Chunk::iterator>;

   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = typename Chunk::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;

    Iter() = default;
    // iterator -> const_iterator
    template <bool C = Const, class = std::enable_if_t<C>>
    Iter(const Iter<false>& o) : chunks_(o.chunks_), index_(o.index_), it_(o.it_) {}

    reference operator*() const { return *it_; }
    pointer operator->() const { return &*it_; }
    Iter& operator++() {
      if (++it_ == end_of(index_)) {
        ++index_;
        it_ = index_ < chunks_->size() ? begin_of(index_) : Inner{};
      }
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++*this;
      return old;
    }
    template <bool C>
    bool operator==(const Iter<C>& o) const {
      if (index_ != o.index_) return false;
      if (!chunks_ || index_ >= chunks_->size()) return true;
      return typename Chunk::const_iterator(it_) == typename Chunk::const_iterator(o.it_);
    }

   private:
    friend class CowMap;
    template <bool>
    friend class Iter;
    Iter(const Chunks* chunks, std::size_t index, Inner it)
        : chunks_(chunks), index_(index), it_(it) {}
    Inner begin_of(std::size_t i) const {
      if constexpr (Const)
        return std::as_const(*(*chunks_)[i]).begin();
      else
        return (*chunks_)[i]->begin();
    }
    Inner end_of(std::size_t i) const {
      if constexpr (Const)
        return std::as_const(*(*chunks_)[i]).end();
      else
        return (*chunks_)[i]->end();
    }

    const Chunks* chunks_ = nullptr;
    std::size_t index_ = 0;
    Inner it_{};
  };
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  CowMap() = default;
  CowMap(std::initializer_list<value_type> init) {
    for (auto& v : init) emplace(v.first, v.second);
  }

  size_type size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const_iterator begin() const {
    return chunks_.empty() ? end() : const_iterator(&chunks_, 0, cchunk(0).begin());
  }
  const_iterator end() const { return const_iterator(&chunks_, chunks_.size(), {}); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  const_iterator find(const K& k) const {
    std::size_t i = chunk_for(k);
    if (i == chunks_.size()) return end();
    auto it = cchunk(i).find(k);
    return it == cchunk(i).end() ? end() : const_iterator(&chunks_, i, it);
  }
  iterator find(const K& k) {
    std::size_t i = chunk_for(k);
    if (i == chunks_.size() || !cchunk(i).count(k)) return mend();
    return iterator(&chunks_, i, own(i).find(k));
  }
  size_type count(const K& k) const { return find(k) == end() ? 0 : 1; }
  bool contains(const K& k) const { return count(k) != 0; }

  const V& at(const K& k) const {
    auto it = find(k);
    if (it == end()) throw std::out_of_range("CowMap::at");
    return it->second;
  }
  V& at(const K& k) {
    auto it = find(k);
    if (it == end()) throw std::out_of_range("CowMap::at");
    return it->second;
  }

  V& operator[](const K& k) { return try_emplace(k).first->second; }

  template <class... Args>
  std::pair<iterator, bool> try_emplace(const K& k, Args&&... args) {
    if (chunks_.empty()) chunks_.push_back(std::make_shared<Chunk>());
    // An empty chunk exists only here, just created; k before every key goes to the first.
    std::size_t i = chunks_[0]->empty() ? 0 : chunk_for(k);
    if (i == chunks_.size()) i = 0;
    auto [it, added] = own(i).try_emplace(k, std::forward<Args>(args)...);
    if (!added) return {iterator(&chunks_, i, it), false};
    ++size_;
    if (split(i)) {
      std::size_t j = chunk_for(k);
      return {iterator(&chunks_, j, chunks_[j]->find(k)), true};
    }
    return {iterator(&chunks_, i, it), true};
  }
  template <class Key, class... Args>
  std::pair<iterator, bool> emplace(Key&& k, Args&&... args) {
    return try_emplace(K(std::forward<Key>(k)), std::forward<Args>(args)...);
  }
  std::pair<iterator, bool> insert(const value_type& v) { return try_emplace(v.first, v.second); }
  template <class M>
  std::pair<iterator, bool> insert_or_assign(const K& k, M&& m) {
    auto r = try_emplace(k, std::forward<M>(m));
    if (!r.second) r.first->second = std::forward<M>(m);
    return r;
  }

  size_type erase(const K& k) {
    auto it = find(k);
    if (it == end()) return 0;
    erase(const_iterator(it));
    return 1;
  }
  iterator erase(const_iterator pos) {
    std::size_t i = pos.index_;
    K key = pos->first;
    auto next = own(i).erase(own(i).find(key));
    --size_;
    if (own(i).empty()) {
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(i));
      return i < chunks_.size() ? iterator(&chunks_, i, own(i).begin()) : mend();
    }
    if (next == own(i).end())
      return ++i < chunks_.size() ? iterator(&chunks_, i, own(i).begin()) : mend();
    return iterator(&chunks_, i, next);
  }
  iterator erase(iterator pos) { return erase(const_iterator(pos)); }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

  bool operator==(const CowMap& o) const {
    if (size_ != o.size_) return false;
    if (chunks_ == o.chunks_) return true;
    return std::equal(begin(), end(), o.begin());
  }

  // Erases the entries `pred` holds for (std::erase_if for std::map).
  template <class Pred>
  friend size_type erase_if(CowMap& m, Pred pred) {
    size_type n = 0;
    for (auto it = m.cbegin(); it != m.cend();) {
      if (pred(*it)) {
        it = m.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

 private:
  const Chunk& cchunk(std::size_t i) const { return *chunks_[i]; }
  // The chunk at i, cloned first if another map still shares it.
  Chunk& own(std::size_t i) {
    auto& p = chunks_[i];
    if (p.use_count() != 1) {
      p = std::make_shared<Chunk>(*p);
    } else {
      // Pairs with the release in the other owner's reference drop (another thread's copy):
      // its reads of the chunk happen before our writes.
      std::atomic_thread_fence(std::memory_order_acquire);
    }
    return *p;
  }
  iterator mend() { return iterator(&chunks_, chunks_.size(), {}); }
  // The chunk that holds k if any map entry does: the last whose first key is not above k;
  // chunks_.size() when k sorts before every chunk (or the map is empty).
  std::size_t chunk_for(const K& k) const {
    auto it = std::upper_bound(chunks_.begin(), chunks_.end(), k,
                               [](const K& key, const auto& c) { return key < c->begin()->first; });
    if (it == chunks_.begin()) return chunks_.size();
    return static_cast<std::size_t>(it - chunks_.begin()) - 1;
  }
  // Splits an owned chunk that outgrew 2*kChunk; node handles keep entries where they are.
  bool split(std::size_t i) {
    Chunk& c = *chunks_[i];
    if (c.size() <= 2 * kChunk) return false;
    auto upper = std::make_shared<Chunk>();
    auto from = std::next(c.begin(), static_cast<std::ptrdiff_t>(kChunk));
    while (from != c.end()) {
      auto next = std::next(from);
      upper->insert(upper->end(), c.extract(from));
      from = next;
    }
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(upper));
    return true;
  }
  Chunks chunks_;
  std::size_t size_ = 0;
};

}  // namespace vpdnd::config
