// `bpfrt load`, `bpfrt unload`, `bpfrt diff`, and `bpfrt run OBJ.o[:PROG]`: BPF objects loaded into a
// registry (verifier on) or the kernel, run like BPF_PROG_TEST_RUN, and compared with the kernel.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "bpfrt/kernel_object.hpp"
#include "bpfrt/object_diff.hpp"
#include "bpfrt/object_loader.hpp"
#include "bpfrt/test_run.hpp"

#include "commands.hpp"
#include "object_cli.hpp"
#include "program_input.hpp"
#include "registry_cli.hpp"

namespace bpfrt::cli {
namespace {

// `--set NAME=VALUE`: a global variable's new initial value, an integer (decimal, 0x hex, negative)
// stored little-endian in the variable's size.
std::vector<std::pair<std::string, std::vector<uint8_t>>> parse_globals(const Object& obj,
                                                                        const std::vector<std::string>& sets) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  for (const std::string& set : sets) {
    const size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail(fmt::format("--set '{}': expected NAME=VALUE", set));
    }
    const std::string name = set.substr(0, eq);
    const std::string text = set.substr(eq + 1);
    const GlobalVariable* g = obj.find_global(name);
    if (g == nullptr) {
      std::string names;
      for (const GlobalVariable& v : obj.globals()) {
        names += (names.empty() ? "" : ", ") + v.name;
      }
      fail(fmt::format("--set: object '{}' has no global variable '{}' (globals: {})", obj.name(), name,
                       names.empty() ? "none" : names));
    }
    if (g->size == 0 || g->size > 8) {
      fail(fmt::format("--set: global '{}' is {} bytes; only integers of 1-8 bytes can be set here", name, g->size));
    }
    uint64_t value = 0;
    size_t used = 0;
    try {
      value = text.starts_with('-') ? static_cast<uint64_t>(std::stoll(text, &used, 0)) : std::stoull(text, &used, 0);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || text.empty()) {
      fail(fmt::format("--set {}: '{}' is not an integer", name, text));
    }
    const bool negative = text.starts_with('-');
    const uint64_t limit = g->size == 8 ? UINT64_MAX : (uint64_t{1} << (8 * g->size)) - 1;
    if (!negative && value > limit) {
      fail(fmt::format("--set {}: {} does not fit in its {} byte{}", name, text, g->size, g->size == 1 ? "" : "s"));
    }
    std::vector<uint8_t> bytes(g->size);
    for (uint32_t i = 0; i < g->size; ++i) {
      bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    }
    out.emplace_back(name, std::move(bytes));
  }
  return out;
}

void apply_globals(Object& obj, const std::vector<std::string>& sets) {
  for (const auto& [name, bytes] : parse_globals(obj, sets)) {
    check(obj.set_global(name, std::span<const uint8_t>(bytes)));
  }
}

struct LoadArgs {
  std::string file;
  std::vector<std::string> sets;
  std::string registry;
  std::string name;
  std::string btf;
  std::string target = "bpfrt";
  std::string pin_dir;
  std::vector<std::string> programs;
  bool no_verify = false;
  bool hold = false;
  int log_level = 0;
  OutputOptions out;
};

TestRunInput read_input(const std::string& data_in, const std::string& ctx_in, uint32_t repeat) {
  TestRunInput input;
  if (!data_in.empty()) {
    input.data_in = unwrap(read_file(data_in));
  }
  if (!ctx_in.empty()) {
    input.ctx_in = unwrap(read_file(ctx_in));
  }
  input.repeat = repeat;
  return input;
}

void print_output(const TestRunOutput& out, ProgType type, uint32_t repeat) {
  std::cout << fmt::format("retval: 0x{:x} ({})\n", out.retval, static_cast<int64_t>(out.retval));
  if (is_packet_program(type)) {
    std::cout << fmt::format("data_out ({} bytes):", out.data_out.size());
    for (size_t i = 0; i < out.data_out.size(); ++i) {
      std::cout << (i % 16 == 0 ? fmt::format("\n  {:04x}: ", i) : " ") << fmt::format("{:02x}", out.data_out[i]);
    }
    std::cout << '\n';
  } else if (!out.ctx_out.empty()) {
    std::cout << fmt::format("ctx_out ({} bytes): {}\n", out.ctx_out.size(),
                             hex_bytes(out.ctx_out.data(), out.ctx_out.size()));
  }
  std::cout << fmt::format("duration: {} ns (mean of {} run{})\n", out.duration_ns, repeat == 0 ? 1 : repeat,
                           repeat > 1 ? "s" : "");
}

