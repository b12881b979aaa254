// Sub-commands of the bpfrt CLI. Each register_* adds its sub-commands to the app; a command reports
// failure by printing "bpfrt: error: ..." to stderr and throwing CLI::RuntimeError with the exit code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bpfrt/result.hpp"

namespace bpfrt::cli {

void register_isa_commands(CLI::App& app);
void register_run_command(CLI::App& app);
void register_conformance_commands(CLI::App& app);
void register_object_commands(CLI::App& app);

// BPF ELF objects named as OBJ.o or OBJ.o:PROG (cmd_object.cpp).
struct ObjectRunArgs {
  std::string file;
  std::string data_in;
  std::string ctx_in;
  std::string data_out;
  std::string btf;
  std::string engine = "interp";
  uint32_t repeat = 1;
  uint64_t budget = 0;
  std::string registry;          // empty: a private registry for this run (cmd_load.cpp)
  std::string target = "bpfrt";  // or "kernel", "shared"
  bool no_verify = false;
  bool show_maps = false;         // print the maps the program uses after the run
  std::vector<std::string> sets;  // --set NAME=VALUE: globals set before load
};
bool is_object_argument(const std::string& arg);
void run_object_command(const ObjectRunArgs& args);
void disasm_object_command(const std::string& arg, bool indices);
void register_bench_commands(CLI::App& app);
void register_map_commands(CLI::App& app);
void register_prog_commands(CLI::App& app);
void register_registry_commands(CLI::App& app);
void register_verify_command(CLI::App& app);
void register_load_commands(CLI::App& app);  // load, unload, diff (cmd_load.cpp)

// Printed on stderr whenever a program is run without verification (--no-verify).
void warn_unverified();

// The plug-in protocol of the upstream bpf_conformance runner.
int conformance_plugin_main(int argc, char** argv);

// Prints the error and ends the command with exit code 1.
[[noreturn]] void fail(const Error& error);
[[noreturn]] void fail(const std::string& message);

template <class T>
T unwrap(Result<T> result) {
  if (!result) {
    fail(result.error());
  }
  return std::move(*result);
}

inline void check(const Status& status) {
  if (!status) {
    fail(status.error());
  }
}

}  // namespace bpfrt::cli
