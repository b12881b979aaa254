#include "verifier/map_rules.hpp"

#include <algorithm>
#include <array>
#include <span>

#include <fmt/format.h>
#include <linux/bpf.h>

namespace bpfrt::verifier {
namespace {

// `allowed` is zero-padded: 0 is neither a map type (BPF_MAP_TYPE_UNSPEC) nor a helper (BPF_FUNC_unspec).
struct Rule {
  uint32_t key;
  std::array<uint32_t, 6> allowed;
};

// Helpers that only accept certain map types.
const Rule kHelperNeeds[] = {
    {12, {BPF_MAP_TYPE_PROG_ARRAY}},                                            // tail_call
    {22, {BPF_MAP_TYPE_PERF_EVENT_ARRAY}},                                      // perf_event_read
    {25, {BPF_MAP_TYPE_PERF_EVENT_ARRAY}},                                      // perf_event_output
    {55, {BPF_MAP_TYPE_PERF_EVENT_ARRAY}},                                      // perf_event_read_value
    {27, {BPF_MAP_TYPE_STACK_TRACE}},                                           // get_stackid
    {87, {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_BLOOM_FILTER}},  // map_push_elem
    {88, {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK}},                             // map_pop_elem
    {89, {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_BLOOM_FILTER}},  // map_peek_elem
    {130, {BPF_MAP_TYPE_RINGBUF}},                                              // ringbuf_output
    {131, {BPF_MAP_TYPE_RINGBUF}},                                              // ringbuf_reserve
    {134, {BPF_MAP_TYPE_RINGBUF}},                                              // ringbuf_query
    {164,
     {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
      BPF_MAP_TYPE_LRU_PERCPU_HASH}},  // for_each_map_elem
};

// Map types that only work with certain helpers.
const Rule kMapAllows[] = {
    {BPF_MAP_TYPE_PROG_ARRAY, {12}},       {BPF_MAP_TYPE_PERF_EVENT_ARRAY, {22, 25, 55}},
    {BPF_MAP_TYPE_STACK_TRACE, {27}},      {BPF_MAP_TYPE_RINGBUF, {130, 131, 134}},
    {BPF_MAP_TYPE_QUEUE, {87, 88, 89}},    {BPF_MAP_TYPE_STACK, {87, 88, 89}},
    {BPF_MAP_TYPE_BLOOM_FILTER, {87, 89}}, {BPF_MAP_TYPE_ARRAY_OF_MAPS, {1}},
    {BPF_MAP_TYPE_HASH_OF_MAPS, {1}},
};

const Rule* find_rule(std::span<const Rule> rules, uint32_t key) {
  auto it = std::find_if(rules.begin(), rules.end(), [key](const Rule& r) { return r.key == key; });
  return it != rules.end() ? &*it : nullptr;
}

bool contains(const Rule& rule, uint32_t value) {
  return value != 0 && std::find(rule.allowed.begin(), rule.allowed.end(), value) != rule.allowed.end();
}

}  // namespace

bool map_helper_compatible(int32_t helper_id, uint32_t map_type) {
  if (const Rule* needs = find_rule(kHelperNeeds, static_cast<uint32_t>(helper_id));
      needs != nullptr && !contains(*needs, map_type)) {
    return false;
  }
  if (const Rule* allows = find_rule(kMapAllows, map_type);
      allows != nullptr && !contains(*allows, static_cast<uint32_t>(helper_id))) {
    return false;
  }
  return true;
}

bool is_map_in_map(uint32_t map_type) {
  return map_type == BPF_MAP_TYPE_ARRAY_OF_MAPS || map_type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

std::string map_type_name(uint32_t map_type) {
  static const char* const kNames[] = {"unspec",
                                       "hash",
                                       "array",
                                       "prog_array",
                                       "perf_event_array",
                                       "percpu_hash",
                                       "percpu_array",
                                       "stack_trace",
                                       "cgroup_array",
                                       "lru_hash",
                                       "lru_percpu_hash",
                                       "lpm_trie",
                                       "array_of_maps",
                                       "hash_of_maps",
                                       "devmap",
                                       "sockmap",
                                       "cpumap",
                                       "xskmap",
                                       "sockhash",
                                       "cgroup_storage",
                                       "reuseport_sockarray",
                                       "percpu_cgroup_storage",
                                       "queue",
                                       "stack",
                                       "sk_storage",
                                       "devmap_hash",
                                       "struct_ops",
                                       "ringbuf",
                                       "inode_storage",
                                       "task_storage",
                                       "bloom_filter",
                                       "user_ringbuf"};
  if (map_type < std::size(kNames)) {
    return kNames[map_type];
  }
  return fmt::format("{}", map_type);
}

}  // namespace bpfrt::verifier
