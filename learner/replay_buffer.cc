#include "learner/replay_buffer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/game/symmetry.h"
#include "common/nn/network.h"
#include "common/util/bytes.h"
#include "learner/position_codec.h"

namespace zf {
namespace {

constexpr char kMagic[] = "ZFRB";
constexpr uint32_t kFormatVersion = 1;

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("replay buffer checkpoint: ", why));
}

}  // namespace

absl::Status ValidateReplayBufferOptions(const ReplayBufferOptions& options) {
  if (options.capacity < 1 || options.capacity > (int64_t{1} << 34)) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay buffer capacity = ", options.capacity, " out of range: 1..2^34"));
  }
  if (options.window_min < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay_window = ", options.window_min, " out of range: >= 0 (0 = off)"));
  }
  if (!(options.window_alpha > 0 && options.window_alpha <= 1) ||
      !(options.window_beta >= 0 && options.window_beta <= 10)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "replay window shape alpha = ", options.window_alpha, ", beta = ", options.window_beta,
        " out of range: 0 < alpha <= 1, 0 <= beta <= 10"));
  }
  return absl::OkStatus();
}

int64_t SamplingWindow(const ReplayBufferOptions& o, int64_t total_added) {
  const double c = static_cast<double>(o.window_min);
  const double n = static_cast<double>(total_added);
  if (o.window_min == 0 || n <= c) return total_added;
  const double w = c * (1 + o.window_beta * (std::pow(n / c, o.window_alpha) - 1) / o.window_alpha);
  return std::min(total_added, static_cast<int64_t>(w));
}

ReplayBuffer::ReplayBuffer(const ReplayBufferOptions& options) : options_(options) {}

absl::StatusOr<int> ReplayBuffer::AddGame(const GameRecord& record) {
  absl::StatusOr<std::vector<TrainingPosition>> positions = ExtractTrainingPositions(record);
  if (!positions.ok()) return positions.status();
  if (absl::Status s = Add(*positions, /*games=*/1); !s.ok()) return s;
  return static_cast<int>(positions->size());
}

absl::Status ReplayBuffer::AddGamePositions(absl::Span<const TrainingPosition> positions) {
  return Add(positions, /*games=*/1);
}

absl::Status ReplayBuffer::AddPositions(absl::Span<const TrainingPosition> positions) {
  return Add(positions, /*games=*/0);
}

absl::Status ReplayBuffer::Add(absl::Span<const TrainingPosition> positions, int games) {
  // Encode outside the lock; samplers keep running meanwhile.
  const int n = positions.empty() ? 0 : positions[0].position.size;
  std::string records;
  std::vector<uint32_t> ends;
  ends.reserve(positions.size());
  for (const TrainingPosition& tp : positions) {
    if (tp.position.size != n) {
      return absl::InvalidArgumentError(absl::StrCat("positions on ", n, "x", n, " and ",
                                                     int{tp.position.size}, "x",
                                                     int{tp.position.size}, " boards in one call"));
    }
    EncodeCompact(tp, &records);
    ends.push_back(static_cast<uint32_t>(records.size()));
  }
  absl::MutexLock lock(&mu_);
  if (!positions.empty()) {
    if (board_size_ != 0 && board_size_ != n) {
      return absl::InvalidArgumentError(absl::StrCat("a ", n, "x", n,
                                                     " game for a replay buffer of ", board_size_,
                                                     "x", board_size_, " positions"));
    }
    board_size_ = n;
  }
  uint32_t begin = 0;
  for (uint32_t end : ends) {
    AppendRecordLocked(absl::string_view(records).substr(begin, end - begin));
    begin = end;
  }
  total_added_ += static_cast<int64_t>(positions.size());
  games_added_ += games;
  EvictLocked();
  return absl::OkStatus();
}

