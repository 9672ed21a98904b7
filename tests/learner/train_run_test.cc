// TrainRun as a user relies on it: it resumes exactly where it stopped, survives a corrupt
// newest checkpoint, and refuses a run directory trained on other rules.
#include "learner/train_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/nn/model_file.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

TrainRunOptions TinyRun(const std::string& dir) {
  TrainRunOptions o;
  o.learner.run_dir = dir;
  o.selfplay.rules = Rules{5, 4, Rule::kFreestyle};
  o.selfplay.parallel_games = 16;
  o.selfplay.search.simulations = 16;
  o.learner.net = *NetConfigFromPreset("tiny");
  o.learner.trainer.device = "cpu";
  o.evaluator.device = "cpu";
  o.learner.trainer.batch_size = 32;
  o.learner.ratio.min_positions = 64;
  o.games_per_iteration = 16;
  o.num_iterations = 3;
  o.learner.publish_every_steps = 5;
  o.learner.checkpoint_every_steps = 10;
  return o;
}

TEST(TrainRun, ResumesStepBufferAndVersion) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_train_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string dir = temp_dir.Path("resume");
  int64_t step, version, buffer, games;
  {
    auto run = TrainRun::Create(TinyRun(dir));
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_FALSE((*run)->resumed());
    ASSERT_TRUE((*run)->Run(nullptr, {}).ok());
    step = (*run)->trainer().step();
    version = (*run)->model_version();
    buffer = (*run)->buffer().size();
    games = (*run)->buffer().games_added();
    EXPECT_GT(step, 0);
    EXPECT_GE(games, 48);
  }
  auto again = TrainRun::Create(TinyRun(dir));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->resumed());
  EXPECT_EQ((*again)->trainer().step(), step);
  EXPECT_EQ((*again)->model_version(), version);
  EXPECT_EQ((*again)->buffer().size(), buffer);
  EXPECT_EQ((*again)->buffer().games_added(), games);
  // The published model file is loadable and carries the same version.
  auto model = LoadModel((*again)->model_path());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version, version);

  // Training on from the resumed state continues the counts.
  TrainRunOptions more = TinyRun(dir);
  more.num_iterations = 4;
  auto third = TrainRun::Create(more);
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE((*third)->Run(nullptr, {}).ok());
  EXPECT_GE((*third)->buffer().games_added(), 64);
  EXPECT_GE((*third)->trainer().step(), step);
}

TEST(TrainRun, CorruptNewestCheckpointFallsBackToThePreviousOne) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_train_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string dir = temp_dir.Path("corrupt");
  {
    TrainRunOptions o = TinyRun(dir);
    o.learner.checkpoint_every_steps = 3;
    auto run = TrainRun::Create(o);
    ASSERT_TRUE(run.ok());
    ASSERT_TRUE((*run)->Run(nullptr, {}).ok());
  }
  CheckpointManager manager(dir);
  std::vector<std::string> files = manager.List();
  ASSERT_GE(files.size(), 2u);
  // Flip a byte in the middle of the newest checkpoint.
  {
    std::fstream f(files.back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff mid = f.tellg() / 2;
    f.seekg(mid);
    char c;
    f.get(c);
    f.seekp(mid);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  auto loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->path, files[files.size() - 2]);
  ASSERT_FALSE(loaded->warnings.empty());
  EXPECT_THAT(loaded->warnings[0], HasSubstr(files.back()));
  auto run = TrainRun::Create(TinyRun(dir));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE((*run)->resumed());
  EXPECT_EQ((*run)->trainer().step(), loaded->state.step);
}

TEST(TrainRun, RefusesARunDirectoryOfOtherRules) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_train_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string dir = temp_dir.Path("rules");
  {
    TrainRunOptions o = TinyRun(dir);
    o.num_iterations = 1;
    auto run = TrainRun::Create(o);
    ASSERT_TRUE(run.ok());
    ASSERT_TRUE((*run)->Run(nullptr, {}).ok());
  }
  TrainRunOptions other = TinyRun(dir);
  other.selfplay.rules = Rules{6, 4, Rule::kFreestyle};
  auto run = TrainRun::Create(other);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("board_size=5"));
  EXPECT_THAT(run.status().message(), HasSubstr(dir));
}

TEST(TrainRun, BadOptionsNameTheField) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_train_");
  ASSERT_FALSE(temp_dir.path().empty());
  TrainRunOptions o = TinyRun(temp_dir.Path("bad"));
  o.games_per_iteration = 0;
  auto run = TrainRun::Create(o);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("games_per_iter"));
}

}  // namespace
}  // namespace zf
