// A Gomoku position: stones, side to move, last move, outcome. Implemented in game_state.cc.
// Not thread-safe; copy it freely (a few hundred bytes, no heap).
//
// Board layout: one byte per point, row-major, point = y * size + x, (0,0) top-left.
//
//      x=0  1  2 ...
//   y=0  [0][1][2]...
//   y=1  [n][n+1]...
//
// The win check looks only at the four lines through the last move.
#ifndef ZEROFLEET_COMMON_GAME_GAME_STATE_H_
#define ZEROFLEET_COMMON_GAME_GAME_STATE_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/game/rules.h"

namespace zf {

enum class Player : uint8_t { kBlack = 0, kWhite = 1 };  // black moves first
inline Player Opponent(Player p) { return p == Player::kBlack ? Player::kWhite : Player::kBlack; }

enum class Cell : uint8_t { kEmpty = 0, kBlack = 1, kWhite = 2 };
inline Cell StoneOf(Player p) { return p == Player::kBlack ? Cell::kBlack : Cell::kWhite; }

enum class Outcome : uint8_t { kOngoing = 0, kBlackWin = 1, kWhiteWin = 2, kDraw = 3 };

constexpr int kNoMove = -1;

class GameState {
 public:
  // `rules` must pass ValidateRules.
  explicit GameState(const Rules& rules);

  const Rules& rules() const { return rules_; }
  int size() const { return rules_.size; }
  int num_points() const { return rules_.size * rules_.size; }
  Player to_move() const { return to_move_; }
  Cell at(int point) const { return static_cast<Cell>(cells_[point]); }
  Cell at(int x, int y) const { return at(y * rules_.size + x); }
  int move_count() const { return move_count_; }
  int last_move() const { return last_move_; }
  Outcome outcome() const { return outcome_; }
  bool IsTerminal() const { return outcome_ != Outcome::kOngoing; }

  // An empty point on the board while the game is on.
  bool IsLegal(int point) const;
  // Writes the legal moves into `out` (at least num_points() long); returns how many.
  int LegalMoves(absl::Span<int16_t> out) const;

  // Checked move: an error names the problem (off board, occupied, game over).
  absl::Status Play(int point);
  // Fast path for search; `point` must be legal.
  void PlayUnchecked(int point);

  // +1 if `p` won, -1 if it lost, 0 for a draw or an ongoing game.
  float ResultFor(Player p) const;

 private:
  // Stones of the mover's colour in a line through `point`, both directions.
  bool MakesWin(int point, Cell stone) const;

  Rules rules_;
  Player to_move_ = Player::kBlack;
  Outcome outcome_ = Outcome::kOngoing;
  int16_t move_count_ = 0;
  int16_t last_move_ = kNoMove;
  std::array<uint8_t, kMaxPoints> cells_{};
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_GAME_GAME_STATE_H_
