// Export and import of a whole registry as JSON (format described in docs/maps.md): maps with their
// contents, programs with their bytecode, links and perf events. Export is deterministic (objects by
// handle, entries by key), so export -> import into an empty registry -> export is byte-identical.
// Import validates the whole document before creating anything and removes what it created if a
// step fails, so a bad document leaves the registry as it was.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bpfrt/runtime.hpp"

namespace bpfrt {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "bpfrt-registry";
constexpr int kVersion = 1;

std::string to_hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}
std::string to_hex(const std::vector<uint8_t>& v) {
  return to_hex(v.data(), v.size());
}

bool from_hex(const std::string& s, std::vector<uint8_t>& out) {
  if (s.size() % 2 != 0) {
    return false;
  }
  out.resize(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      const char c = s[2 * i + static_cast<size_t>(k)];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) {
        return false;
      }
      v = v * 16 + d;
    }
    out[i] = static_cast<uint8_t>(v);
  }
  return true;
}

bool has_items(MapType t) {
  return t == MapType::kQueue || t == MapType::kStack || t == MapType::kBloomFilter || t == MapType::kRingbuf ||
         t == MapType::kStackTrace;
}
bool has_entries(MapType t) {
  return !has_items(t) && t != MapType::kPerfEventArray;
}
bool is_array(MapType t) {
  return t == MapType::kArray || t == MapType::kPercpuArray;
}

json spec_json(const MapSpec& s) {
  json j;
  j["type"] = map_type_name(s.type);
  j["key_size"] = s.key_size;
  j["value_size"] = s.value_size;
  j["max_entries"] = s.max_entries;
  j["flags"] = s.flags;
  j["map_extra"] = s.map_extra;
  if (s.spin_lock_offset >= 0) {
    j["spin_lock_offset"] = s.spin_lock_offset;
  }
  return j;
}

json export_contents(Map& map) {
  json entries = json::array();
  const MapType t = map.type();
  if (has_items(t)) {
    for (const auto& item : map.export_items()) {
      entries.push_back(to_hex(item));
    }
    return entries;
  }
  if (!has_entries(t)) {
    return entries;
  }
  std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> all;
  std::vector<uint8_t> key(map.key_size()), next(map.key_size()), value(map.user_value_size());
  bool first = true;
  for (size_t guard = 0; guard <= map.max_entries(); ++guard) {
    if (map.get_next_key(first ? nullptr : key.data(), next.data()) != 0) {
      break;
    }
    key = next;
    first = false;
    if (map.lookup(key.data(), value.data(), 0) != 0) {
      continue;
    }
    // Arrays start zeroed: only what differs from that is content.
    if (is_array(t) && std::all_of(value.begin(), value.end(), [](uint8_t b) { return b == 0; })) {
      continue;
    }
    all.emplace_back(key, value);
  }
  std::sort(all.begin(), all.end());
  const size_t stride = (map.value_size() + 7) / 8 * 8;
  for (const auto& [k, v] : all) {
    json e;
    e["key"] = to_hex(k);
    if (map.is_percpu()) {
      json values = json::array();
      for (uint32_t cpu = 0; cpu < map.ncpus(); ++cpu) {
        values.push_back(to_hex(v.data() + cpu * stride, map.value_size()));
      }
      e["values"] = values;
    } else {
      e["value"] = to_hex(v);
    }
    entries.push_back(e);
  }
  return entries;
}

// ---- import: parse everything first ----

struct ImportMap {
  uint32_t handle;
  MapSpec spec;
  std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> entries;
  std::vector<std::vector<uint8_t>> items;
};
struct ImportProgram {
  uint32_t handle;
  ProgramSpec spec;
};

