// load_object: an Object's maps created (or reused) in a registry, its programs verified and registered,
// prog arrays and maps of maps filled from `.values`, global data written and .rodata frozen.
#include "bpfrt/object_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

namespace bpfrt {
namespace {

constexpr uint32_t kPageSize = 4096;

std::string map_label(const ObjectMap& m) {
  return fmt::format("map '{}' (section '{}')", m.name, m.section);
}

Error with_context(Error e, const std::string& context) {
  e.message = fmt::format("{}: {}", context, e.message);
  return e;
}

MapSpec spec_of(const ObjectMap& m) {
  MapSpec s;
  s.type = static_cast<MapType>(m.type);
  s.key_size = m.key_size;
  s.value_size = m.value_size;
  s.max_entries = m.max_entries;
  s.flags = m.flags;
  s.map_extra = m.map_extra;
  s.spin_lock_offset = m.spin_lock_offset;
  // What libbpf changes when it creates the map rather than when it opens the object.
  if (s.type == MapType::kPerfEventArray) {
    s.key_size = s.key_size == 0 ? 4 : s.key_size;
    s.value_size = s.value_size == 0 ? 4 : s.value_size;
    s.max_entries = s.max_entries == 0 ? possible_cpus() : s.max_entries;
  }
  if (s.type == MapType::kRingbuf && s.max_entries != 0) {
    uint64_t size = kPageSize;
    while (size < s.max_entries) {
      size <<= 1;
    }
    s.max_entries = static_cast<uint32_t>(std::min<uint64_t>(size, UINT32_MAX));
  }
  if (m.inner) {
    s.inner = std::make_shared<MapSpec>(spec_of(*m.inner));
  }
  return s;
}

bool same_shape(const MapSpec& a, const MapSpec& b) {
  if (a.type != b.type || a.key_size != b.key_size || a.value_size != b.value_size || a.max_entries != b.max_entries ||
      a.flags != b.flags || a.map_extra != b.map_extra) {
    return false;
  }
  if ((a.inner == nullptr) != (b.inner == nullptr)) {
    return false;
  }
  return a.inner == nullptr || same_shape(*a.inner, *b.inner);
}

std::string shape_text(const MapSpec& s) {
  return fmt::format("{} key {} value {} max_entries {} flags 0x{:x}", map_type_name(s.type), s.key_size, s.value_size,
                     s.max_entries, s.flags);
}

bool registry_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// Everything one load made, removed again if a later step fails.
class LoadTransaction {
 public:
  explicit LoadTransaction(Runtime& rt) : rt_(rt) {}
  ~LoadTransaction() {
    if (!committed_) {
      for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
        (void)rt_.remove(it->first, it->second);
      }
    }
  }
  LoadTransaction(const LoadTransaction&) = delete;
  LoadTransaction& operator=(const LoadTransaction&) = delete;
  void made(ObjectKind kind, uint32_t handle) { made_.emplace_back(kind, handle); }
  void commit() { committed_ = true; }

 private:
  Runtime& rt_;
  std::vector<std::pair<ObjectKind, uint32_t>> made_;
  bool committed_ = false;
};

class ObjectLoader {
 public:
  ObjectLoader(Runtime& rt, const Object& obj, const ObjectLoadOptions& options)
      : rt_(rt), obj_(obj), options_(options), tx_(rt) {}

  Result<LoadedObject> load() {
    out_.name = options_.name.empty() ? default_load_name(obj_.name()) : options_.name;
    BPFRT_TRY(check_name(out_.name, "object"));
    auto selected = select_programs();
    if (!selected) {
      return selected.take_error();
    }
    for (uint32_t i = 0; i < obj_.maps().size(); ++i) {
      BPFRT_TRY(load_map(i));
    }
    for (uint32_t i = 0; i < obj_.maps().size(); ++i) {
      BPFRT_TRY(fill_map_slots(i));
    }
    for (uint32_t i : *selected) {
      BPFRT_TRY(load_program(i));
    }
    for (uint32_t i = 0; i < obj_.maps().size(); ++i) {
      BPFRT_TRY(fill_prog_slots(i));
    }
    tx_.commit();
    return std::move(out_);
  }

