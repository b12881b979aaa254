// Runtime: programs in the registry (bytecode in a shared-memory object per program), engines for
// them, and the engine options that tie a program to the registry's maps and helpers.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "bpfrt/runtime.hpp"

#include "helpers/helper_impls.hpp"
#include "runtime/program_tag.hpp"
#include "runtime/registry_store.hpp"
#include "vm/verified_engine.hpp"

namespace bpfrt {
namespace {

constexpr uint32_t kBlobHeader = 16;  // u32 insn count, u32 map count, 8 reserved

uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

Result<uint32_t> Runtime::load_program(const ProgramSpec& spec, VerifierReport* report) {
  return load_program_at(spec, 0, report);
}

MapResolver Runtime::verifier_maps(const std::vector<uint32_t>& fd_array) {
  return [this, fd_array](LddwSrc source, int32_t ref) -> Result<MapInfo> {
    uint32_t handle = static_cast<uint32_t>(ref);
    if (source == LddwSrc::kMapIdx || source == LddwSrc::kMapIdxValue) {
      if (ref < 0 || static_cast<size_t>(ref) >= fd_array.size()) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("map index {} is outside the program's {} maps", ref, fd_array.size()));
      }
      handle = fd_array[static_cast<size_t>(ref)];
    }
    auto info = map_info(handle);
    if (!info) {
      return info.take_error();
    }
    auto describe = [](const MapSpec& m) {
      MapInfo v;
      v.type = static_cast<uint32_t>(m.type);
      v.key_size = m.key_size;
      v.value_size = m.value_size;
      v.max_entries = m.max_entries;
      v.flags = m.flags;
      v.spin_lock_offset = m.spin_lock_offset;
      v.name = m.name;
      return v;
    };
    MapInfo out = describe(info->spec);
    if (info->spec.inner) {
      out.inner = std::make_shared<MapInfo>(describe(*info->spec.inner));
    }
    return out;
  };
}

Result<VerifyOptions> Runtime::verify_options(const ProgramSpec& spec) {
  VerifyOptions options;
  bool known = false;
  for (ProgramType t : program_types()) {
    if (static_cast<ProgType>(t) == spec.type) {
      options.type = t;
      known = true;
    }
  }
  if (!known) {
    return make_error(ErrorCode::kUnsupported, fmt::format("program '{}': the verifier does not support {} programs",
                                                           spec.name, prog_type_name(spec.type)));
  }
  options.helpers = &helpers_;
  options.maps = verifier_maps(spec.map_handles);
  options.ctx_size = spec.ctx_size;
  options.log_level = spec.log_level;
  return options;
}

