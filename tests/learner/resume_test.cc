// Stop-and-resume through a checkpoint file gives the same training as never stopping.

#include "gtest/gtest.h"
#include "learner/checkpoint.h"
#include "learner/replay_buffer.h"
#include "learner/trainer.h"
#include "tests/learner/test_records.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

constexpr int kSteps = 10;
constexpr int kStopAt = 5;
constexpr int kBatch = 16;

struct TrainingRun {
  std::unique_ptr<Trainer> trainer;
  std::unique_ptr<ReplayBuffer> buffer;
  std::mt19937_64 rng;
  std::vector<StepStats> stats;
};

ReplayBufferOptions BufferOptions() {
  ReplayBufferOptions o;
  o.capacity = 150;  // small enough that the window slides during the run
  return o;
}

// Steps [from, to): games arrive before steps 0, 3 and 7, a batch is sampled and trained on.
void Train(TrainingRun* run, const std::vector<GameRecord>& games, int from, int to) {
  for (int step = from; step < to; ++step) {
    const int arrivals = step == 0 ? 3 : (step == 3 || step == 7) ? 2 : 0;
    const int first = step == 0 ? 0 : step == 3 ? 3 : 5;
    for (int g = first; g < first + arrivals; ++g) ASSERT_TRUE(run->buffer->AddGame(games[g]).ok());
    absl::StatusOr<TrainingBatch> batch = run->buffer->Sample(kBatch, run->rng);
    ASSERT_TRUE(batch.ok()) << batch.status();
    absl::StatusOr<StepStats> s = run->trainer->Step(*batch);
    ASSERT_TRUE(s.ok()) << s.status();
    run->stats.push_back(*s);
  }
}

class ResumeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ResumeTest, ResumedTrainingEqualsUninterruptedTraining) {
  torch::set_num_threads(1);
  const std::vector<GameRecord> games = testing_records::SmallGames(7, 11);
  ASSERT_EQ(games.size(), 7u);
  TrainerOptions options;
  options.device = "cpu";
  options.optimizer = GetParam();
  options.lr = GetParam() == "adamw" ? 1e-3 : 0.05;
  options.warmup_steps = 2;
  options.schedule = "cosine";
  options.total_steps = 12;
  options.grad_clip_norm = 2.0;
  const NetConfig config = *NetConfigFromPreset("tiny");

  // Uninterrupted.
  TrainingRun straight;
  straight.trainer = *Trainer::Create(config, options);
  straight.buffer = std::make_unique<ReplayBuffer>(BufferOptions());
  straight.rng.seed(77);
  Train(&straight, games, 0, kSteps);
  ASSERT_EQ(straight.stats.size(), static_cast<size_t>(kSteps));

  // Stopped at kStopAt, checkpointed to disk, everything destroyed, then resumed.
  const ::zf::testing::ScopedTempDir temp_dir("zf_resume_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run_dir = temp_dir.path();
  {
    TrainingRun first;
    first.trainer = *Trainer::Create(config, options);
    first.buffer = std::make_unique<ReplayBuffer>(BufferOptions());
    first.rng.seed(77);
    Train(&first, games, 0, kStopAt);
    CheckpointState state;
    state.step = first.trainer->step();
    state.model_version = 1;
    state.config_text = "optimizer=" + GetParam();
    state.rng_state = SerializeRng(first.rng);
    state.trainer_state = *first.trainer->Serialize();
    state.replay_buffer = first.buffer->Serialize();
    ASSERT_TRUE(CheckpointManager(run_dir).Save(state).ok());
    for (int i = 0; i < kStopAt; ++i) {
      EXPECT_EQ(first.stats[i].policy_loss, straight.stats[i].policy_loss) << i;
    }
  }
  absl::StatusOr<LoadedCheckpoint> loaded = CheckpointManager(run_dir).LoadLatest();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->state.step, kStopAt);
  TrainingRun resumed;
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      Trainer::Restore(loaded->state.trainer_state, options);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  resumed.trainer = *std::move(trainer);
  EXPECT_EQ(resumed.trainer->step(), kStopAt);
  resumed.buffer = std::make_unique<ReplayBuffer>(BufferOptions());
  ASSERT_TRUE(resumed.buffer->Deserialize(loaded->state.replay_buffer).ok());
  ASSERT_TRUE(ParseRng(loaded->state.rng_state, &resumed.rng).ok());
  Train(&resumed, games, kStopAt, kSteps);

  // Same losses step by step, same weights, moments and buffer at the end: bit for bit on CPU.
  for (int i = kStopAt; i < kSteps; ++i) {
    const StepStats& a = straight.stats[i];
    const StepStats& b = resumed.stats[i - kStopAt];
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.lr, b.lr) << i;
    EXPECT_EQ(a.policy_loss, b.policy_loss) << i;
    EXPECT_EQ(a.value_loss, b.value_loss) << i;
    EXPECT_EQ(a.grad_norm, b.grad_norm) << i;
  }
  const auto pa = straight.trainer->net()->parameters();
  const auto pb = resumed.trainer->net()->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << i;
  const auto ba = straight.trainer->net()->buffers();
  const auto bb = resumed.trainer->net()->buffers();
  for (size_t i = 0; i < ba.size(); ++i) EXPECT_TRUE(torch::equal(ba[i], bb[i])) << i;
  const auto ma = straight.trainer->OptimizerStateTensors();
  const auto mb = resumed.trainer->OptimizerStateTensors();
  ASSERT_EQ(ma.size(), mb.size());
  ASSERT_FALSE(ma.empty());
  for (size_t i = 0; i < ma.size(); ++i) EXPECT_TRUE(torch::equal(ma[i], mb[i])) << i;
  EXPECT_EQ(straight.buffer->Serialize(), resumed.buffer->Serialize());
  EXPECT_EQ(straight.rng, resumed.rng);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, ResumeTest, ::testing::Values("sgd", "adamw"));

}  // namespace
}  // namespace zf
