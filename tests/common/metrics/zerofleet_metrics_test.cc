#include "common/metrics/zerofleet_metrics.h"

#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/testing/promtool.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(AdvanceCounterToTest, FollowsATotalAndNeverGoesDown) {
  prometheus::Counter counter;
  AdvanceCounterTo(counter, 5);
  EXPECT_EQ(counter.Value(), 5);
  AdvanceCounterTo(counter, 12);
  EXPECT_EQ(counter.Value(), 12);
  AdvanceCounterTo(counter, 3);  // a smaller total (e.g. a restarted source) is ignored
  EXPECT_EQ(counter.Value(), 12);
  AdvanceCounterTo(counter, 12);
  EXPECT_EQ(counter.Value(), 12);
}

TEST(ZerofleetMetricsTest, InferenceObserveBatchCountsAndObserves) {
  auto registry = std::make_shared<prometheus::Registry>();
  InferenceMetricSet inference(registry);
  inference.ObserveBatch(32, 0.002);
  inference.ObserveBatch(64, 0.004);
  EXPECT_EQ(inference.evaluations.Value(), 96);
  EXPECT_EQ(inference.batches.Value(), 2);
  const std::string text = Text(*registry);
  EXPECT_THAT(text, HasSubstr("zerofleet_inference_batch_size_count 2"));
  EXPECT_THAT(text, HasSubstr("zerofleet_inference_batch_size_sum 96"));
  EXPECT_THAT(text, HasSubstr("zerofleet_inference_batch_size_bucket{le=\"32\"} 1"));
  EXPECT_THAT(text, HasSubstr("zerofleet_inference_batch_size_bucket{le=\"64\"} 2"));
  EXPECT_THAT(text, HasSubstr("zerofleet_inference_compute_seconds_count 2"));
}

TEST(ZerofleetMetricsTest, LearnerStepGaugesAppearOnlyAfterTheFirstStep) {
  auto registry = std::make_shared<prometheus::Registry>();
  LearnerMetricSet learner(registry);
  EXPECT_THAT(Text(*registry), Not(HasSubstr("zerofleet_learner_loss{")));
  EXPECT_THAT(Text(*registry), Not(HasSubstr("zerofleet_learner_learning_rate 0")));
  learner.SetStep(2.5, 0.75, 1.25, 0.02);
  const std::string text = Text(*registry);
  EXPECT_THAT(text, HasSubstr("zerofleet_learner_loss{head=\"policy\"} 2.5"));
  EXPECT_THAT(text, HasSubstr("zerofleet_learner_loss{head=\"value\"} 0.75"));
  EXPECT_THAT(text, HasSubstr("zerofleet_learner_policy_entropy 1.25"));
  EXPECT_THAT(text, HasSubstr("zerofleet_learner_learning_rate 0.02"));
  learner.SetStep(2.0, 0.5, 1.0, 0.01);
  EXPECT_THAT(Text(*registry), HasSubstr("zerofleet_learner_loss{head=\"policy\"} 2\n"));
}

TEST(ZerofleetMetricsTest, NamesFollowTheConventions) {
  auto registry = std::make_shared<prometheus::Registry>();
  SelfPlayMetricSet selfplay(registry);
  InferenceMetricSet inference(registry);
  LearnerMetricSet learner(registry);
  InferenceServerMetricSet server(registry);
  ActorMetricSet actor(registry);
  learner.SetStep(1, 1, 1, 1);
  int families = 0;
  for (const prometheus::MetricFamily& family : registry->Collect()) {
    ++families;
    EXPECT_TRUE(absl::StartsWith(family.name, "zerofleet_")) << family.name;
    EXPECT_FALSE(family.help.empty()) << family.name;
    EXPECT_EQ(family.type == prometheus::MetricType::Counter, absl::EndsWith(family.name, "_total"))
        << family.name;
  }
  EXPECT_EQ(families, 3 + 4 + 11 + 4 + 5);
}

TEST(ZerofleetMetricsTest, PromtoolAcceptsEverySet) {
  if (access(testing::kPromtool, X_OK) != 0) {
    GTEST_SKIP() << testing::kPromtool << " missing: install the Debian package 'prometheus'";
  }
  auto registry = std::make_shared<prometheus::Registry>();
  SelfPlayMetricSet selfplay(registry);
  InferenceMetricSet inference(registry);
  LearnerMetricSet learner(registry);
  InferenceServerMetricSet server(registry);
  ActorMetricSet actor(registry);
  server.queue_wait_seconds.Observe(0.0005);
  actor.leaf_roundtrip_seconds.Observe(0.002);
  actor.games_acked.Increment(3);
  selfplay.simulations.Increment(100);
  inference.ObserveBatch(8, 0.001);
  learner.SetStep(1.5, 0.5, 2.0, 0.02);
  learner.checkpoint_seconds.Observe(0.3);
  const testing::ScopedTempDir dir("zf_promtool_");
  ASSERT_FALSE(dir.path().empty());
  const testing::PromtoolResult result = testing::CheckMetrics(Text(*registry), dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace zf
