// `bpfrt prog ...`: load, list, show, dump, run, remove programs of the registry.
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "program_input.hpp"
#include "registry_cli.hpp"

namespace bpfrt::cli {
namespace {

using nlohmann::json;

struct ProgArgs {
  std::string registry;
  OutputOptions out;
  std::string name;
  std::string file;
  std::string type = "raw";
  std::string license = "GPL";
  std::vector<std::string> maps;
  std::string mem_hex;
  std::string engine = "interp";
  uint64_t repeat = 1;
};

std::string tag_hex(uint64_t tag) {
  std::string s;
  for (int i = 0; i < 8; ++i) {
    s += fmt::format("{:02x}", static_cast<uint8_t>(tag >> (8 * i)));
  }
  return s;
}

json prog_json(const ProgramInfo& p) {
  return json{{"handle", p.handle},    {"type", prog_type_name(p.type)},   {"name", p.name},
              {"tag", tag_hex(p.tag)}, {"bytes_xlated", 8 * p.insn_count}, {"map_ids", p.map_handles},
              {"license", p.license},  {"owner_pid", p.owner_pid}};
}

void print_prog(const ProgramInfo& p) {
  std::string maps;
  for (uint32_t h : p.map_handles) {
    maps += (maps.empty() ? "" : ",") + std::to_string(h);
  }
  std::cout << fmt::format("{}: {}  name {}  tag {}\n\txlated {}B  insns {}", p.handle, prog_type_name(p.type), p.name,
                           tag_hex(p.tag), 8 * p.insn_count, p.insn_count);
  if (!maps.empty()) {
    std::cout << "  map_ids " << maps;
  }
  std::cout << fmt::format("\n\tlicense {}  owner_pid {}\n", p.license, p.owner_pid);
}

// A name from a file name: its stem with anything outside the allowed characters replaced.
std::string name_from_file(const std::string& file) {
  std::string stem = std::filesystem::path(file).stem().string();
  for (char& c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      c = '_';
    }
  }
  if (stem.empty() || stem[0] == '.' || std::all_of(stem.begin(), stem.end(), ::isdigit)) {
    stem = "prog_" + stem;
  }
  return stem.substr(0, 63);
}

void load(const ProgArgs& a) {
  auto rt = open_runtime(a.registry);
  NewRegistryGuard new_registry(*rt);
  ProgramInput input = unwrap(load_program_input(a.file));
  ProgramSpec spec;
  spec.name = a.name.empty() ? name_from_file(a.file) : a.name;
  spec.type = unwrap(parse_prog_type(a.type));
  spec.license = a.license;
  spec.program = std::move(input.program);
  for (const std::string& m : a.maps) {
    spec.map_handles.push_back(unwrap(rt->find(ObjectKind::kMap, m)));
  }
  const uint32_t handle = unwrap(rt->load_program(spec));
  new_registry.keep();
  if (a.out.json || a.out.pretty) {
    print_json({{"handle", handle}, {"name", spec.name}}, a.out);
  } else {
    std::cout << fmt::format("loaded program '{}' with handle {}\n", spec.name, handle);
  }
}

void run(const ProgArgs& a) {
  auto rt = open_runtime(a.registry, false);
  const uint32_t handle = unwrap(rt->find(ObjectKind::kProgram, a.name));
  const Engine* engine = unwrap(rt->engine(handle, unwrap(parse_engine_kind(a.engine))));
  std::vector<uint8_t> mem = a.mem_hex.empty() ? std::vector<uint8_t>{} : parse_bytes(a.mem_hex, "--mem");
  uint64_t r0 = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < std::max<uint64_t>(a.repeat, 1); ++i) {
    r0 = unwrap(engine->run(mem.empty() ? nullptr : mem.data(), mem.size()));
  }
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  if (a.out.json || a.out.pretty) {
    print_json({{"retval", r0},
                {"repeat", a.repeat},
                {"duration_ns", ns / static_cast<int64_t>(std::max<uint64_t>(a.repeat, 1))}},
               a.out);
  } else {
    std::cout << fmt::format("0x{:x}\n", r0);
    if (a.repeat > 1) {
      std::cout << fmt::format("{} runs, {} ns per run\n", a.repeat, ns / static_cast<int64_t>(a.repeat));
    }
  }
}

}  // namespace

