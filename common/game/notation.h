// Move notation and text forms of positions. Implemented in notation.cc. Thread-safe.
//
//   Gomoku letters: column letter a..t (x = 0..19), then row number 1..20 (y = 0..19);
//                   "h8" is the centre of 15x15.
//   Piskvork:       "x,y" with 0-based x (column) and y (row), as in the pbrain protocol.
//   Move list:      moves separated by spaces, in either notation ("h8 i9 7,9").
#ifndef ZEROFLEET_COMMON_GAME_NOTATION_H_
#define ZEROFLEET_COMMON_GAME_NOTATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/game/game_state.h"

namespace zf {

std::string FormatMove(int point, int size);    // "h8"
std::string FormatMoveXY(int point, int size);  // "7,7"
// Accepts either notation; an error names the text and why it is not a move on this board.
absl::StatusOr<int> ParseMove(absl::string_view text, int size);

std::string FormatMoveList(absl::Span<const int16_t> moves, int size);
absl::StatusOr<std::vector<int16_t>> ParseMoveList(absl::string_view text, int size);
// Plays a move list from the empty board; an error names the move number and the problem.
absl::StatusOr<GameState> PositionFromMoveList(const Rules& rules, absl::string_view text);

// The board as text: letters across, numbers down, X = black, O = white, the last move in
// brackets, e.g. "[X]".
std::string RenderBoard(const GameState& state);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_GAME_NOTATION_H_
