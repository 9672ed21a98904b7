#include "learner/replay_buffer.h"

#include <chrono>
#include <set>
#include <thread>

#include "common/game/symmetry.h"
#include "common/nn/network.h"
#include "gtest/gtest.h"
#include "learner/position_codec.h"
#include "tests/learner/test_records.h"

namespace zf {
namespace {

using testing_records::FastMove;
using testing_records::FullMove;
using testing_records::Pt;

ReplayBufferOptions WithCapacity(int64_t capacity) {
  ReplayBufferOptions o;
  o.capacity = capacity;
  return o;
}

// A position on a 9x9 board whose visits mark it: `id` visits on point 0.
TrainingPosition Marked(uint32_t id) {
  TrainingPosition tp;
  GameState s(Rules{9, 5, Rule::kFreestyle});
  s.PlayUnchecked(40);
  tp.position = Encode(s);
  tp.visits = {{0, id}};
  tp.value = 1;
  return tp;
}

uint32_t IdOf(const ReplayBuffer& buffer, int64_t i) {
  absl::StatusOr<TrainingPosition> tp = buffer.Get(i);
  EXPECT_TRUE(tp.ok()) << tp.status();
  return tp.ok() ? tp->visits.at(0).second : 0;
}

TEST(ReplayBufferTest, FifoEvictsOldestFirst) {
  ReplayBuffer buffer(WithCapacity(10));
  std::vector<TrainingPosition> batch;
  for (uint32_t id = 1; id <= 25; ++id) {
    batch.push_back(Marked(id));
    if (batch.size() == 4 || id == 25) {
      ASSERT_TRUE(buffer.AddPositions(batch).ok());
      batch.clear();
    }
  }
  EXPECT_EQ(buffer.size(), 10);
  EXPECT_EQ(buffer.total_added(), 25);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(IdOf(buffer, i), 16u + i);
  EXPECT_FALSE(buffer.Get(10).ok());
  EXPECT_FALSE(buffer.Get(-1).ok());
}

TEST(ReplayBufferTest, FifoAcrossChunks) {
  const int64_t capacity = ReplayBuffer::kChunkPositions + 1000;
  ReplayBuffer buffer(WithCapacity(capacity));
  std::vector<TrainingPosition> batch;
  const uint32_t total = 8 * ReplayBuffer::kChunkPositions + 123;
  for (uint32_t id = 1; id <= total; ++id) {
    batch.push_back(Marked(id));
    if (batch.size() == 333 || id == total) {
      ASSERT_TRUE(buffer.AddPositions(batch).ok());
      batch.clear();
    }
  }
  ASSERT_EQ(buffer.size(), capacity);
  EXPECT_EQ(buffer.total_added(), total);
  const uint32_t first = total - capacity + 1;
  for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{4095}, int64_t{4096}, capacity - 1}) {
    EXPECT_EQ(IdOf(buffer, i), first + i) << i;
  }
  // Evicted chunks are freed: memory stays near the live records (keeping all 8 chunks would
  // take ~4x this bound).
  std::string record;
  EncodeCompact(Marked(1), &record);
  const int64_t per_position = static_cast<int64_t>(record.size() + sizeof(uint32_t));
  EXPECT_LT(buffer.MemoryBytes(), (capacity + 2 * ReplayBuffer::kChunkPositions) * per_position);
}

