// `bpfrt diff`: one program of a BPF object run in bpfrt's interpreter, bpfrt's JIT and the kernel
// (BPF_PROG_TEST_RUN), each with fresh maps made from the object, and every difference in return
// value, data_out, ctx_out and map contents afterwards reported.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bpfrt/kernel_object.hpp"
#include "bpfrt/object.hpp"
#include "bpfrt/test_run.hpp"

namespace bpfrt {

struct DiffOptions {
  std::string btf_path;  // CO-RE target BTF for both loaders; empty: the running kernel's
  bool interpreter = true;
  bool jit = true;
  bool kernel = true;
  // Global variables set before load in every leg (Object::set_global): name and bytes.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> globals;
};

struct DiffLeg {
  std::string name;     // "interp", "jit", "kernel"
  std::string skipped;  // non-empty: the leg did not run, and why (names the gap)
  bool failed = false;  // the run ended in an error (`error` says which); compared as an outcome
  std::string error;
  TestRunOutput out;
  std::vector<MapContents> maps;  // in the order of the object's maps
};

struct DiffReport {
  std::string program;
  ProgType type = 0;
  std::vector<DiffLeg> legs;
  std::vector<std::string> differences;  // empty: every leg that ran agrees
  std::vector<std::string> notes;        // maps not compared and why
};

// Runs `program` (function or section name; empty: the object's only program) of the object at
// `path` in every leg DiffOptions enables. Errors: the object cannot be opened, the program does not
// exist, or a leg cannot be set up at all (verifier refusal, kernel privilege).
[[nodiscard]] Result<DiffReport> diff_object_program(const std::string& path, std::string_view program,
                                                     const TestRunInput& input, const DiffOptions& options = {});

}  // namespace bpfrt
