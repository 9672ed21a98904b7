#include "common/game/game_state.h"

#include "absl/strings/str_cat.h"

namespace zf {

GameState::GameState(const Rules& rules) : rules_(rules) {}

bool GameState::IsLegal(int point) const {
  return outcome_ == Outcome::kOngoing && point >= 0 && point < num_points() &&
         cells_[point] == static_cast<uint8_t>(Cell::kEmpty);
}

int GameState::LegalMoves(absl::Span<int16_t> out) const {
  if (IsTerminal()) return 0;
  int n = 0;
  const int points = num_points();
  for (int p = 0; p < points; ++p) {
    if (cells_[p] == 0) out[n++] = static_cast<int16_t>(p);
  }
  return n;
}

absl::Status GameState::Play(int point) {
  if (IsTerminal()) return absl::FailedPreconditionError("game is over");
  if (point < 0 || point >= num_points()) {
    return absl::InvalidArgumentError(
        absl::StrCat("move ", point, " is off the ", size(), "x", size(), " board"));
  }
  if (cells_[point] != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("point (", point % size(), ",", point / size(), ") is occupied"));
  }
  PlayUnchecked(point);
  return absl::OkStatus();
}

void GameState::PlayUnchecked(int point) {
  const Cell stone = StoneOf(to_move_);
  cells_[point] = static_cast<uint8_t>(stone);
  ++move_count_;
  last_move_ = static_cast<int16_t>(point);
  if (MakesWin(point, stone)) {
    outcome_ = to_move_ == Player::kBlack ? Outcome::kBlackWin : Outcome::kWhiteWin;
  } else if (move_count_ == num_points()) {
    outcome_ = Outcome::kDraw;
  }
  to_move_ = Opponent(to_move_);
}

bool GameState::MakesWin(int point, Cell stone) const {
  static constexpr int kDirs[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  const int n = rules_.size;
  const int k = rules_.win_length;
  const int x0 = point % n;
  const int y0 = point / n;
  const uint8_t s = static_cast<uint8_t>(stone);
  for (const auto& d : kDirs) {
    int count = 1;
    // Count up to k+1 so standard rules can tell exactly-k from an overline.
    for (int sign = -1; sign <= 1; sign += 2) {
      int x = x0 + sign * d[0];
      int y = y0 + sign * d[1];
      while (count <= k && x >= 0 && x < n && y >= 0 && y < n && cells_[y * n + x] == s) {
        ++count;
        x += sign * d[0];
        y += sign * d[1];
      }
    }
    if (rules_.rule == Rule::kStandard ? count == k : count >= k) return true;
  }
  return false;
}

float GameState::ResultFor(Player p) const {
  switch (outcome_) {
    case Outcome::kBlackWin:
      return p == Player::kBlack ? 1.0f : -1.0f;
    case Outcome::kWhiteWin:
      return p == Player::kWhite ? 1.0f : -1.0f;
    default:
      return 0.0f;
  }
}

}  // namespace zf
