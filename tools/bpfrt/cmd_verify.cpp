// `bpfrt verify`: run the static verifier and print OK or the kernel-style log.
#include <iostream>

#include <fmt/format.h>

#include "bpfrt/verifier.hpp"

#include "commands.hpp"
#include "conformance/annotated_program.hpp"
#include "helpers/conformance_helpers.hpp"
#include "helpers/helper_prototypes.hpp"
#include "program_input.hpp"

namespace bpfrt::cli {
namespace {

struct VerifyArgs {
  std::string file;
  std::string type;
  int log_level = 0;
  bool stats = false;
  std::optional<size_t> ctx_size;
  std::vector<std::string> maps;
  bool conformance_helpers = false;
  bool exact_pruning = false;
};

void run_verify(const VerifyArgs& args) {
  ProgramInput input = unwrap(load_program_input(args.file));
  // Assembly files may carry corpus annotations: # type:, # map:, # ctx:.
  std::optional<AnnotatedProgram> annotated;
  if (!input.vector) {
    auto bytes = unwrap(read_file(args.file));
    auto parsed = parse_annotated_program(std::string(bytes.begin(), bytes.end()));
    if (parsed && parsed->program) {
      annotated = std::move(*parsed);
    }
  }
  VerifyOptions options;
  options.type = !args.type.empty() ? unwrap(parse_program_type(args.type))
                 : annotated        ? annotated->type
                                    : ProgramType::kRaw;
  options.log_level = args.log_level;
  options.track_precision = !args.exact_pruning;
  options.ctx_size = args.ctx_size  ? *args.ctx_size
                     : input.vector ? input.vector->memory.size()
                     : annotated    ? annotated->ctx_size
                                    : 0;
  std::vector<AnnotatedMap> maps = annotated ? annotated->maps : std::vector<AnnotatedMap>{};
  for (const std::string& text : args.maps) {
    maps.push_back(unwrap(parse_map_declaration(text)));
  }
  AnnotatedProgram declared;
  declared.maps = maps;
  options.maps = declared.map_resolver();
  HelperTable helpers;
  if (options.type == ProgramType::kRaw && (args.conformance_helpers || input.vector)) {
    check(add_conformance_helpers(helpers));
  } else {
    helpers = standard_helper_prototypes();
  }
  options.helpers = &helpers;

  const VerifierReport report = unwrap(verify_program(input.program, options));
  if (!report.accepted || args.log_level > 0) {
    // The log ends with the statistics line; print it only when asked for or useful.
    std::string log = report.log;
    if (!args.stats) {
      const auto stats_at = log.rfind("processed ");
      if (stats_at != std::string::npos) {
        log.erase(stats_at);
      }
    }
    std::cout << log;
  } else if (args.stats) {
    std::cout << format_verifier_stats(report.stats, options.limits) << '\n';
  }
  if (!report.accepted) {
    throw CLI::RuntimeError(1);
  }
  if (args.stats) {
    std::cout << fmt::format("stack depth {} (combined {})\n", report.stack_depth, report.combined_stack_depth);
  }
  std::cout << "OK\n";
}

}  // namespace

void register_verify_command(CLI::App& app) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand("verify", "Verify a program statically; print OK or the verifier log");
  verify->add_option("FILE", args->file, "program (.data vector, assembly or raw bytecode)")->required();
  verify->add_option("--type", args->type,
                     "program type: raw, socket_filter, xdp, sched_cls (tc), kprobe (uprobe), tracepoint, "
                     "raw_tracepoint, perf_event, syscall (default: the file's # type: line, else raw)");
  verify->add_option("--log-level", args->log_level, "0: the reason only; 1: every instruction; 2: and the state")
      ->check(CLI::Range(0, 2));
  verify->add_flag("--stats", args->stats, "print instructions processed, states kept and time");
  verify->add_option("--ctx-size", args->ctx_size, "raw/syscall programs: bytes of context memory");
  verify->add_option("--map", args->maps, "a map lddw map_fd(FD) names: \"FD TYPE KEY VALUE MAX [flags=N]\"");
  verify->add_flag("--conformance-helpers", args->conformance_helpers,
                   "raw programs: check calls against the bpf_conformance helpers 0-5 (always on for .data)");
  verify->add_flag("--exact-pruning", args->exact_pruning,
                   "compare every scalar when pruning (no precision tracking): slower, for comparison");
  verify->callback([args] { run_verify(*args); });
}

}  // namespace bpfrt::cli