 private:
  Status check_name(const std::string& name, const char* what) {
    if (name.empty() || name.size() > 63 || name[0] == '.' ||
        !std::all_of(name.begin(), name.end(), registry_name_char)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{} name '{}' cannot be a registry name (1-63 characters of A-Z a-z 0-9 _ . -, "
                                    "not starting with '.'); choose another with --name",
                                    what, name));
    }
    return {};
  }

  std::string qualified(const std::string& name) const {
    return name.starts_with('.') ? out_.name + name : out_.name + "." + name;
  }

  // The selected programs plus, transitively, the programs `.values` put in prog arrays they use.
  Result<std::vector<uint32_t>> select_programs() {
    std::set<uint32_t> chosen;
    const auto programs = obj_.programs();
    if (options_.programs.empty()) {
      for (uint32_t i = 0; i < programs.size(); ++i) {
        chosen.insert(i);
      }
    }
    for (const std::string& want : options_.programs) {
      const ObjectProgram* p = obj_.find_program(want);
      if (p == nullptr) {
        return make_error(ErrorCode::kNotFound, fmt::format("object '{}' has no program '{}'", obj_.name(), want));
      }
      chosen.insert(static_cast<uint32_t>(p - programs.data()));
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (uint32_t i : std::vector<uint32_t>(chosen.begin(), chosen.end())) {
        for (uint32_t m : programs[i].used_maps) {
          const ObjectMap& map = obj_.maps()[m];
          if (map.type != static_cast<uint32_t>(MapType::kProgArray)) {
            continue;
          }
          for (const MapInitSlot& slot : map.init_slots) {
            grew |= chosen.insert(slot.target_index).second;
          }
        }
      }
    }
    return std::vector<uint32_t>(chosen.begin(), chosen.end());
  }

