// BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys {u32 prefixlen; u8 data[key_size - 4]}, the
// kernel's binary trie algorithm (intermediate nodes with exactly two children, post-order
// get_next_key), over a preallocated pool of 2 x max_entries nodes.
//
// One robust lock serialises updates; lookups read optimistically under a sequence counter and fall
// back to the lock. A holder that dies mid-update may leave a node neither linked nor free, or the
// entry count off: the next holder rebuilds the free list and the count by walking the trie.
#include <cerrno>
#include <cstring>
#include <vector>

#include "maps/map_base.hpp"
#include "maps/robust_mutex.hpp"
#include "maps/shared_words.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kNoPrealloc = 1u << 0, kNumaNode = 1u << 2;
constexpr uint32_t kRdonly = 1u << 3, kWronly = 1u << 4, kRdonlyProg = 1u << 7, kWronlyProg = 1u << 8;
constexpr uint32_t kIntermediate = 1;
constexpr uint32_t kDataSizeMax = 256;

struct TrieHeader {
  RobustMutex mutex;
  std::atomic<uint32_t> seq;
  uint32_t root;       // node index + 1
  uint32_t free_head;  // node index + 1
  uint32_t entries;
};

struct Node {
  std::atomic<uint32_t> child[2];
  std::atomic<uint32_t> prefixlen;
  std::atomic<uint32_t> flags;
  uint32_t next_free;
  uint32_t pad;
  uint64_t data[1];
};

class LpmTrie final : public Map {
 public:
  struct Layout {
    uint32_t data_size, data_words, node_stride, nodes, value_stride;
    uint64_t nodes_off, values_off, size;
  };
  static Layout layout(const MapSpec& spec) {
    Layout l{};
    l.data_size = spec.key_size - 4;
    l.data_words = static_cast<uint32_t>(words::count(l.data_size));
    l.node_stride = 24 + 8 * l.data_words;
    l.nodes = 2 * spec.max_entries + 1;
    l.value_stride = round8(spec.value_size);
    l.nodes_off = round_up(kHeaderSize + sizeof(TrieHeader), 64);
    l.values_off = round_up(l.nodes_off + uint64_t{l.node_stride} * l.nodes, 64);
    l.size = round_up(l.values_off + uint64_t{l.value_stride} * l.nodes, kPageSize);
    return l;
  }
  static uint64_t memory(const MapSpec& spec, uint32_t) { return layout(spec).size; }
  static void initialize(uint8_t* base, const MapSpec& spec, uint32_t) {
    const Layout l = layout(spec);
    auto* t = at<TrieHeader>(base, kHeaderSize);
    t->mutex.init();
    for (uint32_t i = l.nodes; i > 0; --i) {
      at<Node>(base, l.nodes_off + uint64_t{l.node_stride} * (i - 1))->next_free = t->free_head;
      t->free_head = i;
    }
  }

  LpmTrie(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host)
      : Map(std::move(spec), std::move(arena), host),
        lay_(layout(spec_)),
        base_(this->arena().base()),
        t_(at<TrieHeader>(base_, kHeaderSize)),
        max_prefixlen_(8 * lay_.data_size) {
    add_region(base_ + lay_.values_off, lay_.size - lay_.values_off, (spec_.flags & kRdonlyProg) == 0);
  }

  int do_lookup(const void* key, void* value, uint64_t flags) override {
    if (flags != 0) {
      return -EINVAL;
    }
    if ((spec_.flags & kWronly) != 0) {
      return -EPERM;
    }
    int rc = -ENOENT;
    read_stable([&] {
      const uint32_t n = longest_match(key);
      rc = n == 0 ? -ENOENT : 0;
      if (n != 0) {
        words::get(value, reinterpret_cast<const uint64_t*>(value_ptr(n)), spec_.value_size);
      }
    });
    return rc;
  }
  int do_update(const void* key, const void* value, uint64_t flags) override {
    if ((spec_.flags & kRdonly) != 0) {
      return -EPERM;
    }
    return static_cast<int>(insert(key, value, flags));
  }
  int do_erase(const void* key) override {
    if ((spec_.flags & kRdonly) != 0) {
      return -EPERM;
    }
    return static_cast<int>(remove(key));
  }
  int do_lookup_and_delete(const void*, void*, uint64_t) override { return -kENOTSUPP; }
  int do_get_next_key(const void* key, void* next_key) override;