void write_data_out(const std::string& path, const TestRunOutput& out) {
  if (path.empty()) {
    return;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(out.data_out.data()), static_cast<std::streamsize>(out.data_out.size()));
  if (!f) {
    fail(fmt::format("{}: cannot write", path));
  }
}

void print_contents(const MapContents& c) {
  if (!c.not_compared.empty()) {
    std::cout << fmt::format("  ({})\n", c.not_compared);
    return;
  }
  for (const auto& [key, values] : c.entries) {
    std::cout << "  key: " << hex_bytes(key.data(), key.size()) << "  value:";
    for (const auto& v : values) {
      std::cout << (values.size() > 1 ? "\n    " : " ") << hex_bytes(v.data(), v.size());
    }
    std::cout << '\n';
  }
  for (const auto& item : c.items) {
    std::cout << "  item: " << hex_bytes(item.data(), item.size()) << '\n';
  }
  std::cout << fmt::format("  Found {} element{}\n", c.entries.size() + c.items.size(),
                           c.entries.size() + c.items.size() == 1 ? "" : "s");
}

void run_in_kernel(const ObjectRunArgs& args, const ObjectArgument& a, const ObjectProgram& p, const Object& obj) {
  if (args.no_verify) {
    fail("--no-verify does not apply to --target kernel: the kernel always verifies");
  }
  KernelLoadOptions ko;
  ko.btf_path = args.btf;
  ko.programs = {p.name};
  ko.initial_values = &obj;
  const KernelObject k = unwrap(KernelObject::load(a.path, ko));
  const TestRunInput input = read_input(args.data_in, args.ctx_in, args.repeat);
  const TestRunOutput out = unwrap(k.test_run(p.name, input));
  print_output(out, p.type, args.repeat);
  write_data_out(args.data_out, out);
  if (args.show_maps) {
    for (uint32_t i : p.used_maps) {
      const KernelMapInfo* km = k.find_map(obj.maps()[i].name);
      if (km == nullptr) {
        continue;
      }
      std::cout << fmt::format("map {} ({}):\n", obj.maps()[i].name, map_type_name(km->spec.type));
      print_contents(unwrap(read_kernel_map_contents(*km)));
    }
  }
}

LoadedObject load_into(Runtime& rt, const Object& obj, ObjectLoadOptions options) {
  auto loaded = load_object(rt, obj, options);
  if (!loaded) {
    fail(loaded.error());
  }
  return std::move(*loaded);
}

