#include "learner/position_codec.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tests/learner/test_records.h"

namespace zf {
namespace {

std::vector<TrainingPosition> SelfPlayPositions() {
  std::vector<TrainingPosition> out;
  for (const GameRecord& g : testing_records::SmallGames(4, 7)) {
    auto positions = ExtractTrainingPositions(g);
    EXPECT_TRUE(positions.ok()) << positions.status();
    if (positions.ok()) out.insert(out.end(), positions->begin(), positions->end());
  }
  return out;
}

float Quantized(float v) { return std::lround(v * 127.0f) / 127.0f; }

TEST(PositionCodecTest, RoundTripIsExactButForRootValue) {
  const std::vector<TrainingPosition> positions = SelfPlayPositions();
  ASSERT_GT(positions.size(), 20u);
  for (const TrainingPosition& tp : positions) {
    std::string record;
    EncodeCompact(tp, &record);
    absl::StatusOr<TrainingPosition> back = DecodeCompact(record);
    ASSERT_TRUE(back.ok()) << back.status();
    TrainingPosition expected = tp;
    expected.root_value = Quantized(tp.root_value);
    EXPECT_EQ(*back, expected);

    // The sampling path gives the same dense target, bit for bit.
    EncodedPosition pos;
    std::vector<float> policy(tp.position.size * tp.position.size, -1.0f);
    float value = 7;
    ASSERT_TRUE(DecodeCompactInto(record, &pos, absl::MakeSpan(policy), &value).ok());
    EXPECT_EQ(pos, tp.position);
    EXPECT_EQ(policy, tp.PolicyTarget());
    EXPECT_EQ(value, tp.value);
  }
}

TEST(PositionCodecTest, LargeAndExtremeCountsSurvive) {
  TrainingPosition tp;
  GameState state(Rules{});
  state.PlayUnchecked(112);
  tp.position = Encode(state);
  tp.visits = {{0, 1}, {1, 4000000000u}, {224, 123456}};
  tp.value = -1;
  tp.root_value = -0.3f;
  std::string record;
  EncodeCompact(tp, &record);
  absl::StatusOr<TrainingPosition> back = DecodeCompact(record);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->visits, tp.visits);
  EXPECT_EQ(back->value, -1.0f);
  EXPECT_EQ(back->position, tp.position);
}

TEST(PositionCodecTest, TruncatedOrGarbledRecordsAreErrors) {
  const std::vector<TrainingPosition> positions = SelfPlayPositions();
  ASSERT_FALSE(positions.empty());
  std::string record;
  EncodeCompact(positions[positions.size() / 2], &record);
  for (size_t len = 0; len < record.size(); ++len) {
    EXPECT_FALSE(DecodeCompact(record.substr(0, len)).ok()) << "length " << len;
  }
  EXPECT_FALSE(DecodeCompact(record + std::string(1, '\0')).ok());
  std::string bad_size = record;
  bad_size[0] = 40;
  EXPECT_FALSE(DecodeCompact(bad_size).ok());
  std::string bad_last = record;
  bad_last[3] = static_cast<char>(200);  // last move 200 on a 7x7 board
  bad_last[4] = 0;
  EXPECT_FALSE(DecodeCompact(bad_last).ok());
}

}  // namespace
}  // namespace zf