  void* prog_lookup(const void* key) override {
    if ((spec_.flags & kWronlyProg) != 0) {
      return nullptr;
    }
    uint32_t n = 0;
    read_stable([&] { n = longest_match(key); });
    return n == 0 ? nullptr : value_ptr(n);
  }
  long prog_update(const void* key, const void* value, uint64_t flags) override {
    return (spec_.flags & kRdonlyProg) != 0 ? -EPERM : insert(key, value, flags);
  }
  long prog_delete(const void* key) override { return (spec_.flags & kRdonlyProg) != 0 ? -EPERM : remove(key); }

 private:
  class Locked {
   public:
    explicit Locked(LpmTrie& trie) : trie_(trie), lock_(trie.t_->mutex) {
      if (lock_.recovered()) {
        trie_.repair();
        lock_.consistent();
      }
    }

   private:
    LpmTrie& trie_;
    RobustLock lock_;
  };

  Node& node(uint32_t n) const { return *at<Node>(base_, lay_.nodes_off + uint64_t{lay_.node_stride} * (n - 1)); }
  uint8_t* value_ptr(uint32_t n) const { return base_ + lay_.values_off + uint64_t{lay_.value_stride} * (n - 1); }
  bool valid(uint32_t n) const { return n != 0 && n <= lay_.nodes; }
  uint32_t load(const std::atomic<uint32_t>& a) const { return a.load(std::memory_order_relaxed); }

  static uint32_t key_prefixlen(const void* key) {
    uint32_t p;
    std::memcpy(&p, key, 4);
    return p;
  }
  static const uint8_t* key_data(const void* key) { return static_cast<const uint8_t*>(key) + 4; }
  uint8_t node_byte(const Node& n, uint32_t i) const {
    return static_cast<uint8_t>(words::load(&n.data[i / 8]) >> (8 * (i % 8)));
  }
  static uint32_t bit(const uint8_t* data, uint32_t index) { return (data[index / 8] >> (7 - index % 8)) & 1; }
  uint32_t node_bit(const Node& n, uint32_t index) const { return (node_byte(n, index / 8) >> (7 - index % 8)) & 1; }

  // Bits of `key` (up to its prefix length) that match node `n` (up to the node's prefix length).
  uint32_t match_len(const Node& n, const void* key) const {
    const uint32_t limit = std::min(load(n.prefixlen), key_prefixlen(key));
    const uint8_t* data = key_data(key);
    uint32_t len = 0;
    for (uint32_t i = 0; i < lay_.data_size && len < limit; ++i) {
      const uint8_t diff = static_cast<uint8_t>(node_byte(n, i) ^ data[i]);
      if (diff != 0) {
        len += static_cast<uint32_t>(__builtin_clz(static_cast<uint32_t>(diff)) - 24);
        break;
      }
      len += 8;
    }
    return std::min(len, limit);
  }

