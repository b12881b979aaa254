// `bpfrt object show`, and the object forms of `bpfrt run OBJ.o[:PROG]` and `bpfrt disasm OBJ.o[:PROG]`.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bpfrt/object.hpp"
#include "bpfrt/test_run.hpp"

#include "commands.hpp"
#include "object_cli.hpp"
#include "program_input.hpp"

namespace bpfrt::cli {
namespace {

using nlohmann::json;

bool is_elf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic,
                                          "\x7f"
                                          "ELF",
                                          4) == 0;
}

std::string hex_bytes(std::span<const uint8_t> bytes, size_t max = SIZE_MAX) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    out += fmt::format("{}{:02x}", i == 0 ? "" : " ", bytes[i]);
  }
  if (bytes.size() > max) {
    out += fmt::format(" ... ({} bytes)", bytes.size());
  }
  return out;
}

std::string attach_text(const AttachPoint& a) {
  switch (a.kind) {
    case AttachKind::kNone:
      return "";
    case AttachKind::kTracepoint:
      return a.target.empty() ? "tracepoint" : fmt::format("tracepoint {}/{}", a.category, a.target);
    case AttachKind::kUprobe:
      return a.target.empty() ? std::string(a.is_return ? "uretprobe" : "uprobe")
                              : fmt::format("{} {}:{}{}", a.is_return ? "uretprobe" : "uprobe", a.binary, a.target,
                                            a.offset != 0 ? fmt::format("+0x{:x}", a.offset) : "");
    case AttachKind::kUsdt:
      return a.target.empty() ? "usdt" : fmt::format("usdt {}:{}:{}", a.binary, a.category, a.target);
    case AttachKind::kKprobe:
      return fmt::format("{} {}{}", a.is_return ? "kretprobe" : "kprobe", a.target,
                         a.offset != 0 ? fmt::format("+0x{:x}", a.offset) : "");
    default:
      return fmt::format("{}{}{}", attach_kind_name(a.kind), a.is_return ? " (return)" : "",
                         a.target.empty() ? "" : " " + a.target);
  }
}

json map_json(const ObjectMap& m) {
  json j = {{"name", m.name},
            {"section", m.section},
            {"origin", map_origin_name(m.origin)},
            {"type", map_type_name(m.type)},
            {"type_id", m.type},
            {"key_size", m.key_size},
            {"value_size", m.value_size},
            {"max_entries", m.max_entries},
            {"flags", m.flags},
            {"numa_node", m.numa_node},
            {"map_extra", m.map_extra},
            {"pinning", m.pinning == MapPinning::kByName ? "by_name" : "none"},
            {"btf_key_type_id", m.btf_key_type_id},
            {"btf_value_type_id", m.btf_value_type_id},
            {"read_only", m.read_only}};
  if (m.inner) {
    j["inner"] = map_json(*m.inner);
  }
  if (!m.init_slots.empty()) {
    json slots = json::array();
    for (const auto& s : m.init_slots) {
      slots.push_back({{"index", s.index}, {"target", s.target}, {"target_index", s.target_index}});
    }
    j["init_slots"] = slots;
  }
  if (m.is_global_data()) {
    j["initial_value"] = hex_bytes(m.initial_value);
  }
  return j;
}

json program_json(const Object& obj, const ObjectProgram& p) {
  json relocs = json::array();
  for (const auto& r : p.relocations) {
    json jr = {{"insn", r.insn}, {"kind", relocation_kind_name(r.kind)}, {"symbol", r.symbol}};
    if (r.kind == AppliedRelocation::Kind::kMap || r.kind == AppliedRelocation::Kind::kMapValue) {
      jr["map"] = obj.maps()[r.map_index].name;
      jr["map_index"] = r.map_index;
      jr["offset"] = r.offset;
    } else {
      jr["function"] = r.function;
    }
    relocs.push_back(jr);
  }
  json core = json::array();
  for (const auto& c : p.core_relocations) {
    core.push_back({{"insn", c.insn},
                    {"kind", core_relo_kind_name(c.kind)},
                    {"type", c.type_name},
                    {"access", c.access},
                    {"spec", c.spec},
                    {"local_value", c.local_value},
                    {"target_value", c.target_value},
                    {"target_type_id", c.target_type_id},
                    {"poisoned", c.poisoned}});
  }
  json functions = json::array();
  for (const auto& f : p.functions) {
    functions.push_back({{"name", f.name}, {"start", f.start}, {"size", f.size}, {"global", f.global}});
  }
  std::vector<std::string> maps;
  for (uint32_t i : p.used_maps) {
    maps.push_back(obj.maps()[i].name);
  }
  const AttachPoint& a = p.attach;
  return {{"name", p.name},
          {"section", p.section},
          {"type", prog_type_name(p.type)},
          {"type_id", p.type},
          {"expected_attach_type", p.expected_attach_type == 0 ? "" : attach_type_name(p.expected_attach_type)},
          {"attach",
           {{"kind", attach_kind_name(a.kind)},
            {"target", a.target},
            {"category", a.category},
            {"binary", a.binary},
            {"offset", a.offset},
            {"return", a.is_return},
            {"sleepable", a.sleepable}}},
          {"insns", p.program.size()},
          {"functions", functions},
          {"maps", maps},
          {"relocations", relocs},
          {"core_relocations", core}};
}

