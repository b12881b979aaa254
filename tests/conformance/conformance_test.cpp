// Every bpf_conformance vector through every engine, one ctest case per vector and engine.
#include <filesystem>

#include <gtest/gtest.h>

#include "conformance/vector_runner.hpp"
#include "test_util.hpp"

namespace bpfrt {
namespace {

std::vector<std::string> vector_files() {
  auto files = list_vectors(test::shared_dir() + "/conformance/tests");
  return files ? *files : std::vector<std::string>{};
}

// The engines every vector runs through.
const std::vector<EngineKind> kEngines = {EngineKind::kInterpreter, EngineKind::kJit};

class ConformanceTest : public ::testing::TestWithParam<std::tuple<EngineKind, std::string>> {};

TEST_P(ConformanceTest, Vector) {
  const auto& [engine, file] = GetParam();
  const VectorOutcome outcome = run_vector_file(file, engine);
  EXPECT_TRUE(outcome.passed) << outcome.message;
}

INSTANTIATE_TEST_SUITE_P(Vectors, ConformanceTest,
                         ::testing::Combine(::testing::ValuesIn(kEngines), ::testing::ValuesIn(vector_files())),
                         [](const auto& param_info) {
                           std::string name = std::string(engine_kind_name(std::get<0>(param_info.param))) + "_" +
                                              std::filesystem::path(std::get<1>(param_info.param)).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) {
                               c = '_';
                             }
                           }
                           return name;
                         });

// The suite must be present and complete: a missing ../shared would otherwise pass with zero cases.
TEST(ConformanceSuite, HasAll313Vectors) {
  EXPECT_EQ(vector_files().size(), 313u);
}

}  // namespace
}  // namespace bpfrt
