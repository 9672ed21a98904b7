// Piskvork's .psq game files, so matches can be replayed in Piskvork and Gomocup tools.
// Implemented in psq.cc. Thread-safe (pure functions).
//
//   Piskvorky 15x15, 11:11, 0      header: board size (the rest is informational)
//   8,8,120                        one move per line: x,y (1-based), thinking time in ms
//   9,9,95
//   ...
//   zerofleet                      after the moves: the black player's name,
//   random                         the white player's name,
//   -1                             and the end marker
//
// Readers stop at the first line that is not "x,y,time".
#ifndef ZEROFLEET_TOOLS_PLAY_PSQ_H_
#define ZEROFLEET_TOOLS_PLAY_PSQ_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zf::play {

struct PsqGame {
  int size = 15;
  std::vector<int16_t> moves;     // points (y * size + x)
  std::vector<int32_t> times_ms;  // one per move (0 where unknown)
  std::string black_name;
  std::string white_name;
};

std::string FormatPsq(const PsqGame& game);
// Checks the header, every coordinate and that no point is played twice.
absl::StatusOr<PsqGame> ParsePsq(absl::string_view text);

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_PSQ_H_
