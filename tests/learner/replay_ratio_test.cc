#include "learner/replay_ratio.h"

#include "gtest/gtest.h"

namespace zf {
namespace {

TEST(ReplayRatioTest, AllowsAtMostRSamplesPerPosition) {
  ReplayRatioOptions o;  // R = 4
  EXPECT_EQ(AllowedSteps(o, 0, 0, 256), 0);
  EXPECT_EQ(AllowedSteps(o, 0, 63, 256), 0);     // 252 samples allowed: not a full batch
  EXPECT_EQ(AllowedSteps(o, 0, 64, 256), 1);     // 256
  EXPECT_EQ(AllowedSteps(o, 0, 1000, 256), 15);  // 4000 / 256
  EXPECT_EQ(AllowedSteps(o, 3840, 1000, 256), 0);
  EXPECT_EQ(AllowedSteps(o, 3584, 1000, 256), 1);
  EXPECT_EQ(AllowedSteps(o, 10000, 1000, 256), 0);  // ahead of self-play: wait
  // Taking the allowed steps never exceeds the ratio.
  for (int64_t added : {64, 100, 999, 12345}) {
    const int64_t steps = AllowedSteps(o, 0, added, 256);
    EXPECT_LE(steps * 256, 4 * added);
    EXPECT_GT((steps + 1) * 256, 4 * added);
  }
}

TEST(ReplayRatioTest, FractionalRatioAndMinimum) {
  ReplayRatioOptions o;
  o.max_samples_per_position = 0.5;
  o.min_positions = 1000;
  EXPECT_EQ(AllowedSteps(o, 0, 999, 100), 0);  // below the minimum
  EXPECT_EQ(AllowedSteps(o, 0, 1000, 100), 5);
  EXPECT_EQ(AllowedSteps(o, 0, 1199, 100), 5);
  EXPECT_EQ(AllowedSteps(o, 0, 1200, 100), 6);
  EXPECT_EQ(AllowedSteps(o, 0, 1000, 0), 0);
}

TEST(ReplayRatioTest, PositionsNeededIsExact) {
  ReplayRatioOptions o;
  o.max_samples_per_position = 3;
  o.min_positions = 10;
  for (int64_t trained : {0, 100, 2048, 99999}) {
    for (int64_t added : {0, 5, 50, 700, 40000}) {
      const int64_t need = PositionsNeededForNextStep(o, trained, added, 64);
      if (AllowedSteps(o, trained, added, 64) > 0) {
        EXPECT_EQ(need, 0);
        continue;
      }
      EXPECT_GT(AllowedSteps(o, trained, added + need, 64), 0) << trained << " " << added;
      EXPECT_EQ(AllowedSteps(o, trained, added + need - 1, 64), 0) << trained << " " << added;
    }
  }
}

TEST(ReplayRatioTest, Validation) {
  ReplayRatioOptions o;
  EXPECT_TRUE(ValidateReplayRatioOptions(o).ok());
  o.max_samples_per_position = 0;
  EXPECT_FALSE(ValidateReplayRatioOptions(o).ok());
  o = {};
  o.min_positions = -1;
  EXPECT_FALSE(ValidateReplayRatioOptions(o).ok());
}

}  // namespace
}  // namespace zf
