// Map operations against reference models. The first bytes pick a map type and its sizes, the rest
// is a sequence of operations; every result must match the model (std::map for hash and array maps,
// std::deque for queues and stacks, brute-force longest-prefix match for LPM tries) or, for bloom
// filters and LRU maps, their invariants (no false negatives; never more than max_entries keys, the
// last update always present).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <vector>

#include "bpfrt/maps.hpp"

namespace {

using namespace bpfrt;

struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (n == 0) {
      return 0;
    }
    --n;
    return *p++;
  }
  uint32_t u32() {
    uint32_t v = byte();
    v |= uint32_t{byte()} << 8;
    v |= uint32_t{byte()} << 16;
    return v | uint32_t{byte()} << 24;
  }
  bool done() const { return n == 0; }
};

[[noreturn]] void mismatch(const char* what, int step, long got, long want) {
  std::fprintf(stderr, "mismatch at step %d: %s: got %ld, want %ld\n", step, what, got, want);
  std::abort();
}

using Bytes = std::vector<uint8_t>;

Bytes bytes_of(uint32_t v, size_t size) {
  Bytes b(size, 0);
  for (size_t i = 0; i < size; ++i) {
    b[i] = static_cast<uint8_t>(i < 4 ? v >> (8 * i) : (v * 7 + i));
  }
  return b;
}

void hash_like(Input& in, MapType type) {
  const uint32_t key_size = 1 + in.byte() % 24;
  const uint32_t value_size = 1 + in.byte() % 32;
  const uint32_t max = 1 + in.byte() % 16;
  const bool array = type == MapType::kArray;
  MapSpec spec;
  spec.type = type;
  spec.key_size = array ? 4 : key_size;
  spec.value_size = value_size;
  spec.max_entries = max;
  auto made = create_map(spec);
  if (!made) {
    std::abort();
  }
  Map& m = **made;
  const bool lru = type == MapType::kLruHash;
  // Values as the userspace API sees them: per-CPU maps take one 8-byte-rounded slot per CPU, the
  // padding of each slot reads back as zeros.
  const size_t user_size = m.user_value_size();
  const size_t stride = (value_size + 7) / 8 * 8;
  auto normalise = [&](Bytes& v) {
    if (m.is_percpu()) {
      for (size_t off = 0; off < v.size(); off += stride) {
        std::fill(v.begin() + static_cast<long>(off + value_size), v.begin() + static_cast<long>(off + stride), 0);
      }
    }
  };
  std::map<Bytes, Bytes> model;
  if (array) {
    for (uint32_t i = 0; i < max; ++i) {
      model[bytes_of(i, 4)] = Bytes(user_size, 0);
    }
  }
  for (int step = 0; !in.done(); ++step) {
    const uint8_t op = in.byte() % 5;
    const Bytes key = bytes_of(in.byte() % (max + 4), spec.key_size);
    Bytes value(user_size);
    for (auto& b : value) {
      b = in.byte();
    }
    normalise(value);
    const uint64_t flags = in.byte() % 3;
    Bytes out(user_size);
    const auto it = model.find(key);
    const bool present = it != model.end();
    switch (op) {
      case 0: {  // update
        int want = 0;
        if (array && !present) {
          want = -E2BIG;
        } else if (flags == kBpfNoexist && present) {
          want = -EEXIST;
        } else if (flags == kBpfExist && !present) {
          want = -ENOENT;
        } else if (!present && !lru && model.size() >= max) {
          want = -E2BIG;
        }
        const int got = m.update(key.data(), value.data(), flags);
        // An LRU map may have evicted a key the model still has: then EXIST finds nothing and
        // NOEXIST succeeds.
        const bool evicted = lru && present && ((want == 0 && got == -ENOENT) || (want == -EEXIST && got == 0));
        if (evicted) {
          model.erase(key);
        } else if (got != want) {
          mismatch("update", step, got, want);
        }
        if (got == 0) {
          model[key] = value;
        }
        break;
      }
      case 1: {  // lookup
        const int got = m.lookup(key.data(), out.data(), 0);
        if (lru) {
          if (got == 0 && (!present || out != it->second)) {
            mismatch("lru lookup value", step, got, 0);
          }
          if (got != 0 && present) {
            model.erase(it);  // evicted
          }
          break;
        }
        if (got != (present ? 0 : -ENOENT)) {
          mismatch("lookup", step, got, present ? 0 : -ENOENT);
        }
        if (got == 0 && out != it->second) {
          mismatch("lookup value", step, 1, 0);
        }
        break;
      }
      case 2: {  // delete
        const int got = m.erase(key.data());
        const int want = array ? -EINVAL : (present ? 0 : -ENOENT);
        if (lru && got == -ENOENT && present) {
          model.erase(it);  // evicted earlier
          break;
        }
        if (got != want) {
          mismatch("delete", step, got, want);
        }
        if (got == 0) {
          model.erase(key);
        }
        break;
      }
      case 3: {  // iterate everything
        std::set<Bytes> seen;
        Bytes cur(spec.key_size), next(spec.key_size);
        bool first = true;
        while (m.get_next_key(first ? nullptr : cur.data(), next.data()) == 0) {
          if (!seen.insert(next).second || seen.size() > max) {
            mismatch("get_next_key repeats", step, static_cast<long>(seen.size()), static_cast<long>(max));
          }
          cur = next;
          first = false;
        }
        if (lru) {
          for (auto i = model.begin(); i != model.end();) {
            i = seen.contains(i->first) ? std::next(i) : model.erase(i);  // evicted
          }
        }
        if (seen.size() != model.size()) {
          mismatch("key count", step, static_cast<long>(seen.size()), static_cast<long>(model.size()));
        }
        break;
      }
      default: {  // program-side lookup: a pointer to the same bytes
        void* p = m.prog_lookup(key.data());
        if (!lru && (p != nullptr) != present) {
          mismatch("prog_lookup", step, p != nullptr, present);
        }
        if (p != nullptr && present && !m.is_percpu() && std::memcmp(p, it->second.data(), value_size) != 0) {
          mismatch("prog_lookup value", step, 1, 0);
        }
        break;
      }
    }
  }
}

