// `bpfrt run`: execute a program over some memory and print r0.
#include <iostream>

#include <fmt/format.h>

#include "bpfrt/engine.hpp"

#include "byte_input.hpp"
#include "commands.hpp"
#include "helpers/conformance_helpers.hpp"
#include "helpers/helper_prototypes.hpp"
#include "program_input.hpp"
#include "vm/verified_engine.hpp"

namespace bpfrt::cli {
namespace {

struct RunCommandArgs {
  std::string file;
  std::string mem_hex;
  std::string mem_file;
  std::string engine = "interp";
  uint64_t budget = 0;
  size_t stack_size = kDefaultStackSize;
  bool conformance_helpers = false;
  ObjectRunArgs object;  // --data-in, --ctx-in, --data-out, --repeat, --btf: BPF objects only
  std::string type = "raw";
  bool no_verify = false;
};

void run_program_command(const RunCommandArgs& args) {
  if (is_object_argument(args.file)) {
    ObjectRunArgs object = args.object;
    object.file = args.file;
    object.engine = args.engine;
    object.budget = args.budget;
    object.no_verify = args.no_verify;
    run_object_command(object);
    return;
  }
  if (!args.object.data_in.empty() || !args.object.ctx_in.empty() || !args.object.data_out.empty() ||
      !args.object.btf.empty() || args.object.repeat != 1 || !args.object.registry.empty() ||
      args.object.target != "bpfrt" || args.object.show_maps || !args.object.sets.empty()) {
    fail(
        "--data-in, --ctx-in, --data-out, --repeat, --btf, --registry, --target, --set and --show-maps apply to BPF "
        "objects (OBJ.o[:PROG])");
  }
  ProgramInput input = unwrap(load_program_input(args.file));
  std::vector<uint8_t> memory;
  if (!args.mem_hex.empty()) {
    memory = unwrap(parse_byte_input(args.mem_hex, "--mem"));
  } else if (!args.mem_file.empty()) {
    memory = unwrap(read_file(args.mem_file));
  } else if (input.vector) {
    memory = input.vector->memory;
  }
  HelperTable helpers;
  if (args.conformance_helpers || input.vector) {
    check(add_conformance_helpers(helpers));
  }
  LoadOptions options;
  options.verify = !args.no_verify;
  options.verifier.type = unwrap(parse_program_type(args.type));
  options.verifier.ctx_size = memory.size();
  options.engine.helpers = &helpers;
  options.engine.instruction_budget = args.budget;
  options.engine.stack_size = args.stack_size;
  if (args.no_verify) {
    warn_unverified();
  }
  const EngineKind kind = unwrap(parse_engine_kind(args.engine));
  auto engine = unwrap(load_engine(kind, std::move(input.program), std::move(options)));
  const uint64_t r0 = unwrap(engine->run(memory.empty() ? nullptr : memory.data(), memory.size()));
  std::cout << fmt::format("0x{:x}\n", r0);
}

}  // namespace

void register_run_command(CLI::App& app) {
  auto args = std::make_shared<RunCommandArgs>();
  CLI::App* run = app.add_subcommand(
      "run", "Run a program (.data vector, assembly, raw bytecode, or OBJ.o[:PROG] of a BPF object) and print r0");
  run->add_option("FILE", args->file, "program")->required();
  auto* mem = run->add_option("--mem", args->mem_hex, "input memory as hex bytes (r1 points to it, r2 is its size)");
  run->add_option("--mem-file", args->mem_file, "input memory from a file")->excludes(mem);
  run->add_option("--engine", args->engine, "interp or jit")->check(CLI::IsMember({"interp", "jit"}));
  run->add_option("--budget", args->budget, "stop after this many instructions (0: no limit)");
  run->add_option("--stack-size", args->stack_size, "stack bytes per call frame");
  run->add_flag("--conformance-helpers", args->conformance_helpers,
                "provide the bpf_conformance helpers 0-5 (always on for .data vectors)");
  run->add_option("--data-in", args->object.data_in, "object programs: the packet (BPF_PROG_TEST_RUN data_in)");
  run->add_option("--ctx-in", args->object.ctx_in, "object programs: the context (BPF_PROG_TEST_RUN ctx_in)");
  run->add_option("--data-out", args->object.data_out, "object programs: write the packet after the run here");
  run->add_option("--repeat", args->object.repeat, "object programs: run N times and report the mean duration")
      ->check(CLI::Range(1u, 100000000u));
  run->add_option("--btf", args->object.btf, "object programs: resolve CO-RE against this BTF file");
  run->add_option("--registry", args->object.registry,
                  "object programs: use (and load the object into) this registry's maps; default: private maps");
  run->add_option("--target", args->object.target,
                  "object programs: bpfrt (default), kernel (BPF_PROG_TEST_RUN), or shared (the kernel's run, then "
                  "bpfrt's on the kernel's maps)")
      ->check(CLI::IsMember({"bpfrt", "kernel", "shared"}));
  run->add_option("--set", args->object.sets, "object programs: set a global variable before load: NAME=VALUE");
  run->add_flag("--show-maps", args->object.show_maps, "object programs: print the maps the program uses afterwards");
  run->add_option("--type", args->type, "program type to verify it as (default raw: the memory is the context)");
  run->add_flag("--no-verify", args->no_verify, "skip the verifier (trusted experiments only; prints a warning)");
  run->callback([args] { run_program_command(*args); });
}

}  // namespace bpfrt::cli
