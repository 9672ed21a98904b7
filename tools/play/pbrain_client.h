// The manager side of the Gomocup (pbrain) protocol: runs an engine as a child process with
// pipes and asks it for moves, with a deadline on every answer. Implemented in
// pbrain_client.cc. Not thread-safe: one client belongs to one thread.
//
//   manager (this)                 engine (child: /bin/sh -c "<command>", own process group)
//   START 15              ----->
//                         <-----   OK
//   INFO timeout_turn 1000 ...
//   BEGIN | BOARD..DONE | TURN x,y ->
//                         <-----   x,y           (MESSAGE / DEBUG lines are skipped)
//   END                   ----->
//
// Lines are sent with "\n" (engines on Linux often do not strip a CR). An engine that does not
// answer by its deadline, exits, or answers garbage is killed (SIGKILL to its process group);
// the caller scores that as a loss. SIGPIPE is ignored process-wide once a client starts, so a
// dead engine shows up as a write error instead of killing the manager.
#ifndef ZEROFLEET_TOOLS_PLAY_PBRAIN_CLIENT_H_
#define ZEROFLEET_TOOLS_PLAY_PBRAIN_CLIENT_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/game/rules.h"

namespace zf::play {

struct PbrainClientOptions {
  // Shell command line of the engine (run with /bin/sh -c, so arguments are allowed).
  std::string command;
  // Sent as INFO timeout_turn; the engine is forfeited when it takes longer than
  // turn_time + grace for a move.
  absl::Duration turn_time = absl::Seconds(1);
  absl::Duration grace = absl::Milliseconds(500);
  // Time to answer START (engines load their networks first).
  absl::Duration start_timeout = absl::Seconds(30);
  // INFO max_memory in bytes (0 = no limit).
  int64_t max_memory = 0;
};

class PbrainClient {
 public:
  // Starts the engine and sends START and the INFO lines for `rules` (INFO rule 1 for exactly
  // five). An error says why: cannot spawn, ERROR reply (e.g. unsupported size), no reply.
  // Thread-safe (each call makes its own engine).
  static absl::StatusOr<std::unique_ptr<PbrainClient>> Start(const PbrainClientOptions& options,
                                                             const Rules& rules);
  // Sends END, then kills and reaps the engine if it has not exited.
  ~PbrainClient();
  PbrainClient(const PbrainClient&) = delete;
  PbrainClient& operator=(const PbrainClient&) = delete;

  // Asks for the move of the side to move after `moves` (the whole game from the empty board).
  // Sends BEGIN on an empty board the engine has not seen, BOARD for a position it has not
  // seen, TURN when exactly one new move was played since its last answer. Not thread-safe.
  absl::Status RequestMove(absl::Span<const int16_t> moves);
  // After RequestMove: the move once the engine answered, nullopt while it thinks, an error on
  // timeout, exit, ERROR/UNKNOWN or an unparsable answer (the engine is then killed).
  // Waits at most `wait` for input. Not thread-safe.
  absl::StatusOr<std::optional<int>> PollMove(absl::Duration wait = absl::ZeroDuration());
  // When the pending answer is due (InfiniteFuture when nothing is pending). Not thread-safe.
  absl::Time deadline() const { return deadline_; }
  // The engine's pid (-1 once it was reaped). Not thread-safe.
  pid_t pid() const { return pid_; }

 private:
  PbrainClient(const PbrainClientOptions& options, const Rules& rules);
  absl::Status Spawn();
  absl::Status Send(const std::string& line);
  // The next line that is not empty, MESSAGE or DEBUG; nullopt if none arrived within `wait`.
  absl::StatusOr<std::optional<std::string>> ReadLine(absl::Duration wait);
  // Kills the process group and reaps the child; returns a description of how it ended.
  std::string Kill();

  PbrainClientOptions options_;
  Rules rules_;
  pid_t pid_ = -1;
  int to_engine_ = -1;
  int from_engine_ = -1;
  std::string buffer_;  // bytes read but not yet split into lines
  bool eof_ = false;
  // Moves of the game the engine knows (its own answers included); -1 before its first turn.
  int known_moves_ = -1;
  int requested_at_ = 0;  // moves in the game when the pending request was sent
  absl::Time deadline_ = absl::InfiniteFuture();
};

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_PBRAIN_CLIENT_H_
