// The engine side of the Gomocup (pbrain) protocol, on any std::istream / std::ostream, so
// tests drive it in-process and pbrain-zerofleet is a thin main. Implemented in
// pbrain_engine.cc. Not thread-safe: one engine serves one manager on one thread.
//
// Commands (case-insensitive; lines may end in CRLF; coordinates x,y from 0):
//   START n | RECTSTART n,n  -> OK, or ERROR for sizes outside 5..20
//   RESTART                  -> OK (new game, same size)
//   BEGIN                    -> x,y (we play the first stone)
//   TURN x,y                 -> x,y (the opponent played x,y)
//   BOARD / x,y,f ... / DONE -> x,y (stones in any order: f = 1 own, 2 opponent; f = 3, a
//                               continuous-game stone, is answered with ERROR: unsupported)
//   INFO key value           -> no answer (timeout_turn, timeout_match, time_left, max_memory,
//                               rule: bit 0 = exactly five; game_type, thread_num, folder...)
//   TAKEBACK x,y             -> OK
//   ABOUT                    -> name="zerofleet", version="...", author="...", country="..."
//   END                      -> (exits)
//   anything else            -> UNKNOWN <text>; a known command with bad arguments -> ERROR
// A DEBUG line with the search's figures precedes each move.
//
// Time: a move gets timeout_turn (or the default until INFO says), at most time_left / 15
// when the match has a time limit, minus a safety margin; timeout_turn 0 means "as fast as
// possible" (one evaluation). The tree is capped to fit max_memory (or 1 GiB) and reused
// between moves.
#ifndef ZEROFLEET_TOOLS_PLAY_PBRAIN_ENGINE_H_
#define ZEROFLEET_TOOLS_PLAY_PBRAIN_ENGINE_H_

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/search/search_runner.h"

namespace zf::play {

struct PbrainEngineOptions {
  SearchRunnerOptions search;
  // Playouts per move; 0 = limited by time (and memory) only.
  int64_t max_playouts = 0;
  // Time per move until the manager sends INFO timeout_turn.
  absl::Duration default_turn_time = absl::Seconds(5);
  // Safety margin kept back from every time limit: the larger of the two.
  absl::Duration min_margin = absl::Milliseconds(60);
  double margin_fraction = 0.1;
  // Tree memory when INFO max_memory is 0 or absent.
  int64_t default_max_memory = int64_t{1} << 30;
  // Sent as a MESSAGE line after the first OK (e.g. "no model: playing uniform").
  std::string startup_message;
  // When set (e.g. the model file would not load), every START is answered ERROR with it.
  std::string startup_error;
  std::string version = "0.1.0";
};

class PbrainEngine {
 public:
  // `evaluator` is not owned and must outlive the engine.
  PbrainEngine(const PbrainEngineOptions& options, Evaluator* evaluator);

  // Serves commands from `in` until END or end of input. Not thread-safe.
  void Run(std::istream& in, std::ostream& out);
  // Handles one command line; BOARD reads its stone lines from `in`. Returns false after END.
  // Not thread-safe.
  bool HandleLine(absl::string_view line, std::istream& in, std::ostream& out);

  // The limits of a move asked for at `start` before the kept subtree is subtracted from
  // the memory cap (exposed for tests). Not thread-safe.
  SearchLimits MoveLimits(absl::Time start) const;
  // The current game and rules. Not thread-safe.
  const GameState& state() const { return runner_.state(); }
  const Rules& rules() const { return rules_; }

 private:
  struct Stone {
    int16_t point;
    bool own;
  };

  void Reply(std::ostream& out, absl::string_view line);
  // START size, or RECTSTART width,height (square boards only).
  void HandleStartCommand(absl::string_view command, absl::string_view args, std::ostream& out);
  void HandleStart(int size, std::ostream& out);
  // Reads a BOARD command's lines up to DONE without playing them.
  static void SkipBoardLines(std::istream& in);
  // These answer with our move (via Think) when the command asks for one; `start` is when
  // the command arrived, for the time limit.
  void HandleBoard(absl::Time start, std::istream& in, std::ostream& out);
  void HandleInfo(absl::string_view args, std::ostream& out);
  void HandleTakeback(absl::string_view args, std::ostream& out);
  void HandleTurn(absl::Time start, absl::string_view args, std::ostream& out);
  // Searches, plays and prints our move.
  void Think(absl::Time start, std::ostream& out);
  // Playouts whose tree fits in max_memory (or the default).
  int64_t MemoryCap() const;
  // Replays stones_ into the runner: black's stones alternate with white's, each colour in
  // the order given. An error if the counts cannot alternate or a five appears early.
  absl::Status Rebuild();
  void NewGame();

  PbrainEngineOptions options_;
  Rules rules_;
  bool started_ = false;
  bool we_are_black_ = true;
  std::vector<Stone> stones_;  // in the order we learnt them
  SearchRunner runner_;
  // INFO values; -1 = not sent.
  int64_t timeout_turn_ms_ = -1;
  int64_t timeout_match_ms_ = 0;
  int64_t time_left_ms_ = -1;
  int64_t max_memory_ = 0;
  std::string folder_;
  bool greeted_ = false;
};

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_PBRAIN_ENGINE_H_