  Status load_map(uint32_t index) {
    const ObjectMap& m = obj_.maps()[index];
    const bool pinned = m.pinning == MapPinning::kByName;
    LoadedMap lm;
    lm.index = index;
    lm.name = m.name;
    lm.registry_name = pinned ? m.name : qualified(m.name);
    lm.pinned = pinned;
    BPFRT_TRY(check_name(lm.registry_name, "map"));
    MapSpec spec = spec_of(m);
    spec.name = lm.registry_name;
    if (auto existing = rt_.find(ObjectKind::kMap, lm.registry_name); existing) {
      if (!pinned && !options_.reuse) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: registry '{}' already has a map named '{}' (is the object loaded "
                                      "already?); remove it (bpfrt unload {}) or load under another --name",
                                      map_label(m), rt_.registry_name(), lm.registry_name, out_.name));
      }
      BPFRT_TRY(check_reuse(m, spec, *existing));
      lm.handle = *existing;
      out_.maps.push_back(std::move(lm));
      return {};
    }
    auto handle = options_.make_map ? options_.make_map(index, m, spec) : rt_.create_map(spec);
    if (!handle) {
      return with_context(handle.take_error(), fmt::format("object '{}': {}", obj_.name(), map_label(m)));
    }
    tx_.made(ObjectKind::kMap, *handle);
    lm.handle = *handle;
    lm.created = true;
    if (m.is_global_data() && !options_.make_map) {
      BPFRT_TRY(initialise_global_data(m, *handle));
    }
    out_.maps.push_back(std::move(lm));
    return {};
  }

  Status check_reuse(const ObjectMap& m, const MapSpec& spec, uint32_t handle) {
    auto info = rt_.map_info(handle);
    if (!info) {
      return info.take_error();
    }
    if (!same_shape(info->spec, spec)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: the registry's map '{}' is {}, the object wants {}", map_label(m), info->name,
                                    shape_text(info->spec), shape_text(spec)));
    }
    if (m.read_only) {
      auto map = rt_.map(handle);
      if (!map) {
        return map.take_error();
      }
      std::vector<uint8_t> value((*map)->user_value_size());
      const uint32_t zero = 0;
      if ((*map)->lookup(&zero, value.data()) != 0 ||
          !std::equal(m.initial_value.begin(), m.initial_value.end(), value.begin())) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: the registry's map '{}' holds other read-only data (loaded with other "
                                      "values); remove it first",
                                      map_label(m), info->name));
      }
    }
    return {};
  }

  Status initialise_global_data(const ObjectMap& m, uint32_t handle) {
    auto map = rt_.map(handle);
    if (!map) {
      return map.take_error();
    }
    const uint32_t zero = 0;
    if (const int rc = (*map)->update(&zero, m.initial_value.data(), kBpfAny); rc != 0) {
      return make_error(ErrorCode::kIo,
                        fmt::format("{}: cannot write its initial value: {}", map_label(m), std::strerror(-rc)));
    }
    if (m.read_only) {
      if (const int rc = (*map)->freeze(); rc != 0) {
        return make_error(ErrorCode::kIo, fmt::format("{}: cannot freeze it: {}", map_label(m), std::strerror(-rc)));
      }
    }
    return {};
  }

  // Maps of maps: `.values = { [i] = &inner }`.
  Status fill_map_slots(uint32_t index) {
    const ObjectMap& m = obj_.maps()[index];
    if (m.init_slots.empty() || m.type == static_cast<uint32_t>(MapType::kProgArray) || !out_.maps[index].created) {
      return {};
    }
    auto map = rt_.map(out_.maps[index].handle);
    if (!map) {
      return map.take_error();
    }
    for (const MapInitSlot& slot : m.init_slots) {
      const uint32_t inner = out_.maps[slot.target_index].handle;
      if (const int rc = (*map)->update(&slot.index, &inner, kBpfAny); rc != 0) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: cannot put map '{}' in slot {}: {}", map_label(m), slot.target, slot.index,
                                      std::strerror(-rc)));
      }
    }
    return {};
  }

  // Prog arrays: `.values = { [i] = &prog }`, once the programs exist.
  Status fill_prog_slots(uint32_t index) {
    const ObjectMap& m = obj_.maps()[index];
    if (m.init_slots.empty() || m.type != static_cast<uint32_t>(MapType::kProgArray) || !out_.maps[index].created) {
      return {};
    }
    auto map = rt_.map(out_.maps[index].handle);
    if (!map) {
      return map.take_error();
    }
    for (const MapInitSlot& slot : m.init_slots) {
      const LoadedProgram* target = find_loaded(slot.target_index);
      if (target == nullptr) {
        continue;  // not selected, and no selected program uses this prog array
      }
      if (const int rc = (*map)->update(&slot.index, &target->handle, kBpfAny); rc != 0) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: cannot put program '{}' in slot {}: {}", map_label(m), slot.target,
                                      slot.index, std::strerror(-rc)));
      }
    }
    return {};
  }

  const LoadedProgram* find_loaded(uint32_t program_index) const {
    for (const LoadedProgram& p : out_.programs) {
      if (p.index == program_index) {
        return &p;
      }
    }
    return nullptr;
  }

  Status load_program(uint32_t index) {
    const ObjectProgram& p = obj_.programs()[index];
    LoadedProgram lp;
    lp.index = index;
    lp.name = p.name;
    lp.registry_name = qualified(p.name);
    lp.type = p.type;
    BPFRT_TRY(check_name(lp.registry_name, "program"));
    for (const LoadedMap& m : out_.maps) {
      lp.map_handles.push_back(m.handle);
    }
    ProgramSpec spec;
    spec.name = lp.registry_name;
    spec.type = p.type;
    spec.program = p.program;
    spec.map_handles = lp.map_handles;
    spec.license = obj_.license();
    spec.verify = options_.verify;
    spec.log_level = options_.log_level;
    if (auto existing = rt_.find(ObjectKind::kProgram, lp.registry_name); existing) {
      BPFRT_TRY(check_program_reuse(p, lp, *existing));
      lp.handle = *existing;
      lp.verified = options_.verify;
      out_.programs.push_back(std::move(lp));
      return {};
    }
    auto handle = rt_.load_program(spec, &lp.report);
    if (!handle) {
      return with_context(handle.take_error(), fmt::format("object '{}', section '{}'", obj_.name(), p.section));
    }
    tx_.made(ObjectKind::kProgram, *handle);
    lp.handle = *handle;
    lp.created = true;
    lp.verified = options_.verify;
    out_.programs.push_back(std::move(lp));
    return {};
  }

  Status check_program_reuse(const ObjectProgram& p, const LoadedProgram& lp, uint32_t handle) {
    auto clash = [&](const char* why) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("program '{}' (section '{}'): registry '{}' already has a program named '{}' "
                                    "{}; remove it (bpfrt unload {}) or load under another --name",
                                    p.name, p.section, rt_.registry_name(), lp.registry_name, why, out_.name));
    };
    if (!options_.reuse) {
      return clash("(is the object loaded already?)");
    }
    auto info = rt_.program_info(handle);
    auto existing = rt_.program(handle);
    if (!info || !existing) {
      return clash("that cannot be read");
    }
    if (existing->bytes() != p.program.bytes() || info->type != p.type || (options_.verify && !info->verified)) {
      return clash("with other instructions or type, or unverified");
    }
    return {};
  }

  Runtime& rt_;
  const Object& obj_;
  const ObjectLoadOptions& options_;
  LoadTransaction tx_;
  LoadedObject out_;
};

}  // namespace

