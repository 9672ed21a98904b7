// A finished (or stopped) self-play game and its file format. Implemented in game_record.cc.
// Functions are thread-safe (no shared state).
//
// File layout (little-endian):
//
//   "ZFGR" | u32 version (1) | frame | frame | ...
//   frame = u32 payload_bytes | u32 crc32(payload) | payload
//   payload = u64 id | u8 size | u8 k | u8 rule | u8 result (| 0x80 if resigned) | u32 n_moves |
//             move * n_moves
//   move    = i16 point | u8 flags (1 = full search) | f32 root_value | u16 n | (i16 point,
//             u32 visits) * n
//
// Reading checks every length, checksum and move (replayed on a board), so a truncated or
// corrupt file gives an error naming the file, the record and the problem.
#ifndef ZEROFLEET_COMMON_GAME_GAME_RECORD_H_
#define ZEROFLEET_COMMON_GAME_GAME_RECORD_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/game/game_state.h"

namespace zf {

struct MoveRecord {
  int16_t move = kNoMove;
  // False for playout-cap "fast" moves: played, but not a training target.
  bool full_search = true;
  // The search's value of the root for the player to move, in [-1, 1].
  float root_value = 0;
  // Root visit counts (point, visits), only for full-search moves.
  std::vector<std::pair<int16_t, uint32_t>> visits;

  bool operator==(const MoveRecord& o) const {
    return move == o.move && full_search == o.full_search && root_value == o.root_value &&
           visits == o.visits;
  }
};

struct GameRecord {
  uint64_t id = 0;
  Rules rules;
  std::vector<MoveRecord> moves;
  Outcome result = Outcome::kOngoing;
  // The side to move after the last move gave up (self-play resignation, or a forfeit in a
  // match): `result` is the other side's win although the board is not decided.
  bool resigned = false;

  bool operator==(const GameRecord& o) const {
    return id == o.id && rules == o.rules && moves == o.moves && result == o.result &&
           resigned == o.resigned;
  }
};

// The result a finished game must carry: a five by the side that moved last, a full board for
// a draw, or a resignation (`resigned`) won by the side that moved last. Also every root value
// finite and in [-1, 1]. The error names the game and the problem. Thread-safe.
absl::Status CheckFinishedGame(const GameRecord& record);

// One record as bytes (a frame's payload) and back. Parsing validates everything.
std::string SerializeGameRecord(const GameRecord& record);
absl::StatusOr<GameRecord> ParseGameRecord(absl::string_view payload);

// Frames: [u32 length | u32 crc | payload]. Used by record files and the learner's game log.
void AppendFrame(absl::string_view payload, std::string* out);
// Reads the frame at *pos; advances *pos. Errors say "truncated" or "checksum mismatch".
absl::StatusOr<absl::string_view> ReadFrame(absl::string_view data, size_t* pos);

absl::Status WriteGameRecords(const std::string& path, absl::Span<const GameRecord> records);
absl::StatusOr<std::vector<GameRecord>> ReadGameRecords(const std::string& path);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_GAME_GAME_RECORD_H_
