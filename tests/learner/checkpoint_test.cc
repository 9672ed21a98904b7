#include "learner/checkpoint.h"

#include <filesystem>

#include "common/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

CheckpointState StateAt(int64_t step) {
  CheckpointState s;
  s.step = step;
  s.model_version = step / 100;
  s.config_text = "board_size=15\nnet=small\n";
  std::mt19937_64 rng(step);
  s.rng_state = SerializeRng(rng);
  s.trainer_state = std::string(1000 + step % 7, static_cast<char>('a' + step % 26));
  s.replay_buffer = std::string(5000, 'r') + std::to_string(step);
  return s;
}

bool Contains(const std::vector<std::string>& warnings, const std::string& a,
              const std::string& b) {
  for (const std::string& w : warnings) {
    if (w.find(a) != std::string::npos && w.find(b) != std::string::npos) return true;
  }
  return false;
}

TEST(CheckpointFormatTest, RoundTripAndEveryTruncationFails) {
  const CheckpointState state = StateAt(1234);
  const std::string bytes = SerializeCheckpoint(state);
  absl::StatusOr<CheckpointState> back = ParseCheckpoint(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, state);
  for (size_t len = 0; len < bytes.size(); len += 97) {
    EXPECT_FALSE(ParseCheckpoint(bytes.substr(0, len)).ok()) << len;
  }
  EXPECT_FALSE(ParseCheckpoint(bytes.substr(0, bytes.size() - 1)).ok());
  for (size_t at : {size_t{2}, size_t{30}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] ^= 0x40;
    EXPECT_FALSE(ParseCheckpoint(bad).ok()) << at;
  }
  EXPECT_FALSE(ParseCheckpoint(bytes + "x").ok());
}

TEST(CheckpointFormatTest, RngRoundTrip) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 1000; ++i) rng();
  std::mt19937_64 copy;
  ASSERT_TRUE(ParseRng(SerializeRng(rng), &copy).ok());
  EXPECT_EQ(copy, rng);
  EXPECT_EQ(copy(), rng());
  EXPECT_FALSE(ParseRng("not a state", &copy).ok());
}

TEST(CheckpointManagerTest, SavesKeepsLastKAndLoadsLatest) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_ckpt_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run = temp_dir.path();
  CheckpointManager manager(run, CheckpointOptions{3});
  EXPECT_EQ(manager.LoadLatest().status().code(), absl::StatusCode::kNotFound);
  for (int64_t step = 100; step <= 600; step += 100) {
    absl::StatusOr<std::string> path = manager.Save(StateAt(step));
    ASSERT_TRUE(path.ok()) << path.status();
    EXPECT_EQ(*path, run + "/checkpoints/" + CheckpointManager::FileName(step));
  }
  const std::vector<std::string> files = manager.List();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0], run + "/checkpoints/ckpt-000000400.zfc");
  EXPECT_EQ(files[2], run + "/checkpoints/ckpt-000000600.zfc");
  EXPECT_EQ(*ReadFile(run + "/checkpoints/latest"), "ckpt-000000600.zfc\n");
  // Nothing else is left behind (no temp files).
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(run + "/checkpoints")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 4);
  absl::StatusOr<LoadedCheckpoint> loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->state, StateAt(600));
  EXPECT_EQ(loaded->path, files[2]);
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(CheckpointManagerTest, CorruptLatestIsReportedAndThePreviousOneUsed) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_ckpt_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run = temp_dir.path();
  CheckpointManager manager(run);
  for (int64_t step : {10, 20, 30}) ASSERT_TRUE(manager.Save(StateAt(step)).ok());
  const std::string newest = run + "/checkpoints/ckpt-000000030.zfc";
  std::string bytes = *ReadFile(newest);
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomically(newest, bytes).ok());

  absl::StatusOr<LoadedCheckpoint> loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->state, StateAt(20));
  EXPECT_TRUE(Contains(loaded->warnings, "ckpt-000000030.zfc", "checksum")) << loaded->warnings[0];

  // Truncated as well: then the oldest one.
  const std::string middle = run + "/checkpoints/ckpt-000000020.zfc";
  bytes = *ReadFile(middle);
  ASSERT_TRUE(WriteFileAtomically(middle, bytes.substr(0, bytes.size() - 100)).ok());
  loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->state, StateAt(10));
  ASSERT_EQ(loaded->warnings.size(), 2u);
  EXPECT_TRUE(Contains(loaded->warnings, "ckpt-000000020.zfc", "truncated"));

  // All bad: DataLoss naming them all.
  const std::string oldest = run + "/checkpoints/ckpt-000000010.zfc";
  ASSERT_TRUE(WriteFileAtomically(oldest, "").ok());
  absl::StatusOr<LoadedCheckpoint> none = manager.LoadLatest();
  EXPECT_EQ(none.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(none.status().message().find("ckpt-000000010.zfc"), absl::string_view::npos);
  EXPECT_NE(none.status().message().find("ckpt-000000030.zfc"), absl::string_view::npos);
}