// Reads fields, remembering the first error with the path of the field.
class Reader {
 public:
  bool failed() const { return !error_.empty(); }
  Error error() const { return make_error(ErrorCode::kInvalidArgument, "import: " + error_); }
  bool fail(const std::string& path, const std::string& what) {
    if (error_.empty()) {
      error_ = path + ": " + what;
    }
    return false;
  }
  bool object(const json& j, const std::string& path) { return j.is_object() || fail(path, "expected an object"); }
  bool uint(const json& j, const std::string& path, const char* field, uint64_t& out, uint64_t max,
            bool required = true, uint64_t fallback = 0) {
    if (!j.contains(field)) {
      out = fallback;
      return !required || fail(path + "." + field, "missing");
    }
    const json& v = j[field];
    if (!v.is_number_unsigned() || v.get<uint64_t>() > max) {
      return fail(path + "." + field, fmt::format("expected an unsigned integer up to {}", max));
    }
    out = v.get<uint64_t>();
    return true;
  }
  bool sint(const json& j, const std::string& path, const char* field, int64_t& out, int64_t lo, int64_t hi,
            int64_t fallback) {
    if (!j.contains(field)) {
      out = fallback;
      return true;
    }
    const json& v = j[field];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
      return fail(path + "." + field, fmt::format("expected an integer from {} to {}", lo, hi));
    }
    out = v.get<int64_t>();
    return true;
  }
  bool str(const json& j, const std::string& path, const char* field, std::string& out, bool required = true) {
    if (!j.contains(field)) {
      return !required || fail(path + "." + field, "missing");
    }
    if (!j[field].is_string()) {
      return fail(path + "." + field, "expected a string");
    }
    out = j[field].get<std::string>();
    return true;
  }
  bool hex(const json& v, const std::string& path, size_t expected, std::vector<uint8_t>& out) {
    if (!v.is_string() || !from_hex(v.get<std::string>(), out)) {
      return fail(path, "expected a hex string");
    }
    if (expected != SIZE_MAX && out.size() != expected) {
      return fail(path, fmt::format("expected {} bytes, got {}", expected, out.size()));
    }
    return true;
  }
  bool array(const json& j, const std::string& path, const char* field, const json*& out) {
    static const json empty = json::array();
    if (!j.contains(field)) {
      out = &empty;
      return true;
    }
    if (!j[field].is_array()) {
      return fail(path + "." + field, "expected an array");
    }
    out = &j[field];
    return true;
  }

 private:
  std::string error_;
};

bool read_spec(Reader& rd, const json& j, const std::string& path, MapSpec& spec) {
  std::string type;
  uint64_t k = 0, v = 0, max = 0, flags = 0, extra = 0;
  int64_t lock = -1;
  if (!rd.str(j, path, "type", type) || !rd.uint(j, path, "key_size", k, UINT32_MAX) ||
      !rd.uint(j, path, "value_size", v, UINT32_MAX) || !rd.uint(j, path, "max_entries", max, UINT32_MAX) ||
      !rd.uint(j, path, "flags", flags, UINT32_MAX, false) ||
      !rd.uint(j, path, "map_extra", extra, UINT64_MAX, false) ||
      !rd.sint(j, path, "spin_lock_offset", lock, -1, INT32_MAX, -1)) {
    return false;
  }
  auto t = parse_map_type(type);
  if (!t) {
    return rd.fail(path + ".type", t.error().message);
  }
  spec.type = *t;
  spec.key_size = static_cast<uint32_t>(k);
  spec.value_size = static_cast<uint32_t>(v);
  spec.max_entries = static_cast<uint32_t>(max);
  spec.flags = static_cast<uint32_t>(flags);
  spec.map_extra = extra;
  spec.spin_lock_offset = static_cast<int32_t>(lock);
  return true;
}

