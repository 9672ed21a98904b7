// A human against the model in a terminal (`zerofleet play`), on any std::istream /
// std::ostream so tests script it. Implemented in play_session.cc. Not thread-safe.
//
//      a  b  c  d ...        the board after every move: letters across, numbers down,
//   1  .  .  .  . ...        X = black, O = white, the last move in brackets
//   2  .  . [X] . ...
//
//   you (X) > h8             a move: "h8" or "7,7" (x,y from 0)
//   commands: undo (take back your last move and the reply), swap (change colours; the model
//   takes over the side to move), hint (the model's suggestion for you), new, board, help,
//   quit. Bad input re-prompts with the reason; end of input quits cleanly.
//
// While the model searches, a line shows playouts, best move and win probability: redrawn
// in place on a terminal, printed every `progress_interval` otherwise.
#ifndef ZEROFLEET_TOOLS_PLAY_PLAY_SESSION_H_
#define ZEROFLEET_TOOLS_PLAY_PLAY_SESSION_H_

#include <cstdint>
#include <istream>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/search/search_runner.h"

namespace zf::play {

struct PlaySessionOptions {
  Rules rules;
  Player human = Player::kBlack;
  SearchRunnerOptions search;
  // Playouts per model move (and per hint) when move_time is zero.
  int64_t playouts = 400;
  // > 0: search each move for this long instead (the tree is capped at `max_memory`).
  absl::Duration move_time = absl::ZeroDuration();
  int64_t max_memory = int64_t{1} << 30;
  // The model plays uniformly random legal moves (player spec "random").
  bool random_moves = false;
  std::string model_name = "zerofleet";
  // Redraw the thinking line in place (a terminal) or print it every progress_interval.
  bool tty = false;
  absl::Duration progress_interval = absl::Seconds(1);
};

class PlaySession {
 public:
  // `evaluator` is not owned and must outlive the session.
  PlaySession(const PlaySessionOptions& options, Evaluator* evaluator, std::istream& in,
              std::ostream& out);

  // Plays until quit or end of input. An error only when the evaluator fails. Not thread-safe.
  absl::Status Run();

  // The game so far and who the human plays. Not thread-safe.
  const GameState& state() const { return runner_.state(); }
  const std::vector<int16_t>& moves() const { return moves_; }
  Player human() const { return human_; }

 private:
  // Handles one line of input; sets quit_.
  absl::Status HandleInput(const std::string& line);
  absl::Status ModelMove();
  absl::Status Hint();
  void Undo();
  void NewGame();
  void ShowBoard();
  void AnnounceResult();
  std::string Prompt() const;
  SearchLimits Limits() const;
  std::string Describe(Player p) const;  // "X (black)"
  // Replays moves_ into the runner.
  void Rebuild();

  PlaySessionOptions options_;
  std::istream& in_;
  std::ostream& out_;
  SearchRunner runner_;
  std::vector<int16_t> moves_;
  Player human_;
  std::mt19937_64 rng_;
  bool quit_ = false;
};

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_PLAY_SESSION_H_