void show_json(const Object& obj) {
  json programs = json::array();
  for (const auto& p : obj.programs()) {
    programs.push_back(program_json(obj, p));
  }
  json maps = json::array();
  for (const auto& m : obj.maps()) {
    maps.push_back(map_json(m));
  }
  json globals = json::array();
  for (const auto& g : obj.globals()) {
    globals.push_back({{"name", g.name},
                       {"map", obj.maps()[g.map_index].name},
                       {"offset", g.offset},
                       {"size", g.size},
                       {"static", g.is_static}});
  }
  json j = {{"name", obj.name()},
            {"license", obj.license()},
            {"kernel_version", obj.kernel_version()},
            {"core_target", obj.core_target()},
            {"programs", programs},
            {"maps", maps},
            {"globals", globals}};
  std::cout << j.dump(2) << '\n';
}

std::string map_line(const ObjectMap& m) {
  return fmt::format("{} key {} value {} max_entries {} flags 0x{:x}", map_type_name(m.type), m.key_size, m.value_size,
                     m.max_entries, m.flags);
}

void show_text(const Object& obj) {
  std::cout << fmt::format("object {}: license \"{}\", kernel version 0x{:x}\n", obj.name(), obj.license(),
                           obj.kernel_version());
  if (!obj.core_target().empty()) {
    std::cout << fmt::format("CO-RE target: {}\n", obj.core_target());
  }
  std::cout << fmt::format("programs ({}):\n", obj.programs().size());
  for (const auto& p : obj.programs()) {
    std::cout << fmt::format("  {}: section \"{}\", type {}", p.name, p.section, prog_type_name(p.type));
    if (p.expected_attach_type != 0) {
      std::cout << fmt::format(", expected attach {}", attach_type_name(p.expected_attach_type));
    }
    std::cout << fmt::format(", {} insns\n", p.program.size());
    if (const std::string a = attach_text(p.attach); !a.empty()) {
      std::cout << fmt::format("    attach: {}{}\n", a, p.attach.sleepable ? " (sleepable)" : "");
    }
    if (p.functions.size() > 1) {
      std::string fns;
      for (const auto& f : p.functions) {
        fns += fmt::format("{}{}@{}", fns.empty() ? "" : ", ", f.name, f.start);
      }
      std::cout << fmt::format("    functions: {}\n", fns);
    }
    for (const auto& r : p.relocations) {
      if (r.kind == AppliedRelocation::Kind::kMap) {
        std::cout << fmt::format("    insn {}: lddw map '{}' (#{})\n", r.insn, obj.maps()[r.map_index].name,
                                 r.map_index);
      } else if (r.kind == AppliedRelocation::Kind::kMapValue) {
        std::cout << fmt::format("    insn {}: lddw '{}'+{} (#{}, symbol {})\n", r.insn, obj.maps()[r.map_index].name,
                                 r.offset, r.map_index, r.symbol);
      } else {
        std::cout << fmt::format("    insn {}: {} {}\n", r.insn,
                                 r.kind == AppliedRelocation::Kind::kCall ? "call" : "lddw func", r.function);
      }
    }
    for (const auto& c : p.core_relocations) {
      std::cout << fmt::format("    insn {}: CO-RE {} {} ({}): {} -> {}{}\n", c.insn, core_relo_kind_name(c.kind),
                               c.spec, c.access, c.local_value, c.target_value,
                               c.poisoned ? " POISONED: " + c.note : "");
    }
  }
  std::cout << fmt::format("maps ({}):\n", obj.maps().size());
  for (size_t i = 0; i < obj.maps().size(); ++i) {
    const ObjectMap& m = obj.maps()[i];
    std::cout << fmt::format("  #{} {}: {} ({}{})\n", i, m.name, map_line(m), map_origin_name(m.origin),
                             m.read_only ? ", read-only" : "");
    if (m.pinning == MapPinning::kByName) {
      std::cout << "    pinning: by name\n";
    }
    if (m.inner) {
      std::cout << fmt::format("    inner: {}\n", map_line(*m.inner));
    }
    for (const auto& s : m.init_slots) {
      std::cout << fmt::format("    [{}] = {}\n", s.index, s.target);
    }
    if (m.is_global_data()) {
      std::cout << fmt::format("    initial value: {}\n", hex_bytes(m.initial_value, 32));
    }
  }
  if (!obj.globals().empty()) {
    std::cout << "globals:\n";
    for (const auto& g : obj.globals()) {
      std::cout << fmt::format("  {}: {}+{}, {} bytes{}\n", g.name, obj.maps()[g.map_index].name, g.offset, g.size,
                               g.is_static ? ", static" : "");
    }
  }
}