std::string default_load_name(std::string_view object_name) {
  std::string name(object_name);
  for (char& c : name) {
    if (!registry_name_char(c)) {
      c = '_';
    }
  }
  if (name.empty() || name[0] == '.') {
    name = "obj" + name;
  }
  return name;
}

const LoadedMap* LoadedObject::find_map(std::string_view wanted) const {
  for (const LoadedMap& m : maps) {
    if (m.name == wanted || m.registry_name == wanted) {
      return &m;
    }
  }
  return nullptr;
}

const LoadedProgram* LoadedObject::find_program(std::string_view wanted) const {
  for (const LoadedProgram& p : programs) {
    if (p.name == wanted || p.registry_name == wanted) {
      return &p;
    }
  }
  return nullptr;
}

Result<LoadedObject> load_object(Runtime& runtime, const Object& object, const ObjectLoadOptions& options) {
  ObjectLoader loader(runtime, object, options);
  return loader.load();
}

Status unload_object(Runtime& runtime, const LoadedObject& loaded) {
  Status status;
  for (const LoadedProgram& p : loaded.programs) {
    if (p.created) {
      if (auto s = runtime.remove(ObjectKind::kProgram, p.handle); !s && status) {
        status = std::move(s);
      }
    }
  }
  for (const LoadedMap& m : loaded.maps) {
    if (m.created && !m.pinned) {
      if (auto s = runtime.remove(ObjectKind::kMap, m.handle); !s && status) {
        status = std::move(s);
      }
    }
  }
  return status;
}

Result<size_t> unload_object_by_name(Runtime& runtime, std::string_view name) {
  const std::string prefix = std::string(name) + ".";
  size_t removed = 0;
  for (const ProgramInfo& p : runtime.list_programs()) {
    if (p.name.starts_with(prefix)) {
      BPFRT_TRY(runtime.remove(ObjectKind::kProgram, p.handle));
      ++removed;
    }
  }
  for (const RegistryMapInfo& m : runtime.list_maps()) {
    if (m.name.starts_with(prefix)) {
      BPFRT_TRY(runtime.remove(ObjectKind::kMap, m.handle));
      ++removed;
    }
  }
  if (removed == 0) {
    return make_error(ErrorCode::kNotFound, fmt::format("registry '{}' has no programs or maps named '{}*'",
                                                        runtime.registry_name(), prefix));
  }
  return removed;
}

Result<TestRunOutput> run_loaded_program(Runtime& runtime, const Object& object, const LoadedProgram& program,
                                         EngineKind kind, const TestRunInput& input, bool verify) {
  const ObjectProgram& p = object.programs()[program.index];
  auto engine = runtime.engine_options(p.program, program.map_handles);
  if (!engine) {
    return with_context(engine.take_error(), fmt::format("program '{}'", p.name));
  }
  TestRunOptions options;
  options.engine = std::move(*engine);
  options.verify = verify;
  options.maps = runtime.verifier_maps(program.map_handles);
  auto out = test_run(kind, p.program, p.type, std::move(options), input);
  if (!out) {
    return with_context(out.take_error(), fmt::format("program '{}' (section '{}')", p.name, p.section));
  }
  return out;
}

}  // namespace bpfrt
