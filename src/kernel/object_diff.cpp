// diff_object_program: the same program and input through the interpreter, the JIT and the kernel.
#include "bpfrt/object_diff.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "bpfrt/object_loader.hpp"
#include "bpfrt/runtime.hpp"

namespace bpfrt {
namespace {

std::string hex_prefix(const std::vector<uint8_t>& a, size_t at) {
  std::string s;
  for (size_t i = at; i < a.size() && i < at + 8; ++i) {
    s += fmt::format("{}{:02x}", i == at ? "" : " ", a[i]);
  }
  return s.empty() ? "(end)" : s;
}

// "data_out: interp 98 bytes, kernel 98 bytes; first difference at byte 12: ..."
std::string bytes_difference(const char* what, const std::vector<uint8_t>& a, const std::string& an,
                             const std::vector<uint8_t>& b, const std::string& bn) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    ++i;
  }
  return fmt::format("{}: {} {} bytes, {} {} bytes; first difference at byte {}: {} [{}] vs {} [{}]", what, an,
                     a.size(), bn, b.size(), i, an, hex_prefix(a, i), bn, hex_prefix(b, i));
}

Result<DiffLeg> run_bpfrt(const Object& obj, const ObjectProgram& p, EngineKind kind, const TestRunInput& input) {
  DiffLeg leg;
  leg.name = kind == EngineKind::kJit ? "jit" : "interp";
  RegistryOptions ro;
  ro.name = "";  // private: fresh maps
  auto rt = Runtime::open(ro);
  if (!rt) {
    return rt.take_error();
  }
  ObjectLoadOptions lo;
  lo.programs = {p.name};
  auto loaded = load_object(**rt, obj, lo);
  if (!loaded) {
    return loaded.take_error();
  }
  const LoadedProgram* lp = loaded->find_program(p.name);
  auto out = run_loaded_program(**rt, obj, *lp, kind, input);
  if (!out) {
    leg.failed = true;
    leg.error = out.error().message;
  } else {
    leg.out = std::move(*out);
  }
  for (const LoadedMap& m : loaded->maps) {
    auto map = (*rt)->map(m.handle);
    if (!map) {
      return map.take_error();
    }
    leg.maps.push_back(read_map_contents(m.name, **map));
  }
  return leg;
}

Result<DiffLeg> run_kernel(const std::string& path, const Object& obj, const ObjectProgram& p,
                           const TestRunInput& input, const DiffOptions& options, std::vector<std::string>& notes) {
  DiffLeg leg;
  leg.name = "kernel";
  if (!kernel_can_test_run(p.type)) {
    leg.skipped = fmt::format("the kernel's BPF_PROG_TEST_RUN does not run {} programs", prog_type_name(p.type));
    return leg;
  }
  KernelLoadOptions ko;
  ko.btf_path = options.btf_path;
  ko.programs = {p.name};
  ko.initial_values = &obj;
  const bool legacy =
      std::any_of(obj.maps().begin(), obj.maps().end(), [](const ObjectMap& m) { return m.section == "maps"; });
  if (legacy) {
    leg.skipped = "libbpf 1.x no longer opens objects with a legacy `maps` section (SEC(\"maps\"))";
    return leg;
  }
  auto k = KernelObject::load(path, ko);
  if (!k) {
    return k.take_error();
  }
  auto out = k->test_run(p.name, input);
  if (!out) {
    leg.failed = true;
    leg.error = out.error().message;
  } else {
    leg.out = std::move(*out);
  }
  for (const ObjectMap& m : obj.maps()) {
    const KernelMapInfo* km = k->find_map(m.name);
    if (km == nullptr) {
      notes.push_back(fmt::format("map '{}': libbpf did not create it in the kernel; not compared", m.name));
      MapContents none;
      none.name = m.name;
      none.not_compared = "not in the kernel object";
      leg.maps.push_back(std::move(none));
      continue;
    }
    auto contents = read_kernel_map_contents(*km);
    if (!contents) {
      return contents.take_error();
    }
    contents->name = m.name;
    leg.maps.push_back(std::move(*contents));
  }
  return leg;
}

