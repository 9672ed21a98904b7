// The learner's replay buffer: a FIFO window of training positions in compact form, sampled
// into tensors with random board symmetries. Implemented in replay_buffer.cc.
//
// Storage: positions are records of position_codec.h (~100-150 bytes on 15x15) appended to
// chunks of kChunkPositions records; eviction advances `head_` and frees a chunk once all its
// records are gone, so memory is about the bytes of the live records plus 4 per position.
//
//   chunks_:  [ chunk 0: bytes | ends ][ chunk 1 ][ ... ][ last chunk (filling) ]
//               ^ head_ records evicted
//   position i (0 = oldest live) = record head_ + i, in chunk (head_+i) / kChunkPositions
//   record r of a chunk = bytes[ends[r-1] .. ends[r])
//
// All positions must share one board size (the first game sets it), so a batch is one tensor.
#ifndef ZEROFLEET_LEARNER_REPLAY_BUFFER_H_
#define ZEROFLEET_LEARNER_REPLAY_BUFFER_H_

#include <torch/torch.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/game/game_record.h"
#include "learner/training_data.h"

namespace zf {

struct ReplayBufferOptions {
  // Positions kept; the oldest are dropped beyond this.
  int64_t capacity = 500000;
  // Apply a random one of the 8 board symmetries to every sampled position.
  bool augment_symmetries = true;
  // Growing sampling window (KataGo's shape): batches come from the newest W(N) positions,
  // N = positions ever added, c = window_min:
  //   W(N) = N                                            for N <= c
  //   W(N) = c * (1 + beta * ((N / c)^alpha - 1) / alpha)  beyond
  // so early near-random games leave the batches as the run grows. 0 = the whole buffer.
  int64_t window_min = 0;
  double window_alpha = 0.75;
  double window_beta = 0.4;
};

absl::Status ValidateReplayBufferOptions(const ReplayBufferOptions& options);

// W(N) above (N itself when window_min is 0). Thread-safe.
int64_t SamplingWindow(const ReplayBufferOptions& options, int64_t total_added);

// One training minibatch, CPU float32 tensors.
struct TrainingBatch {
  torch::Tensor inputs;  // [B, kInputPlanes, n, n] (common/nn/network.h planes)
  torch::Tensor policy;  // [B, n*n] target distribution, rows sum to 1
  torch::Tensor value;   // [B] target in [-1, 1] for the side to move
};

class ReplayBuffer {
 public:
  static constexpr int kChunkPositions = 4096;

  // `options` must pass ValidateReplayBufferOptions.
  explicit ReplayBuffer(const ReplayBufferOptions& options = {});

  // Adds the training positions of a finished game (ExtractTrainingPositions); returns how
  // many. Errors: an invalid record, or a board size other than the buffer's. Thread-safe.
  absl::StatusOr<int> AddGame(const GameRecord& record);
  // Adds one game's positions, already extracted (and so validated) by the caller; counts the
  // game. All-or-nothing. Thread-safe.
  absl::Status AddGamePositions(absl::Span<const TrainingPosition> positions);
  // Adds positions directly (tests, imports); all-or-nothing. Thread-safe.
  absl::Status AddPositions(absl::Span<const TrainingPosition> positions);

  // `batch_size` positions drawn uniformly with replacement from the newest
  // min(size, SamplingWindow) positions, each under a random symmetry
  // (same symmetry for its stones, last move and policy target). Uses only `rng`, so the same
  // buffer and rng state give the same batch. Error if the buffer is empty. Thread-safe.
  absl::StatusOr<TrainingBatch> Sample(int batch_size, std::mt19937_64& rng) const;

  // Position i, 0 = oldest kept (root_value is quantized to 1/127). Thread-safe.
  absl::StatusOr<TrainingPosition> Get(int64_t i) const;

  // Positions kept now. Thread-safe.
  int64_t size() const;
  // Positions ever added (including evicted ones), and games. Thread-safe.
  int64_t total_added() const;
  int64_t games_added() const;
  // Board size of the stored positions; 0 while empty and never filled. Thread-safe.
  int board_size() const;
  // Stored bytes per kept position: record bytes plus the per-position index. Thread-safe.
  double BytesPerPosition() const;
  // Heap bytes held by the storage (allocated capacity, including freed-but-kept chunk
  // space). Thread-safe.
  int64_t MemoryBytes() const;

  // Checkpoint form of the contents and counters (not the options):
  //   "ZFRB" | u32 version | u64 total_added | u64 games_added | u8 board size | u64 count |
  //   count x (u16 length | record) | u32 crc32 of all preceding bytes
  // Deserialize replaces the contents, checking magic, version, checksum and every record;
  // beyond this buffer's capacity it keeps the newest. Serialize after Deserialize gives the
  // same bytes (capacity permitting). Thread-safe.
  std::string Serialize() const;
  absl::Status Deserialize(absl::string_view bytes);

 private:
  struct Chunk {
    std::string bytes;
    std::vector<uint32_t> ends;  // end offset of each record in `bytes`
  };

  // Adds `positions` and counts `games` in one critical section.
  absl::Status Add(absl::Span<const TrainingPosition> positions, int games);
  absl::string_view RecordLocked(int64_t i) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void AppendRecordLocked(absl::string_view record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t SizeLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const ReplayBufferOptions options_;
  mutable absl::Mutex mu_;
  std::deque<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  int64_t head_ ABSL_GUARDED_BY(mu_) = 0;  // evicted records at the front of chunks_[0]
  int64_t live_record_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t total_added_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t games_added_ ABSL_GUARDED_BY(mu_) = 0;
  int board_size_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_REPLAY_BUFFER_H_
