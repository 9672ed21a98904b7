#include "common/game/encoded_position.h"

#include "common/game/symmetry.h"

namespace zf {

bool EncodedPosition::operator==(const EncodedPosition& o) const {
  return own == o.own && opp == o.opp && last_move == o.last_move && size == o.size &&
         win_length == o.win_length && rule == o.rule && to_move == o.to_move;
}

EncodedPosition Encode(const GameState& state) {
  EncodedPosition e;
  e.size = static_cast<uint8_t>(state.size());
  e.win_length = static_cast<uint8_t>(state.rules().win_length);
  e.rule = state.rules().rule;
  e.to_move = state.to_move();
  e.last_move = static_cast<int16_t>(state.last_move());
  const Cell mine = StoneOf(state.to_move());
  const int n = state.num_points();
  for (int p = 0; p < n; ++p) {
    const Cell c = state.at(p);
    if (c == Cell::kEmpty) continue;
    auto& plane = c == mine ? e.own : e.opp;
    plane[p >> 6] |= uint64_t{1} << (p & 63);
  }
  return e;
}

EncodedPosition TransformEncoded(const EncodedPosition& pos, int symmetry) {
  EncodedPosition out = pos;
  out.own.fill(0);
  out.opp.fill(0);
  const int n = pos.size * pos.size;
  for (int p = 0; p < n; ++p) {
    const int q = TransformPoint(p, symmetry, pos.size);
    if (pos.IsOwn(p)) out.own[q >> 6] |= uint64_t{1} << (q & 63);
    if (pos.IsOpp(p)) out.opp[q >> 6] |= uint64_t{1} << (q & 63);
  }
  if (pos.last_move >= 0)
    out.last_move = static_cast<int16_t>(TransformPoint(pos.last_move, symmetry, pos.size));
  return out;
}

}  // namespace zf
