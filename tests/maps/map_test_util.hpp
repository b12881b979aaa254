// Helpers for the map tests: a MapHost over plain tables, unique shared-memory names, byte helpers.
#pragma once

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "bpfrt/maps.hpp"

namespace bpfrt::test {

// Maps and programs by handle, for map-in-map and prog-array tests.
class TableHost : public MapHost {
 public:
  uint32_t add_map(std::shared_ptr<Map> map) {
    std::lock_guard<std::mutex> lock(mutex_);
    maps_[next_] = std::move(map);
    return next_++;
  }
  uint32_t add_program(int64_t type, const Engine* engine = nullptr) {
    std::lock_guard<std::mutex> lock(mutex_);
    programs_[next_] = {type, engine};
    return next_++;
  }
  Map* map_by_handle(uint32_t handle) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = maps_.find(handle);
    return it == maps_.end() ? nullptr : it->second.get();
  }
  int64_t program_type(uint32_t handle) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = programs_.find(handle);
    return it == programs_.end() ? -1 : it->second.first;
  }
  const Engine* program_engine(uint32_t handle, EngineKind) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = programs_.find(handle);
    return it == programs_.end() ? nullptr : it->second.second;
  }

 private:
  std::mutex mutex_;
  uint32_t next_ = 1;
  std::map<uint32_t, std::shared_ptr<Map>> maps_;
  std::map<uint32_t, std::pair<int64_t, const Engine*>> programs_;
};

// A shared-memory name no other test (or test process) uses.
inline std::string unique_shm_name(const std::string& what) {
  static std::atomic<int> counter{0};
  return "bpfrt-test-" + what + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

inline MapSpec spec_of(MapType type, uint32_t key, uint32_t value, uint32_t max, uint32_t flags = 0) {
  MapSpec s;
  s.type = type;
  s.key_size = key;
  s.value_size = value;
  s.max_entries = max;
  s.flags = flags;
  s.name = "t";
  return s;
}

inline std::shared_ptr<Map> must_create(const MapSpec& spec, const MapStorage& storage = {}, MapHost* host = nullptr) {
  auto map = create_map(spec, storage, host);
  EXPECT_TRUE(map.ok()) << (map.ok() ? "" : map.error().message);
  if (!map) {
    throw std::runtime_error("map creation failed: " + map.error().message);
  }
  return *map;
}

template <class T>
std::vector<uint8_t> bytes_of(const T& v) {
  std::vector<uint8_t> b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}

}  // namespace bpfrt::test
