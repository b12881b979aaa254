// A small environment for helper tests: a standard helper table, maps reachable as map_fd(N), a host
// that records trace lines, and runs through any engine.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bpfrt/standard_helpers.hpp"

#include "test_util.hpp"

namespace bpfrt::test {

class RecordingHost : public HelperHost {
 public:
  Map* map_by_handle(uint32_t handle) override {
    return handle >= 1 && handle <= maps.size() ? maps[handle - 1].get() : nullptr;
  }
  int64_t program_type(uint32_t handle) override { return handle >= 100 && handle < 100 + engines.size() ? 1 : -1; }
  const Engine* program_engine(uint32_t handle, EngineKind) override {
    return handle >= 100 && handle < 100 + engines.size() ? engines[handle - 100] : nullptr;
  }
  void trace(std::string_view line) override { lines.emplace_back(line); }

  std::vector<std::shared_ptr<Map>> maps;  // map_fd(N) is maps[N]; handle N + 1
  std::vector<const Engine*> engines;      // program handle 100 + i
  std::vector<std::string> lines;
};

class HelperEnv {
 public:
  HelperEnv() {
    auto st = add_standard_helpers(table_, host);
    EXPECT_TRUE(st.ok());
  }

  // Adds a map as map_fd(N) (N returned) and map handle N + 1.
  int add_map(const MapSpec& spec) {
    auto map = create_map(spec, {}, &host);
    EXPECT_TRUE(map.ok()) << (map.ok() ? "" : map.error().message);
    host.maps.push_back(*map);
    return static_cast<int>(host.maps.size()) - 1;
  }
  Map& map(int fd) { return *host.maps[static_cast<size_t>(fd)]; }

  EngineOptions options() {
    EngineOptions o;
    o.helpers = &table_;
    for (const auto& m : host.maps) {
      o.regions.insert(o.regions.end(), m->regions().begin(), m->regions().end());
    }
    o.resolve_lddw = [this](const Instruction& first, const Instruction& second, size_t index) -> Result<uint64_t> {
      if (first.imm < 0 || static_cast<size_t>(first.imm) >= host.maps.size()) {
        return make_error(ErrorCode::kNotFound, fmt::format("instruction {}: no map {}", index, first.imm));
      }
      Map& m = *host.maps[static_cast<size_t>(first.imm)];
      if (first.src == static_cast<uint8_t>(LddwSrc::kMapValue)) {
        return m.direct_value_address(static_cast<uint32_t>(second.imm));
      }
      return m.program_handle();
    };
    return o;
  }

  Result<std::unique_ptr<Engine>> engine(EngineKind kind, const std::string& text) {
    return create_engine(kind, must_assemble(text), options());
  }

  Result<uint64_t> run(EngineKind kind, const std::string& text, void* ctx = nullptr, size_t ctx_len = 0,
                       void* user = nullptr) {
    auto e = engine(kind, text);
    if (!e) {
      return e.take_error();
    }
    RunArgs args;
    args.ctx = ctx;
    args.ctx_len = ctx_len;
    args.user = user;
    return (*e)->run(args);
  }

  RecordingHost host;

 private:
  HelperTable table_;
};

// Every engine create_engine accepts; the parameterised helper tests skip the others with the reason.
inline std::vector<EngineKind> all_engine_kinds() {
  return {EngineKind::kInterpreter, EngineKind::kJit};
}

inline std::string engine_unavailable(EngineKind kind) {
  auto e = create_engine(kind, must_assemble("mov %r0, 0\nexit"));
  return e.ok() ? "" : e.error().message;
}

}  // namespace bpfrt::test
