#include "tools/play/openings.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/game/game_state.h"
#include "common/util/file_io.h"

namespace zf::play {
namespace {

// Adds the third stones around `white` that are distinct up to the one reflection that fixes
// the centre and `white` (`mirror`), keeping the first of each mirrored pair.
template <typename Mirror>
void AddThreeStoneOpenings(std::pair<int, int> white, Mirror mirror, std::vector<Opening>* out) {
  std::set<std::pair<int, int>> seen;
  for (int dy = -2; dy <= 2; ++dy) {
    for (int dx = -2; dx <= 2; ++dx) {
      const std::pair<int, int> third{dx, dy};
      if (third == std::pair<int, int>{0, 0} || third == white) continue;
      if (seen.count(mirror(third))) continue;
      seen.insert(third);
      out->push_back(Opening{{{0, 0}, white, third}});
    }
  }
}

}  // namespace

std::vector<Opening> BuiltinOpenings() {
  std::vector<Opening> out;
  // Direct: white above the centre; the reflection x -> -x fixes both stones.
  AddThreeStoneOpenings(
      {0, -1},
      [](std::pair<int, int> p) {
        return std::pair{-p.first, p.second};
      },
      &out);
  // Indirect: white diagonal; the reflection across the line y = -x fixes both stones.
  AddThreeStoneOpenings(
      {1, -1},
      [](std::pair<int, int> p) {
        return std::pair{-p.second, -p.first};
      },
      &out);
  return out;
}

absl::StatusOr<std::vector<Opening>> ParseOpenings(absl::string_view text) {
  std::vector<Opening> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("openings line ", line_number, " ('", line, "'): ", why));
    };
    std::vector<int> numbers;
    for (absl::string_view token :
         absl::StrSplit(line, absl::ByAnyChar(", \t"), absl::SkipEmpty())) {
      int v;
      if (!absl::SimpleAtoi(token, &v)) return bad(absl::StrCat("'", token, "' is not a number"));
      numbers.push_back(v);
    }
    if (numbers.size() % 2 != 0) return bad("expected pairs dx,dy");
    Opening opening;
    for (size_t i = 0; i < numbers.size(); i += 2)
      opening.offsets.emplace_back(numbers[i], numbers[i + 1]);
    out.push_back(std::move(opening));
  }
  if (out.empty()) return absl::InvalidArgumentError("no openings in the text");
  return out;
}

absl::StatusOr<std::vector<Opening>> ReadOpeningsFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<Opening>> openings = ParseOpenings(*text);
  if (!openings.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", openings.status().message()));
  }
  return openings;
}

std::string FormatOpening(const Opening& opening) {
  return absl::StrJoin(opening.offsets, ", ", [](std::string* out, const std::pair<int, int>& p) {
    absl::StrAppend(out, p.first, ",", p.second);
  });
}

absl::StatusOr<std::vector<int16_t>> OpeningMoves(const Opening& opening, const Rules& rules) {
  if (absl::Status s = ValidateRules(rules); !s.ok()) return s;
  const int n = rules.size;
  const int centre = n / 2;
  GameState state(rules);
  std::vector<int16_t> moves;
  for (size_t i = 0; i < opening.offsets.size(); ++i) {
    const int x = centre + opening.offsets[i].first;
    const int y = centre + opening.offsets[i].second;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("opening '", FormatOpening(opening), "' stone ", i + 1, ": ", why));
    };
    if (x < 0 || x >= n || y < 0 || y >= n)
      return bad(absl::StrCat("off the ", n, "x", n, " board"));
    const int point = y * n + x;
    if (state.IsTerminal()) return bad("the game is already over");
    if (absl::Status s = state.Play(point); !s.ok()) return bad(s.message());
    moves.push_back(static_cast<int16_t>(point));
  }
  if (state.IsTerminal()) {
    return absl::InvalidArgumentError(
        absl::StrCat("opening '", FormatOpening(opening), "' already ends the game"));
  }
  return moves;
}

std::vector<std::vector<int16_t>> OpeningsForRules(const std::vector<Opening>& openings,
                                                   const Rules& rules) {
  std::vector<std::vector<int16_t>> out;
  for (const Opening& o : openings) {
    absl::StatusOr<std::vector<int16_t>> moves = OpeningMoves(o, rules);
    if (moves.ok()) out.push_back(*std::move(moves));
  }
  if (out.empty()) out.emplace_back();
  return out;
}

}  // namespace zf::play
