// Compact wire forms of positions and policies for the gRPC services. Implemented in wire.cc.
// Every function is thread-safe (pure functions, no shared state).
//
// Packed position, PackedPositionBytes(n) = 3 + 2 * ceil(n*n/8) bytes (15x15: 61):
//
//   +-------+-----------+------------------------+------------------------+
//   | flags | last move | own plane              | opp plane              |
//   | 1 B   | u16 LE    | ceil(n*n/8) B          | ceil(n*n/8) B          |
//   +-------+-----------+------------------------+------------------------+
//   flags bit 0: side to move (0 black, 1 white), bits 1..7 zero
//   last move: point y*n+x, 0xFFFF = none
//   plane bit p = byte p/8, bit p%8 (LSB first), so the 64-bit words of
//   zf::EncodedPosition are copied byte for byte
//
// Board size, win length and rule travel once per request, not per position.
// Policies travel as IEEE 754 binary16 (2 bytes per point, little-endian).
#ifndef ZEROFLEET_COMMON_RPC_WIRE_H_
#define ZEROFLEET_COMMON_RPC_WIRE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/game/encoded_position.h"
#include "common/game/rules.h"

namespace zf {

constexpr uint16_t kWireNoMove = 0xFFFF;

// Bytes of one packed position on an n x n board.
inline size_t PackedPositionBytes(int board_size) {
  const size_t plane = (static_cast<size_t>(board_size) * board_size + 7) / 8;
  return 3 + 2 * plane;
}

// Appends the packed form of `pos` to `out`.
void AppendPackedPosition(const EncodedPosition& pos, std::string* out);

// Unpacks one position of `rules` from exactly PackedPositionBytes(rules.size) bytes, checking
// everything: length, flag bits, bits past the board, points in both planes, last move in range
// and an opponent stone (or none). Errors are InvalidArgument saying what is wrong.
absl::StatusOr<EncodedPosition> UnpackPosition(absl::string_view bytes, const Rules& rules);

// Unpacks `count` positions packed back to back; the length must be exact.
absl::Status UnpackPositions(absl::string_view bytes, const Rules& rules, int count,
                             absl::Span<EncodedPosition> out);

// IEEE 754 binary16 <-> float (round to nearest even; inf/NaN kept; subnormals handled).
uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);

// Appends `values` as little-endian binary16 to `out`.
void AppendHalfs(absl::Span<const float> values, std::string* out);
// Decodes bytes.size()/2 binary16 values into `out` (which must be exactly that long).
absl::Status DecodeHalfs(absl::string_view bytes, absl::Span<float> out);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_WIRE_H_