bool read_map(Reader& rd, const json& j, const std::string& path, ImportMap& m) {
  uint64_t handle = 0;
  if (!rd.object(j, path) || !rd.uint(j, path, "handle", handle, UINT32_MAX) || !rd.str(j, path, "name", m.spec.name) ||
      !read_spec(rd, j, path, m.spec)) {
    return false;
  }
  m.handle = static_cast<uint32_t>(handle);
  if (j.contains("kernel")) {
    return rd.fail(path + ".kernel",
                   "the map was a kernel map when exported; import makes maps in shared memory and cannot re-create "
                   "or reattach kernel maps (load the object again with `bpfrt load --target shared`, or delete "
                   "the \"kernel\" field to import the contents as a bpfrt map)");
  }
  if (j.contains("inner")) {
    auto inner = std::make_shared<MapSpec>();
    if (!rd.object(j["inner"], path + ".inner") || !read_spec(rd, j["inner"], path + ".inner", *inner)) {
      return false;
    }
    m.spec.inner = std::move(inner);
  }
  std::string why;
  if (const int rc = check_map_spec(m.spec, &why); rc != 0) {
    return rd.fail(path, why);
  }
  const json* entries = nullptr;
  if (!rd.array(j, path, "entries", entries)) {
    return false;
  }
  const bool percpu = m.spec.type == MapType::kPercpuHash || m.spec.type == MapType::kPercpuArray ||
                      m.spec.type == MapType::kLruPercpuHash;
  const size_t stride = (m.spec.value_size + 7) / 8 * 8;
  for (size_t i = 0; i < entries->size(); ++i) {
    const json& e = (*entries)[i];
    const std::string epath = fmt::format("{}.entries[{}]", path, i);
    if (has_items(m.spec.type)) {
      std::vector<uint8_t> item;
      if (!rd.hex(e, epath, SIZE_MAX, item)) {
        return false;
      }
      m.items.push_back(std::move(item));
      continue;
    }
    if (!has_entries(m.spec.type)) {
      return rd.fail(epath, fmt::format("{} maps have no entries to import", map_type_name(m.spec.type)));
    }
    std::vector<uint8_t> key, value;
    if (!rd.object(e, epath) || !e.contains("key") || !rd.hex(e["key"], epath + ".key", m.spec.key_size, key)) {
      return rd.failed() ? false : rd.fail(epath + ".key", "missing");
    }
    if (percpu) {
      if (!e.contains("values") || !e["values"].is_array()) {
        return rd.fail(epath + ".values", "expected an array of per-CPU values");
      }
      value.assign(possible_cpus() * stride, 0);
      const json& values = e["values"];
      for (size_t cpu = 0; cpu < values.size(); ++cpu) {
        std::vector<uint8_t> one;
        if (!rd.hex(values[cpu], fmt::format("{}.values[{}]", epath, cpu), m.spec.value_size, one)) {
          return false;
        }
        if (cpu < possible_cpus()) {  // a machine with fewer CPUs keeps what fits
          std::memcpy(value.data() + cpu * stride, one.data(), one.size());
        }
      }
    } else if (!e.contains("value") || !rd.hex(e["value"], epath + ".value", m.spec.value_size, value)) {
      return rd.failed() ? false : rd.fail(epath + ".value", "missing");
    }
    m.entries.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

bool read_program_json(Reader& rd, const json& j, const std::string& path, ImportProgram& p) {
  uint64_t handle = 0;
  std::string type = "raw", insns_hex;
  if (!rd.object(j, path) || !rd.uint(j, path, "handle", handle, UINT32_MAX) || !rd.str(j, path, "name", p.spec.name) ||
      !rd.str(j, path, "type", type, false) || !rd.str(j, path, "license", p.spec.license, false) ||
      !rd.str(j, path, "insns", insns_hex)) {
    return false;
  }
  p.handle = static_cast<uint32_t>(handle);
  auto t = parse_prog_type(type);
  if (!t) {
    return rd.fail(path + ".type", t.error().message);
  }
  p.spec.type = *t;
  std::vector<uint8_t> bytes;
  if (!rd.hex(j["insns"], path + ".insns", SIZE_MAX, bytes)) {
    return false;
  }
  auto program = Program::decode(bytes);
  if (!program) {
    return rd.fail(path + ".insns", program.error().message);
  }
  p.spec.program = std::move(*program);
  const json* maps = nullptr;
  if (!rd.array(j, path, "maps", maps)) {
    return false;
  }
  for (size_t i = 0; i < maps->size(); ++i) {
    if (!(*maps)[i].is_number_unsigned() || (*maps)[i].get<uint64_t>() > UINT32_MAX) {
      return rd.fail(fmt::format("{}.maps[{}]", path, i), "expected a map handle");
    }
    p.spec.map_handles.push_back(static_cast<uint32_t>((*maps)[i].get<uint64_t>()));
  }
  return true;
}

}  // namespace

Result<std::string> Runtime::export_json() {
  json doc;
  doc["format"] = kFormat;
  doc["version"] = kVersion;
  json maps = json::array();
  for (const RegistryMapInfo& info : list_maps()) {
    if (info.name.starts_with(".")) {
      continue;  // bpfrt's own (the trace pipe)
    }
    auto m = map(info.handle);
    if (!m) {
      return m.take_error();
    }
    json j = spec_json(info.spec);
    j["handle"] = info.handle;
    j["name"] = info.name;
    if (info.spec.inner) {
      j["inner"] = spec_json(*info.spec.inner);
    }
    if (info.kernel.id != 0) {  // a snapshot of the kernel map's contents; import refuses the reference
      j["kernel"] = {{"id", info.kernel.id}, {"name", info.kernel.kernel_name}, {"pin", info.kernel.pin_path}};
    }
    j["entries"] = export_contents(**m);
    maps.push_back(j);
  }
  doc["maps"] = maps;
  json programs = json::array();
  for (const ProgramInfo& info : list_programs()) {
    auto spec = read_program(info.handle);
    if (!spec) {
      return spec.take_error();
    }
    json j;
    j["handle"] = info.handle;
    j["name"] = info.name;
    j["type"] = prog_type_name(info.type);
    j["license"] = spec->license;
    j["insns"] = to_hex(spec->program->bytes());
    j["maps"] = spec->map_handles;
    programs.push_back(j);
  }
  doc["programs"] = programs;
  json links = json::array();
  for (const LinkInfo& l : list_links()) {
    links.push_back({{"handle", l.handle},
                     {"name", l.name},
                     {"program", l.program},
                     {"attach_type", l.attach_type},
                     {"target", l.target},
                     {"cookie", l.cookie}});
  }
  doc["links"] = links;
  json events = json::array();
  for (const PerfEventInfo& p : list_perf_events()) {
    events.push_back({{"handle", p.handle},
                      {"name", p.name},
                      {"event_type", p.event_type},
                      {"target", p.target},
                      {"config", p.config},
                      {"cpu", p.cpu},
                      {"program", p.program}});
  }
  doc["perf_events"] = events;
  return doc.dump(2) + "\n";
}

Status Runtime::import_json(std::string_view text) {
  const json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "import: the document is not a JSON object");
  }
  Reader rd;
  std::string format;
  uint64_t version = 0;
  if (!rd.str(doc, "$", "format", format) || !rd.uint(doc, "$", "version", version, 1000)) {
    return rd.error();
  }
  if (format != kFormat || version != static_cast<uint64_t>(kVersion)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("import: expected format \"{}\" version {}, got \"{}\" version {}", kFormat, kVersion,
                                  format, version));
  }
  // 1. Read and check everything.
  std::vector<ImportMap> maps;
  std::vector<ImportProgram> programs;
  std::vector<LinkInfo> links;
  std::vector<PerfEventInfo> events;
  const json* arr = nullptr;
  if (rd.array(doc, "$", "maps", arr)) {
    for (size_t i = 0; i < arr->size() && !rd.failed(); ++i) {
      maps.emplace_back();
      read_map(rd, (*arr)[i], fmt::format("maps[{}]", i), maps.back());
    }
  }
  if (!rd.failed() && rd.array(doc, "$", "programs", arr)) {
    for (size_t i = 0; i < arr->size() && !rd.failed(); ++i) {
      programs.emplace_back();
      read_program_json(rd, (*arr)[i], fmt::format("programs[{}]", i), programs.back());
    }
  }
  if (!rd.failed() && rd.array(doc, "$", "links", arr)) {
    for (size_t i = 0; i < arr->size() && !rd.failed(); ++i) {
      const std::string path = fmt::format("links[{}]", i);
      LinkInfo l;
      uint64_t handle = 0, program = 0;
      if (rd.object((*arr)[i], path) && rd.uint((*arr)[i], path, "handle", handle, UINT32_MAX) &&
          rd.str((*arr)[i], path, "name", l.name) && rd.uint((*arr)[i], path, "program", program, UINT32_MAX) &&
          rd.str((*arr)[i], path, "attach_type", l.attach_type, false) &&
          rd.str((*arr)[i], path, "target", l.target, false) &&
          rd.uint((*arr)[i], path, "cookie", l.cookie, UINT64_MAX, false)) {
        l.handle = static_cast<uint32_t>(handle);
        l.program = static_cast<uint32_t>(program);
        links.push_back(std::move(l));
      }
    }
  }
  if (!rd.failed() && rd.array(doc, "$", "perf_events", arr)) {
    for (size_t i = 0; i < arr->size() && !rd.failed(); ++i) {
      const std::string path = fmt::format("perf_events[{}]", i);
      PerfEventInfo p;
      uint64_t handle = 0, program = 0;
      int64_t cpu = -1;
      if (rd.object((*arr)[i], path) && rd.uint((*arr)[i], path, "handle", handle, UINT32_MAX) &&
          rd.str((*arr)[i], path, "name", p.name) && rd.str((*arr)[i], path, "event_type", p.event_type, false) &&
          rd.str((*arr)[i], path, "target", p.target, false) &&
          rd.uint((*arr)[i], path, "config", p.config, UINT64_MAX, false) &&
          rd.sint((*arr)[i], path, "cpu", cpu, -1, INT32_MAX, -1) &&
          rd.uint((*arr)[i], path, "program", program, UINT32_MAX, false)) {
        p.handle = static_cast<uint32_t>(handle);
        p.program = static_cast<uint32_t>(program);
        p.cpu = static_cast<int32_t>(cpu);
        events.push_back(std::move(p));
      }
    }
  }
  if (rd.failed()) {
    return rd.error();
  }
  // References must point inside the document; names must be free here.
  std::map<uint32_t, const ImportMap*> map_by_old;
  std::map<uint32_t, const ImportProgram*> prog_by_old;
  for (const ImportMap& m : maps) {
    if (!map_by_old.emplace(m.handle, &m).second) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("import: two maps have handle {}", m.handle));
    }
    if (find(ObjectKind::kMap, m.spec.name)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("import: a map named '{}' already exists", m.spec.name));
    }
  }
  for (const ImportProgram& p : programs) {
    if (!prog_by_old.emplace(p.handle, &p).second) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("import: two programs have handle {}", p.handle));
    }
    if (find(ObjectKind::kProgram, p.spec.name)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("import: a program named '{}' already exists", p.spec.name));
    }
    for (size_t i = 0; i < p.spec.program->size(); ++i) {
      const Instruction& insn = (*p.spec.program)[i];
      const OpInfo* op = p.spec.program->op_at(i);
      if (op != nullptr && op->form == Form::kLddw &&
          (insn.src == static_cast<uint8_t>(LddwSrc::kMapFd) || insn.src == static_cast<uint8_t>(LddwSrc::kMapValue)) &&
          !map_by_old.contains(static_cast<uint32_t>(insn.imm))) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("import: program '{}' instruction {} refers to map {}, which is not in the "
                                      "document",
                                      p.spec.name, i, insn.imm));
      }
    }
    for (uint32_t h : p.spec.map_handles) {
      if (!map_by_old.contains(h)) {
        return make_error(
            ErrorCode::kInvalidArgument,
            fmt::format("import: program '{}' lists map {}, which is not in the document", p.spec.name, h));
      }
    }
  }

  // 2. Create, remembering what to undo.
  std::vector<std::pair<ObjectKind, uint32_t>> created;
  auto undo = [&](Error e) -> Status {
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      (void)remove(it->first, it->second);
    }
    e.message = "import: " + e.message;
    return e;
  };
  std::map<uint32_t, uint32_t> new_map, new_prog;
  for (const ImportMap& m : maps) {
    auto h = create_map_at(m.spec, m.handle);
    if (!h) {
      return undo(h.take_error());
    }
    created.emplace_back(ObjectKind::kMap, *h);
    new_map[m.handle] = *h;
  }
  for (const ImportProgram& p : programs) {
    ProgramSpec spec = p.spec;
    std::vector<Instruction> insns(spec.program->instructions().begin(), spec.program->instructions().end());
    for (size_t i = 0; i < insns.size(); ++i) {
      const OpInfo* op = spec.program->op_at(i);
      if (op != nullptr && op->form == Form::kLddw &&
          (insns[i].src == static_cast<uint8_t>(LddwSrc::kMapFd) ||
           insns[i].src == static_cast<uint8_t>(LddwSrc::kMapValue))) {
        insns[i].imm = static_cast<int32_t>(new_map.at(static_cast<uint32_t>(insns[i].imm)));
      }
    }
    auto rewritten = Program::from_instructions(std::move(insns));
    if (!rewritten) {
      return undo(rewritten.take_error());
    }
    spec.program = std::move(*rewritten);
    for (uint32_t& h : spec.map_handles) {
      h = new_map.at(h);
    }
    auto h = load_program_at(spec, p.handle);
    if (!h) {
      return undo(h.take_error());
    }
    created.emplace_back(ObjectKind::kProgram, *h);
    new_prog[p.handle] = *h;
  }
  // Contents, now that every map and program a value may name exists.
  for (const ImportMap& m : maps) {
    auto opened = map(new_map.at(m.handle));
    if (!opened) {
      return undo(opened.take_error());
    }
    Map& target = **opened;
    for (const auto& [key, value] : m.entries) {
      std::vector<uint8_t> v = value;
      if (m.spec.type == MapType::kProgArray || m.spec.type == MapType::kArrayOfMaps ||
          m.spec.type == MapType::kHashOfMaps) {
        uint32_t ref;
        std::memcpy(&ref, v.data(), 4);
        const auto& table = m.spec.type == MapType::kProgArray ? new_prog : new_map;
        auto it = table.find(ref);
        if (it == table.end()) {
          return undo(make_error(ErrorCode::kInvalidArgument,
                                 fmt::format("map '{}' holds {} {}, which is not in the document", m.spec.name,
                                             m.spec.type == MapType::kProgArray ? "program" : "map", ref)));
        }
        std::memcpy(v.data(), &it->second, 4);
      }
      if (const int rc = target.update(key.data(), v.data(), 0); rc != 0) {
        return undo(make_error(ErrorCode::kInvalidArgument,
                               fmt::format("map '{}': cannot store an entry: {}", m.spec.name, std::strerror(-rc))));
      }
    }
    if (const int rc = target.import_items(m.items); rc != 0) {
      return undo(make_error(ErrorCode::kInvalidArgument, fmt::format("map '{}': cannot restore its contents: {}",
                                                                      m.spec.name, std::strerror(-rc))));
    }
  }
  for (LinkInfo l : links) {
    if (l.program != 0) {
      auto it = new_prog.find(l.program);
      l.program = it != new_prog.end() ? it->second : 0;
    }
    auto h = add_link(l);
    if (!h) {
      return undo(h.take_error());
    }
    created.emplace_back(ObjectKind::kLink, *h);
  }
  for (PerfEventInfo p : events) {
    if (p.program != 0) {
      auto it = new_prog.find(p.program);
      p.program = it != new_prog.end() ? it->second : 0;
    }
    auto h = add_perf_event(p);
    if (!h) {
      return undo(h.take_error());
    }
    created.emplace_back(ObjectKind::kPerfEvent, *h);
  }
  return {};
}

}  // namespace bpfrt