void queue_like(Input& in, MapType type) {
  MapSpec spec;
  spec.type = type;
  spec.value_size = 1 + in.byte() % 16;
  spec.max_entries = 1 + in.byte() % 8;
  auto made = create_map(spec);
  if (!made) {
    std::abort();
  }
  Map& m = **made;
  std::deque<Bytes> model;
  const bool stack = type == MapType::kStack;
  for (int step = 0; !in.done(); ++step) {
    const uint8_t op = in.byte() % 3;
    Bytes v(spec.value_size), out(spec.value_size);
    for (auto& b : v) {
      b = in.byte();
    }
    if (op == 0) {
      const uint64_t flags = in.byte() % 3;
      const int want = flags == kBpfNoexist                                       ? -EINVAL
                       : (model.size() == spec.max_entries && flags != kBpfExist) ? -E2BIG
                                                                                  : 0;
      const int got = m.update(nullptr, v.data(), flags);
      if (got != want) {
        mismatch("push", step, got, want);
      }
      if (got == 0) {
        if (model.size() == spec.max_entries) {
          model.pop_front();  // the oldest goes
        }
        model.push_back(v);
      }
    } else {
      const bool pop = op == 1;
      const int got = pop ? m.lookup_and_delete(nullptr, out.data(), 0) : m.lookup(nullptr, out.data(), 0);
      if (got != (model.empty() ? -ENOENT : 0)) {
        mismatch("pop/peek", step, got, model.empty() ? -ENOENT : 0);
      }
      if (got == 0) {
        const Bytes want = stack ? model.back() : model.front();
        if (out != want) {
          mismatch("pop/peek value", step, 1, 0);
        }
        if (pop) {
          stack ? model.pop_back() : model.pop_front();
        }
      }
    }
  }
}