void ReplayBuffer::AppendRecordLocked(absl::string_view record) {
  if (chunks_.empty() || chunks_.back().ends.size() == kChunkPositions) {
    if (!chunks_.empty()) chunks_.back().bytes.shrink_to_fit();
    chunks_.emplace_back();
    chunks_.back().ends.reserve(kChunkPositions);
  }
  Chunk& c = chunks_.back();
  c.bytes.append(record.data(), record.size());
  c.ends.push_back(static_cast<uint32_t>(c.bytes.size()));
  live_record_bytes_ += static_cast<int64_t>(record.size());
}

void ReplayBuffer::EvictLocked() {
  while (SizeLocked() > options_.capacity) {
    Chunk& front = chunks_.front();
    const uint32_t begin = head_ == 0 ? 0 : front.ends[head_ - 1];
    live_record_bytes_ -= front.ends[head_] - begin;
    // A chunk is exhausted only when full: size > capacity >= 1 keeps the filling one alive.
    if (++head_ == kChunkPositions) {
      chunks_.pop_front();
      head_ = 0;
    }
  }
}

void ReplayBuffer::ClearLocked() {
  chunks_.clear();
  head_ = 0;
  live_record_bytes_ = 0;
  total_added_ = 0;
  games_added_ = 0;
  board_size_ = 0;
}

int64_t ReplayBuffer::SizeLocked() const {
  if (chunks_.empty()) return 0;
  return static_cast<int64_t>(chunks_.size() - 1) * kChunkPositions +
         static_cast<int64_t>(chunks_.back().ends.size()) - head_;
}

absl::string_view ReplayBuffer::RecordLocked(int64_t i) const {
  const int64_t g = head_ + i;
  const Chunk& c = chunks_[g / kChunkPositions];
  const int64_t r = g % kChunkPositions;
  const uint32_t begin = r == 0 ? 0 : c.ends[r - 1];
  return absl::string_view(c.bytes).substr(begin, c.ends[r] - begin);
}

absl::StatusOr<TrainingBatch> ReplayBuffer::Sample(int batch_size, std::mt19937_64& rng) const {
  if (batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("batch size ", batch_size, " must be >= 1"));
  }
  std::vector<EncodedPosition> positions(batch_size);
  TrainingBatch batch;
  {
    absl::ReaderMutexLock lock(&mu_);
    const int64_t size = SizeLocked();
    if (size == 0) return absl::FailedPreconditionError("replay buffer is empty");
    const int64_t window =
        std::max<int64_t>(1, std::min(size, SamplingWindow(options_, total_added_)));
    const int64_t first = size - window;
    const int n = board_size_;
    const int points = n * n;
    batch.policy = torch::empty({batch_size, points}, torch::kFloat32);
    batch.value = torch::empty({batch_size}, torch::kFloat32);
    float* policy = batch.policy.data_ptr<float>();
    float* value = batch.value.data_ptr<float>();
    std::vector<float> plain(points);
    for (int b = 0; b < batch_size; ++b) {
      // rng() % size and % 8: fixed arithmetic, so a seed replays the same on every platform.
      const int64_t index = first + static_cast<int64_t>(rng() % static_cast<uint64_t>(window));
      const int symmetry = options_.augment_symmetries ? static_cast<int>(rng() % 8) : 0;
      EncodedPosition pos;
      absl::Status s =
          DecodeCompactInto(RecordLocked(index), &pos, absl::MakeSpan(plain), &value[b]);
      if (!s.ok()) return s;
      positions[b] = TransformEncoded(pos, symmetry);
      TransformPolicy(plain, symmetry, n, absl::MakeSpan(policy + int64_t{b} * points, points));
    }
  }
  batch.inputs = EncodeInputs(positions);
  return batch;
}

absl::StatusOr<TrainingPosition> ReplayBuffer::Get(int64_t i) const {
  absl::ReaderMutexLock lock(&mu_);
  if (i < 0 || i >= SizeLocked()) {
    return absl::OutOfRangeError(
        absl::StrCat("position ", i, " of a replay buffer holding ", SizeLocked()));
  }
  return DecodeCompact(RecordLocked(i));
}

int64_t ReplayBuffer::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return SizeLocked();
}

int64_t ReplayBuffer::total_added() const {
  absl::ReaderMutexLock lock(&mu_);
  return total_added_;
}

