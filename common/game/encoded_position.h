// The compact form of a position that search hands to evaluators (and, later, the wire).
// Implemented in encoded_position.cc. A plain value type.
//
// Stones are bit-packed relative to the side to move:
//
//   own[w] bit b  = point 64*w + b holds a stone of the player to move
//   opp[w] bit b  = point 64*w + b holds an opponent stone
//   words: 7 x 64 bits cover the 400 points of the largest (20x20) board
//
// Networks see "own / opponent" planes, so one net serves both colours.
#ifndef ZEROFLEET_COMMON_GAME_ENCODED_POSITION_H_
#define ZEROFLEET_COMMON_GAME_ENCODED_POSITION_H_

#include <array>
#include <cstdint>

#include "common/game/game_state.h"

namespace zf {

constexpr int kPlaneWords = (kMaxPoints + 63) / 64;

struct EncodedPosition {
  std::array<uint64_t, kPlaneWords> own{};
  std::array<uint64_t, kPlaneWords> opp{};
  int16_t last_move = kNoMove;
  uint8_t size = 0;
  uint8_t win_length = 0;
  Rule rule = Rule::kFreestyle;
  Player to_move = Player::kBlack;

  static bool Bit(const std::array<uint64_t, kPlaneWords>& plane, int p) {
    return (plane[p >> 6] >> (p & 63)) & 1;
  }
  bool IsOwn(int p) const { return Bit(own, p); }
  bool IsOpp(int p) const { return Bit(opp, p); }
  bool IsEmpty(int p) const { return !IsOwn(p) && !IsOpp(p); }
  bool operator==(const EncodedPosition& o) const;
};

EncodedPosition Encode(const GameState& state);
// The same position under a board symmetry (see symmetry.h).
EncodedPosition TransformEncoded(const EncodedPosition& pos, int symmetry);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_GAME_ENCODED_POSITION_H_
