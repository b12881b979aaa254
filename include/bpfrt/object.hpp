// The object loader: a clang-compiled BPF ELF object (`clang -O2 -g -target bpf`) opened into a model,
// without the kernel, following libbpf's conventions.
//
// Object::open reads the ELF (libelf) and its BTF (libbpf's btf API) and produces:
//   - one ObjectProgram per entry function, named by its SEC(): the kernel program type and expected
//     attach type, the attach target parsed from the section name, and a validated Program in which
//     the used subprograms are appended (BPF-to-BPF calls fixed up as libbpf does), every `.rel`
//     relocation is applied (lddw of a map -> map_idx, of global data -> map_idx_value, of a function
//     -> func) and every CO-RE relocation from .BTF.ext is resolved against a target BTF;
//   - the ObjectMap list those lddw instructions index: BTF-defined maps (.maps), legacy `maps` section
//     maps, and one single-element array per global data section (.data, .rodata, .bss, .data.*,
//     .rodata.*) with its initial bytes;
//   - license, kernel version and the global variables, which can be changed before the object is
//     loaded (skeleton style).
// Nothing here creates maps or touches the kernel: that is the job of the runtime that loads the
// object. Errors name the section, symbol and instruction at fault.
//
// Thread-safety: an Object is a value; const methods may be called from many threads. Opening objects
// concurrently is safe (the target BTF cache is locked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/isa.hpp"
#include "bpfrt/kernel_names.hpp"
#include "bpfrt/result.hpp"

namespace bpfrt {


// ---- Programs

// How the target of an attachment is spelled in the section name.
enum class AttachKind : uint8_t {
  kNone,           // attached by the caller (xdp, tc, socket, cgroup/..., perf_event, syscall, ...)
  kKprobe,         // kprobe/FUNC[+OFF], kretprobe/FUNC
  kKprobeMulti,    // kprobe.multi/PATTERN, kretprobe.multi/PATTERN
  kKsyscall,       // ksyscall/NAME, kretsyscall/NAME
  kUprobe,         // uprobe/BINARY:FUNC[+OFF], uretprobe/..., uprobe.s/...
  kUsdt,           // usdt/BINARY:PROVIDER:NAME
  kTracepoint,     // tracepoint/CATEGORY/NAME, tp/CATEGORY/NAME
  kRawTracepoint,  // raw_tp/NAME, raw_tracepoint/NAME (and .w)
  kBtf,            // fentry/ fexit/ fmod_ret/ lsm/ iter/ tp_btf/ freplace/ + a BTF name
  kStructOps,      // struct_ops/NAME
};

const char* attach_kind_name(AttachKind kind);

struct AttachPoint {
  AttachKind kind = AttachKind::kNone;
  // Function, tracepoint, raw tracepoint, syscall, USDT probe or BTF name; empty when the section
  // names none (SEC("kprobe") is attached by hand).
  std::string target;
  std::string category;  // tracepoint category, USDT provider
  std::string binary;    // uprobe / usdt binary or library
  uint64_t offset = 0;   // kprobe/uprobe +OFF
  bool is_return = false;
  bool sleepable = false;
};

// A relocation applied to a program, in the numbering of the final (linked) program.
struct AppliedRelocation {
  enum class Kind : uint8_t {
    kMap,       // lddw of a map: src = map_idx, imm = ObjectMap index
    kMapValue,  // lddw of global data: src = map_idx_value, imm = ObjectMap index, second imm = offset
    kFunc,      // lddw of a function (callbacks): src = func, imm = relative slot
    kCall,      // BPF-to-BPF call: imm = relative slot
  };
  Kind kind = Kind::kMap;
  size_t insn = 0;
  std::string symbol;      // the ELF symbol the relocation names
  uint32_t map_index = 0;  // kMap, kMapValue
  uint32_t offset = 0;     // kMapValue: byte offset in the map value
  std::string function;    // kFunc, kCall: the target function
};

const char* relocation_kind_name(AppliedRelocation::Kind kind);

// enum bpf_core_relo_kind.
enum class CoreReloKind : uint8_t {
  kFieldByteOffset = 0,
  kFieldByteSize = 1,
  kFieldExists = 2,
  kFieldSigned = 3,
  kFieldLShiftU64 = 4,
  kFieldRShiftU64 = 5,
  kTypeIdLocal = 6,
  kTypeIdTarget = 7,
  kTypeExists = 8,
  kTypeSize = 9,
  kEnumvalExists = 10,
  kEnumvalValue = 11,
  kTypeMatches = 12,
};

const char* core_relo_kind_name(CoreReloKind kind);

// One CO-RE relocation and how it was resolved against the target BTF.
struct CoreRelocation {
  size_t insn = 0;  // in the final program
  CoreReloKind kind = CoreReloKind::kFieldByteOffset;
  std::string type_name;        // the local root type, e.g. "struct task_struct"
  std::string access;           // the raw access string, e.g. "0:12:1"
  std::string spec;             // the access spelled out, e.g. "task_struct.pid" or "BPF_MAP_TYPE_ARRAY"
  uint64_t local_value = 0;     // what the compiler put in (the local BTF's answer)
  uint64_t target_value = 0;    // what the instruction now holds
  uint32_t target_type_id = 0;  // the matched target type (0: none)
  // Not found in the target: the instruction was replaced by `call 0xbad2310` (as libbpf does), so
  // the program fails if it ever reaches it.
  bool poisoned = false;
  std::string note;  // why it was poisoned
};

// A function inside a linked program: the entry function first, then appended subprograms.
struct FunctionSpan {
  std::string name;
  size_t start = 0;  // first slot
  size_t size = 0;   // slots
  bool global = false;
};

struct ObjectProgram {
  std::string name;     // the entry function's symbol
  std::string section;  // its SEC() name
  ProgType type = 0;
  AttachType expected_attach_type = 0;
  AttachPoint attach;
  // Instructions of the entry function followed by the subprograms it uses, all relocations applied.
  Program program;
  std::vector<FunctionSpan> functions;
  std::vector<AppliedRelocation> relocations;
  std::vector<CoreRelocation> core_relocations;
  std::vector<uint32_t> used_maps;  // ObjectMap indices referenced by lddw, sorted, unique