  template <class F>
  void read_stable(F&& f) {
    for (int attempt = 0; attempt < 32; ++attempt) {
      const uint32_t seq = t_->seq.load(std::memory_order_acquire);
      if ((seq & 1) != 0) {
        cpu_relax();
        continue;
      }
      f();
      std::atomic_thread_fence(std::memory_order_acquire);
      if (t_->seq.load(std::memory_order_relaxed) == seq) {
        return;
      }
    }
    Locked lock(*this);
    f();
  }
  void begin_write() {
    t_->seq.store(t_->seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  void end_write() { t_->seq.store(t_->seq.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  std::atomic<uint32_t>* root_slot() { return reinterpret_cast<std::atomic<uint32_t>*>(&t_->root); }

  uint32_t longest_match(const void* key) {
    if (key_prefixlen(key) > max_prefixlen_) {
      return 0;
    }
    uint32_t found = 0;
    uint32_t n = load(*root_slot());
    for (uint32_t steps = 0; valid(n) && steps <= max_prefixlen_ + 1; ++steps) {
      const Node& nd = node(n);
      const uint32_t m = match_len(nd, key);
      if (m == max_prefixlen_) {
        return (load(nd.flags) & kIntermediate) != 0 ? found : n;
      }
      if (m < load(nd.prefixlen)) {
        break;
      }
      if ((load(nd.flags) & kIntermediate) == 0) {
        found = n;
      }
      n = load(nd.child[bit(key_data(key), load(nd.prefixlen))]);
    }
    return found;
  }

  uint32_t alloc_node() {
    const uint32_t n = t_->free_head;
    if (!valid(n)) {
      return 0;
    }
    t_->free_head = node(n).next_free;
    Node& nd = node(n);
    nd.child[0].store(0, std::memory_order_relaxed);
    nd.child[1].store(0, std::memory_order_relaxed);
    nd.flags.store(0, std::memory_order_relaxed);
    return n;
  }
  void free_node(uint32_t n) {
    node(n).next_free = t_->free_head;
    t_->free_head = n;
  }
  void set_key(Node& nd, const void* key, uint32_t prefixlen) {
    words::put(nd.data, key_data(key), lay_.data_size);
    nd.prefixlen.store(prefixlen, std::memory_order_relaxed);
  }

  long insert(const void* key, const void* value, uint64_t flags);
  long remove(const void* key);
  void repair();

  Layout lay_;
  uint8_t* base_;
  TrieHeader* t_;
  uint32_t max_prefixlen_;
};

long LpmTrie::insert(const void* key, const void* value, uint64_t flags) {
  if (flags > kBpfExist) {
    return -EINVAL;
  }
  const uint32_t plen = key_prefixlen(key);
  if (plen > max_prefixlen_) {
    return -EINVAL;
  }
  Locked lock(*this);
  auto check_add = [&]() -> long {
    if (flags == kBpfExist) {
      return -ENOENT;
    }
    return t_->entries >= spec_.max_entries ? -ENOSPC : 0;
  };
  std::atomic<uint32_t>* slot = root_slot();
  uint32_t n = load(*slot);
  uint32_t matched = 0;
  for (uint32_t steps = 0; valid(n) && steps <= max_prefixlen_ + 1; ++steps) {
    const Node& nd = node(n);
    matched = match_len(nd, key);
    const uint32_t np = load(nd.prefixlen);
    if (np != matched || np == plen || np == max_prefixlen_) {
      break;
    }
    slot = &node(n).child[bit(key_data(key), np)];
    n = load(*slot);
  }
  if (!valid(n)) {
    if (const long rc = check_add(); rc != 0) {
      return rc;
    }
    const uint32_t fresh = alloc_node();
    if (fresh == 0) {
      return -ENOMEM;
    }
    set_key(node(fresh), key, plen);
    words::put(reinterpret_cast<uint64_t*>(value_ptr(fresh)), value, spec_.value_size);
    begin_write();
    slot->store(fresh, std::memory_order_relaxed);
    t_->entries++;
    end_write();
    return 0;
  }
  Node& nd = node(n);
  if (load(nd.prefixlen) == matched && matched == plen) {
    // The same prefix: replace the value, or turn an intermediate node into a real one.
    const bool intermediate = (load(nd.flags) & kIntermediate) != 0;
    if (!intermediate && flags == kBpfNoexist) {
      return -EEXIST;
    }
    if (intermediate) {
      if (const long rc = check_add(); rc != 0) {
        return rc;
      }
    }
    begin_write();
    words::put(nd.data, key_data(key), lay_.data_size);  // the kernel's new node carries the new key bytes
    words::put(reinterpret_cast<uint64_t*>(value_ptr(n)), value, spec_.value_size);
    if (intermediate) {
      nd.flags.store(0, std::memory_order_relaxed);
      t_->entries++;
    }
    end_write();
    return 0;
  }
  if (const long rc = check_add(); rc != 0) {
    return rc;
  }
  const uint32_t fresh = alloc_node();
  if (fresh == 0) {
    return -ENOMEM;
  }
  set_key(node(fresh), key, plen);
  words::put(reinterpret_cast<uint64_t*>(value_ptr(fresh)), value, spec_.value_size);
  if (matched == plen) {
    // The new prefix covers the node: insert it above.
    node(fresh).child[node_bit(nd, matched)].store(n, std::memory_order_relaxed);
    begin_write();
    slot->store(fresh, std::memory_order_relaxed);
    t_->entries++;
    end_write();
    return 0;
  }
  const uint32_t im = alloc_node();
  if (im == 0) {
    free_node(fresh);
    return -ENOMEM;
  }
  Node& imn = node(im);
  for (uint32_t i = 0; i < lay_.data_words; ++i) {
    words::store(&imn.data[i], words::load(&nd.data[i]));
  }
  imn.prefixlen.store(matched, std::memory_order_relaxed);
  imn.flags.store(kIntermediate, std::memory_order_relaxed);
  const uint32_t b = bit(key_data(key), matched);
  imn.child[b].store(fresh, std::memory_order_relaxed);
  imn.child[1 - b].store(n, std::memory_order_relaxed);
  begin_write();
  slot->store(im, std::memory_order_relaxed);
  t_->entries++;
  end_write();
  return 0;
}

long LpmTrie::remove(const void* key) {
  const uint32_t plen = key_prefixlen(key);
  if (plen > max_prefixlen_) {
    return -EINVAL;
  }
  Locked lock(*this);
  std::atomic<uint32_t>* trim = root_slot();
  std::atomic<uint32_t>* trim2 = trim;
  uint32_t parent = 0;
  uint32_t n = load(*trim);
  uint32_t matched = 0;
  for (uint32_t steps = 0; valid(n) && steps <= max_prefixlen_ + 1; ++steps) {
    matched = match_len(node(n), key);
    const uint32_t np = load(node(n).prefixlen);
    if (np != matched || np == plen) {
      break;
    }
    parent = n;
    trim2 = trim;
    trim = &node(n).child[bit(key_data(key), np)];
    n = load(*trim);
  }
  if (!valid(n) || load(node(n).prefixlen) != plen || load(node(n).prefixlen) != matched ||
      (load(node(n).flags) & kIntermediate) != 0) {
    return -ENOENT;
  }
  Node& nd = node(n);
  const uint32_t c0 = load(nd.child[0]);
  const uint32_t c1 = load(nd.child[1]);
  begin_write();
  t_->entries--;
  if (c0 != 0 && c1 != 0) {
    nd.flags.store(kIntermediate, std::memory_order_relaxed);
    end_write();
    return 0;
  }
  if (parent != 0 && (load(node(parent).flags) & kIntermediate) != 0 && c0 == 0 && c1 == 0) {
    // Drop the intermediate parent too, promoting its other child.
    Node& p = node(parent);
    trim2->store(load(p.child[0]) == n ? load(p.child[1]) : load(p.child[0]), std::memory_order_relaxed);
    end_write();
    free_node(parent);
    free_node(n);
    return 0;
  }
  trim->store(c0 != 0 ? c0 : c1, std::memory_order_relaxed);
  end_write();
  free_node(n);
  return 0;
}

// REQUIRES: the lock, taken from a holder that died. Nodes reachable from the root stay; every other
// node is free; the entry count is the number of reachable real nodes.
void LpmTrie::repair() {
  const uint32_t seq = t_->seq.load(std::memory_order_relaxed);
  if ((seq & 1) != 0) {
    t_->seq.store(seq + 1, std::memory_order_release);
  }
  std::vector<bool> reachable(lay_.nodes + 1, false);
  std::vector<uint32_t> todo;
  if (valid(t_->root)) {
    todo.push_back(t_->root);
  } else {
    t_->root = 0;
  }
  uint32_t entries = 0;
  while (!todo.empty()) {
    const uint32_t n = todo.back();
    todo.pop_back();
    if (reachable[n]) {
      continue;
    }
    reachable[n] = true;
    entries += (load(node(n).flags) & kIntermediate) == 0 ? 1 : 0;
    for (auto& c : node(n).child) {
      const uint32_t ci = load(c);
      if (ci != 0 && !valid(ci)) {
        c.store(0, std::memory_order_relaxed);
      } else if (ci != 0) {
        todo.push_back(ci);
      }
    }
  }
  t_->entries = entries;
  t_->free_head = 0;
  for (uint32_t n = lay_.nodes; n > 0; --n) {
    if (!reachable[n]) {
      free_node(n);
    }
  }
}

int LpmTrie::do_get_next_key(const void* key, void* next_key) {
  if ((spec_.flags & kWronly) != 0) {
    return -EPERM;
  }
  Locked lock(*this);
  uint32_t search_root = load(*root_slot());
  if (!valid(search_root)) {
    return -ENOENT;
  }
  uint32_t next = 0;
  auto leftmost = [&](uint32_t from) {
    for (uint32_t n = from, steps = 0; valid(n) && steps <= lay_.nodes; ++steps) {
      const Node& nd = node(n);
      if ((load(nd.flags) & kIntermediate) != 0) {
        n = load(nd.child[0]);
      } else {
        next = n;
        n = load(nd.child[0]);
        if (n == 0) {
          n = load(node(next).child[1]);
        }
      }
    }
  };
  if (key == nullptr || key_prefixlen(key) > max_prefixlen_) {
    leftmost(search_root);
  } else {
    // Find the exact node, remembering the path; the next key is the following node in post-order.
    std::vector<uint32_t> stack;
    uint32_t n = search_root;
    uint32_t matched = 0;
    for (uint32_t steps = 0; valid(n) && steps <= max_prefixlen_ + 1; ++steps) {
      stack.push_back(n);
      matched = match_len(node(n), key);
      const uint32_t np = load(node(n).prefixlen);
      if (np != matched || np == key_prefixlen(key)) {
        break;
      }
      n = load(node(n).child[bit(key_data(key), np)]);
    }
    if (!valid(n) || load(node(n).prefixlen) != matched || (load(node(n).flags) & kIntermediate) != 0) {
      leftmost(search_root);
    } else {
      n = stack.back();
      bool done = false;
      while (stack.size() > 1 && !done) {
        const uint32_t parent = stack[stack.size() - 2];
        if (load(node(parent).child[0]) == n && load(node(parent).child[1]) != 0) {
          leftmost(load(node(parent).child[1]));
          done = true;
          break;
        }
        if ((load(node(parent).flags) & kIntermediate) == 0) {
          next = parent;
          done = true;
          break;
        }
        n = parent;
        stack.pop_back();
      }
      if (!done) {
        return -ENOENT;
      }
    }
  }
  if (next == 0) {
    return -ENOENT;
  }
  const uint32_t np = load(node(next).prefixlen);
  std::memcpy(next_key, &np, 4);
  words::get(static_cast<uint8_t*>(next_key) + 4, node(next).data, lay_.data_size);
  return 0;
}

int check_lpm(const MapSpec& spec, std::string* why) {
  constexpr uint32_t kMask = kNoPrealloc | kNumaNode | kAccessMask;
  if (spec.max_entries == 0 || (spec.flags & kNoPrealloc) == 0 || (spec.flags & ~kMask) != 0 ||
      !flags_access_ok(spec.flags) || spec.key_size < 5 || spec.key_size > 4 + kDataSizeMax || spec.value_size < 1 ||
      spec.value_size > kKmallocMaxSize - kDataSizeMax - 64) {
    if (why != nullptr) {
      *why = "LPM tries need BPF_F_NO_PREALLOC, key_size 5..260 (4-byte prefix length + data), value_size > 0";
    }
    return -EINVAL;
  }
  return 0;
}

Result<std::unique_ptr<Map>> attach_lpm(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host) {
  return std::unique_ptr<Map>(new LpmTrie(std::move(spec), std::move(arena), host));
}

}  // namespace

const MapTypeOps kLpmTrieOps{MapType::kLpmTrie, "lpm_trie",          check_lpm,
                             LpmTrie::memory,   LpmTrie::initialize, attach_lpm};

}  // namespace bpfrt
