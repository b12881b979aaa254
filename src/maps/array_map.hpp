// Array maps: BPF_MAP_TYPE_ARRAY, PERCPU_ARRAY, PROG_ARRAY and ARRAY_OF_MAPS.
//
// Layout: the values, value_stride = round_up(value_size, 8) apart (CPU-major for per-CPU arrays, so
// CPUs never share a cache line of the same element), then a table of the u32 indices 0..max-1 that
// for_each callbacks receive as read-only keys. Prog arrays and arrays of maps hold u32 handles of
// programs and maps (0 = empty), read and written atomically.
// Element operations take no lock: values are copied word by word (BPF_F_LOCK copies under the value's
// bpf_spin_lock), handles are single atomic words.
#pragma once

#include "maps/map_base.hpp"

namespace bpfrt {

class ArrayMap final : public Map {
 public:
  struct Layout {
    bool percpu = false;
    uint32_t value_stride = 0;
    uint64_t values_off = 0, keys_off = 0, size = 0;
  };
  static Layout layout(const MapSpec& spec, uint32_t ncpus);
  static void initialize(uint8_t* base, const MapSpec& spec, uint32_t ncpus);

  ArrayMap(MapSpec spec, std::unique_ptr<Arena> arena, MapHost* host);

  int do_lookup(const void* key, void* value, uint64_t flags) override;
  int do_update(const void* key, const void* value, uint64_t flags) override;
  int do_erase(const void* key) override;
  int do_lookup_and_delete(const void* key, void* value, uint64_t flags) override;
  int do_get_next_key(const void* key, void* next_key) override;

  void* prog_lookup(const void* key) override;
  long prog_update(const void* key, const void* value, uint64_t flags) override;
  long prog_delete(const void* key) override;
  long for_each(const std::function<long(const MapElement&)>& fn) override;
  uint32_t handle_at(uint32_t index) const override;
  Result<uint64_t> direct_value_address(uint32_t offset) override;
  MapLookupShortcut lookup_shortcut() override;

 private:
  bool holds_handles() const;
  uint8_t* value_ptr(uint32_t index, uint32_t cpu) const;
  std::atomic<uint32_t>& handle_slot(uint32_t index) const;
  int write(uint32_t index, const void* value, uint64_t flags, bool all_cpus);
  int set_handle(uint32_t index, uint32_t handle);

  Layout lay_;
  uint8_t* base_;
};

}  // namespace bpfrt