void register_prog_commands(CLI::App& app) {
  CLI::App* prog = app.add_subcommand("prog", "Programs in the registry");
  prog->require_subcommand(1);

  auto l = std::make_shared<ProgArgs>();
  CLI::App* load_cmd = prog->add_subcommand("load", "Load a program (bytecode or assembly) into the registry");
  add_registry_option(load_cmd, l->registry);
  load_cmd->add_option("FILE", l->file, "raw bytecode or assembly")->required();
  load_cmd->add_option("--name", l->name, "program name (default: the file's stem)");
  load_cmd->add_option("--type", l->type, "program type (raw, socket_filter, kprobe, xdp, ...)")->capture_default_str();
  load_cmd->add_option("--map", l->maps, "maps `lddw map_idx(N)` refers to, in order (names or handles)");
  load_cmd->add_option("--license", l->license, "license string")->capture_default_str();
  add_output_options(load_cmd, l->out);
  load_cmd->callback([l] { load(*l); });

  auto ls = std::make_shared<ProgArgs>();
  CLI::App* list = prog->add_subcommand("list", "List programs");
  add_registry_option(list, ls->registry);
  add_output_options(list, ls->out);
  list->callback([ls] {
    auto rt = open_existing_runtime(ls->registry);
    const auto progs = rt ? rt->list_programs() : std::vector<ProgramInfo>{};
    if (ls->out.json || ls->out.pretty) {
      json out = json::array();
      for (const ProgramInfo& p : progs) {
        out.push_back(prog_json(p));
      }
      print_json(out, ls->out);
      return;
    }
    for (const ProgramInfo& p : progs) {
      print_prog(p);
    }
  });

  auto s = std::make_shared<ProgArgs>();
  CLI::App* show = prog->add_subcommand("show", "Show one program");
  add_registry_option(show, s->registry);
  show->add_option("NAME", s->name, "program name or handle")->required();
  add_output_options(show, s->out);
  show->callback([s] {
    auto rt = open_runtime(s->registry, false);
    const ProgramInfo p = unwrap(rt->program_info(unwrap(rt->find(ObjectKind::kProgram, s->name))));
    if (s->out.json || s->out.pretty) {
      print_json(prog_json(p), s->out);
    } else {
      print_prog(p);
    }
  });

  auto d = std::make_shared<ProgArgs>();
  CLI::App* dump = prog->add_subcommand("dump", "Disassemble a program");
  add_registry_option(dump, d->registry);
  dump->add_option("NAME", d->name, "program name or handle")->required();
  dump->callback([d] {
    auto rt = open_runtime(d->registry, false);
    const Program p = unwrap(rt->program(unwrap(rt->find(ObjectKind::kProgram, d->name))));
    std::cout << disassemble(p, DisasmOptions{true});
  });

  auto r = std::make_shared<ProgArgs>();
  CLI::App* run_cmd = prog->add_subcommand("run", "Run a program of the registry and print r0");
  add_registry_option(run_cmd, r->registry);
  run_cmd->add_option("NAME", r->name, "program name or handle")->required();
  run_cmd->add_option("--mem", r->mem_hex, "context memory as hex bytes (r1 points to it, r2 is its size)");
  run_cmd->add_option("--engine", r->engine, "interp or jit")->check(CLI::IsMember({"interp", "jit"}));
  run_cmd->add_option("--repeat", r->repeat, "run this many times and report the mean duration");
  add_output_options(run_cmd, r->out);
  run_cmd->callback([r] { run(*r); });

  auto rm = std::make_shared<ProgArgs>();
  CLI::App* remove = prog->add_subcommand("remove", "Remove a program from the registry");
  add_registry_option(remove, rm->registry);
  remove->add_option("NAME", rm->name, "program name or handle")->required();
  remove->callback([rm] {
    auto rt = open_runtime(rm->registry, false);
    check(rt->remove_program(unwrap(rt->find(ObjectKind::kProgram, rm->name))));
  });
}

}  // namespace bpfrt::cli