void load_command(const LoadArgs& args) {
  const ObjectArgument a = split_object_argument(args.file);
  Object obj = open_object(a.path, args.btf, false);
  apply_globals(obj, args.sets);
  std::vector<std::string> programs = args.programs;
  if (!a.program.empty()) {
    programs.push_back(a.program);
  }
  if (args.hold && args.target != "shared") {
    fail("--hold applies to --target shared only");
  }
  if (args.target == "shared") {
    SharedLoadArgs s;
    s.path = a.path;
    s.programs = programs;
    s.registry = args.registry;
    s.name = args.name;
    s.btf = args.btf;
    s.pin_dir = args.pin_dir;
    s.hold = args.hold;
    s.no_verify = args.no_verify;
    s.log_level = args.log_level;
    if (args.no_verify) {
      warn_unverified();
    }
    load_shared_command(s, obj);
    return;
  }
  if (args.target == "kernel") {
    if (args.no_verify) {
      fail("--no-verify does not apply to --target kernel: the kernel always verifies");
    }
    KernelLoadOptions ko;
    ko.btf_path = args.btf;
    ko.programs = programs;
    ko.initial_values = &obj;
    ko.pin_dir = args.pin_dir.empty() ? fmt::format("/sys/fs/bpf/bpfrt/{}",
                                                    args.name.empty() ? default_load_name(obj.name()) : args.name)
                                      : args.pin_dir;
    if (!on_bpffs(ko.pin_dir)) {
      fail(
          fmt::format("{} is not on a BPF filesystem, so maps cannot be pinned there: mount one (mount -t bpf bpf "
                      "/sys/fs/bpf) or choose a directory on one with --pin-dir",
                      ko.pin_dir));
    }
    std::error_code ec;
    std::filesystem::create_directories(ko.pin_dir, ec);
    if (ec) {
      fail(fmt::format("cannot create the pin directory {}: {}", ko.pin_dir, ec.message()));
    }
    const KernelObject k = unwrap(KernelObject::load(a.path, ko));
    for (const KernelProgramInfo& p : k.programs()) {
      std::cout << fmt::format("loaded program {} ({}) into the kernel: {} fd {}\n", p.name, p.section,
                               prog_type_name(p.type), p.fd);
    }
    for (const KernelMapInfo& m : k.maps()) {
      std::cout << fmt::format("map {} ({}) pinned at {}/{}\n", m.name, map_type_name(m.spec.type), ko.pin_dir, m.name);
    }
    std::cout << fmt::format(
        "the programs stay loaded while their maps are pinned; they are not attached. "
        "Remove with: rm -r {}\n",
        ko.pin_dir);
    return;
  }
  if (args.no_verify) {
    warn_unverified();
  }
  auto rt = open_runtime(args.registry);
  NewRegistryGuard new_registry(*rt);
  ObjectLoadOptions options;
  options.name = args.name;
  options.programs = programs;
  options.verify = !args.no_verify;
  options.log_level = args.log_level;
  const LoadedObject loaded = load_into(*rt, obj, options);
  new_registry.keep();
  for (const LoadedMap& m : loaded.maps) {
    std::cout << fmt::format("map {}: {} ({}){}\n", m.handle, m.registry_name,
                             map_type_name(static_cast<MapType>(obj.maps()[m.index].type)),
                             m.created ? "" : " (existing, pinned by name)");
  }
  for (const LoadedProgram& p : loaded.programs) {
    std::cout << fmt::format("prog {}: {} ({}, section {}){}\n", p.handle, p.registry_name, prog_type_name(p.type),
                             obj.programs()[p.index].section, p.verified ? ", verified" : ", NOT verified");
    if (args.log_level > 0 && !p.report.log.empty()) {
      std::cout << p.report.log;
    }
  }
  std::cout << fmt::format("loaded {} into registry '{}' as '{}'\n", a.path, rt->registry_name(), loaded.name);
}

struct DiffArgs {
  std::string file;
  std::vector<std::string> sets;
  std::string data_in;
  std::string ctx_in;
  std::string btf;
  uint32_t repeat = 1;
  bool no_jit = false;
  bool no_kernel = false;
};

int diff_command(const DiffArgs& args) {
  const ObjectArgument a = split_object_argument(args.file);
  const TestRunInput input = read_input(args.data_in, args.ctx_in, args.repeat);
  DiffOptions options;
  options.btf_path = args.btf;
  options.jit = !args.no_jit;
  options.kernel = !args.no_kernel;
  if (!args.sets.empty()) {
    options.globals = parse_globals(open_object(a.path, args.btf, false), args.sets);
  }
  const DiffReport report = unwrap(diff_object_program(a.path, a.program, input, options));
  for (const DiffLeg& leg : report.legs) {
    if (!leg.skipped.empty()) {
      std::cout << fmt::format("{}: skipped: {}\n", leg.name, leg.skipped);
    } else if (leg.failed) {
      std::cout << fmt::format("{}: error: {}\n", leg.name, leg.error);
    } else {
      std::cout << fmt::format("{}: retval 0x{:x}", leg.name, leg.out.retval);
      if (is_packet_program(report.type)) {
        std::cout << fmt::format(", data_out {} bytes", leg.out.data_out.size());
      }
      size_t compared = 0;
      for (const MapContents& m : leg.maps) {
        compared += m.not_compared.empty() ? 1 : 0;
      }
      std::cout << fmt::format(", {} map{} read\n", compared, compared == 1 ? "" : "s");
    }
  }
  for (const std::string& note : report.notes) {
    std::cout << "note: " << note << '\n';
  }
  for (const std::string& d : report.differences) {
    std::cout << "DIFFERENCE: " << d << '\n';
  }
  size_t ran = 0;
  for (const DiffLeg& leg : report.legs) {
    ran += leg.skipped.empty() ? 1 : 0;
  }
  if (!report.differences.empty()) {
    std::cout << fmt::format("{}: {} difference{}\n", report.program, report.differences.size(),
                             report.differences.size() == 1 ? "" : "s");
    return 1;
  }
  std::cout << fmt::format("{}: no differences ({} engine{} compared)\n", report.program, ran, ran == 1 ? "" : "s");
  return 0;
}

