#include "common/search/resign.h"

#include <mutex>
#include <vector>

#include "common/game/game_record.h"
#include "common/search/evaluator.h"
#include "common/search/self_play.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

ResignOptions On(float threshold, int consecutive = 2) {
  ResignOptions o;
  o.threshold = threshold;
  o.consecutive = consecutive;
  return o;
}

TEST(ResignTest, ResignsAfterConsecutiveLowFullSearchValues) {
  ResignControl control(On(0.9f));
  ResignTracker t;
  t.Reset(/*no_resign=*/false);
  EXPECT_FALSE(t.ShouldResign(control, 2, Player::kBlack, true, -0.95f));
  // A fast move says too little: it neither counts nor breaks the streak.
  EXPECT_FALSE(t.ShouldResign(control, 2, Player::kBlack, false, -0.99f));
  // The opponent's values are its own streak.
  EXPECT_FALSE(t.ShouldResign(control, 2, Player::kWhite, true, -0.95f));
  EXPECT_TRUE(t.ShouldResign(control, 2, Player::kBlack, true, -0.95f));
  // A value above -threshold resets the streak.
  t.Reset(false);
  EXPECT_FALSE(t.ShouldResign(control, 2, Player::kBlack, true, -0.95f));
  EXPECT_FALSE(t.ShouldResign(control, 2, Player::kBlack, true, -0.5f));
  EXPECT_FALSE(t.ShouldResign(control, 2, Player::kBlack, true, -0.95f));
}

TEST(ResignTest, PlayedOutGamesMeasureFalseResignations) {
  ResignControl control(On(0.9f, 1));
  ResignTracker t;
  t.Reset(/*no_resign=*/true);
  EXPECT_FALSE(t.ShouldResign(control, 1, Player::kWhite, true, -0.99f));  // played out
  t.Finish(&control, Outcome::kBlackWin);  // white would have resigned and did lose
  EXPECT_EQ(control.checked(), 1);
  EXPECT_EQ(control.false_resigns(), 0);
  t.Reset(true);
  EXPECT_FALSE(t.ShouldResign(control, 1, Player::kWhite, true, -0.99f));
  t.Finish(&control, Outcome::kDraw);  // ... but drew: a false resignation
  EXPECT_EQ(control.checked(), 2);
  EXPECT_EQ(control.false_resigns(), 1);
}

TEST(ResignTest, TooManyFalseResignationsTightenTheThreshold) {
  ResignControl control(On(0.8f));
  for (int i = 0; i < ResignControl::kWindow; ++i) {
    control.ReportPlayedOut(Player::kBlack, i % 2 ? Outcome::kWhiteWin : Outcome::kBlackWin);
  }
  EXPECT_NEAR(control.threshold(), 0.9f, 1e-6);  // halfway to 1
  // A clean window relaxes it again, never below the configured value.
  for (int w = 0; w < 10; ++w) {
    for (int i = 0; i < ResignControl::kWindow; ++i) {
      control.ReportPlayedOut(Player::kBlack, Outcome::kWhiteWin);
    }
  }
  EXPECT_NEAR(control.threshold(), 0.8f, 1e-6);
}

TEST(ResignTest, BadOptionsAreRefused) {
  EXPECT_TRUE(ValidateResignOptions(ResignOptions{}).ok());
  EXPECT_FALSE(ValidateResignOptions(On(1.5f)).ok());
  EXPECT_FALSE(ValidateResignOptions(On(0.9f, 0)).ok());
  ResignOptions o = On(0.9f);
  o.no_resign_fraction = 2;
  EXPECT_FALSE(ValidateResignOptions(o).ok());
}

// An evaluator that says black is lost once the board holds `after` stones (values are for the
// side to move, so white's are the opposite).
class GloomyEvaluator : public Evaluator {
 public:
  explicit GloomyEvaluator(int after) : after_(after) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    const size_t points = policy.size() / batch.size();
    for (size_t i = 0; i < batch.size(); ++i) {
      for (size_t p = 0; p < points; ++p) policy[i * points + p] = 1.0f / points;
      int stones = 0;
      for (uint64_t w : batch[i].own) stones += __builtin_popcountll(w);
      for (uint64_t w : batch[i].opp) stones += __builtin_popcountll(w);
      const float black = stones >= after_ ? -1.0f : 0.0f;
      value[i] = batch[i].to_move == Player::kBlack ? black : -black;
    }
    return absl::OkStatus();
  }

 private:
  const int after_;
};

TEST(ResignTest, SelfPlayResignsAndRecordsValidResults) {
  SelfPlayOptions o;
  o.rules = Rules{9, 5, Rule::kFreestyle};
  o.search.simulations = 16;
  o.parallel_games = 8;
  o.max_games = 40;
  o.resign = On(0.5f);
  o.resign.no_resign_fraction = 0.25f;
  GloomyEvaluator evaluator(6);
  std::mutex mu;
  std::vector<GameRecord> games;
  SelfPlayStats stats;
  ASSERT_TRUE(RunSelfPlay(
                  o, &evaluator,
                  [&](GameRecord&& g) {
                    std::lock_guard<std::mutex> lock(mu);
                    games.push_back(std::move(g));
                  },
                  &stats)
                  .ok());
  ASSERT_EQ(games.size(), 40u);
  int resigned = 0, played_out = 0;
  for (const GameRecord& g : games) {
    // Every record's result follows from its moves, and it parses back the same.
    EXPECT_TRUE(CheckFinishedGame(g).ok()) << CheckFinishedGame(g);
    auto parsed = ParseGameRecord(SerializeGameRecord(g));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, g);
    if (g.resigned) {
      ++resigned;
      EXPECT_LT(g.moves.size(), 20u);  // gave up early instead of playing on
    } else {
      ++played_out;
    }
  }
  EXPECT_EQ(resigned, stats.resigned.load());
  EXPECT_GT(resigned, 10);
  EXPECT_GT(played_out, 0);  // the no-resign fraction plays on
  EXPECT_GT(stats.resign_checked.load(), 0);
}

}  // namespace
}  // namespace zf
