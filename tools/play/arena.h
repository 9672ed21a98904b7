// Matches between two players: many games at once, batched evaluation, colours alternating,
// balanced openings. Implemented in arena.cc. RunArena blocks its caller and is thread-safe
// in the sense that separate calls share nothing but the evaluators (which are thread-safe).
//
// One round over all games in flight:
//   1. Every game whose side to move is a search player selects a few leaves; the leaves go
//      into that player's batch.
//   2. One evaluator call per player for its whole batch.
//   3. Results are backed up into the trees they came from.
//   4. Games move: search players whose playout budget is spent play their most visited move;
//      random players move at once; engines (pbrain) are asked once and polled until they
//      answer. Finished games are reported and their slot starts the next game.
//
// Game g plays opening (g / 2) % openings, player 1 black when g is even, so every opening is
// played once with each colour. An engine that times out, exits, or plays an illegal move
// loses the game; the reason is recorded.
#ifndef ZEROFLEET_TOOLS_PLAY_ARENA_H_
#define ZEROFLEET_TOOLS_PLAY_ARENA_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/game/game_record.h"
#include "common/search/evaluator.h"
#include "common/search/search_runner.h"
#include "tools/play/pbrain_client.h"
#include "tools/play/rating.h"

namespace zf::play {

enum class PlayerKind {
  kSearch,  // PUCT search with an evaluator and a playout budget per move
  kRandom,  // a uniformly random legal move
  kEngine,  // an external engine over the pbrain protocol
};

struct ArenaPlayer {
  std::string name;
  PlayerKind kind = PlayerKind::kSearch;
  // kSearch: not owned; one evaluator call per round serves all of this player's games.
  Evaluator* evaluator = nullptr;
  SearchRunnerOptions search;  // kSearch (the seed is varied per game)
  int64_t playouts = 400;      // kSearch: new playouts per move
  PbrainClientOptions engine;  // kEngine
};

struct ArenaOptions {
  Rules rules;
  int64_t games = 100;
  int parallel_games = 64;
  // Move lists from the empty board (see OpeningsForRules); empty = every game starts empty.
  std::vector<std::vector<int16_t>> openings;
  // Search players sample the first `sample_moves` moves after the opening in proportion to
  // visit counts (temperature 1), so repeated openings still give different games.
  int sample_moves = 0;
  uint64_t seed = 1;
};

struct ArenaGame {
  int64_t index = 0;
  bool player1_black = true;
  int opening = 0;               // index into ArenaOptions::openings
  GameRecord record;             // opening moves included; result set also for forfeits
  std::vector<int32_t> move_ms;  // wall time per move (0 for opening moves)
  int winner = -1;               // 0 = player 1, 1 = player 2, -1 = draw
  std::string reason;            // "five in a row", "board full", "random: ...timed out..."
};

// Called after each finished game with the running score (player 1's view). Return true to
// stop: no new games start and games still in flight are abandoned.
using ArenaGameCallback = std::function<bool(const ArenaGame& game, const MatchScore& score)>;

struct ArenaResult {
  MatchScore score;              // player 1's view
  std::vector<ArenaGame> games;  // finished games, by index
  bool stopped_early = false;
  int64_t evaluator_calls[2] = {0, 0};  // per player
  int64_t evaluations[2] = {0, 0};      // positions per player
};

absl::Status ValidateArenaOptions(const ArenaOptions& options);

// Plays the match. Errors: bad options, an evaluator failure, an engine that cannot start.
absl::StatusOr<ArenaResult> RunArena(const ArenaOptions& options, const ArenaPlayer& player1,
                                     const ArenaPlayer& player2,
                                     const ArenaGameCallback& on_game = nullptr);

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_ARENA_H_