Result<uint32_t> Runtime::load_program_at(const ProgramSpec& spec, uint32_t preferred, VerifierReport* report) {
  const std::string& name = spec.name;
  if (!spec.program) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("program '{}' has no instructions", name));
  }
  {
    // The name check of create_map, by way of find's rules.
    const bool chars =
        !name.empty() && name.size() <= 63 && name[0] != '.' &&
        std::all_of(
            name.begin(), name.end(),
            [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }) &&
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!chars) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("invalid program name '{}' (1-63 characters of A-Z a-z 0-9 _ . -, not starting "
                                    "with '.', not all digits)",
                                    name));
    }
  }
  if (spec.license.size() >= sizeof(ProgRecord::license)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("program '{}': license string too long", name));
  }
  // Every map the program names must exist now (the kernel resolves map fds at load time too).
  const Program& program = *spec.program;
  auto options = engine_options(program, spec.map_handles);
  if (!options) {
    Error e = options.take_error();
    e.message = fmt::format("program '{}': {}", name, e.message);
    return e;
  }
  if (spec.verify) {
    auto vopts = verify_options(spec);
    if (!vopts) {
      return vopts.take_error();
    }
    auto verdict = verify_program(program, *vopts);
    if (!verdict) {
      return verdict.take_error();
    }
    if (report != nullptr) {
      *report = *verdict;
    }
    if (!verdict->accepted) {
      Error e = verdict->error();
      e.message = fmt::format("program '{}': the verifier refused it:\n{}", name, e.message);
      return e;
    }
  }
  const std::vector<uint8_t> insns = program.bytes();
  std::vector<uint8_t> blob(kBlobHeader + insns.size() + 4 * spec.map_handles.size());
  const auto insn_count = static_cast<uint32_t>(program.size());
  const auto nr_maps = static_cast<uint32_t>(spec.map_handles.size());
  std::memcpy(blob.data(), &insn_count, 4);
  std::memcpy(blob.data() + 4, &nr_maps, 4);
  std::memcpy(blob.data() + kBlobHeader, insns.data(), insns.size());
  if (!spec.map_handles.empty()) {
    std::memcpy(blob.data() + kBlobHeader + insns.size(), spec.map_handles.data(), 4 * spec.map_handles.size());
  }

  uint32_t handle = 0;
  std::string object;
  {
    RegistryStore::Lock lock(*store_);
    auto h = store_->allocate(ObjectKind::kProgram, name, preferred);
    if (!h) {
      return h.take_error();
    }
    handle = *h;
    Record* r = store_->record(handle);
    r->prog.prog_type = spec.type;
    r->prog.insn_count = insn_count;
    r->prog.nr_maps = nr_maps;
    r->prog.tag = program_tag(program);
    r->prog.flags = spec.verify ? kProgVerified : 0;
    r->prog.ctx_size = spec.ctx_size;
    std::strncpy(r->prog.license, spec.license.c_str(), sizeof(r->prog.license) - 1);
    object = store_->object_name("prog", handle);
    std::strncpy(r->object, object.c_str(), sizeof(r->object) - 1);
  }
  auto arena = object.empty() ? Arena::create_private(blob.size()) : Arena::create_shared(object, blob.size());
  RegistryStore::Lock lock(*store_);
  if (!arena) {
    store_->release(handle);
    return arena.take_error();
  }
  std::memcpy((*arena)->base(), blob.data(), blob.size());
  store_->record(handle)->object_size = blob.size();
  store_->publish(handle);
  if (object.empty()) {
    std::lock_guard<std::mutex> guard(mutex_);
    private_blobs_[handle] = std::shared_ptr<Arena>(std::move(*arena));
  }
  return handle;
}

Result<ProgramSpec> Runtime::read_program(uint32_t handle) {
  std::string object;
  ProgramSpec spec;
  {
    RegistryStore::Lock lock(*store_);
    const Record* r = store_->record(handle);
    if (r == nullptr || r->state.load() != kRecordLive || r->kind != static_cast<uint32_t>(ObjectKind::kProgram)) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("there is no program with handle {} in registry '{}'", handle, name_));
    }
    object = std::string(r->object, strnlen(r->object, sizeof(r->object)));
    spec.name = std::string(r->name, strnlen(r->name, sizeof(r->name)));
    spec.type = r->prog.prog_type;
    spec.license = std::string(r->prog.license, strnlen(r->prog.license, sizeof(r->prog.license)));
    spec.verify = (r->prog.flags & kProgVerified) != 0;
    spec.ctx_size = r->prog.ctx_size;
  }
  std::shared_ptr<Arena> arena;
  if (object.empty()) {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = private_blobs_.find(handle);
    if (it == private_blobs_.end()) {
      return make_error(ErrorCode::kNotFound, fmt::format("program {} is private to another process", handle));
    }
    arena = it->second;
  } else {
    auto opened = Arena::open_shared(object);
    if (!opened) {
      return opened.take_error();
    }
    arena = std::move(*opened);
  }
  const uint8_t* base = arena->base();
  const uint32_t insn_count = read_u32(base);
  const uint32_t nr_maps = read_u32(base + 4);
  if (arena->size() < kBlobHeader + 8ull * insn_count + 4ull * nr_maps) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("program {} has a corrupt bytecode object", handle));
  }
  auto program = Program::decode({base + kBlobHeader, 8ull * insn_count});
  if (!program) {
    return program.take_error();
  }
  spec.program = std::move(*program);
  spec.map_handles.resize(nr_maps);
  if (nr_maps != 0) {
    std::memcpy(spec.map_handles.data(), base + kBlobHeader + 8ull * insn_count, 4ull * nr_maps);
  }
  return spec;
}

