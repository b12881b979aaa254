// Loading an opened BPF object (bpfrt/object.hpp) into a registry (bpfrt/runtime.hpp), as libbpf's
// bpf_object__load does for the kernel: every map of the object is created in the registry (global
// data arrays hold their initial bytes, .rodata is frozen and read-only to programs, maps of maps get
// their inner-map templates, `.values` slots are filled), every selected program is verified against
// the registry's maps and helpers and registered with its map handles, and programs of the object can
// then be run like BPF_PROG_TEST_RUN.
//
// Registry names are qualified by the object's name: map `counts` of object `xdp_counter` is
// `xdp_counter.counts`, its .rodata is `xdp_counter.rodata`, program `xdp_count` is
// `xdp_counter.xdp_count`. Maps pinned by name (LIBBPF_PIN_BY_NAME) keep their bare name, so every
// object that pins a map of that name shares it: an existing compatible map is reused, an
// incompatible one is an error. A load that fails removes whatever it had created.
//
// Thread-safety: as the Runtime; a LoadedObject is a value.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/object.hpp"
#include "bpfrt/runtime.hpp"
#include "bpfrt/test_run.hpp"
#include "bpfrt/verifier.hpp"

namespace bpfrt {

struct ObjectLoadOptions {
  // Qualifies the registry names ("NAME.map"); default: the object's name, with characters registry
  // names do not allow replaced by '_'.
  std::string name;
  // Programs to load, by function or section name; empty: all. The programs that `.values` put into
  // prog arrays the loaded programs use are loaded with them (their tail-call targets).
  std::vector<std::string> programs;
  // The verifier is on unless this is cleared (trusted experiments only).
  bool verify = true;
  int log_level = 0;  // of the verifier's log
  // Use maps that already exist under the object's names (when compatible) instead of failing, and
  // programs already registered with the same instructions and maps: running an object again in a
  // registry where it is loaded. Global data is then not re-initialised; .rodata must match.
  bool reuse = false;
  // Makes the registry map for an object map instead of Runtime::create_map(spec) (e.g. one delegating
  // to the kernel's copy of the map: bpfrt/kernel_object.hpp). Returns its registry handle. Global data
  // made this way is not re-initialised (the maker brings its contents).
  std::function<Result<uint32_t>(uint32_t index, const ObjectMap& map, const MapSpec& spec)> make_map;
};

struct LoadedMap {
  uint32_t index = 0;         // in Object::maps()
  std::string name;           // the object's name for it (".rodata" for global data)
  std::string registry_name;  // its name in the registry
  uint32_t handle = 0;
  bool created = false;  // made by this load (false: reused, or pinned by an earlier one)
  bool pinned = false;   // pinned by name: shared by every object naming it, kept by unload_object
};

struct LoadedProgram {
  uint32_t index = 0;  // in Object::programs()
  std::string name;
  std::string registry_name;
  uint32_t handle = 0;
  ProgType type = 0;
  std::vector<uint32_t> map_handles;  // the handle of each ObjectMap, in order (lddw map_idx(N) -> [N])
  bool created = false;
  bool verified = false;
  VerifierReport report;  // when verified by this load
};

struct LoadedObject {
  std::string name;             // the qualifying name
  std::vector<LoadedMap> maps;  // one per Object::maps() entry, in order
  std::vector<LoadedProgram> programs;

  // By the object's name ("counts", ".rodata") or the registry name.
  const LoadedMap* find_map(std::string_view wanted) const;
  // By function name, section name or registry name.
  const LoadedProgram* find_program(std::string_view wanted) const;
};

// Loads `object` into `runtime`. Errors name the map (and its section) or the program, and carry the
// verifier's log when it refuses a program.
[[nodiscard]] Result<LoadedObject> load_object(Runtime& runtime, const Object& object,
                                               const ObjectLoadOptions& options = {});

// Removes the maps and programs `loaded` created (maps pinned by name stay, as pins do).
Status unload_object(Runtime& runtime, const LoadedObject& loaded);

// Removes every program and map of the registry whose name is qualified by `name` ("NAME.*").
// Returns how many objects were removed.
Result<size_t> unload_object_by_name(Runtime& runtime, std::string_view name);

// The qualifying name load_object uses by default for an object name.
std::string default_load_name(std::string_view object_name);

// Runs a loaded program like BPF_PROG_TEST_RUN, with the registry's maps and helpers, through the
// verifier (unless `verify` is off); the programs it tail-calls are the registry's.
[[nodiscard]] Result<TestRunOutput> run_loaded_program(Runtime& runtime, const Object& object,
                                                       const LoadedProgram& program, EngineKind kind,
                                                       const TestRunInput& input, bool verify = true);

}  // namespace bpfrt
