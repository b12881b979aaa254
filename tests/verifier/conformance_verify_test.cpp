// Every bpf_conformance vector is accepted as a "raw" program (context = the vector's memory, the
// conformance helpers' prototypes), and quickly; the negative vector that decodes is refused.
#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "bpfrt/verifier.hpp"

#include "conformance/vector_runner.hpp"
#include "helpers/conformance_helpers.hpp"
#include "test_util.hpp"

namespace bpfrt {
namespace {

std::vector<std::string> vector_files() {
  auto files = list_vectors(test::shared_dir() + "/conformance/tests");
  return files ? *files : std::vector<std::string>{};
}

const HelperTable& helpers() {
  static const HelperTable table = [] {
    HelperTable t;
    EXPECT_TRUE(add_conformance_helpers(t).ok());
    return t;
  }();
  return table;
}

Result<VerifierReport> verify_vector(const std::string& path) {
  auto vector = load_test_vector(path);
  if (!vector) {
    return vector.take_error();
  }
  auto program = vector->program();
  if (!program) {
    return program.take_error();
  }
  VerifyOptions options;
  options.type = ProgramType::kRaw;
  options.helpers = &helpers();
  options.ctx_size = vector->memory.size();
  return verify_program(*program, options);
}

class VerifyVector : public ::testing::TestWithParam<std::string> {};

TEST_P(VerifyVector, AcceptedQuickly) {
  auto report = verify_vector(GetParam());
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->accepted) << report->log;
  EXPECT_LT(report->stats.insns_processed, 20000u);
#ifdef BPFRT_CHECK_TIMING
  EXPECT_LT(report->stats.duration, std::chrono::milliseconds(100)) << format_verifier_stats(report->stats, {});
#endif
}

INSTANTIATE_TEST_SUITE_P(Conformance, VerifyVector, ::testing::ValuesIn(vector_files()), [](const auto& param_info) {
  std::string name = std::filesystem::path(param_info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
});

TEST(VerifyVectorNegative, ReadOfUninitialisedR0IsRefused) {
  auto report = verify_vector(test::shared_dir() + "/conformance/negative/error.data");
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->accepted);
  EXPECT_EQ(report->reason, "R0 !read_ok");
  EXPECT_EQ(report->insn, 0u);
  EXPECT_NE(report->log.find("0: (4f) r0 |= r10"), std::string::npos) << report->log;
}

}  // namespace
}  // namespace bpfrt
