// Positions for the nn tests: random legal games, encoded. Header-only.
#ifndef ZEROFLEET_TESTS_COMMON_NN_TEST_POSITIONS_H_
#define ZEROFLEET_TESTS_COMMON_NN_TEST_POSITIONS_H_

#include <cstdint>
#include <random>
#include <vector>

#include "common/game/encoded_position.h"
#include "common/game/game_state.h"

namespace zf {
namespace testing {

// `count` positions from seeded random games on an n x n board (k = min(n, 5)), each after a
// random number of moves (0 included), so stones, side to move and last move all vary.
inline std::vector<EncodedPosition> RandomPositions(int n, int count, uint32_t seed,
                                                    Rule rule = Rule::kFreestyle) {
  std::mt19937 rng(seed);
  Rules rules{n, n < 5 ? n : 5, rule};
  std::vector<EncodedPosition> out;
  std::vector<int16_t> legal(n * n);
  while (static_cast<int>(out.size()) < count) {
    GameState state(rules);
    const int moves = static_cast<int>(rng() % (n * n / 2 + 1));
    for (int m = 0; m < moves && !state.IsTerminal(); ++m) {
      const int num = state.LegalMoves(absl::MakeSpan(legal));
      state.PlayUnchecked(legal[rng() % num]);
    }
    out.push_back(Encode(state));
  }
  return out;
}

}  // namespace testing
}  // namespace zf

#endif  // ZEROFLEET_TESTS_COMMON_NN_TEST_POSITIONS_H_
