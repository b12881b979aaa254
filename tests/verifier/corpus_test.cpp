// One case per corpus program: the verdict (and for refusals, the reason) its annotation expects, in
// under 100 ms.
#include <chrono>

#include <gtest/gtest.h>

#include "corpus_util.hpp"

namespace bpfrt {
namespace {

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, VerdictAsAnnotated) {
  auto program = load_annotated_program(GetParam());
  ASSERT_TRUE(program.ok()) << program.error().message;
  ASSERT_TRUE(program->has_expectation) << GetParam() << " has no '# expect:' line";
  auto verdict = test::verify_annotated(*program);
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  if (program->expect_accept) {
    EXPECT_TRUE(verdict->accepted) << verdict->log;
  } else {
    EXPECT_FALSE(verdict->accepted) << "accepted, expected: " << program->expect_reason;
    EXPECT_NE(verdict->reason.find(program->expect_reason), std::string::npos)
        << "reason [" << verdict->reason << "] lacks [" << program->expect_reason << "]\n"
        << verdict->log;
  }
  // Deterministic everywhere; the wall clock only where it means something (see tests/CMakeLists.txt).
  EXPECT_LT(verdict->stats.insns_processed, 20000u);
#ifdef BPFRT_CHECK_TIMING
  EXPECT_LT(verdict->stats.duration, std::chrono::milliseconds(100));
#endif
}

INSTANTIATE_TEST_SUITE_P(Programs, Corpus, ::testing::ValuesIn(test::corpus_files()),
                         [](const auto& param_info) { return test::test_name(param_info.param); });

TEST(CorpusSize, AtLeast150Programs) {
  EXPECT_GE(test::corpus_files().size(), 150u);
}

}  // namespace
}  // namespace bpfrt