void compare(const DiffLeg& a, const DiffLeg& b, ProgType type, std::vector<std::string>& out) {
  if (a.failed || b.failed) {
    if (a.failed != b.failed) {
      out.push_back(fmt::format("outcome: {} {}, {} {}", a.name, a.failed ? "fails (" + a.error + ")" : "runs", b.name,
                                b.failed ? "fails (" + b.error + ")" : "runs"));
    }
    return;
  }
  // The kernel reports a 32-bit retval.
  const bool kernel = a.name == "kernel" || b.name == "kernel";
  const uint64_t ra = kernel ? static_cast<uint32_t>(a.out.retval) : a.out.retval;
  const uint64_t rb = kernel ? static_cast<uint32_t>(b.out.retval) : b.out.retval;
  if (ra != rb) {
    out.push_back(fmt::format("retval: {} 0x{:x}, {} 0x{:x}", a.name, ra, b.name, rb));
  }
  if (is_packet_program(type) && a.out.data_out != b.out.data_out) {
    out.push_back(bytes_difference("data_out", a.out.data_out, a.name, b.out.data_out, b.name));
  }
  if (!a.out.ctx_out.empty() && !b.out.ctx_out.empty()) {
    const size_t n = std::min(a.out.ctx_out.size(), b.out.ctx_out.size());
    const std::vector<uint8_t> ca(a.out.ctx_out.begin(), a.out.ctx_out.begin() + static_cast<ptrdiff_t>(n));
    const std::vector<uint8_t> cb(b.out.ctx_out.begin(), b.out.ctx_out.begin() + static_cast<ptrdiff_t>(n));
    if (ca != cb) {
      out.push_back(bytes_difference("ctx_out", ca, a.name, cb, b.name));
    }
  }
  for (size_t i = 0; i < a.maps.size() && i < b.maps.size(); ++i) {
    for (std::string& d : compare_map_contents(a.maps[i], a.name, b.maps[i], b.name)) {
      out.push_back(std::move(d));
    }
  }
}

}  // namespace

Result<DiffReport> diff_object_program(const std::string& path, std::string_view program, const TestRunInput& input,
                                       const DiffOptions& options) {
  OpenOptions oo;
  oo.target_btf_path = options.btf_path;
  auto obj = Object::open(path, oo);
  if (!obj) {
    return obj.take_error();
  }
  for (const auto& [name, bytes] : options.globals) {
    BPFRT_TRY(obj->set_global(name, std::span<const uint8_t>(bytes)));
  }
  const ObjectProgram* p = nullptr;
  if (program.empty()) {
    if (obj->programs().size() != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: has {} programs; name one (OBJ.o:PROG)", path, obj->programs().size()));
    }
    p = &obj->programs()[0];
  } else {
    p = obj->find_program(program);
    if (p == nullptr) {
      return make_error(ErrorCode::kNotFound, fmt::format("{}: no program '{}'", path, program));
    }
  }
  DiffReport report;
  report.program = p->name;
  report.type = p->type;
  if (options.interpreter) {
    auto leg = run_bpfrt(*obj, *p, EngineKind::kInterpreter, input);
    if (!leg) {
      return leg.take_error();
    }
    report.legs.push_back(std::move(*leg));
  }
  if (options.jit) {
    auto leg = run_bpfrt(*obj, *p, EngineKind::kJit, input);
    if (!leg) {
      return leg.take_error();
    }
    report.legs.push_back(std::move(*leg));
  }
  if (options.kernel) {
    auto leg = run_kernel(path, *obj, *p, input, options, report.notes);
    if (!leg) {
      return leg.take_error();
    }
    report.legs.push_back(std::move(*leg));
  }
  if (!report.legs.empty()) {
    for (const MapContents& m : report.legs.front().maps) {
      if (!m.not_compared.empty()) {
        report.notes.push_back(
            fmt::format("map '{}' ({}): not compared: {}", m.name, map_type_name(m.type), m.not_compared));
      }
    }
  }
  // Every leg that ran against the first one that ran.
  const DiffLeg* base = nullptr;
  for (const DiffLeg& leg : report.legs) {
    if (!leg.skipped.empty()) {
      continue;
    }
    if (base == nullptr) {
      base = &leg;
      continue;
    }
    compare(*base, leg, p->type, report.differences);
  }
  return report;
}

}  // namespace bpfrt
