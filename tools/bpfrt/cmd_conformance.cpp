// `bpfrt conformance` (run a directory of vectors) and the upstream runner's plug-in protocol.
#include <filesystem>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "commands.hpp"
#include "conformance/vector_runner.hpp"

namespace bpfrt::cli {
namespace {

struct ConformanceArgs {
  std::vector<std::string> paths;
  std::string engine = "interp";
  bool verbose = false;
  bool no_verify = false;
};

void run_conformance(const ConformanceArgs& args) {
  const EngineKind kind = unwrap(parse_engine_kind(args.engine));
  if (args.no_verify) {
    warn_unverified();
  }
  std::vector<std::string> files;
  const std::vector<std::string> paths = args.paths.empty() ? std::vector{default_conformance_dir()} : args.paths;
  for (const std::string& path : paths) {
    if (std::filesystem::is_directory(path)) {
      auto listed = unwrap(list_vectors(path));
      files.insert(files.end(), listed.begin(), listed.end());
    } else if (std::filesystem::exists(path)) {
      files.push_back(path);
    } else {
      fail(fmt::format("{}: no such file or directory", path));
    }
  }
  if (files.empty()) {
    fail("no .data vectors found");
  }
  size_t passed = 0;
  size_t failed = 0;
  for (const std::string& file : files) {
    const VectorOutcome outcome = run_vector_file(file, kind, !args.no_verify);
    if (outcome.passed) {
      ++passed;
      if (args.verbose) {
        std::cout << "PASS " << file << '\n';
      }
    } else {
      ++failed;
      std::cout << "FAIL " << outcome.message << '\n';
    }
  }
  std::cout << fmt::format("{} passed, {} failed\n", passed, failed);
  if (failed != 0) {
    throw CLI::RuntimeError(1);
  }
}

struct PluginArgs {
  std::string memory_hex;
  std::string engine = "interp";
  bool elf = false;
  bool no_verify = false;
};

// Program: one line of hex bytes on stdin. Memory: hex on the command line. Output: r0 in hex.
int run_plugin(const PluginArgs& args) {
  const std::string input(std::istreambuf_iterator<char>(std::cin), {});
  auto fail_plugin = [](const std::string& message) {
    std::cerr << message << '\n';
    return 1;
  };
  if (args.elf) {
    return fail_plugin("--elf input is not supported by this plug-in; send raw bytecode");
  }
  auto kind = parse_engine_kind(args.engine);
  auto code = parse_hex_bytes(input);
  auto memory = parse_hex_bytes(args.memory_hex);
  if (!kind || !code || !memory) {
    return fail_plugin(!kind   ? kind.error().message
                       : !code ? "program: " + code.error().message
                               : "memory: " + memory.error().message);
  }
  if (args.no_verify) {
    warn_unverified();
  }
  auto r0 = run_bytecode(*code, std::move(*memory), *kind, !args.no_verify);
  if (!r0) {
    return fail_plugin(r0.error().message);
  }
  std::cout << fmt::format("{:x}\n", *r0);
  return 0;
}

void add_plugin_options(CLI::App& app, PluginArgs& args) {
  app.add_option("MEMHEX", args.memory_hex, "input memory as hex bytes");
  app.add_option("--engine", args.engine, "interp or jit")->check(CLI::IsMember({"interp", "jit"}));
  app.add_flag("--elf", args.elf, "the program is an ELF object (not supported)");
  app.add_flag("--no-verify", args.no_verify, "skip the verifier (trusted experiments only; prints a warning)");
}

}  // namespace

void register_conformance_commands(CLI::App& app) {
  auto args = std::make_shared<ConformanceArgs>();
  CLI::App* conformance = app.add_subcommand("conformance", "Run bpf_conformance vectors and count passes");
  conformance->add_option("PATH", args->paths, "vector files or directories (default: the shared suite)");
  conformance->add_option("--engine", args->engine, "interp or jit")->check(CLI::IsMember({"interp", "jit"}));
  conformance->add_flag("-v,--verbose", args->verbose, "also list passing vectors");
  conformance->add_flag("--no-verify", args->no_verify,
                        "skip the verifier (trusted experiments only; prints a warning)");
  conformance->callback([args] { run_conformance(*args); });

  auto plugin_args = std::make_shared<PluginArgs>();
  CLI::App* plugin = app.add_subcommand("conformance-plugin",
                                        "Plug-in for the upstream bpf_conformance runner (program as hex on stdin)");
  add_plugin_options(*plugin, *plugin_args);
  plugin->callback([plugin_args] {
    if (const int code = run_plugin(*plugin_args); code != 0) {
      throw CLI::RuntimeError(code);
    }
  });
}

int conformance_plugin_main(int argc, char** argv) {
  CLI::App app{"bpfrt conformance plug-in"};
  PluginArgs args;
  add_plugin_options(app, args);
  CLI11_PARSE(app, argc, argv);
  return run_plugin(args);
}

}  // namespace bpfrt::cli