TEST(ReplayBufferTest, AddGameCountsPositionsAndGames) {
  const std::vector<GameRecord> games = testing_records::SmallGames(3);
  ReplayBuffer buffer;
  int64_t expected = 0;
  for (const GameRecord& g : games) {
    absl::StatusOr<int> added = buffer.AddGame(g);
    ASSERT_TRUE(added.ok()) << added.status();
    int full = 0;
    for (const MoveRecord& m : g.moves) full += m.full_search;
    EXPECT_EQ(*added, full);
    expected += full;
  }
  EXPECT_EQ(buffer.size(), expected);
  EXPECT_EQ(buffer.games_added(), 3);
  EXPECT_EQ(buffer.board_size(), 7);

  GameRecord other = games[0];
  other.rules.size = 9;  // a different board: rejected, buffer unchanged
  for (MoveRecord& m : other.moves) m.full_search = false;
  other.moves.push_back(FullMove(80, {{80, 1}}));
  EXPECT_FALSE(buffer.AddGame(other).ok());
  EXPECT_EQ(buffer.size(), expected);

  GameRecord unfinished = games[0];
  unfinished.result = Outcome::kOngoing;
  EXPECT_FALSE(buffer.AddGame(unfinished).ok());

  // Positions extracted by the caller (the learner validates with them) count as one game;
  // AddPositions counts none.
  absl::StatusOr<std::vector<TrainingPosition>> positions = ExtractTrainingPositions(games[1]);
  ASSERT_TRUE(positions.ok());
  ASSERT_TRUE(buffer.AddGamePositions(*positions).ok());
  EXPECT_EQ(buffer.games_added(), 4);
  EXPECT_EQ(buffer.size(), expected + static_cast<int64_t>(positions->size()));
  ASSERT_TRUE(buffer.AddPositions(*positions).ok());
  EXPECT_EQ(buffer.games_added(), 4);
}

// 15x15, 400 simulations, uniform evaluator: the broadest visit distributions self-play makes.
TEST(ReplayBufferTest, UnderThreeHundredBytesPerPositionOnUniform15x15SelfPlay) {
  SelfPlayOptions o;
  o.rules = Rules{15, 5, Rule::kFreestyle};
  o.search.simulations = 400;
  o.search.root_noise = true;
  o.parallel_games = 4;
  o.max_games = 12;
  UniformEvaluator uniform;
  const auto start = std::chrono::steady_clock::now();
  const std::vector<GameRecord> games = testing_records::SelfPlayGames(o, &uniform);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(games.size(), 12u);
  ReplayBuffer buffer;
  int64_t visited_points = 0;
  for (const GameRecord& g : games) {
    ASSERT_TRUE(buffer.AddGame(g).ok());
    for (const MoveRecord& m : g.moves) visited_points += m.visits.size();
  }
  const double bpp = buffer.BytesPerPosition();
  std::printf(
      "15x15 uniform 400-sim self-play: %d games (%.1f s), %lld positions, "
      "%.1f visited points/position, %.1f bytes/position stored, %.1f in memory\n",
      static_cast<int>(games.size()), seconds, static_cast<long long>(buffer.size()),
      static_cast<double>(visited_points) / buffer.size(), bpp,
      static_cast<double>(buffer.MemoryBytes()) / buffer.size());
  EXPECT_GT(buffer.size(), 40);
  EXPECT_GT(bpp, 0);
  EXPECT_LT(bpp, 300);
  // The dense float planes the sampler builds would be 6*225*4 + 225*4 + 4 = 6304 bytes.
}

