#include "tools/play/psq.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zf::play {

std::string FormatPsq(const PsqGame& game) {
  std::string out = absl::StrCat("Piskvorky ", game.size, "x", game.size, ", 11:11, 0\n");
  for (size_t i = 0; i < game.moves.size(); ++i) {
    const int x = game.moves[i] % game.size;
    const int y = game.moves[i] / game.size;
    const int32_t ms = i < game.times_ms.size() ? game.times_ms[i] : 0;
    absl::StrAppend(&out, x + 1, ",", y + 1, ",", ms, "\n");
  }
  absl::StrAppend(&out, game.black_name.empty() ? "black" : game.black_name, "\n");
  absl::StrAppend(&out, game.white_name.empty() ? "white" : game.white_name, "\n-1\n");
  return out;
}

absl::StatusOr<PsqGame> ParsePsq(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  PsqGame game;
  if (lines.empty()) return absl::InvalidArgumentError("psq: empty file");
  // Header: "Piskvorky NxN, ..."
  const absl::string_view header = absl::StripAsciiWhitespace(lines[0]);
  const size_t space = header.find(' ');
  const size_t x = header.find('x', space == absl::string_view::npos ? 0 : space);
  const size_t comma = header.find(',');
  int width = 0, height = 0;
  if (space == absl::string_view::npos || x == absl::string_view::npos ||
      !absl::SimpleAtoi(header.substr(space + 1, x - space - 1), &width) ||
      !absl::SimpleAtoi(
          header.substr(x + 1,
                        comma == absl::string_view::npos ? absl::string_view::npos : comma - x - 1),
          &height)) {
    return absl::InvalidArgumentError(
        absl::StrCat("psq: bad header '", header, "' (expected 'Piskvorky NxN, ...')"));
  }
  if (width != height || width < 3 || width > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("psq: unsupported board ", width, "x", height, " (square, up to 20)"));
  }
  game.size = width;
  std::set<int> seen;
  size_t i = 1;
  for (; i < lines.size(); ++i) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(absl::StripAsciiWhitespace(lines[i]), ',');
    int mx, my, ms;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &mx) || !absl::SimpleAtoi(parts[1], &my) ||
        !absl::SimpleAtoi(parts[2], &ms)) {
      break;
    }
    if (mx < 1 || mx > width || my < 1 || my > width) {
      return absl::InvalidArgumentError(
          absl::StrCat("psq line ", i + 1, ": move ", mx, ",", my, " off the board"));
    }
    const int point = (my - 1) * width + (mx - 1);
    if (!seen.insert(point).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("psq line ", i + 1, ": point ", mx, ",", my, " played twice"));
    }
    game.moves.push_back(static_cast<int16_t>(point));
    game.times_ms.push_back(ms);
  }
  // Names follow the moves, up to the "-1" marker.
  std::vector<std::string> names;
  for (; i < lines.size(); ++i) {
    const absl::string_view line = absl::StripAsciiWhitespace(lines[i]);
    if (line == "-1") break;
    if (!line.empty()) names.emplace_back(line);
  }
  if (names.size() >= 1) game.black_name = names[0];
  if (names.size() >= 2) game.white_name = names[1];
  return game;
}

}  // namespace zf::play
