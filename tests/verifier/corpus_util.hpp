// The verifier corpus (tests/verifier/corpus/*.s): listing the files and verifying one the way its
// annotations say. Shared by the corpus test, the kernel-agreement test and the fuzzer seeds.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "bpfrt/verifier.hpp"

#include "conformance/annotated_program.hpp"
#include "helpers/helper_prototypes.hpp"

namespace bpfrt::test {

inline std::string corpus_dir() {
  return std::string(BPFRT_SOURCE_DIR) + "/tests/verifier/corpus";
}

inline std::vector<std::string> corpus_files() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(corpus_dir(), ec)) {
    if (entry.path().extension() == ".s") {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline const HelperTable& standard_prototypes() {
  static const HelperTable table = standard_helper_prototypes();
  return table;
}

// The verdict for an annotated program: the decoder's refusal if it has one, else the verifier's report.
struct CorpusVerdict {
  bool accepted = false;
  std::string reason;
  std::string log;
  VerifierStats stats;
};

inline Result<CorpusVerdict> verify_annotated(const AnnotatedProgram& p, int log_level = 0) {
  if (!p.program) {
    return CorpusVerdict{false, p.decode_error->message, p.decode_error->message, {}};
  }
  VerifyOptions options;
  options.type = p.type;
  options.helpers = &standard_prototypes();
  options.maps = p.map_resolver();
  options.ctx_size = p.ctx_size;
  options.log_level = log_level;
  auto report = verify_program(*p.program, options);
  if (!report) {
    return report.take_error();
  }
  return CorpusVerdict{report->accepted, report->reason, report->log, report->stats};
}

inline std::string test_name(const std::string& path) {
  std::string name = std::filesystem::path(path).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

}  // namespace bpfrt::test
