// Checkpoints of a training run: one self-checking file per save, a `latest` pointer, the
// last K kept. Implemented in checkpoint.cc.
//
// Files, under <run_dir>/checkpoints/:
//   ckpt-000001200.zfc   one checkpoint (step in 9+ digits), written atomically
//   latest               "ckpt-000001200.zfc\n", written atomically after the checkpoint
//
// Checkpoint file layout (little-endian):
//
//   "ZFCK" | u32 version | u32 section count | section * count
//   section = u32 tag | u64 length | u32 crc32(payload) | payload
//   tags: 1 meta (i64 step, i64 model version)  2 config text  3 rng state
//         4 trainer state (Trainer::Serialize)   5 replay buffer (ReplayBuffer::Serialize)
//
// Unknown tags are skipped (newer writers may add sections); missing ones are an error.
// Loading follows `latest`; a truncated or corrupt file (or pointer) is reported by name and
// the next older checkpoint is tried.
#ifndef ZEROFLEET_LEARNER_CHECKPOINT_H_
#define ZEROFLEET_LEARNER_CHECKPOINT_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace zf {

struct CheckpointState {
  int64_t step = 0;
  int64_t model_version = 0;
  std::string config_text;    // the run's flags/config as text
  std::string rng_state;      // e.g. SerializeRng of the learner's sampling rng
  std::string trainer_state;  // Trainer::Serialize
  std::string replay_buffer;  // ReplayBuffer::Serialize

  bool operator==(const CheckpointState& o) const {
    return step == o.step && model_version == o.model_version && config_text == o.config_text &&
           rng_state == o.rng_state && trainer_state == o.trainer_state &&
           replay_buffer == o.replay_buffer;
  }
};

// The file bytes of `state`, and back (checks every length and checksum). Thread-safe.
std::string SerializeCheckpoint(const CheckpointState& state);
absl::StatusOr<CheckpointState> ParseCheckpoint(absl::string_view bytes);

// The text form of a std::mt19937_64 state and back. Thread-safe.
std::string SerializeRng(const std::mt19937_64& rng);
absl::Status ParseRng(absl::string_view text, std::mt19937_64* rng);

struct CheckpointOptions {
  int keep_last = 3;  // checkpoints kept after each save (>= 1)
};

struct LoadedCheckpoint {
  CheckpointState state;
  std::string path;                   // the file it came from
  std::vector<std::string> warnings;  // files skipped and why (also printed to stderr)
};

class CheckpointManager {
 public:
  CheckpointManager(std::string run_dir, const CheckpointOptions& options = {});

  // Writes ckpt-<step>.zfc durably, points `latest` at it, then deletes all but the newest
  // keep_last checkpoints, any of a later step (left by a timeline abandoned on resume) and
  // temp files left by a crash. Returns the path. Thread-safe (saves are serialized).
  absl::StatusOr<std::string> Save(const CheckpointState& state);

  // The checkpoint `latest` names or, if it (or the pointer) is missing, truncated or corrupt,
  // the newest good older one; warnings say which files were skipped and why. NotFound when
  // there is no checkpoint; DataLoss (listing every reason) when none is readable.
  // Thread-safe.
  absl::StatusOr<LoadedCheckpoint> LoadLatest() const;

  // Checkpoint files present, oldest first (full paths). Thread-safe.
  std::vector<std::string> List() const;

  // <run_dir>/checkpoints. Thread-safe.
  const std::string& dir() const { return dir_; }

  // "ckpt-000001200.zfc".
  static std::string FileName(int64_t step);

 private:
  const std::string dir_;
  const CheckpointOptions options_;
  absl::Mutex save_mu_;
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_CHECKPOINT_H_