// Black at (2,1), white at (6,3), black to move; the whole policy target on (4,7). The three
// points fix the symmetry, so after sampling the target must sit where the same symmetry takes
// (4,7) -- wherever the stones went.
TEST(ReplayBufferTest, SymmetryAugmentationKeepsPolicyAlignedWithStones) {
  constexpr int n = 9;
  const int own = Pt(2, 1, n), opp = Pt(6, 3, n), target = Pt(4, 7, n);
  GameRecord g;
  g.rules = Rules{n, 5, Rule::kStandard};
  g.result = Outcome::kBlackWin;
  g.moves = {FastMove(own), FastMove(opp), FullMove(target, {{static_cast<int16_t>(target), 9}})};
  ReplayBuffer buffer;
  ASSERT_TRUE(buffer.AddGame(g).ok());
  ASSERT_EQ(buffer.size(), 1);

  std::mt19937_64 rng(5);
  absl::StatusOr<TrainingBatch> batch = buffer.Sample(256, rng);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->inputs.sizes(), (std::vector<int64_t>{256, kInputPlanes, n, n}));
  ASSERT_EQ(batch->policy.sizes(), (std::vector<int64_t>{256, n * n}));
  ASSERT_EQ(batch->value.sizes(), (std::vector<int64_t>{256}));
  std::set<int> seen;
  for (int b = 0; b < 256; ++b) {
    const torch::Tensor planes = batch->inputs[b].reshape({kInputPlanes, n * n});
    ASSERT_EQ(planes[0].sum().item<float>(), 1.0f);
    ASSERT_EQ(planes[1].sum().item<float>(), 1.0f);
    const int own_at = static_cast<int>(planes[0].argmax().item<int64_t>());
    const int opp_at = static_cast<int>(planes[1].argmax().item<int64_t>());
    const int last_at = static_cast<int>(planes[2].argmax().item<int64_t>());
    int symmetry = -1;
    for (int s = 0; s < kNumSymmetries; ++s) {
      if (TransformPoint(own, s, n) == own_at && TransformPoint(opp, s, n) == opp_at) {
        ASSERT_EQ(symmetry, -1) << "the stones should fix the symmetry";
        symmetry = s;
      }
    }
    ASSERT_NE(symmetry, -1) << "stones moved by no board symmetry";
    seen.insert(symmetry);
    EXPECT_EQ(last_at, opp_at);
    const torch::Tensor policy = batch->policy[b];
    EXPECT_EQ(policy[TransformPoint(target, symmetry, n)].item<float>(), 1.0f);
    EXPECT_EQ(policy.sum().item<float>(), 1.0f);
    EXPECT_EQ(batch->value[b].item<float>(), 1.0f);
    // Constant planes: on-board, black to move, standard rule.
    EXPECT_EQ(planes[3].sum().item<float>(), n * n);
    EXPECT_EQ(planes[4].sum().item<float>(), n * n);
    EXPECT_EQ(planes[5].sum().item<float>(), n * n);
  }
  EXPECT_EQ(seen.size(), 8u) << "all 8 symmetries should appear in 256 draws";
}

TEST(ReplayBufferTest, SampleWithoutAugmentationMatchesStoredPositions) {
  const std::vector<GameRecord> games = testing_records::SmallGames(2);
  ReplayBufferOptions plain;
  plain.augment_symmetries = false;
  ReplayBuffer buffer(plain);
  for (const GameRecord& g : games) ASSERT_TRUE(buffer.AddGame(g).ok());
  std::mt19937_64 rng(11), replay(11);
  absl::StatusOr<TrainingBatch> batch = buffer.Sample(32, rng);
  ASSERT_TRUE(batch.ok());
  for (int b = 0; b < 32; ++b) {
    const int64_t index = static_cast<int64_t>(replay() % buffer.size());
    absl::StatusOr<TrainingPosition> tp = buffer.Get(index);
    ASSERT_TRUE(tp.ok());
    EXPECT_TRUE(torch::equal(batch->inputs[b], EncodeInputs({tp->position})[0]));
    const std::vector<float> target = tp->PolicyTarget();
    EXPECT_TRUE(torch::equal(batch->policy[b], torch::tensor(target, torch::kFloat32)));
    EXPECT_EQ(batch->value[b].item<float>(), tp->value);
  }
  std::mt19937_64 rng2(3);
  ReplayBuffer empty;
  EXPECT_FALSE(empty.Sample(4, rng2).ok());
  EXPECT_FALSE(buffer.Sample(0, rng2).ok());
}

