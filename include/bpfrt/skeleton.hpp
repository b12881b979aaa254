// A skeleton-style API over one BPF object, in the spirit of libbpf's generated skeletons, without
// code generation: open the object, set its globals (.rodata, .data, .bss) before load, load it
// (verifier on) into a registry, then find maps and programs by name, run programs like
// BPF_PROG_TEST_RUN and read or update maps.
//
//   auto skel = bpfrt::Skeleton::open("xdp_counter.bpf.o");
//   skel->set_global<uint16_t>("blocked_udp_port", 53);   // before load
//   skel->load();                                         // a private registry; or load(runtime)
//   auto out = skel->run("xdp_count", input);
//   auto counts = skel->map("counts");                    // std::shared_ptr<bpfrt::Map>
//
// Thread-safety: one thread at a time per Skeleton; the maps it returns are thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/object.hpp"
#include "bpfrt/object_loader.hpp"
#include "bpfrt/runtime.hpp"
#include "bpfrt/test_run.hpp"

namespace bpfrt {

class Skeleton {
 public:
  [[nodiscard]] static Result<Skeleton> open(const std::string& path, const OpenOptions& options = {});
  Skeleton(Skeleton&&) noexcept;
  Skeleton& operator=(Skeleton&&) noexcept;
  // Removes what load() created from the registry unless keep() was called (a private registry goes
  // away with the Skeleton in any case).
  ~Skeleton();

  const Object& object() const { return *object_; }

  // ---- before load ----
  // A global variable's initial value (any global data section); an error after load for .rodata
  // (frozen), and for others use map(".data") / map(".bss") then.
  [[nodiscard]] Status set_global(std::string_view name, std::span<const uint8_t> bytes);
  template <class T>
  [[nodiscard]] Status set_global(std::string_view name, const T& value) {
    return set_global(name, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
  }

  // ---- load ----
  // Into a private registry owned by the Skeleton.
  [[nodiscard]] Status load(const ObjectLoadOptions& options = {});
  // Into `runtime` (shared with other processes if it is a named registry); it must outlive the Skeleton.
  [[nodiscard]] Status load(Runtime& runtime, const ObjectLoadOptions& options = {});
  bool loaded() const { return runtime_ != nullptr; }
  // Keep the maps and programs in the registry after the Skeleton is gone.
  void keep() { keep_ = true; }
  const LoadedObject& loaded_object() const { return loaded_; }
  Runtime* runtime() const { return runtime_; }

  // ---- after load ----
  // A map by the object's name for it ("counts", ".rodata", ".bss").
  [[nodiscard]] Result<std::shared_ptr<Map>> map(std::string_view name) const;
  // A global variable's current value (read from its map after load, the initial value before).
  [[nodiscard]] Result<std::vector<uint8_t>> global(std::string_view name) const;
  template <class T>
  [[nodiscard]] Result<T> global_as(std::string_view name) const {
    auto bytes = global(name);
    if (!bytes) {
      return bytes.take_error();
    }
    if (bytes->size() != sizeof(T)) {
      return make_error(ErrorCode::kInvalidArgument, std::string("global '") + std::string(name) + "' has " +
                                                         std::to_string(bytes->size()) + " bytes, not " +
                                                         std::to_string(sizeof(T)));
    }
    T value;
    std::memcpy(&value, bytes->data(), sizeof(T));
    return value;
  }
  // Runs a loaded program (function or section name) like BPF_PROG_TEST_RUN, verified.
  [[nodiscard]] Result<TestRunOutput> run(std::string_view program, const TestRunInput& input,
                                          EngineKind kind = EngineKind::kInterpreter) const;

 private:
  explicit Skeleton(Object object);
  std::unique_ptr<Object> object_;
  std::unique_ptr<Runtime> own_runtime_;
  Runtime* runtime_ = nullptr;
  LoadedObject loaded_;
  bool keep_ = false;
};

}  // namespace bpfrt
