#include "learner/training_data.h"

#include <numeric>

#include "common/game/game_state.h"
#include "gtest/gtest.h"
#include "tests/learner/test_records.h"

namespace zf {
namespace {

using testing_records::FastMove;
using testing_records::FullMove;
using testing_records::Pt;

GameRecord FiveByFive(Outcome result) {
  GameRecord g;
  g.id = 42;
  g.rules.size = 5;
  g.rules.win_length = 4;
  g.result = result;
  g.moves.push_back(FullMove(Pt(0, 0, 5), {{Pt(1, 1, 5), 1}, {Pt(0, 0, 5), 3}}, 0.5f));
  g.moves.push_back(FastMove(Pt(1, 0, 5)));
  g.moves.push_back(FullMove(Pt(2, 2, 5), {{Pt(2, 2, 5), 5}, {Pt(3, 3, 5), 5}}));
  g.moves.push_back(FullMove(Pt(4, 4, 5), {{Pt(4, 4, 5), 2}}));
  return g;
}

TEST(TrainingDataTest, TargetsFromFullSearchMovesOnly) {
  absl::StatusOr<std::vector<TrainingPosition>> got =
      ExtractTrainingPositions(FiveByFive(Outcome::kBlackWin));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);  // the fast move is skipped

  const TrainingPosition& first = (*got)[0];
  EXPECT_EQ(first.position.to_move, Player::kBlack);
  EXPECT_EQ(first.position.last_move, kNoMove);
  EXPECT_EQ(first.value, 1.0f);
  EXPECT_EQ(first.root_value, 0.5f);
  std::vector<float> policy = first.PolicyTarget();
  ASSERT_EQ(policy.size(), 25u);
  EXPECT_FLOAT_EQ(policy[Pt(0, 0, 5)], 0.75f);
  EXPECT_FLOAT_EQ(policy[Pt(1, 1, 5)], 0.25f);
  EXPECT_FLOAT_EQ(std::accumulate(policy.begin(), policy.end(), 0.0f), 1.0f);
  // Visits come out sorted by point.
  EXPECT_EQ(first.visits.front().first, Pt(0, 0, 5));

  // Third move: black to move after black (0,0) and white (1,0).
  const TrainingPosition& second = (*got)[1];
  EXPECT_EQ(second.position.to_move, Player::kBlack);
  EXPECT_TRUE(second.position.IsOwn(Pt(0, 0, 5)));
  EXPECT_TRUE(second.position.IsOpp(Pt(1, 0, 5)));
  EXPECT_EQ(second.position.last_move, Pt(1, 0, 5));
  EXPECT_EQ(second.value, 1.0f);
  policy = second.PolicyTarget();
  EXPECT_FLOAT_EQ(policy[Pt(2, 2, 5)], 0.5f);
  EXPECT_FLOAT_EQ(policy[Pt(3, 3, 5)], 0.5f);

  // Fourth move: white to move, so the stones swap sides and the value flips.
  const TrainingPosition& third = (*got)[2];
  EXPECT_EQ(third.position.to_move, Player::kWhite);
  EXPECT_TRUE(third.position.IsOwn(Pt(1, 0, 5)));
  EXPECT_TRUE(third.position.IsOpp(Pt(0, 0, 5)));
  EXPECT_TRUE(third.position.IsOpp(Pt(2, 2, 5)));
  EXPECT_EQ(third.value, -1.0f);
  EXPECT_EQ(third.position, [] {
    GameState s(FiveByFive(Outcome::kBlackWin).rules);
    s.PlayUnchecked(Pt(0, 0, 5));
    s.PlayUnchecked(Pt(1, 0, 5));
    s.PlayUnchecked(Pt(2, 2, 5));
    return Encode(s);
  }());
}

TEST(TrainingDataTest, ValueFollowsResultFromMoverSide) {
  auto white = ExtractTrainingPositions(FiveByFive(Outcome::kWhiteWin));
  ASSERT_TRUE(white.ok());
  EXPECT_EQ((*white)[0].value, -1.0f);
  EXPECT_EQ((*white)[2].value, 1.0f);
  auto draw = ExtractTrainingPositions(FiveByFive(Outcome::kDraw));
  ASSERT_TRUE(draw.ok());
  for (const TrainingPosition& tp : *draw) EXPECT_EQ(tp.value, 0.0f);
}

TEST(TrainingDataTest, RejectsUnfinishedAndInvalidGames) {
  auto ongoing = ExtractTrainingPositions(FiveByFive(Outcome::kOngoing));
  EXPECT_EQ(ongoing.status().code(), absl::StatusCode::kFailedPrecondition);

  GameRecord illegal = FiveByFive(Outcome::kBlackWin);
  illegal.moves[1].move = illegal.moves[0].move;  // plays on an occupied point
  auto s = ExtractTrainingPositions(illegal);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("move 2"), std::string::npos) << s.status();

  GameRecord occupied = FiveByFive(Outcome::kBlackWin);
  occupied.moves[2].visits = {{static_cast<int16_t>(Pt(0, 0, 5)), 4}};
  s = ExtractTrainingPositions(occupied);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("move 3"), std::string::npos) << s.status();

  GameRecord empty = FiveByFive(Outcome::kBlackWin);
  empty.moves[0].visits.clear();
  EXPECT_FALSE(ExtractTrainingPositions(empty).ok());
}

TEST(TrainingDataTest, SelfPlayGamesGiveConsistentTargets) {
  const std::vector<GameRecord> games = testing_records::SmallGames(3);
  ASSERT_EQ(games.size(), 3u);
  for (const GameRecord& g : games) {
    auto positions = ExtractTrainingPositions(g);
    ASSERT_TRUE(positions.ok()) << positions.status();
    size_t full = 0;
    for (const MoveRecord& m : g.moves) full += m.full_search;
    ASSERT_EQ(positions->size(), full);
    GameState state(g.rules);
    size_t next = 0;
    for (const MoveRecord& m : g.moves) {
      if (m.full_search) {
        const TrainingPosition& tp = (*positions)[next++];
        EXPECT_EQ(tp.position, Encode(state));
        EXPECT_EQ(tp.value, state.to_move() == Player::kBlack
                                ? (g.result == Outcome::kBlackWin   ? 1.0f
                                   : g.result == Outcome::kWhiteWin ? -1.0f
                                                                    : 0.0f)
                                : (g.result == Outcome::kWhiteWin   ? 1.0f
                                   : g.result == Outcome::kBlackWin ? -1.0f
                                                                    : 0.0f));
        const std::vector<float> policy = tp.PolicyTarget();
        EXPECT_NEAR(std::accumulate(policy.begin(), policy.end(), 0.0), 1.0, 1e-5);
        for (int p = 0; p < state.num_points(); ++p) {
          if (!state.IsLegal(p)) {
            EXPECT_EQ(policy[p], 0.0f);
          }
        }
      }
      state.PlayUnchecked(m.move);
    }
  }
}

}  // namespace
}  // namespace zf