TEST(ReplayBufferTest, SerializeRoundTripIsExact) {
  const std::vector<GameRecord> games = testing_records::SmallGames(6, 3);
  ReplayBuffer buffer(WithCapacity(40));
  for (const GameRecord& g : games) ASSERT_TRUE(buffer.AddGame(g).ok());
  ASSERT_GT(buffer.total_added(), 40) << "want eviction to have happened";
  const std::string bytes = buffer.Serialize();

  ReplayBuffer restored(WithCapacity(40));
  ASSERT_TRUE(restored.Deserialize(bytes).ok());
  EXPECT_EQ(restored.Serialize(), bytes);
  EXPECT_EQ(restored.size(), buffer.size());
  EXPECT_EQ(restored.total_added(), buffer.total_added());
  EXPECT_EQ(restored.games_added(), buffer.games_added());
  EXPECT_EQ(restored.board_size(), buffer.board_size());
  EXPECT_EQ(restored.BytesPerPosition(), buffer.BytesPerPosition());
  for (int64_t i = 0; i < buffer.size(); ++i) EXPECT_EQ(*restored.Get(i), *buffer.Get(i));
  std::mt19937_64 a(9), b(9);
  absl::StatusOr<TrainingBatch> x = buffer.Sample(64, a), y = restored.Sample(64, b);
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_TRUE(torch::equal(x->inputs, y->inputs));
  EXPECT_TRUE(torch::equal(x->policy, y->policy));
  EXPECT_TRUE(torch::equal(x->value, y->value));

  // Into a smaller buffer: the newest positions.
  ReplayBuffer small(WithCapacity(10));
  ASSERT_TRUE(small.Deserialize(bytes).ok());
  EXPECT_EQ(small.size(), 10);
  EXPECT_EQ(*small.Get(0), *buffer.Get(30));

  ReplayBuffer empty;
  ReplayBuffer empty_restored;
  ASSERT_TRUE(empty_restored.Deserialize(empty.Serialize()).ok());
  EXPECT_EQ(empty_restored.size(), 0);
}

TEST(ReplayBufferTest, CorruptOrTruncatedSerializationIsRejected) {
  ReplayBuffer buffer;
  for (const GameRecord& g : testing_records::SmallGames(2)) ASSERT_TRUE(buffer.AddGame(g).ok());
  const std::string bytes = buffer.Serialize();
  ReplayBuffer target;
  for (size_t len : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    absl::Status s = target.Deserialize(bytes.substr(0, len));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << len << " " << s;
  }
  for (size_t at : {size_t{5}, size_t{40}, bytes.size() / 2, bytes.size() - 2}) {
    std::string bad = bytes;
    bad[at] ^= 0x10;
    EXPECT_FALSE(target.Deserialize(bad).ok()) << at;
  }
  EXPECT_EQ(target.size(), 0) << "a failed load leaves the buffer unchanged";
}

TEST(ReplayBufferTest, ConcurrentAddAndSample) {
  const std::vector<GameRecord> games = testing_records::SmallGames(4, 5);
  ReplayBuffer buffer(WithCapacity(300));
  ASSERT_TRUE(buffer.AddGame(games[0]).ok());
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    std::mt19937_64 rng(1);
    while (!done.load()) {
      absl::StatusOr<TrainingBatch> b = buffer.Sample(16, rng);
      ASSERT_TRUE(b.ok()) << b.status();
      ASSERT_NEAR(b->policy.sum().item<float>(), 16.0f, 1e-3);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int rep = 0; rep < 10; ++rep) {
        for (const GameRecord& g : games) ASSERT_TRUE(buffer.AddGame(g).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  sampler.join();
  int64_t per_round = 0;
  for (const GameRecord& g : games) {
    for (const MoveRecord& m : g.moves) per_round += m.full_search;
  }
  int64_t first = 0;
  for (const MoveRecord& m : games[0].moves) first += m.full_search;
  EXPECT_EQ(buffer.total_added(), first + 40 * per_round);
  EXPECT_EQ(buffer.games_added(), 1 + 160);
  EXPECT_EQ(buffer.size(), std::min<int64_t>(300, buffer.total_added()));
}

}  // namespace
}  // namespace zf