Result<Program> Runtime::program(uint32_t handle) {
  auto spec = read_program(handle);
  if (!spec) {
    return spec.take_error();
  }
  return std::move(*spec->program);
}

Result<ProgramInfo> Runtime::program_info(uint32_t handle) {
  auto spec = read_program(handle);
  if (!spec) {
    return spec.take_error();
  }
  ProgramInfo info;
  {
    RegistryStore::Lock lock(*store_);
    const Record* r = store_->record(handle);
    info.handle = handle;
    info.name = spec->name;
    info.owner_pid = r->owner_pid;
    info.created_ns = r->created_ns;
    info.tag = r->prog.tag;
  }
  info.type = spec->type;
  info.insn_count = static_cast<uint32_t>(spec->program->size());
  info.license = spec->license;
  info.verified = spec->verify;
  // Every map it refers to: map_fd handles and the map_idx list.
  for (size_t i = 0; i < spec->program->size(); ++i) {
    const OpInfo* op = spec->program->op_at(i);
    const Instruction& insn = (*spec->program)[i];
    if (op != nullptr && op->form == Form::kLddw &&
        (insn.src == static_cast<uint8_t>(LddwSrc::kMapFd) || insn.src == static_cast<uint8_t>(LddwSrc::kMapValue))) {
      info.map_handles.push_back(static_cast<uint32_t>(insn.imm));
    }
  }
  info.map_handles.insert(info.map_handles.end(), spec->map_handles.begin(), spec->map_handles.end());
  std::sort(info.map_handles.begin(), info.map_handles.end());
  info.map_handles.erase(std::unique(info.map_handles.begin(), info.map_handles.end()), info.map_handles.end());
  return info;
}

std::vector<ProgramInfo> Runtime::list_programs() {
  std::vector<ProgramInfo> out;
  for (uint32_t h = 1; h <= store_->capacity(); ++h) {
    const Record* r = store_->record(h);
    if (r->state.load() == kRecordLive && r->kind == static_cast<uint32_t>(ObjectKind::kProgram)) {
      if (auto info = program_info(h); info) {
        out.push_back(std::move(*info));
      }
    }
  }
  return out;
}

Status Runtime::remove_program(uint32_t handle) {
  return remove(ObjectKind::kProgram, handle);
}

Result<const Engine*> Runtime::engine(uint32_t handle, EngineKind kind) {
  const Record* r = store_->record(handle);
  const uint32_t generation = r != nullptr ? r->generation.load() : 0;
  const size_t slot = kind == EngineKind::kJit ? 1 : 0;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = programs_.find(handle);
    if (it != programs_.end() && it->second.generation == generation && it->second.engines[slot]) {
      return it->second.engines[slot].get();
    }
  }
  auto spec = read_program(handle);
  if (!spec) {
    return spec.take_error();
  }
  auto options = engine_options(*spec->program, spec->map_handles);
  if (!options) {
    return options.take_error();
  }
  // Programs verified at load are verified again here, so that the engine gets the verifier's facts.
  LoadOptions load;
  load.verify = spec->verify;
  load.engine = std::move(*options);
  if (spec->verify) {
    auto vopts = verify_options(*spec);
    if (!vopts) {
      return vopts.take_error();
    }
    load.verifier = std::move(*vopts);
  }
  auto created = load_engine(kind, std::move(*spec->program), std::move(load));
  if (!created) {
    Error e = created.take_error();
    e.message = fmt::format("program '{}': {}", spec->name, e.message);
    return e;
  }
  std::lock_guard<std::mutex> guard(mutex_);
  OpenProgram& p = programs_[handle];
  if (p.generation != generation) {
    // The handle was reused: keep the old engines alive for runs still using them.
    for (auto& e : p.engines) {
      if (e) {
        retired_engines_.push_back(std::move(e));
      }
    }
    p.generation = generation;
  }
  if (!p.engines[slot]) {
    p.engines[slot] = std::move(*created);
  }
  return p.engines[slot].get();
}

