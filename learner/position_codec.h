// The compact byte form of a TrainingPosition that the replay buffer stores. Implemented in
// position_codec.cc. Functions are thread-safe (no shared state).
//
// Record layout (7 header bytes, then a bit stream, least significant bit first, padded to a
// byte):
//
//   byte 0  board size n          byte 3-4  last move (i16, -1 = none)
//   byte 1  win length k          byte 5    value target     round(127 * v), int8
//   byte 2  flags:                byte 6    root value       round(127 * v), int8
//           bits 0-1 rule, bit 2 side to move (1 = white), bits 3-5 Exp-Golomb order g
//   bits    n*n occupancy bits (point order)
//           one bit per occupied point, in point order: 1 = stone of the side to move
//           the root visit count of every EMPTY point, in point order, Exp-Golomb order g
//
// Visits are stored exactly. Exp-Golomb spends 1 + 2*floor(log2(v/2^g + 1)) + g bits on a count
// v, so an unvisited point costs ~1 bit and the broad, flat distributions of a weak net cost
// ~3-5 bits a point; the encoder picks the order g (0..7) that makes the record shortest.
// On 15x15 this is ~90-150 bytes a position against 225+ for a dense byte per point.
#ifndef ZEROFLEET_LEARNER_POSITION_CODEC_H_
#define ZEROFLEET_LEARNER_POSITION_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "learner/training_data.h"

namespace zf {

// Appends the record of `tp` to *out. `tp` must be valid (visits on empty points, as
// ExtractTrainingPositions guarantees). root_value is quantized to 1/127; the rest is exact.
void EncodeCompact(const TrainingPosition& tp, std::string* out);

// The position back from a whole record; checks every field and the length.
absl::StatusOr<TrainingPosition> DecodeCompact(absl::string_view record);

// The sampling path: the position, its dense policy target (n*n floats, as
// TrainingPosition::PolicyTarget) and value target, without building the sparse visit list.
absl::Status DecodeCompactInto(absl::string_view record, EncodedPosition* position,
                               absl::Span<float> policy, float* value);

// The board size a record is for (its first byte), or 0 if the record is empty.
inline int CompactBoardSize(absl::string_view record) {
  return record.empty() ? 0 : static_cast<unsigned char>(record[0]);
}

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_POSITION_CODEC_H_
