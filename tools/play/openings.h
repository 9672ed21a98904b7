// Opening positions for matches, in Piskvork's openings.txt offset format, plus a built-in
// set. Implemented in openings.cc. Thread-safe (pure functions).
//
// A line lists stones as "dx,dy" offsets from the centre (size/2, size/2), black first and
// alternating, y growing downwards as in the pbrain protocol:
//
//   -1,0, 0,1, 1,-1        black (c-1,c), white (c,c+1), black (c+1,c-1); white to move
//
// Empty lines and lines starting with '#' are skipped.
//
// Built-in set: the 26 canonical three-stone openings (black centre; white adjacent, "direct",
// or diagonal, "indirect"; the third black stone anywhere else in the central 5x5, up to
// symmetry). Matches play each opening twice with colours swapped, so an opening that favours
// one colour does not favour either player.
#ifndef ZEROFLEET_TOOLS_PLAY_OPENINGS_H_
#define ZEROFLEET_TOOLS_PLAY_OPENINGS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/game/rules.h"

namespace zf::play {

struct Opening {
  std::vector<std::pair<int, int>> offsets;  // (dx, dy) from the centre, in move order
  bool operator==(const Opening& o) const { return offsets == o.offsets; }
};

std::vector<Opening> BuiltinOpenings();

// Parses openings.txt text; an error names the line and the problem.
absl::StatusOr<std::vector<Opening>> ParseOpenings(absl::string_view text);
absl::StatusOr<std::vector<Opening>> ReadOpeningsFile(const std::string& path);
// "-1,0, 0,1, 1,-1"
std::string FormatOpening(const Opening& opening);

// The opening as points on a board of `rules`; an error if a stone is off the board, two
// stones share a point, or the opening already ends the game.
absl::StatusOr<std::vector<int16_t>> OpeningMoves(const Opening& opening, const Rules& rules);

// Every opening that fits `rules` (errors dropped), as move lists; the empty opening if none.
std::vector<std::vector<int16_t>> OpeningsForRules(const std::vector<Opening>& openings,
                                                   const Rules& rules);

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_OPENINGS_H_