// --target shared: the program loaded into the kernel (private maps) and into bpfrt on the kernel's
// maps (make_kernel_map: bpf() underneath); the kernel's run, then bpfrt's, update the same maps.
void run_shared(const ObjectRunArgs& args, const ObjectArgument& a, const ObjectProgram& p, const Object& obj) {
  KernelLoadOptions ko;
  ko.btf_path = args.btf;
  ko.programs = {p.name};
  ko.initial_values = &obj;
  const KernelObject k = unwrap(KernelObject::load(a.path, ko));
  RegistryOptions ro;
  ro.name = "";
  auto rt = unwrap(Runtime::open(ro));
  ObjectLoadOptions options;
  options.programs = {p.name};
  options.verify = !args.no_verify;
  auto loaded = load_object_with_kernel_maps(*rt, obj, k, options);
  if (!loaded) {
    fail(loaded.error());
  }
  const LoadedProgram* lp = loaded->find_program(p.name);
  const TestRunInput input = read_input(args.data_in, args.ctx_in, args.repeat);
  const EngineKind kind = unwrap(parse_engine_kind(args.engine));
  std::cout << "kernel:\n";
  print_output(unwrap(k.test_run(p.name, input)), p.type, args.repeat);
  std::cout << fmt::format("bpfrt ({}) on the kernel's maps:\n", engine_kind_name(kind));
  const TestRunOutput out = unwrap(run_loaded_program(*rt, obj, *lp, kind, input, !args.no_verify));
  print_output(out, p.type, args.repeat);
  write_data_out(args.data_out, out);
  if (args.show_maps) {
    for (uint32_t i : p.used_maps) {
      const KernelMapInfo* km = k.find_map(obj.maps()[i].name);
      if (km == nullptr) {
        continue;
      }
      std::cout << fmt::format("map {} ({}, kernel):\n", obj.maps()[i].name, map_type_name(km->spec.type));
      print_contents(unwrap(read_kernel_map_contents(*km)));
    }
  }
}

}  // namespace

void run_object_command(const ObjectRunArgs& args) {
  const ObjectArgument a = split_object_argument(args.file);
  Object obj = open_object(a.path, args.btf, false);
  apply_globals(obj, args.sets);
  const ObjectProgram& p = *select_programs(obj, a, true).front();
  if (args.target == "kernel") {
    run_in_kernel(args, a, p, obj);
    return;
  }
  if (args.target == "shared") {
    run_shared(args, a, p, obj);
    return;
  }
  if (args.no_verify) {
    warn_unverified();
  }
  std::unique_ptr<Runtime> rt;
  if (args.registry.empty()) {
    RegistryOptions ro;
    ro.name = "";  // private to this run
    rt = unwrap(Runtime::open(ro));
  } else {
    rt = open_runtime(args.registry);
  }
  NewRegistryGuard new_registry(*rt);
  ObjectLoadOptions options;
  options.programs = {p.name};
  options.verify = !args.no_verify;
  options.reuse = !args.registry.empty();  // run again where it is loaded: the maps keep their contents
  const LoadedObject loaded = load_into(*rt, obj, options);
  new_registry.keep();
  const LoadedProgram* lp = loaded.find_program(p.name);
  const TestRunInput input = read_input(args.data_in, args.ctx_in, args.repeat);
  const EngineKind kind = unwrap(parse_engine_kind(args.engine));
  const TestRunOutput out = unwrap(run_loaded_program(*rt, obj, *lp, kind, input, !args.no_verify));
  print_output(out, p.type, args.repeat);
  write_data_out(args.data_out, out);
  if (args.show_maps) {
    for (uint32_t i : p.used_maps) {
      const LoadedMap& m = loaded.maps[i];
      auto map = unwrap(rt->map(m.handle));
      std::cout << fmt::format("map {} ({}):\n", m.registry_name, map_type_name(map->type()));
      print_contents(read_map_contents(m.name, *map));
    }
  }
}