struct ShowArgs {
  std::string file;
  std::string btf;
  bool json = false;
  bool strict_core = false;
};

}  // namespace

ObjectArgument split_object_argument(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::exists(arg, ec)) {
    return {arg, ""};
  }
  const size_t colon = arg.rfind(':');
  if (colon == std::string::npos) {
    return {arg, ""};
  }
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

Object open_object(const std::string& path, const std::string& btf, bool strict_core) {
  OpenOptions options;
  options.target_btf_path = btf;
  options.strict_core = strict_core;
  return unwrap(Object::open(path, options));
}

std::string program_list(const Object& obj) {
  std::string out;
  for (const auto& p : obj.programs()) {
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", p.name, p.section);
  }
  return out;
}

// The programs an OBJ.o[:PROG] argument names: one, or all when PROG is not given.
std::vector<const ObjectProgram*> select_programs(const Object& obj, const ObjectArgument& arg, bool need_one) {
  if (!arg.program.empty()) {
    const ObjectProgram* p = obj.find_program(arg.program);
    if (p == nullptr) {
      fail(fmt::format("{}: no program '{}'; programs: {}", arg.path, arg.program, program_list(obj)));
    }
    return {p};
  }
  if (need_one && obj.programs().size() != 1) {
    fail(fmt::format("{}: has {} programs; choose one with {}:PROG ({})", arg.path, obj.programs().size(), arg.path,
                     program_list(obj)));
  }
  std::vector<const ObjectProgram*> all;
  for (const auto& p : obj.programs()) {
    all.push_back(&p);
  }
  return all;
}

bool is_object_argument(const std::string& arg) {
  const ObjectArgument a = split_object_argument(arg);
  std::error_code ec;
  return std::filesystem::is_regular_file(a.path, ec) && is_elf_file(a.path);
}

void disasm_object_command(const std::string& arg, bool indices) {
  const ObjectArgument a = split_object_argument(arg);
  const Object obj = open_object(a.path, "", false);
  const auto programs = select_programs(obj, a, false);
  for (size_t n = 0; n < programs.size(); ++n) {
    const ObjectProgram& p = *programs[n];
    std::cout << fmt::format("{}; program {}, section \"{}\", type {}, {} insns\n", n == 0 ? "" : "\n", p.name,
                             p.section, prog_type_name(p.type), p.program.size());
    size_t fn = 0;
    for (size_t i = 0; i < p.program.size(); ++i) {
      while (fn < p.functions.size() && p.functions[fn].start == i) {
        std::cout << p.functions[fn].name << ":\n";
        ++fn;
      }
      if (p.program.op_at(i) == nullptr) {
        continue;
      }
      std::string note;
      for (const auto& r : p.relocations) {
        if (r.insn == i && (r.kind == AppliedRelocation::Kind::kMap || r.kind == AppliedRelocation::Kind::kMapValue)) {
          note = fmt::format("  ; {}", obj.maps()[r.map_index].name);
        }
      }
      for (const auto& c : p.core_relocations) {
        if (c.insn == i) {
          note = fmt::format("  ; CO-RE {} {}{}", core_relo_kind_name(c.kind), c.spec, c.poisoned ? " (poisoned)" : "");
        }
      }
      std::cout << (indices ? fmt::format("{:5}: ", i) : std::string("    ")) << disassemble_one(p.program, i) << note
                << '\n';
    }
  }
}

void register_object_commands(CLI::App& app) {
  CLI::App* object = app.add_subcommand("object", "Inspect BPF ELF objects (clang -target bpf)");
  object->require_subcommand(1);
  auto args = std::make_shared<ShowArgs>();
  CLI::App* show = object->add_subcommand("show", "Programs, maps, relocations and CO-RE results of an object");
  show->add_option("OBJ", args->file, "BPF object file")->required();
  show->add_flag("-j,--json", args->json, "print JSON");
  show->add_option("--btf", args->btf, "resolve CO-RE relocations against this BTF instead of the running kernel's");
  show->add_flag("--strict-core", args->strict_core, "fail on CO-RE relocations that cannot be resolved");
  show->callback([args] {
    const Object obj = open_object(args->file, args->btf, args->strict_core);
    if (args->json) {
      show_json(obj);
    } else {
      show_text(obj);
    }
  });
}

}  // namespace bpfrt::cli