void lpm(Input& in) {
  MapSpec spec;
  spec.type = MapType::kLpmTrie;
  spec.key_size = 4 + 2;
  spec.value_size = 4;
  spec.max_entries = 1 + in.byte() % 32;
  spec.flags = 1;
  auto made = create_map(spec);
  if (!made) {
    std::abort();
  }
  Map& m = **made;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> model;  // (prefixlen, masked bits) -> value
  auto mask = [](uint32_t bits, uint32_t plen) {
    return plen == 0 ? 0u : plen >= 16 ? bits : bits & (0xffffu << (16 - plen)) & 0xffffu;
  };
  for (int step = 0; !in.done(); ++step) {
    const uint8_t op = in.byte() % 3;
    const uint32_t plen = in.byte() % 18;
    const uint32_t bits = (in.byte() << 8 | in.byte()) & 0xffff;
    const uint8_t key[6] = {static_cast<uint8_t>(plen), 0, 0, 0, static_cast<uint8_t>(bits >> 8),
                            static_cast<uint8_t>(bits)};
    const uint32_t value = in.u32();
    const auto mk = std::make_pair(plen, mask(bits, plen));
    if (op == 0) {
      const bool present = model.contains(mk);
      const int want = plen > 16 ? -EINVAL : (!present && model.size() >= spec.max_entries) ? -ENOSPC : 0;
      const int got = m.update(key, &value, 0);
      if (got != want) {
        mismatch("lpm update", step, got, want);
      }
      if (got == 0) {
        model[mk] = value;
      }
    } else if (op == 1) {
      const int want = plen > 16 ? -EINVAL : model.contains(mk) ? 0 : -ENOENT;
      const int got = m.erase(key);
      if (got != want) {
        mismatch("lpm delete", step, got, want);
      }
      model.erase(mk);
    } else {
      uint32_t got_value = 0;
      const int got = m.lookup(key, &got_value, 0);
      const uint32_t* best = nullptr;
      if (plen <= 16) {
        for (int p = static_cast<int>(plen); p >= 0 && best == nullptr; --p) {
          auto it = model.find({static_cast<uint32_t>(p), mask(bits, static_cast<uint32_t>(p))});
          if (it != model.end()) {
            best = &it->second;
          }
        }
      }
      if (got != (best != nullptr ? 0 : -ENOENT) || (best != nullptr && got_value != *best)) {
        mismatch("lpm lookup", step, got, best != nullptr ? 0 : -ENOENT);
      }
    }
  }
}

void bloom(Input& in) {
  MapSpec spec;
  spec.type = MapType::kBloomFilter;
  spec.value_size = 1 + in.byte() % 16;
  spec.max_entries = 1 + in.byte() % 64;
  spec.map_extra = in.byte() % 16;
  auto made = create_map(spec);
  if (!made) {
    std::abort();
  }
  Map& m = **made;
  std::vector<Bytes> added;
  for (int step = 0; !in.done(); ++step) {
    Bytes v(spec.value_size);
    for (auto& b : v) {
      b = in.byte();
    }
    if (m.update(nullptr, v.data(), 0) != 0) {
      mismatch("bloom push", step, 1, 0);
    }
    added.push_back(v);
    for (Bytes& a : added) {
      if (m.lookup(nullptr, a.data(), 0) != 0) {
        mismatch("bloom false negative", step, 1, 0);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  switch (in.byte() % 8) {
    case 0:
      hash_like(in, MapType::kHash);
      break;
    case 1:
      hash_like(in, MapType::kArray);
      break;
    case 2:
      hash_like(in, MapType::kLruHash);
      break;
    case 3:
      hash_like(in, MapType::kPercpuHash);
      break;
    case 4:
      queue_like(in, MapType::kQueue);
      break;
    case 5:
      queue_like(in, MapType::kStack);
      break;
    case 6:
      lpm(in);
      break;
    default:
      bloom(in);
      break;
  }
  return 0;
}