void register_load_commands(CLI::App& app) {
  auto l = std::make_shared<LoadArgs>();
  CLI::App* load = app.add_subcommand(
      "load", "Load a BPF object's maps and programs into the registry (verifier on), or into the kernel");
  load->add_option("OBJECT", l->file, "OBJ.o, or OBJ.o:PROG for one program")->required();
  add_registry_option(load, l->registry);
  load->add_option("--set", l->sets, "set a global variable (.rodata/.data/.bss) before load: NAME=VALUE");
  load->add_option("--name", l->name, "qualify registry names with this (default: the object's name)");
  load->add_option("--program", l->programs, "load only these programs (function or section name)");
  load->add_option("--btf", l->btf, "resolve CO-RE against this BTF file (default: the running kernel's)");
  load->add_option("--target", l->target,
                   "bpfrt (the registry, default), kernel (through libbpf), or shared (the kernel, with the "
                   "registry's maps naming the kernel's maps)")
      ->check(CLI::IsMember({"bpfrt", "kernel", "shared"}));
  load->add_option("--pin-dir", l->pin_dir,
                   "--target kernel/shared: pin maps (and shared: programs) here (default /sys/fs/bpf/bpfrt/NAME)");
  load->add_flag("--hold", l->hold,
                 "--target shared: keep the kernel maps alive in this process (no pins) until SIGINT/SIGTERM, then "
                 "remove the records");
  load->add_option("--log-level", l->log_level, "print the verifier's log (1, 2)");
  load->add_flag("--no-verify", l->no_verify, "skip the verifier (trusted experiments only; prints a warning)");
  load->callback([l] { load_command(*l); });

  auto u = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* unload = app.add_subcommand("unload", "Remove the maps and programs `bpfrt load` made for an object");
  unload->add_option("NAME", u->first, "the name the object was loaded as")->required();
  add_registry_option(unload, u->second);
  unload->callback([u] {
    auto rt = open_runtime(u->second, false);
    const std::set<std::string> pin_dirs = kernel_pin_dirs(*rt, u->first);
    note_kernel_holders(*rt, u->first);
    const size_t n = unwrap(unload_object_by_name(*rt, u->first));
    std::cout << fmt::format("removed {} object{} named {}.*\n", n, n == 1 ? "" : "s", u->first);
    remove_kernel_pin_dirs(pin_dirs);
  });

  auto d = std::make_shared<DiffArgs>();
  CLI::App* diff = app.add_subcommand(
      "diff",
      "Run an object's program in the interpreter, the JIT and the kernel (BPF_PROG_TEST_RUN), each with "
      "fresh maps, and print every difference in r0, data_out, ctx_out and maps (exit 1 if any)");
  diff->add_option("OBJECT", d->file, "OBJ.o[:PROG]")->required();
  diff->add_option("--data-in", d->data_in, "the packet (BPF_PROG_TEST_RUN data_in)");
  diff->add_option("--ctx-in", d->ctx_in, "the context (BPF_PROG_TEST_RUN ctx_in)");
  diff->add_option("--repeat", d->repeat, "run N times in every engine")->check(CLI::Range(1u, 1000000u));
  diff->add_option("--set", d->sets, "set a global variable before load in every engine: NAME=VALUE");
  diff->add_option("--btf", d->btf, "resolve CO-RE against this BTF file");
  diff->add_flag("--no-jit", d->no_jit, "leave the JIT out");
  diff->add_flag("--no-kernel", d->no_kernel, "leave the kernel out (no root needed)");
  diff->callback([d] {
    if (diff_command(*d) != 0) {
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace bpfrt::cli
