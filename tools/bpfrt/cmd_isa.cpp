// `bpfrt asm` and `bpfrt disasm`.
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "program_input.hpp"

namespace bpfrt::cli {
namespace {

struct AsmArgs {
  std::string file;
  std::string output;
};

void run_asm(const AsmArgs& args) {
  const ProgramInput input = unwrap(load_program_input(args.file));
  const std::vector<uint8_t> bytes = input.program.bytes();
  if (args.output.empty()) {
    for (size_t i = 0; i < bytes.size(); i += 8) {
      std::cout << fmt::format("{:02x} {:02x} {:02x} {:02x} {:02x} {:02x} {:02x} {:02x}\n", bytes[i], bytes[i + 1],
                               bytes[i + 2], bytes[i + 3], bytes[i + 4], bytes[i + 5], bytes[i + 6], bytes[i + 7]);
    }
    return;
  }
  std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    fail(fmt::format("{}: cannot write", args.output));
  }
}

}  // namespace

void register_isa_commands(CLI::App& app) {
  auto asm_args = std::make_shared<AsmArgs>();
  CLI::App* assemble = app.add_subcommand("asm", "Assemble a program (assembly text or the -- asm of a .data vector)");
  assemble->add_option("FILE", asm_args->file, "assembly source")->required();
  assemble->add_option("-o,--output", asm_args->output, "write raw bytecode here (default: hex bytes on stdout)");
  assemble->callback([asm_args] { run_asm(*asm_args); });

  auto disasm_file = std::make_shared<std::string>();
  auto indices = std::make_shared<bool>(false);
  CLI::App* disasm = app.add_subcommand(
      "disasm", "Disassemble raw bytecode, assembly, a .data vector or the programs of a BPF object (OBJ.o[:PROG])");
  disasm->add_option("FILE", *disasm_file, "program")->required();
  disasm->add_flag("--indices", *indices, "prefix each instruction with its slot index");
  disasm->callback([disasm_file, indices] {
    if (is_object_argument(*disasm_file)) {
      disasm_object_command(*disasm_file, *indices);
      return;
    }
    const ProgramInput input = unwrap(load_program_input(*disasm_file));
    std::cout << disassemble(input.program, DisasmOptions{*indices});
  });
}

}  // namespace bpfrt::cli