TEST(CheckpointManagerTest, MissingOrBadPointerFallsBackToNewestFile) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_ckpt_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run = temp_dir.path();
  CheckpointManager manager(run);
  for (int64_t step : {1, 2}) ASSERT_TRUE(manager.Save(StateAt(step)).ok());
  std::filesystem::remove(run + "/checkpoints/latest");
  absl::StatusOr<LoadedCheckpoint> loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.step, 2);
  EXPECT_TRUE(Contains(loaded->warnings, "latest", ""));

  ASSERT_TRUE(WriteFileAtomically(run + "/checkpoints/latest", "../../etc/passwd\n").ok());
  loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.step, 2);
  EXPECT_TRUE(Contains(loaded->warnings, "latest", "does not name"));

  // Pointer to a file that is gone: reported, the older one used.
  ASSERT_TRUE(WriteFileAtomically(run + "/checkpoints/latest", "ckpt-000000003.zfc\n").ok());
  loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.step, 2);
  EXPECT_TRUE(Contains(loaded->warnings, "ckpt-000000003.zfc", "unreadable"));
}

TEST(CheckpointManagerTest, AFileWithTheWrongStepIsRejected) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_ckpt_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run = temp_dir.path();
  CheckpointManager manager(run);
  ASSERT_TRUE(manager.Save(StateAt(5)).ok());
  ASSERT_TRUE(manager.Save(StateAt(6)).ok());
  // A copy of step 5 under step 6's name.
  ASSERT_TRUE(
      WriteFileAtomically(run + "/checkpoints/ckpt-000000006.zfc", SerializeCheckpoint(StateAt(5)))
          .ok());
  absl::StatusOr<LoadedCheckpoint> loaded = manager.LoadLatest();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->path, run + "/checkpoints/ckpt-000000005.zfc");
  EXPECT_TRUE(Contains(loaded->warnings, "ckpt-000000006.zfc", "step"));
}

TEST(CheckpointManagerTest, SavingAfterResumingFromAnOlderOneDropsTheAbandonedFuture) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_ckpt_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run = temp_dir.path();
  CheckpointManager manager(run, CheckpointOptions{5});
  for (int64_t step : {100, 200, 300}) ASSERT_TRUE(manager.Save(StateAt(step)).ok());
  ASSERT_TRUE(manager.Save(StateAt(250)).ok());  // resumed from 200
  const std::vector<std::string> files = manager.List();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files.back(), run + "/checkpoints/ckpt-000000250.zfc");
  EXPECT_EQ(manager.LoadLatest()->state.step, 250);
  // Stale temp files of a crashed writer are cleaned up.
  ASSERT_TRUE(WriteFileAtomically(run + "/checkpoints/ckpt-000000260.zfc.tmp.999999", "x").ok());
  ASSERT_TRUE(manager.Save(StateAt(270)).ok());
  EXPECT_FALSE(std::filesystem::exists(run + "/checkpoints/ckpt-000000260.zfc.tmp.999999"));
}

}  // namespace
}  // namespace zf