Result<EngineOptions> Runtime::engine_options(const Program& program, const std::vector<uint32_t>& fd_array) {
  // Open every map the program refers to, so the resolver and the memory regions are ready.
  std::map<uint32_t, std::shared_ptr<Map>> used;
  for (size_t i = 0; i < program.size(); ++i) {
    const OpInfo* op = program.op_at(i);
    if (op == nullptr || op->form != Form::kLddw) {
      continue;
    }
    const Instruction& insn = program[i];
    const auto src = static_cast<LddwSrc>(insn.src);
    uint32_t handle = 0;
    if (src == LddwSrc::kMapFd || src == LddwSrc::kMapValue) {
      handle = static_cast<uint32_t>(insn.imm);
    } else if (src == LddwSrc::kMapIdx || src == LddwSrc::kMapIdxValue) {
      if (insn.imm < 0 || static_cast<size_t>(insn.imm) >= fd_array.size()) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("instruction {} ({}): map index {} is outside the program's {} maps", i,
                                      disassemble_one(program, i), insn.imm, fd_array.size()),
                          i);
      }
      handle = fd_array[static_cast<size_t>(insn.imm)];
    } else {
      continue;
    }
    if (used.contains(handle)) {
      continue;
    }
    auto m = map(handle);
    if (!m) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("instruction {} ({}): {}", i, disassemble_one(program, i), m.error().message), i);
    }
    used[handle] = *m;
  }
  for (uint32_t handle : fd_array) {
    if (!used.contains(handle)) {
      auto m = map(handle);
      if (!m) {
        return m.take_error();
      }
      used[handle] = *m;
    }
  }
  EngineOptions options;
  options.helpers = &helpers_;
  for (const auto& [handle, m] : used) {
    options.regions.insert(options.regions.end(), m->regions().begin(), m->regions().end());
  }
  options.dynamic_regions = &Runtime::dynamic_region;
  options.dynamic_regions_data = this;
  options.resolve_lddw = [used, fd_array](const Instruction& first, const Instruction& second,
                                          size_t index) -> Result<uint64_t> {
    const auto src = static_cast<LddwSrc>(first.src);
    uint32_t handle = static_cast<uint32_t>(first.imm);
    if (src == LddwSrc::kMapIdx || src == LddwSrc::kMapIdxValue) {
      handle = fd_array.at(static_cast<size_t>(first.imm));
    } else if (src != LddwSrc::kMapFd && src != LddwSrc::kMapValue) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("instruction {}: lddw source {} (BTF ids) is not supported", index, first.src),
                        index);
    }
    const Map& m = *used.at(handle);
    if (src == LddwSrc::kMapValue || src == LddwSrc::kMapIdxValue) {
      auto addr = const_cast<Map&>(m).direct_value_address(static_cast<uint32_t>(second.imm));
      if (!addr) {
        Error e = addr.take_error();
        e.message = fmt::format("instruction {}: {}", index, e.message);
        e.insn = index;
        return e;
      }
      return *addr;
    }
    return m.program_handle();
  };
  // Lookups through the standard helper on a map the program names may skip it (the JIT inlines array
  // lookups and calls the map's own lookup otherwise). `used` keeps every such map open.
  options.map_lookup_shortcut = [used](uint64_t value) -> MapLookupShortcut {
    Map* m = Map::from_program_handle(value);
    const bool open = std::any_of(used.begin(), used.end(), [m](const auto& u) { return u.second.get() == m; });
    if (m == nullptr || !open) {
      return {};
    }
    MapLookupShortcut s = m->lookup_shortcut();
    s.replaces = &helpers::map_lookup_elem;
    return s;
  };
  return options;
}

}  // namespace bpfrt
