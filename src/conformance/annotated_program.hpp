// Assembly files with verifier annotations in header comments, as the verifier corpus
// (tests/verifier/corpus/*.s) and `bpfrt verify` use them:
//
//   # type: xdp                        program type (default raw)
//   # expect: accept                   or: # expect: reject <substring of the refusal reason>
//   # map: 3 hash 4 8 16               lddw map_fd(3) names a hash map, key 4, value 8, 16 entries
//   # map: 4 array 4 8 1 flags=0x80 spin_lock=0 name=cfg inner=hash/4/8/16
//   # ctx: 64                          raw programs: bytes of context memory (default 64)
//   # kernel: skip <why>               not loaded into the kernel by the agreement test
//   # kernel: differs <why>            bpfrt accepts what the kernel refuses, on purpose (docs/verifier.md)
//
// Thread-safety: plain values; the resolver reads the parsed maps only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bpfrt/isa.hpp"
#include "bpfrt/verifier.hpp"

namespace bpfrt {

struct AnnotatedMap {
  int32_t fd = 0;
  MapInfo info;
};

struct AnnotatedProgram {
  std::vector<Instruction> insns;  // as assembled
  // The validated program, or why the strict decoder refused it (jumps out of the program, into an
  // lddw, falling off the end, ...): such files test refusals that happen before the verifier runs.
  std::optional<Program> program;
  std::optional<Error> decode_error;
  ProgramType type = ProgramType::kRaw;
  bool expect_accept = true;
  bool has_expectation = false;
  std::string expect_reason;  // substring of the refusal reason when rejected
  std::vector<AnnotatedMap> maps;
  size_t ctx_size = 64;
  std::optional<std::string> kernel_skip;     // why the kernel-agreement test leaves it out
  std::optional<std::string> kernel_differs;  // why bpfrt deliberately accepts what the kernel refuses

  // Resolves lddw map_fd(N) / map_value(N, off) against the declared maps.
  MapResolver map_resolver() const;
};

// Parses the annotations and assembles the program; errors (bad annotations, bad assembly) name the
// line. A program the decoder refuses is not an error here: see decode_error.
Result<AnnotatedProgram> parse_annotated_program(std::string_view text);
Result<AnnotatedProgram> load_annotated_program(const std::string& path);

// One map declaration as in "# map:": "3 hash 4 8 16 [flags=N] [spin_lock=OFF] [name=N] [inner=T/K/V/M]".
Result<AnnotatedMap> parse_map_declaration(std::string_view text);


}  // namespace bpfrt