int64_t ReplayBuffer::games_added() const {
  absl::ReaderMutexLock lock(&mu_);
  return games_added_;
}

int ReplayBuffer::board_size() const {
  absl::ReaderMutexLock lock(&mu_);
  return board_size_;
}

double ReplayBuffer::BytesPerPosition() const {
  absl::ReaderMutexLock lock(&mu_);
  const int64_t size = SizeLocked();
  if (size == 0) return 0;
  return static_cast<double>(live_record_bytes_ + size * int64_t{sizeof(uint32_t)}) / size;
}

int64_t ReplayBuffer::MemoryBytes() const {
  absl::ReaderMutexLock lock(&mu_);
  int64_t bytes = 0;
  for (const Chunk& c : chunks_) {
    bytes += sizeof(Chunk) + c.bytes.capacity() + c.ends.capacity() * sizeof(uint32_t);
  }
  return bytes;
}

std::string ReplayBuffer::Serialize() const {
  absl::ReaderMutexLock lock(&mu_);
  ByteWriter w;
  w.Bytes(absl::string_view(kMagic, 4));
  w.U32(kFormatVersion);
  w.U64(static_cast<uint64_t>(total_added_));
  w.U64(static_cast<uint64_t>(games_added_));
  w.U8(static_cast<uint8_t>(board_size_));
  const int64_t size = SizeLocked();
  w.U64(static_cast<uint64_t>(size));
  for (int64_t i = 0; i < size; ++i) {
    const absl::string_view record = RecordLocked(i);
    w.U16(static_cast<uint16_t>(record.size()));
    w.Bytes(record);
  }
  w.U32(Crc32(w.data()));
  return w.Release();
}

absl::Status ReplayBuffer::Deserialize(absl::string_view bytes) {
  if (bytes.size() < 4 + 4 + 8 + 8 + 1 + 8 + 4) return Corrupt("truncated header");
  if (bytes.substr(0, 4) != absl::string_view(kMagic, 4)) return Corrupt("bad magic");
  const std::optional<absl::string_view> verified = VerifyTrailingCrc32(bytes);
  if (!verified) return Corrupt("checksum mismatch (truncated or corrupt)");
  const absl::string_view body = *verified;
  ByteReader r(body.substr(4));
  uint32_t version;
  uint64_t total_added, games_added, count;
  uint8_t board_size;
  if (!r.U32(&version) || !r.U64(&total_added) || !r.U64(&games_added) || !r.U8(&board_size) ||
      !r.U64(&count)) {
    return Corrupt("truncated header");
  }
  if (version != kFormatVersion) {
    return absl::UnimplementedError(absl::StrCat("replay buffer format version ", version,
                                                 "; this build reads ", kFormatVersion));
  }
  if (count > r.remaining() / 2 || total_added < count) return Corrupt("bad position count");
  std::vector<absl::string_view> records;
  records.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint16_t length;
    absl::string_view record;
    if (!r.U16(&length) || !r.Bytes(length, &record)) {
      return Corrupt(absl::StrCat("truncated at position ", i));
    }
    if (CompactBoardSize(record) != board_size) {
      return Corrupt(absl::StrCat("position ", i, " is not for the buffer's board size"));
    }
    if (absl::StatusOr<TrainingPosition> tp = DecodeCompact(record); !tp.ok()) {
      return Corrupt(absl::StrCat("position ", i, ": ", tp.status().message()));
    }
    records.push_back(record);
  }
  if (r.remaining() != 0) return Corrupt("trailing bytes");
  absl::MutexLock lock(&mu_);
  ClearLocked();
  const size_t keep = static_cast<size_t>(std::min<int64_t>(count, options_.capacity));
  for (size_t i = records.size() - keep; i < records.size(); ++i) AppendRecordLocked(records[i]);
  total_added_ = static_cast<int64_t>(total_added);
  games_added_ = static_cast<int64_t>(games_added);
  board_size_ = board_size;
  return absl::OkStatus();
}

}  // namespace zf