  bool uses_maps() const { return !used_maps.empty(); }
};

// The helper id libbpf (and so bpfrt) puts in place of an instruction whose CO-RE relocation failed.
inline constexpr int32_t kCorePoisonHelperId = 0xbad2310;

// ---- Maps

enum class MapOrigin : uint8_t {
  kBtf,     // BTF-defined, SEC(".maps")
  kLegacy,  // struct bpf_map_def in SEC("maps")
  kData,    // .data, .data.*
  kRodata,  // .rodata, .rodata.*
  kBss,     // .bss, .bss.*
};

const char* map_origin_name(MapOrigin origin);

enum class MapPinning : uint8_t { kNone = 0, kByName = 1 };  // LIBBPF_PIN_*

// An entry of a prog-array or map-in-map initialised in the object (`.values = { [1] = &prog }`).
struct MapInitSlot {
  uint32_t index = 0;         // key in the outer map
  std::string target;         // the program or map named
  uint32_t target_index = 0;  // index into Object::programs() (prog arrays) or Object::maps() (maps of maps)
};

struct ObjectMap {
  std::string name;     // the symbol, or the section for global data (".rodata")
  std::string section;  // the ELF section it comes from
  MapOrigin origin = MapOrigin::kBtf;
  uint32_t type = 0;  // enum bpf_map_type
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t flags = 0;  // BPF_F_*
  uint32_t numa_node = 0;
  uint64_t map_extra = 0;
  MapPinning pinning = MapPinning::kNone;
  // BTF type ids of key and value in the object's BTF (0: not given). For global data the value is
  // the section's DATASEC.
  uint32_t btf_key_type_id = 0;
  uint32_t btf_value_type_id = 0;
  // Offset of a struct bpf_spin_lock at the top level of the value (from BTF), or -1.
  int32_t spin_lock_offset = -1;
  // Maps of maps: the definition every inner map must match.
  std::shared_ptr<const ObjectMap> inner;
  std::vector<MapInitSlot> init_slots;
  // Global data: the initial value (value_size bytes; zeros for .bss).
  std::vector<uint8_t> initial_value;
  // .rodata: the program may not write it, and the runtime freezes it after initialisation.
  bool read_only = false;
  bool is_global_data() const {
    return origin == MapOrigin::kData || origin == MapOrigin::kRodata || origin == MapOrigin::kBss;
  }
};

// A global variable in a global data section.
struct GlobalVariable {
  std::string name;
  uint32_t map_index = 0;  // the section's ObjectMap
  uint32_t offset = 0;     // in the map value
  uint32_t size = 0;
  uint32_t btf_type_id = 0;  // the VAR's type in the object's BTF (0: unknown)
  bool is_static = false;
};

// ---- The object

struct OpenOptions {
  // Object name (programs and maps are named within it); default: the file name without ".o" / ".bpf.o".
  std::string name;
  // BTF that CO-RE relocations are resolved against: raw BTF or an ELF with a .BTF section. Empty: the
  // running kernel's (/sys/kernel/btf/vmlinux). Only read if the object has CO-RE relocations.
  std::string target_btf_path;
  // Fail on a CO-RE relocation that cannot be resolved instead of poisoning the instruction.
  bool strict_core = false;
};

class Object {
 public:
  [[nodiscard]] static Result<Object> open(const std::string& path, const OpenOptions& options = {});
  [[nodiscard]] static Result<Object> open_memory(std::span<const uint8_t> bytes, const OpenOptions& options = {});

  const std::string& name() const { return name_; }
  const std::string& license() const { return license_; }
  uint32_t kernel_version() const { return kernel_version_; }  // SEC("version"), 0 when absent
  // The running kernel's or the given BTF, when CO-RE relocations were resolved against one.
  const std::string& core_target() const { return core_target_; }

  std::span<const ObjectProgram> programs() const { return programs_; }
  std::span<const ObjectMap> maps() const { return maps_; }
  std::span<const GlobalVariable> globals() const { return globals_; }

  // By function name, or by section name when no function has that name.
  const ObjectProgram* find_program(std::string_view name) const;
  const ObjectMap* find_map(std::string_view name) const;
  const GlobalVariable* find_global(std::string_view name) const;

  // Sets the initial value of a global variable before the object is loaded: `bytes` must have the
  // variable's size.
  [[nodiscard]] Status set_global(std::string_view name, std::span<const uint8_t> bytes);
  template <class T>
  [[nodiscard]] Status set_global(std::string_view name, const T& value) {
    return set_global(name, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
  }
  // The current initial bytes of a global variable.
  [[nodiscard]] Result<std::span<const uint8_t>> global_value(std::string_view name) const;

  // The object file itself, for a backend that hands it to libbpf and the kernel.
  std::span<const uint8_t> elf_bytes() const { return *elf_; }

 private:
  friend class ObjectBuilder;
  Object() = default;

  std::string name_;
  std::string license_;
  uint32_t kernel_version_ = 0;
  std::string core_target_;
  std::vector<ObjectProgram> programs_;
  std::vector<ObjectMap> maps_;
  std::vector<GlobalVariable> globals_;
  std::shared_ptr<const std::vector<uint8_t>> elf_;
};

}  // namespace bpfrt
