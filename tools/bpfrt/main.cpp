// bpfrt: the command-line front end of the runtime.
#include <cstring>
#include <iostream>

#include "commands.hpp"

namespace bpfrt::cli {

void fail(const Error& error) {
  fail(error.message);
}

void fail(const std::string& message) {
  std::cerr << "bpfrt: error: " << message << '\n';
  throw CLI::RuntimeError(1);
}

void warn_unverified() {
  std::cerr << "bpfrt: WARNING: --no-verify: the program is NOT verified. It runs with only the engine's run-time "
               "checks; use this for trusted experiments only.\n";
}

}  // namespace bpfrt::cli

int main(int argc, char** argv) {
  const char* slash = std::strrchr(argv[0], '/');
  const char* name = slash != nullptr ? slash + 1 : argv[0];
  if (std::strcmp(name, "bpfrt-conformance-plugin") == 0) {
    return bpfrt::cli::conformance_plugin_main(argc, argv);
  }
  try {
    CLI::App app{"bpfrt: an eBPF runtime (assembler, verifier, interpreter, JIT, maps, loader)"};
    app.require_subcommand(1);
    bpfrt::cli::register_isa_commands(app);
    bpfrt::cli::register_run_command(app);
    bpfrt::cli::register_conformance_commands(app);
    bpfrt::cli::register_object_commands(app);
    bpfrt::cli::register_bench_commands(app);
    bpfrt::cli::register_map_commands(app);
    bpfrt::cli::register_prog_commands(app);
    bpfrt::cli::register_registry_commands(app);
    bpfrt::cli::register_verify_command(app);
    bpfrt::cli::register_load_commands(app);
    CLI11_PARSE(app, argc, argv);
    return 0;
  } catch (const std::exception& e) {  // resource exhaustion or a bug: report, never abort silently
    std::cerr << "bpfrt: fatal: " << e.what() << '\n';
    return 2;
  }
}
